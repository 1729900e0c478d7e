// Runs other than the active ones: stopping what is left of them (a superseded, cancelled or
// skipped run's Jobs), pruning old runs' Jobs and claims past runHistoryLimit, and the short run
// history kept in status.runs[].
import type { RunStatus, RunSummary, StageStatus } from '../../api/types.ts';
import { DEFAULT_RUN_HISTORY_LIMIT } from '../../api/constants.ts';
import type { Action } from '../types.ts';
import { isDeleting, isJobFinished, trimMessage, type ObservedRun } from '../observed.ts';
import { isActiveRun, MAX_RUN_MESSAGE } from '../run/run.ts';
import { isTerminalStage } from '../run/stage-steps.ts';
import { iso, toDate } from '../time.ts';

/** status.runs[] holds at most this many finished runs, newest first, besides every active one. */
export const MAX_RUN_SUMMARIES = 10;

export function historyLimit(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value)
    ? Math.max(0, Math.floor(value))
    : DEFAULT_RUN_HISTORY_LIMIT;
}

/**
 * A run's entry in runs[]. A finished run keeps no stages. An active one keeps, per stage that
 * has begun, what it needs to go on without redoing work — phase, Job, attempts, reason — even
 * when it is not lastRun and its Jobs disappear (a CronJob's history limit, a hand).
 */
export function summarize(run: RunStatus): RunSummary {
  const { stages, ...summary } = run;
  if (!isActiveRun(run.phase) || !stages) return summary;
  const memory = stages.filter((s) => s.phase !== 'Pending').map(stageMemory);
  return memory.length > 0 ? { ...summary, stages: memory } : summary;
}

/**
 * What a stage of an active run must remember, kept small: status lives in etcd, and 20 active
 * runs of 200 stages must fit next to the largest spec. A finished stage needs its phase (and
 * attempts, reason); a running one also its Job and start, to tell a deleted Job from a new one.
 */
function stageMemory(stage: StageStatus): StageStatus {
  const { name, phase, job, attempts, reason, startTime, cachedFrom, dataVersion } = stage;
  const running = phase === 'Running';
  return {
    name,
    phase,
    ...(running && job ? { job } : {}),
    ...(attempts ? { attempts } : {}),
    ...(reason ? { reason } : {}),
    ...(cachedFrom ? { cachedFrom } : {}),
    // What a served or kept result was: its downstream stages are served (and recorded) by it.
    ...(dataVersion ? { dataVersion } : {}),
    ...(running && startTime ? { startTime } : {}),
  };
}

/** Why an active run of an unscheduled pipeline ended: a newer run took its place. */
export function supersededBy(id: string | undefined): string {
  return `superseded by run ${id ?? ''}`;
}

/** A run stopped before its end: unfinished stages are marked, the run is Cancelled. */
export function cancelRun(run: RunStatus, reason: string, now: Date): RunStatus {
  const message = trimMessage(reason) ?? '';
  const stages = run.stages?.map((stage): StageStatus => {
    if (isTerminalStage(stage.phase)) return stage;
    return stage.phase === 'Running'
      ? { ...stage, phase: 'Failed', reason: 'RunCancelled', message, completionTime: iso(now) }
      : { ...stage, phase: 'Skipped', reason: 'RunCancelled', message };
  });
  return {
    ...run,
    phase: 'Cancelled',
    completionTime: iso(now),
    message: trimMessage(reason, MAX_RUN_MESSAGE) ?? '',
    ...(stages ? { stages } : {}),
  };
}

/**
 * The updated summaries (`newest`) merged into the previous history, one entry per run id, newest
 * first (by start time, or completion time for a run that never started; entries without either
 * keep their order after those with one). Every active run stays, however many others there are:
 * it is the memory its next stages are created from. Finished and skipped runs are bounded
 * (`limit`): the ones that ended last are kept, so that a run that ends is shown for a while even
 * when it started before ten others that ended already (an old run of Allow, a backfill's first
 * tick) — chained pipelines read an upstream's ended runs here (chain.ts). Events are derived from
 * the whole list, so a run that ends is reported also when status no longer keeps it.
 */
export function runHistory(
  previous: RunSummary[] | undefined,
  newest: RunSummary[],
  limit = MAX_RUN_SUMMARIES,
): RunSummary[] {
  const ids = new Set(newest.map((r) => r.id));
  const older = (Array.isArray(previous) ? previous : []).filter((r) => r && !ids.has(r.id));
  const time = (r: RunSummary) => toDate(r.startTime ?? r.completionTime)?.getTime() ?? Number.NEGATIVE_INFINITY;
  const ended = (r: RunSummary) => toDate(r.completionTime ?? r.startTime)?.getTime() ?? Number.NEGATIVE_INFINITY;
  const byRecency = (when: (r: RunSummary) => number) => (runs: RunSummary[]) =>
    runs
      .map((run, index) => ({ run, index }))
      .sort((a, b) => when(b.run) - when(a.run) || a.index - b.index)
      .map(({ run }) => run);
  const all = [...newest, ...older];
  const kept = new Set(byRecency(ended)(all.filter((run) => !isActiveRun(run.phase))).slice(0, limit));
  return byRecency(time)(all).filter((run) => isActiveRun(run.phase) || kept.has(run));
}

/**
 * deleteJob for every unfinished Job (started or still suspended) of the runs not in `active`:
 * what is left of a superseded, cancelled, skipped or already finished run.
 */
export function stopInactiveRuns(
  observed: Map<string, ObservedRun>,
  active: ReadonlySet<string>,
  reasonFor: (runId: string) => string,
): Action[] {
  const actions: Action[] = [];
  for (const run of observed.values()) {
    if (active.has(run.id)) continue;
    for (const job of run.jobs) {
      const name = job.metadata?.name;
      if (name && !isJobFinished(job) && !isDeleting(job))
        actions.push({ kind: 'deleteJob', name, reason: reasonFor(run.id) });
    }
  }
  return actions;
}

/**
 * Keeps the Jobs and claims of the `limit` newest runs besides the protected ones (active runs,
 * the latest run, the runs an active retry keeps stages of), ordered by their first object's
 * creation time, and deletes those of older runs. Runs that never started (a skipped tick's
 * suspended Jobs, being deleted) are not history and do not count.
 */
export function pruneHistory(
  observed: Map<string, ObservedRun>,
  protectedRuns: ReadonlySet<string>,
  limit: number,
): Action[] {
  const others = [...observed.values()]
    .filter((run) => !protectedRuns.has(run.id) && run.started)
    .sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) || b.id.localeCompare(a.id));
  const reason = `run history limit (${limit}) exceeded`;
  const actions: Action[] = [];
  for (const run of others.slice(limit)) {
    for (const job of run.jobs) {
      const name = job.metadata?.name;
      if (name && !isDeleting(job)) actions.push({ kind: 'deleteJob', name, reason: `run ${run.id}: ${reason}` });
    }
    for (const claim of run.claims) {
      const name = claim.metadata?.name;
      if (name && !isDeleting(claim)) actions.push({ kind: 'deleteClaim', name, reason: `run ${run.id}: ${reason}` });
    }
  }
  return actions;
}
