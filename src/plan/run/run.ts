// Progress of one run through its DAG: from what its Jobs show (evidence) and what status
// remembers (memory), decide each stage's phase and which Jobs to create or stop. The steps
// themselves are in stage-steps.ts; this file runs them in order and assembles the run's status.
// A missing Job for a stage that memory calls Running is created again only when it was really
// deleted (not merely missing from a cache that lags behind our own create), and counted.
import type { CacheEntry, RunPhase, RunStatus, StageStatus } from '../../api/types.ts';
import { ROLE_ON_FAILURE, ROLE_STAGE } from '../../api/labels.ts';
import type { Action, PlanEvent } from '../types.ts';
import { buildStagingClaim } from './job.ts';
import { claimName, jobName } from '../names.ts';
import { boundStage, indexStageJobs, stageKey, trimMessage } from '../observed.ts';
import { earliest, iso, latest } from '../time.ts';
import { compact } from '../objects.ts';
import { succeededEntries } from '../cache/cache.ts';
import { servedOnJobs } from '../cache/evidence.ts';
import { setRunValues } from '../values/values.ts';
import {
  createStageJob,
  deadlineDeletes,
  decideOpenStages,
  isTerminalStage,
  newEffects,
  recallStage,
  stopAtDeadline,
  unusedSuspendedJobs,
  type Effects,
  type RunContext,
  type RunView,
} from './stage-steps.ts';

/** A run's message in status (naming its failed stages). */
export const MAX_RUN_MESSAGE = 1000;

export type RunProgress = {
  run: RunStatus;
  actions: Action[];
  requeueAfterMs?: number;
  events?: PlanEvent[];
  /** Results of its stages with cache that succeeded since status last spoke of it, for status.cache. */
  cacheEntries?: CacheEntry[];
};

export function isActiveRun(phase: RunPhase | undefined): boolean {
  return phase === 'Pending' || phase === 'Running';
}

/** `stage "load" failed: BackoffLimitExceeded after 3 attempts (see kubectl logs job/etl-load-g1)`. */
export function describeFailure(stage: StageStatus): string {
  const reason = stage.reason ?? 'Failed';
  const attempts = stage.attempts ? ` after ${stage.attempts} attempt${stage.attempts === 1 ? '' : 's'}` : '';
  // Deadlines explain themselves; other failures come from the container. Its exit code is on
  // the pod, which the operator may not read (its RBAC stops at Jobs), so point at the logs.
  const detail =
    reason === 'DeadlineExceeded' || reason === 'RunDeadlineExceeded' || reason === 'JobRejected'
      ? stage.message
      : stage.job
        ? `see kubectl logs job/${stage.job}`
        : undefined;
  return `stage "${stage.name}" failed: ${reason}${attempts}${detail ? ` (${detail})` : ''}`;
}

/** The run's failure in one line, naming every failed stage (trimmed to ~1000 characters). */
export function describeRunFailure(stages: StageStatus[]): string | undefined {
  const failed = stages.filter((s) => s.phase === 'Failed' && s.reason !== 'RunCancelled');
  if (failed.length === 0) return undefined;
  return trimMessage(failed.map(describeFailure).join('; '), MAX_RUN_MESSAGE);
}

/** When the deadline came before any stage failed (it stopped stages that had not started). */
function deadlineNote(stages: StageStatus[], seconds: number | undefined): string | undefined {
  const stopped = stages.filter((s) => s.reason === 'RunDeadlineExceeded').map((s) => `"${s.name}"`);
  if (stopped.length === 0) return undefined;
  return trimMessage(
    `run exceeded activeDeadlineSeconds (${seconds}s) before stage ${stopped.join(', ')} could start`,
    MAX_RUN_MESSAGE,
  );
}

