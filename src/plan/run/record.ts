// Phase 6, record: every run this plan advanced or started, with the cancellations of the stop
// phase applied, which run is lastRun, and the active runs status remembers that nobody continues
// (superseded, or no longer tracked).
import type { RunStatus } from '../../api/types.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import { cancelRun, supersededBy } from '../tidy/history.ts';
import { isActiveRun } from './run.ts';

export function recordRuns(facts: PlanFacts, d: Decisions): void {
  for (const { ref, progress } of [...d.going, ...d.started]) {
    const reason = d.cancelled.get(ref.id);
    // A cancelled run's stages that succeeded (this plan saw them end) have complete results.
    d.cacheEntries.push(...(progress.cacheEntries ?? []));
    if (reason !== undefined) {
      d.runs.set(ref.id, cancelRun(progress.run, reason, facts.now));
      continue;
    }
    d.runs.set(ref.id, progress.run);
    d.actions.push(...progress.actions);
    d.events.push(...(progress.events ?? []));
    if (progress.requeueAfterMs !== undefined) d.requeues.push(progress.requeueAfterMs);
  }
  rememberAll(facts, d);
  d.skipped = [...new Map(d.concurrency.skipped.concat(d.selection.skipped).map((s) => [s.id, s])).values()];
}

/**
 * lastRun is the newest run: the one started last, else one adopted from the Jobs that is newer
 * than the one status had, else that one (also when it has ended while an older run still goes
 * on). Active runs status remembers but nobody continues are superseded (an unscheduled
 * pipeline has one run at a time).
 */
function rememberAll(facts: PlanFacts, d: Decisions): void {
  const { previous, remembered, now } = facts;
  const runs = d.runs;
  const adopted = newestRun([...runs.values()].filter((r) => !remembered.has(r.id)));
  const adoptedIsNewer =
    adopted && (!previous.lastRun?.startTime || (adopted.startTime ?? '') > previous.lastRun.startTime);
  const lastId =
    d.started[d.started.length - 1]?.ref.id ??
    (adoptedIsNewer ? adopted.id : undefined) ??
    previous.lastRun?.id ??
    newestRun([...runs.values()])?.id;
  for (const [id, run] of remembered) {
    if (isActiveRun(run.phase) && !runs.has(id)) {
      const reason = d.selection.supersede ? supersededBy(lastId) : `run ${id} is no longer tracked`;
      runs.set(id, cancelRun(run, reason, now));
      d.cancelled.set(id, reason);
    }
  }
  const lastRun =
    (lastId !== undefined ? runs.get(lastId) : undefined) ??
    (previous.lastRun?.id === lastId ? previous.lastRun : undefined);
  if (lastRun) d.lastRun = lastRun;
}

function newestRun(runs: RunStatus[]): RunStatus | undefined {
  const time = (r: RunStatus) => (r.startTime ? Date.parse(r.startTime) : 0);
  return runs.reduce<RunStatus | undefined>((best, r) => (!best || time(r) > time(best) ? r : best), undefined);
}
