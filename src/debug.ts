// Endpoints for measuring the operator (the benchmark), served with /metrics when
// CONVEYOR_DEBUG_ENDPOINTS=1. Not for production: /debug/memory runs a full GC.
//   /debug/memory   process.memoryUsage() and v8 heap statistics, after a full GC;
//   /debug/timings  the raw timing samples since the last call (controller/runtime/timings.ts), how many
//                   Pipelines were reconciled at least once and when the last of them finished,
//                   and when the caches were synced (ms since process start).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { timings } from './controller/runtime/timings.ts';

type Route = () => Promise<{ contentType: string; body: string }>;

export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CONVEYOR_DEBUG_ENDPOINTS === '1';
}

/** A gc() function without starting node with --expose-gc. */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

export function debugRoutes(syncedAtMs: () => number | undefined): Record<string, Route> {
  timings.keepSamples = true;
  const gc = fullGc();
  const json = (value: unknown) => ({ contentType: 'application/json', body: JSON.stringify(value) });
  return {
    '/debug/memory': async () => {
      gc();
      return json({ memory: process.memoryUsage(), heap: getHeapStatistics() });
    },
    '/debug/timings': async () => json({ ...timings.coverage(), syncedAtMs: syncedAtMs(), samples: timings.take() }),
  };
}
