// The parts of `conveyor describe` about what starts a pipeline and what it tells others: its
// chain triggers, its webhook (where it receives, or why not, and the last deliveries), its
// CloudEvents sink (and why it is refused), and the datasets each stage reads and writes. Pure
// text from the Pipeline object; status values are written by the operator but shown to a
// terminal, so control characters are replaced and long messages cut.
import type { DatasetSpec, Pipeline, WebhookDelivery } from '../api/types.ts';
import { webhookWords } from '../api/webhook-words.ts';
import { table } from './table.ts';

const INDENT = '             ';
/** A status message as one terminal line: the API allows up to 1024 characters. */
const MAX_MESSAGE = 200;

/** One line, no control characters (no escape sequence reaches the terminal), at most `max` characters. */
export function oneLine(text: string, max = MAX_MESSAGE): string {
  const flat = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** "2026-12-06T22:00:05Z": an RFC 3339 time in UTC without fractions; the text itself if it is not a time. */
export function utcSeconds(time: string): string {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : oneLine(time, 40);
}

function deliveryTable(deliveries: WebhookDelivery[]): string[] {
  const rows = deliveries.map((d) => [
    utcSeconds(d.time),
    d.outcome,
    d.run ? oneLine(d.run, 64) : '-',
    d.message ? oneLine(d.message) : '',
  ]);
  return table([['TIME (UTC)', 'OUTCOME', 'RUN', 'MESSAGE'], ...rows])
    .split('\n')
    .map((l) => `${INDENT}${l.trimEnd()}`);
}

/** The `After:`, `Webhook:` and `Deliveries:` lines; none for a pipeline without those triggers. */
export function triggerLines(p: Pipeline): string[] {
  const lines: string[] = [];
  const after = p.spec.triggers?.after ?? [];
  if (after.length > 0) {
    const handled = new Map((p.status?.lastTriggers ?? []).map((t) => [t.pipeline, t.run]));
    const words = after.map((a) => {
      const last = handled.get(a.pipeline);
      return `${a.pipeline} ${a.phase ?? 'Succeeded'}${last ? ` (last handled run ${oneLine(last, 64)})` : ''}`;
    });
    lines.push(`After:       ${words.join(', ')}`);
  }
  const hook = p.spec.triggers?.webhook;
  if (!hook) return lines;
  lines.push(`Webhook:     ${webhookWords(hook)}`);
  const status = p.status?.webhook;
  if (status?.path) lines.push(`${INDENT}Path ${oneLine(status.path, 80)} (behind the receiver's address)`);
  else
    lines.push(
      `${INDENT}Not receiving: ${status?.message ? oneLine(status.message) : 'the operator has not reported yet'}`,
    );
  const deliveries = status?.deliveries ?? [];
  if (deliveries.length > 0) lines.push('Deliveries:', ...deliveryTable(deliveries));
  return lines;
}

/** The `CloudEvents:` line and, when the operator refuses the sink, why. */
export function notifyLines(p: Pipeline): string[] {
  const sink = p.spec.notify?.cloudevents;
  if (!sink) return [];
  const lines = [`CloudEvents: ${oneLine(sink.url, 300)} (${sink.mode ?? 'structured'})`];
  const refused = p.status?.notify?.message;
  if (refused) lines.push(`${INDENT}Refused: ${oneLine(refused)}`);
  return lines;
}

const datasetText = (d: DatasetSpec): string => `${oneLine(d.namespace, 120)}  ${oneLine(d.name, 200)}`;

/** Per stage (onFailure stages too) that declares any: what it reads and writes, one dataset a line. */
export function datasetLines(p: Pipeline): string[] {
  const stages = [...p.spec.stages, ...(p.spec.onFailure ?? [])].filter(
    (s) => (s.inputs?.length ?? 0) + (s.outputs?.length ?? 0) > 0,
  );
  if (stages.length === 0) return [];
  const width = Math.max(...stages.map((s) => s.name.length));
  const lines = ['', 'Datasets:'];
  for (const s of stages) {
    const entries = [
      ...(s.inputs ?? []).map((d) => `reads   ${datasetText(d)}`),
      ...(s.outputs ?? []).map((d) => `writes  ${datasetText(d)}`),
    ];
    lines.push(...entries.map((e, i) => `  ${(i === 0 ? s.name : '').padEnd(width)}  ${e}`));
  }
  return lines;
}
