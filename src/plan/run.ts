// Progress of one run through its DAG: from what its Jobs show (evidence) and what status
// remembers, decide each stage's phase and which Jobs to create or stop.
// Stage phases only move forward: a terminal phase in memory beats a Job that still looks
// active (a stale cache, or a Job we are deleting), and a missing Job for a stage that memory
// calls Running is simply created again (names are deterministic, so that is a no-op create).
import type { V1Job } from '@kubernetes/client-node';
import type {
  OnFailureStageSpec,
  Pipeline,
  RunPhase,
  RunStatus,
  RunTrigger,
  StagePhase,
  StageSpec,
  StageStatus,
} from '../api/types.ts';
import { ROLE_ON_FAILURE, ROLE_STAGE, type Role } from '../kube/labels.ts';
import type { Action } from './types.ts';
import { buildStageJob, buildStagingClaim, startJobPatch } from './job.ts';
import { topologicalOrder } from './dag.ts';
import { claimName, jobName, labelValue } from './names.ts';
import {
  indexStageJobs,
  isDeleting,
  isJobFinished,
  isSuspendedJob,
  jobStageKey,
  readJob,
  stageKey,
  trimMessage,
  type ObservedRun,
} from './observed.ts';
import { earliest, iso, latest } from './time.ts';
import { compact } from './merge.ts';

const MAX_RUN_MESSAGE = 1000;

export type RunContext = {
  pipeline: Pipeline;
  runId: string;
  trigger: RunTrigger;
  generation: number;
  /** This same run as status last recorded it (memory), if it did. */
  previous?: RunStatus;
  /** This run's Jobs and claims (evidence), if any exist. */
  observed?: ObservedRun;
  /** A retry run: the stages that succeeded in the run it retries (not run again). */
  kept?: StageStatus[];
  /** A retry run: the run it retries (stamped on its Jobs). */
  retryOf?: string;
  /**
   * A scheduled tick: each root CronJob creates its own Job for the tick, not all at the same
   * instant. Until this time a root without a Job waits for its CronJob's; after it, Conveyor
   * creates the root's Job itself (the CronJob's Job may never come, e.g. past its deadline).
   */
  awaitRootsUntil?: Date;
  now: Date;
};

export type RunProgress = { run: RunStatus; actions: Action[]; requeueAfterMs?: number };

export function isTerminalStage(phase: StagePhase | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Skipped';
}

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
  return trimMessage(`run exceeded activeDeadlineSeconds (${seconds}s) before stage ${stopped.join(', ')} could start`, MAX_RUN_MESSAGE);
}

function fromJob(name: string, job: V1Job): StageStatus {
  const outcome = readJob(job);
  return compact({ name, job: job.metadata?.name, ...outcome });
}

/** What evidence and memory together say about a stage, or undefined when it is undecided. */
function knownStage(name: string, job: V1Job | undefined, remembered: StageStatus | undefined): StageStatus | undefined {
  const seen = job ? fromJob(name, job) : undefined;
  if (seen && isTerminalStage(seen.phase)) return seen;
  if (remembered && isTerminalStage(remembered.phase)) return remembered;
  return seen;
}

