// Stages served from the cache: a stage with reason Cached did not run in this run; another run
// computed its result. Finished runs keep no stage list, so the StageCached Events name them.
// Pure logic, unit-tested.
import type { StageStatus } from '../../../api/types.ts';
import type { EventSummary } from '../../protocol.ts';

/** A stage served from the cache: it did not run in this run; `cachedFrom` did. */
export function isCached(s: Pick<StageStatus, 'reason'> | undefined): boolean {
  return s?.reason === 'Cached';
}

/** "Cached: result of run g1" (the words of `conveyor describe`). */
export function cachedWords(cachedFrom: string | undefined): string {
  return cachedFrom ? `Cached: result of run ${cachedFrom}` : 'Cached';
}

const STAGE_CACHED = /^run (\S+): stage "(.+)" served from the cache \(key "(.*)", run (\S+)\)$/;

/**
 * Stages served from the cache in a run, by stage name → the run that computed them, read from
 * the StageCached Events (src/plan/cache/cache.ts writes their message). Finished runs in
 * status.runs keep no stage list and a cached stage has no Job: the Event is what is left.
 */
export function cachedFromEvents(events: EventSummary[], runId: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const e of events) {
    if (e.reason !== 'StageCached' || e.involved.kind !== 'Pipeline') continue;
    const m = STAGE_CACHED.exec(e.message);
    if (m && m[1] === runId) found.set(m[2]!, m[4]!);
  }
  return found;
}