export function advanceRun(ctx: RunContext): RunProgress {
  const { previous, now } = ctx;
  // A finished run is history: it is not re-derived (its Jobs may be pruned or deleted by hand).
  if (previous && !isActiveRun(previous.phase)) return { run: previous, actions: [] };
  const view = runView(ctx);
  const spec = view.pipeline.spec;
  const effects = newEffects();
  // A Job this operator created is not in the cache yet and memory does not know it (the write
  // that recorded it was lost): what it says (its cache decision, its attempt) cannot be read yet,
  // so the run waits for it rather than decide again without it. Bounded: the Job's arrival wakes
  // the Pipeline, and the reconciler forgets an expectation after its TTL. Its values are recorded
  // all the same: they are decided now (a backfill's tick and --param values, a request's `at`),
  // and a later plan that finds neither them nor the Job (deleted by hand) would decide them again
  // from the run's start and the defaults — another interval, other parameters (NEW-L).
  if (awaitsUnseenJob(view)) return { run: previous ?? waitingRun(ctx, view), actions: [] };

  // 1. Stages whose outcome is already known.
  const status = new Map<string, StageStatus>();
  for (const stage of spec.stages) {
    const known = recallStage(view, ROLE_STAGE, stage.name, effects);
    if (known) status.set(stage.name, known);
  }
  // 2. The run deadline (spec.activeDeadlineSeconds) stops every stage still running.
  const deadline = runDeadline(view, status);
  if (deadline.passed) stopAtDeadline(status, deadline.seconds, now);
  // 3. Undecided stages, in dependency order so that their dependencies are decided first.
  const anyFailed = [...status.values()].some((s) => s.phase === 'Failed');
  const stopAll = spec.failurePolicy !== 'ContinueIndependent';
  decideOpenStages(view, status, { deadlinePassed: deadline.passed, stopAll, anyFailed }, effects);
  const stages = spec.stages.map((s) => status.get(s.name) ?? { name: s.name, phase: 'Pending' as const });
  // 4. Jobs that must stop or will never start.
  effects.actions.push(
    ...deadlineDeletes(view, stages, deadline.seconds),
    ...unusedSuspendedJobs(view, stages, effects.starting),
  );
  // 5. The end of the run: onFailure stages run once after a failure, never after success.
  const end = runEnd(view, stages, effects);
  if (needsStagingClaim(ctx, view, end.phase)) {
    // The staging volume comes first: every Job of the run mounts it.
    effects.actions.unshift({ kind: 'createClaim', claim: buildStagingClaim(view.pipeline, ctx.runId) });
  }
  const run = runStatus(ctx, view, [...stages, ...end.onFailure], end.phase, deadline.seconds);
  const requeueAfterMs = runRequeue(view, run, deadline, effects);
  // A stage with cache is recorded as soon as it succeeds, whatever the run does later (fail, be
  // cancelled): a stage's result depends on its inputs, not on a later stage failing — so re-running
  // a failed week does not redo the extracts that worked. Stages memory already had Succeeded were
  // recorded by the plan that wrote it.
  const recorded = new Set((previous?.stages ?? []).filter((s) => s.phase === 'Succeeded').map((s) => s.name));
  const cacheEntries = succeededEntries(view.pipeline, run, ctx.values, now, recorded);
  return compact({
    run,
    actions: effects.actions,
    requeueAfterMs,
    events: effects.events.length > 0 ? effects.events : undefined,
    cacheEntries: cacheEntries.length > 0 ? cacheEntries : undefined,
  });
}

/** A run that waits for its own unseen Job, as memory would have recorded it, values included. */
function waitingRun(ctx: RunContext, view: RunView): RunStatus {
  return {
    id: ctx.runId,
    trigger: ctx.trigger,
    generation: ctx.generation,
    phase: 'Running',
    startTime: view.startTime,
    ...(ctx.values ? setRunValues(ctx.values) : {}),
  };
}

/** An active run with a staging volume the cache does not show yet. */
function needsStagingClaim(ctx: RunContext, view: RunView, phase: RunStatus['phase']): boolean {
  if (!view.stagingClaim || !isActiveRun(phase)) return false;
  return !ctx.observed?.claims.some((c) => c.metadata?.name === view.stagingClaim);
}

/** Whether a stage's own Job is on its way (created, not in the cache) while memory does not record it. */
function awaitsUnseenJob(view: RunView): boolean {
  if (view.pendingJobs.size === 0) return false;
  return view.pipeline.spec.stages.some((stage) => {
    const own = jobName(view.pipeline.metadata.name ?? '', stage.name, view.runId);
    return (
      view.pendingJobs.has(own) &&
      !view.jobs.has(stageKey(ROLE_STAGE, stage.name)) &&
      view.memory.get(stage.name)?.job !== own
    );
  });
}