export function advanceRun(ctx: RunContext): RunProgress {
  const { pipeline, runId, previous, observed, now } = ctx;
  // A finished run is history: it is not re-derived (its Jobs may be pruned or deleted by hand).
  if (previous && !isActiveRun(previous.phase)) return { run: previous, actions: [] };

  const spec = pipeline.spec;
  const stages = spec.stages;
  const onFailure = Array.isArray(spec.onFailure) ? spec.onFailure : [];
  const stopAll = spec.failurePolicy !== 'ContinueIndependent';
  const pipelineName = pipeline.metadata.name ?? '';
  const jobs = indexStageJobs(observed?.jobs ?? []);
  const memory = new Map((previous?.stages ?? []).map((s) => [s.name, s]));
  const kept = new Map((ctx.kept ?? []).map((s) => [s.name, s]));
  const jobOf = (role: Role, name: string) => jobs.get(stageKey(role, labelValue(name)));
  // A suspended Job says nothing about its stage yet: it is started (or not) below.
  const startedJobOf = (role: Role, name: string) => {
    const job = jobOf(role, name);
    return job && !isSuspendedJob(job) ? job : undefined;
  };

  // The run began at its first record: status, the run-start annotation, or its first Job.
  const start = earliest(previous?.startTime, observed?.startedAt, observed?.activeSince) ?? now;
  const startTime = iso(start);
  const staging = spec.staging?.size ? claimName(pipelineName, runId) : undefined;
  const actions: Action[] = [];
  const starting = new Set<string>();
  const create = (stage: StageSpec | OnFailureStageSpec, role: Role): StageStatus => {
    const job = buildStageJob(pipeline, stage, {
      runId,
      trigger: ctx.trigger,
      role,
      generation: ctx.generation,
      runStartTime: startTime,
      ...(staging ? { stagingClaimName: staging } : {}),
      ...(ctx.retryOf ? { retryOf: ctx.retryOf } : {}),
    });
    actions.push({ kind: 'createJob', job });
    return { name: stage.name, phase: 'Running', job: job.metadata?.name ?? jobName(pipelineName, stage.name, runId), attempts: 1 };
  };
  // A CronJob's suspended Job is started in place. With a per-run staging volume it cannot be:
  // its template could not name the run's claim, so Conveyor creates the stage's Job itself.
  const startSuspended = (stage: StageSpec, job: V1Job): StageStatus => {
    const name = job.metadata?.name ?? '';
    if (staging) return create(stage, ROLE_STAGE);
    starting.add(name);
    actions.push({ kind: 'startJob', name, runId, patch: startJobPatch(runId, ctx.trigger, startTime) });
    return { name: stage.name, phase: 'Running', job: name, attempts: 1 };
  };

  // 1. Stages whose outcome is already known (a retry run also knows what it keeps).
  const status = new Map<string, StageStatus>();
  for (const stage of stages) {
    const known = knownStage(stage.name, startedJobOf(ROLE_STAGE, stage.name), memory.get(stage.name)) ?? kept.get(stage.name);
    if (known) status.set(stage.name, known);
  }

  // 2. The run deadline (spec.activeDeadlineSeconds) stops every stage still running.
  const deadlineSeconds = spec.activeDeadlineSeconds;
  const deadlineAt = typeof deadlineSeconds === 'number' && deadlineSeconds > 0 ? start.getTime() + deadlineSeconds * 1000 : undefined;
  const open = () => stages.some((s) => !isTerminalStage(status.get(s.name)?.phase));
  const deadlinePassed = deadlineAt !== undefined && now.getTime() >= deadlineAt && open();
  if (deadlinePassed) {
    for (const [name, stage] of status) {
      if (isTerminalStage(stage.phase)) continue;
      status.set(name, {
        ...stage,
        phase: 'Failed',
        reason: 'RunDeadlineExceeded',
        message: `run exceeded activeDeadlineSeconds (${deadlineSeconds}s)`,
        completionTime: iso(now),
      });
    }
  }

  // 3. Undecided stages, in dependency order so that their dependencies are decided first.
  const anyFailed = [...status.values()].some((s) => s.phase === 'Failed');
  const awaitRoots = ctx.awaitRootsUntil && now < ctx.awaitRootsUntil ? ctx.awaitRootsUntil : undefined;
  let awaiting = false;
  for (const stage of topologicalOrder(stages)) {
    if (status.has(stage.name)) continue;
    const deps = stage.dependsOn ?? [];
    const blocked = deps.filter((d) => {
      const phase = status.get(d)?.phase;
      return phase === 'Failed' || phase === 'Skipped';
    });
    if (blocked.length > 0) {
      const list = blocked.map((d) => `"${d}"`).join(', ');
      status.set(stage.name, { name: stage.name, phase: 'Skipped', reason: 'UpstreamFailed', message: `upstream stage ${list} did not succeed` });
    } else if (deadlinePassed) {
      status.set(stage.name, { name: stage.name, phase: 'Skipped', reason: 'RunDeadlineExceeded', message: 'run deadline passed before it could start' });
    } else if (stopAll && anyFailed) {
      // StopAll: nothing new starts after a failure; running stages are left to finish.
      status.set(stage.name, { name: stage.name, phase: 'Skipped', reason: 'RunFailed', message: 'run stopped after a stage failed' });
    } else if (deps.every((d) => status.get(d)?.phase === 'Succeeded')) {
      const suspended = jobOf(ROLE_STAGE, stage.name);
      // Memory may name a Job Conveyor created for the stage that the cache does not show yet.
      const remembered = memory.get(stage.name)?.job;
      if (suspended && isSuspendedJob(suspended) && !isDeleting(suspended) && (!remembered || remembered === suspended.metadata?.name)) {
        status.set(stage.name, startSuspended(stage, suspended));
      } else if (deps.length === 0 && awaitRoots) {
        awaiting = true;
        status.set(stage.name, { name: stage.name, phase: 'Pending', message: 'waiting for its CronJob to create the Job of this run' });
      } else {
        status.set(stage.name, create(stage, ROLE_STAGE));
      }
    } else {
      status.set(stage.name, { name: stage.name, phase: 'Pending' });
    }
  }
  const stageStatuses = stages.map((s) => status.get(s.name) ?? { name: s.name, phase: 'Pending' as const });

  // 4. Jobs the run deadline stopped are deleted (again, if an earlier delete did not land).
  // Only those: a Job that merely looks active next to a remembered success is a stale cache.
  for (const stage of stageStatuses) {
    const job = jobOf(ROLE_STAGE, stage.name);
    const stopped = stage.phase === 'Failed' && stage.reason === 'RunDeadlineExceeded';
    if (stopped && job?.metadata?.name && !isJobFinished(job) && !isDeleting(job) && !isSuspendedJob(job)) {
      actions.push({ kind: 'deleteJob', name: job.metadata.name, reason: `run deadline exceeded (activeDeadlineSeconds=${deadlineSeconds})` });
    }
  }
  // A CronJob's suspended Job that is not started now will never be: its stage already has a Job,
  // will not run in this run (skipped, kept by a retry), or is no longer a stage.
  for (const job of observed?.jobs ?? []) {
    const name = job.metadata?.name;
    if (!name || !isSuspendedJob(job) || isDeleting(job) || starting.has(name)) continue;
    const stageName = stageOfJob(stages, job);
    const stage = stageName !== undefined ? stageStatuses.find((s) => s.name === stageName) : undefined;
    if (stage?.phase === 'Pending' && !stage.job) continue; // still waiting for its dependencies
    const why = !stage
      ? 'not a stage of this pipeline any more'
      : stage.job && stage.job !== name
        ? `stage "${stage.name}" already has Job ${stage.job}`
        : `stage "${stage.name}" does not run in this run (${stage.phase})`;
    actions.push({ kind: 'deleteJob', name, reason: `run ${runId}: ${why}` });
  }

  // 5. The end of the run: onFailure stages run once after a failure, never after success.
  const allDone = stageStatuses.every((s) => isTerminalStage(s.phase));
  const onFailureStatuses: StageStatus[] = [];
  let phase: RunPhase;
  if (!allDone) {
    const started = stageStatuses.some((s) => s.phase !== 'Pending');
    phase = started ? 'Running' : 'Pending';
  } else if (stageStatuses.every((s) => s.phase === 'Succeeded')) {
    phase = 'Succeeded';
  } else {
    for (const stage of onFailure) {
      const known = knownStage(stage.name, jobOf(ROLE_ON_FAILURE, stage.name), memory.get(stage.name));
      onFailureStatuses.push(known ?? create(stage, ROLE_ON_FAILURE));
    }
    phase = onFailureStatuses.every((s) => isTerminalStage(s.phase)) ? 'Failed' : 'Running';
  }

  // The staging volume comes first: every Job of the run mounts it.
  if (staging && isActiveRun(phase) && !observed?.claims.some((c) => c.metadata?.name === staging)) {
    actions.unshift({ kind: 'createClaim', claim: buildStagingClaim(pipeline, runId) });
  }

  const all = [...stageStatuses, ...onFailureStatuses];
  const finished = !isActiveRun(phase);
  const completionTime = finished ? iso(latest(...all.map((s) => s.completionTime)) ?? now) : undefined;
  const run: RunStatus = compact({
    id: runId,
    trigger: ctx.trigger,
    phase,
    generation: ctx.generation,
    startTime,
    completionTime,
    message: describeRunFailure(stageStatuses) ?? deadlineNote(stageStatuses, deadlineSeconds),
    stages: all,
  });
  const requeues = [
    !finished && deadlineAt !== undefined && !deadlinePassed && open() ? deadlineAt - now.getTime() : undefined,
    !finished && awaiting && awaitRoots ? awaitRoots.getTime() - now.getTime() : undefined,
  ].filter((ms): ms is number => ms !== undefined);
  const requeueAfterMs = requeues.length > 0 ? Math.max(1, Math.min(...requeues)) : undefined;
  return compact({ run, actions, requeueAfterMs });
}

/** The DAG stage a Job runs, by its stage label (onFailure Jobs are never suspended). */
function stageOfJob(stages: StageSpec[], job: V1Job): string | undefined {
  const key = jobStageKey(job);
  return stages.find((s) => stageKey(ROLE_STAGE, labelValue(s.name)) === key)?.name;
}
