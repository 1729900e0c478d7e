// Retry from failure (conveyor.dev/retry-requested): a new run that re-runs the stages that did
// not succeed in a finished run and keeps the ones that did. The kept stages are taken from the
// target run's Jobs (evidence), so the retry also works for a run status no longer details.
// A stage served from the cache in that run succeeded there too, and is kept with the result it
// was served; and a stage is kept only with every stage it builds on kept: a kept stage stands on
// the results its upstream had in that run, so no upstream of it runs again beneath it (NEW-J).
import type { RunStatus, RunSummary, StageSpec, StageStatus } from '../../api/types.ts';
import { ROLE_STAGE } from '../../api/labels.ts';
import { isRunId, labelValue, resultVersion, retryRunId } from '../names.ts';
import { indexStageJobs, isSuspendedJob, readJob, stageKey, type ObservedRun } from '../observed.ts';
import { compact } from '../objects.ts';
import { CACHED, FROM_RUN } from '../cache/cache.ts';
import { servedOnJobs } from '../cache/evidence.ts';

/** How far a retry of a retry of ... is followed back to find where a stage succeeded. */
const MAX_RETRY_DEPTH = 10;

export type RetryPlan = { id: string; of: string; kept: StageStatus[] };
export type RetryResolution = { ok: true; retry: RetryPlan } | { ok: false; message: string };

/**
 * `<runId>:<nonce>` retries that run; anything else (`<nonce>`) retries the latest run. A value
 * like a timestamp contains ':' too, so only a prefix shaped like a run id names a run.
 */
export function parseRetryRequest(value: string): { target?: string } {
  const at = value.indexOf(':');
  if (at <= 0) return {};
  const prefix = value.slice(0, at);
  return isRunId(prefix) ? { target: prefix } : {};
}

/**
 * Stage status of a stage a retry keeps: it succeeded in `from` and is not run again. Its data
 * version is that result's, as `from` recorded it in the cache (cache.ts).
 */
export function keptStage(name: string, from: string, original?: StageStatus): StageStatus {
  return compact({
    name,
    phase: 'Succeeded' as const,
    job: original?.job,
    startTime: original?.startTime,
    completionTime: original?.completionTime,
    reason: FROM_RUN,
    message: `succeeded in run ${from}`,
    dataVersion: original?.completionTime ? resultVersion(name, from, original.completionTime) : undefined,
  });
}

/**
 * The stages that succeeded in run `runId`, each as a kept stage naming the run it really
 * succeeded in: its own completed Jobs, then — for a retry run — what the run it retried kept.
 * `remembered` is the run's detailed status when status still has it.
 */
export function succeededStages(
  runId: string,
  stages: StageSpec[],
  observed: Map<string, ObservedRun>,
  remembered?: RunStatus,
  depth = 0,
): Map<string, StageStatus> {
  const out = new Map<string, StageStatus>();
  const run = observed.get(runId);
  const jobs = indexStageJobs(run?.jobs ?? []);
  for (const stage of stages) {
    const job = jobs.get(stageKey(ROLE_STAGE, labelValue(stage.name)));
    if (!job || isSuspendedJob(job)) continue;
    const outcome = readJob(job);
    if (outcome.phase === 'Succeeded')
      out.set(stage.name, keptStage(stage.name, runId, { name: stage.name, job: job.metadata?.name, ...outcome }));
  }
  // Served from the cache in this run: the Jobs built on them record the results they were given.
  for (const [name, served] of servedOnJobs(run?.jobs ?? [], stages)) {
    if (!out.has(name)) out.set(name, keptServed(served, runId));
  }
  // Kept (it is a retry itself) or served in this run: memory says where they succeeded.
  for (const stage of remembered?.stages ?? []) {
    if (out.has(stage.name) || stage.phase !== 'Succeeded' || !stages.some((s) => s.name === stage.name)) continue;
    if (stage.reason === FROM_RUN) out.set(stage.name, stage);
    else if (stage.reason === CACHED) out.set(stage.name, keptServed(stage, runId));
  }
  if (run?.retryOf && run.retryOf !== runId && depth < MAX_RETRY_DEPTH) {
    for (const [name, stage] of succeededStages(run.retryOf, stages, observed, undefined, depth + 1)) {
      if (!out.has(name)) out.set(name, stage);
    }
  }
  return out;
}

/** A stage served from the cache in run `from`, kept by a retry of it with the result it was served. */
function keptServed(served: StageStatus, from: string): StageStatus {
  return compact({
    name: served.name,
    phase: 'Succeeded' as const,
    reason: FROM_RUN,
    message: `succeeded in run ${from} (served from the cache: the result of run ${served.cachedFrom ?? '?'})`,
    dataVersion: served.dataVersion,
  });
}

/**
 * The stages a retry of run `runId` keeps: those that succeeded in it (succeededStages) whose
 * upstream stages are all kept too. A stage whose upstream runs again is run again: kept, it
 * would stand on a result its upstream no longer has in the retry, and the upstream would start
 * beneath a stage that builds on it.
 */
export function keptStages(
  runId: string,
  stages: StageSpec[],
  observed: Map<string, ObservedRun>,
  remembered?: RunStatus,
): Map<string, StageStatus> {
  const kept = succeededStages(runId, stages, observed, remembered);
  for (let changed = true; changed; ) {
    changed = false;
    for (const stage of stages) {
      if (kept.has(stage.name) && (stage.dependsOn ?? []).some((dep) => !kept.has(dep))) {
        kept.delete(stage.name);
        changed = true;
      }
    }
  }
  return kept;
}

/** A run as status remembers it: lastRun (detailed) or an entry of runs[]. */
export type RememberedRun = RunStatus | RunSummary;

/**
 * What a retry request asks for, or why it is refused: the target must be a finished run that
 * did not succeed (Failed or Cancelled) and whose Jobs still exist.
 */
export function resolveRetry(
  value: string,
  latest: RunStatus | undefined,
  remembered: Map<string, RememberedRun>,
  observed: Map<string, ObservedRun>,
  stages: StageSpec[],
  /** What the retry's id is derived from: the request value and its place among requests. */
  idSeed: string = value,
): RetryResolution {
  const target = parseRetryRequest(value).target ?? latest?.id;
  if (!target) return { ok: false, message: 'there is no run to retry' };
  const memory = remembered.get(target);
  const evidence = observed.get(target);
  if (!memory && !evidence) return { ok: false, message: `run ${target} is not known` };
  const phase = memory?.phase;
  if (phase === 'Running' || phase === 'Pending' || (!memory && evidence?.unfinished)) {
    return { ok: false, message: `run ${target} is still running` };
  }
  if (phase === 'Succeeded') return { ok: false, message: `run ${target} succeeded: nothing to retry` };
  if (phase === 'Skipped') return { ok: false, message: `run ${target} was skipped: it never ran` };
  if (!evidence?.started) {
    return {
      ok: false,
      message: `the Jobs of run ${target} were deleted (runHistoryLimit): its outcome cannot be reused`,
    };
  }
  const detailed = latest?.id === target ? latest : undefined;
  const kept = keptStages(target, stages, observed, detailed);
  if (stages.every((s) => kept.has(s.name)))
    return { ok: false, message: `every stage of run ${target} succeeded: nothing to retry` };
  return {
    ok: true,
    retry: { id: retryRunId(idSeed), of: target, kept: stages.flatMap((s) => kept.get(s.name) ?? []) },
  };
}
