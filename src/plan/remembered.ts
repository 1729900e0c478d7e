// The runs status remembers: what select, retry, backfill ids and succeededTimes read of the
// Pipeline's memory.
import type { PipelineStatus } from '../api/types.ts';
import type { RememberedRun } from './select/retry.ts';

/** Runs status remembers, by id: lastRun (detailed) over its summary in runs[]. */
export function rememberedRuns(previous: PipelineStatus): Map<string, RememberedRun> {
  const runs = new Map<string, RememberedRun>();
  for (const run of Array.isArray(previous.runs) ? previous.runs : [])
    if (run?.id && !runs.has(run.id)) runs.set(run.id, run);
  if (previous.lastRun?.id) runs.set(previous.lastRun.id, previous.lastRun);
  return runs;
}