/** The run's spec (pinned by the planner), evidence and memory, read once: the context plus its indexes. */
function runView(ctx: RunContext): RunView {
  const { previous, observed, kept, ...run } = ctx;
  const jobs = observed?.jobs ?? [];
  // The run began at its first record: status, the run-start annotation, or its first Job.
  const start = earliest(previous?.startTime, observed?.startedAt, observed?.activeSince) ?? ctx.now;
  return compact({
    ...run,
    jobs: indexStageJobs(jobs),
    allJobs: jobs,
    memory: new Map((previous?.stages ?? []).map((s) => [s.name, s])),
    kept: new Map((kept ?? []).map((s) => [s.name, s])),
    startTime: iso(start),
    stagingClaim: ctx.pipeline.spec.staging?.size ? claimName(ctx.pipeline.metadata.name ?? '', ctx.runId) : undefined,
    rejections: ctx.rejections ?? new Map<string, string>(),
    pendingJobs: ctx.pendingJobs ?? new Set<string>(),
    servedOnJobs: servedOnJobs(jobs, ctx.pipeline.spec.stages),
  });
}

type Deadline = { seconds?: number; at?: number; passed: boolean };

function runDeadline(view: RunView, status: Map<string, StageStatus>): Deadline {
  const seconds = view.pipeline.spec.activeDeadlineSeconds;
  if (typeof seconds !== 'number' || seconds <= 0) return { passed: false };
  const at = Date.parse(view.startTime) + seconds * 1000;
  const open = view.pipeline.spec.stages.some((s) => !isTerminalStage(status.get(s.name)?.phase));
  return { seconds, at, passed: view.now.getTime() >= at && open };
}

/** Step 5: the run's phase, and its onFailure stages once every stage has ended with a failure. */
function runEnd(view: RunView, stages: StageStatus[], effects: Effects): { phase: RunPhase; onFailure: StageStatus[] } {
  if (!stages.every((s) => isTerminalStage(s.phase))) {
    return { phase: stages.some((s) => s.phase !== 'Pending') ? 'Running' : 'Pending', onFailure: [] };
  }
  if (stages.every((s) => s.phase === 'Succeeded')) return { phase: 'Succeeded', onFailure: [] };
  const onFailure = (view.pipeline.spec.onFailure ?? []).map(
    (stage) =>
      recallStage(view, ROLE_ON_FAILURE, stage.name, effects) ?? createStageJob(view, stage, ROLE_ON_FAILURE, effects),
  );
  return { phase: onFailure.every((s) => isTerminalStage(s.phase)) ? 'Failed' : 'Running', onFailure };
}

function runStatus(
  ctx: RunContext,
  view: RunView,
  all: StageStatus[],
  phase: RunPhase,
  deadlineSeconds: number | undefined,
): RunStatus {
  const finished = !isActiveRun(phase);
  const dag = all.slice(0, view.pipeline.spec.stages.length);
  return compact({
    id: ctx.runId,
    trigger: ctx.trigger,
    phase,
    generation: ctx.generation,
    startTime: view.startTime,
    completionTime: finished ? iso(latest(...all.map((s) => s.completionTime)) ?? ctx.now) : undefined,
    message: describeRunFailure(dag) ?? deadlineNote(dag, deadlineSeconds),
    // Recorded once, read back on every later plan (values/decide.ts): a run's values never change.
    ...(ctx.values ? setRunValues(ctx.values) : {}),
    stages: all.map(boundStage),
  });
}

/** Plan again at the run deadline, or when a tick's roots stop waiting for their CronJobs. */
function runRequeue(view: RunView, run: RunStatus, deadline: Deadline, effects: Effects): number | undefined {
  if (!isActiveRun(run.phase)) return undefined;
  const now = view.now.getTime();
  const open = view.pipeline.spec.stages.some(
    (s) => !isTerminalStage(run.stages?.find((r) => r.name === s.name)?.phase),
  );
  const requeues = [
    deadline.at !== undefined && !deadline.passed && open ? deadline.at - now : undefined,
    effects.awaiting && view.awaitRootsUntil ? view.awaitRootsUntil.getTime() - now : undefined,
  ].filter((ms): ms is number => ms !== undefined);
  return requeues.length > 0 ? Math.max(1, Math.min(...requeues)) : undefined;
}
