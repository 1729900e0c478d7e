// Structured JSON logs. Every line about a Pipeline carries pipeline (namespace/name), and run
// and stage fields where they apply, through child loggers.
import { pino, type Logger } from 'pino';

export function makeLogger(level: string): Logger {
  return pino({
    level,
    base: { component: 'conveyor' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
