// The steps of advancing one run, each a small pure function over one RunView (see run.ts):
//   1. recall   — what evidence (Jobs), memory (status), the retry's kept stages and the API
//                 server's refusals already say about each stage;
//   2. deadline — the run deadline stops every stage still open;
//   3. decide   — open stages, in dependency order: skip, wait, start a CronJob's suspended Job,
//                 or create a Job;
//   4. cleanup  — delete Jobs the deadline stopped and suspended Jobs that will never start.
// Stage phases only move forward: a terminal phase in memory beats a Job that still looks
// active (a stale cache, or a Job being deleted).
import type { V1Job } from '@kubernetes/client-node';
import type {
  CacheEntry,
  OnFailureStageSpec,
  Pipeline,
  RunStatus,
  RunTrigger,
  StageSpec,
  StageStatus,
} from '../../api/types.ts';
import { ANN_PRIOR_ATTEMPTS, ROLE_STAGE, type Role } from '../../api/labels.ts';
import type { Action, PlanEvent } from '../types.ts';
import { buildStageJob, startJobPatch } from './job.ts';
import { cachedStage, resolveCacheKey, stageCachedEvent } from '../cache/cache.ts';
import { cachedUpstreamAnnotation, servedUpstream } from '../cache/evidence.ts';
import type { RunValues } from '../values/values.ts';
import { topologicalOrder } from './dag.ts';
import { jobName, labelValue, MAX_JOB_NAME, shortName } from '../names.ts';
import {
  isDeleting,
  isJobFinished,
  isSuspendedJob,
  jobStageKey,
  readJob,
  stageKey,
  type ObservedRun,
} from '../observed.ts';
import { compact } from '../objects.ts';
import { iso } from '../time.ts';

/** Everything one run's steps read: the run's spec, its evidence and its memory. */
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
  /** Jobs the API server refused, by name: the stage fails with the server's message. */
  rejections?: ReadonlyMap<string, string>;
  /** Jobs created and not in the cache yet: a stage whose Job is missing is not "deleted". */
  pendingJobs?: ReadonlySet<string>;
  /** The run's logical time, interval, params and cache bypass (select.ts). */
  values?: RunValues;
  /** status.cache before this plan: stage results this run may reuse (cache.ts). */
  cacheEntries?: readonly CacheEntry[];
  now: Date;
};

/** A run's context with its evidence and memory indexed (run.ts runView): what every step reads. */
export type RunView = Omit<RunContext, 'previous' | 'observed' | 'kept' | 'rejections' | 'pendingJobs'> & {
  /** This run's Jobs by stage key (indexStageJobs). */
  jobs: Map<string, V1Job>;
  /** Every Job of the run, suspended ones included. */
  allJobs: V1Job[];
  memory: Map<string, StageStatus>;
  kept: Map<string, StageStatus>;
  startTime: string;
  stagingClaim?: string;
  rejections: ReadonlyMap<string, string>;
  pendingJobs: ReadonlySet<string>;
  /** Stages the run's Jobs say were served from the cache (cache/evidence.ts). */
  servedOnJobs?: ReadonlyMap<string, StageStatus>;
};

/** What the steps decide besides stage phases. */
export type Effects = { actions: Action[]; events: PlanEvent[]; starting: Set<string>; awaiting: boolean };

export function newEffects(): Effects {
  return { actions: [], events: [], starting: new Set(), awaiting: false };
}

export function isTerminalStage(phase: StageStatus['phase'] | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Skipped';
}

export function jobOf(view: RunView, role: Role, name: string): V1Job | undefined {
  return view.jobs.get(stageKey(role, labelValue(name)));
}

/** A suspended Job says nothing about its stage yet: it is started (or not) in step 3. */
function startedJobOf(view: RunView, role: Role, name: string): V1Job | undefined {
  const job = jobOf(view, role, name);
  return job && !isSuspendedJob(job) ? job : undefined;
}

function fromJob(name: string, job: V1Job): StageStatus {
  return compact({ name, job: job.metadata?.name, ...readJob(job) });
}

/** The name Conveyor gives the Job of a stage in this run. */
function ownJobName(view: RunView, stageName: string): string {
  return jobName(view.pipeline.metadata.name ?? '', stageName, view.runId);
}

/** Step 1 for one stage (or onFailure stage): what is already known, or undefined. */
export function recallStage(view: RunView, role: Role, name: string, effects: Effects): StageStatus | undefined {
  const job = startedJobOf(view, role, name);
  const seen = job ? fromJob(name, job) : undefined;
  if (seen && isTerminalStage(seen.phase)) return seen;
  const remembered = view.memory.get(name);
  if (remembered && isTerminalStage(remembered.phase)) return remembered;
  // Served from the cache in a plan whose status write did not land: a Job built on it says so.
  // That plan's StageCached Event was not emitted either (Events follow the write): it is now.
  const served = role === ROLE_STAGE ? view.servedOnJobs?.get(name) : undefined;
  if (served) {
    const key =
      resolveCacheKey(stageSpec(view, role, name) as StageSpec, view.values, view.runId, view.pipeline.spec.timeZone) ??
      '';
    effects.events.push(stageCachedEvent(view.runId, name, key, served.cachedFrom ?? ''));
    return served;
  }
  if (role === ROLE_STAGE && view.kept.has(name)) return view.kept.get(name);
  if (seen) return seen;
  const refused = view.rejections.get(ownJobName(view, name));
  if (refused !== undefined) return rejectedStage(view, name, refused);
  if (remembered?.phase === 'Running' && remembered.job) return missingJob(view, role, name, remembered, effects);
  return undefined;
}

function rejectedStage(view: RunView, name: string, message: string): StageStatus {
  const now = iso(view.now);
  return {
    name,
    phase: 'Failed',
    job: ownJobName(view, name),
    attempts: 1,
    reason: 'JobRejected',
    message,
    startTime: now,
    completionTime: now,
  };
}

/**
 * Memory says the stage runs, yet its Job is gone. Just created and not in the cache yet: it
 * runs. Otherwise someone deleted it: create it again, counting the attempts it already made,
 * and say so. (A CronJob's Job that was deleted is replaced by a Job Conveyor names itself.)
 */
function missingJob(view: RunView, role: Role, name: string, remembered: StageStatus, effects: Effects): StageStatus {
  if (remembered.job && view.pendingJobs.has(remembered.job)) return remembered;
  const deleted = remembered.job ?? ownJobName(view, name);
  const prior = remembered.attempts ?? 1;
  const decided = (stage: string) => recalledTerminal(view, stage);
  const recreated = createStageJob(view, stageSpec(view, role, name), role, effects, prior, decided);
  effects.events.push({
    type: 'Warning',
    reason: 'StageJobDeleted',
    message: `run ${view.runId}: Job ${deleted} of stage "${name}" was deleted while it ran; created it again (attempt ${prior + 1})`,
  });
  return compact({ ...recreated, startTime: remembered.startTime });
}

/** What memory or the Jobs' served stages already say has ended (for a Job created in step 1). */
function recalledTerminal(view: RunView, name: string): StageStatus | undefined {
  const remembered = view.memory.get(name);
  return remembered && isTerminalStage(remembered.phase) ? remembered : view.servedOnJobs?.get(name);
}

function stageSpec(view: RunView, role: Role, name: string): StageSpec | OnFailureStageSpec {
  const list = role === ROLE_STAGE ? view.pipeline.spec.stages : (view.pipeline.spec.onFailure ?? []);
  return list.find((s) => s.name === name) ?? { name };
}

/**
 * A createJob action for a stage; `priorAttempts` counts attempts of Jobs deleted before it;
 * `decided` (the run's stage statuses so far) names on the Job the served stages it builds on.
 */
export function createStageJob(
  view: RunView,
  stage: StageSpec | OnFailureStageSpec,
  role: Role,
  effects: Effects,
  priorAttempts = 0,
  decided?: (name: string) => StageStatus | undefined,
): StageStatus {
  const job = buildStageJob(view.pipeline, stage, {
    runId: view.runId,
    trigger: view.trigger,
    role,
    generation: view.generation,
    runStartTime: view.startTime,
    ...(view.stagingClaim ? { stagingClaimName: view.stagingClaim } : {}),
    ...(view.retryOf ? { retryOf: view.retryOf } : {}),
    ...(view.values ? { values: view.values } : {}),
  });
  if (priorAttempts > 0) {
    // A new name: the Job controller keys its bookkeeping by namespace/name, and a Job created
    // under the name of one just deleted can sit unsynced for minutes. The stage finds its Job
    // by labels, so the name only has to be deterministic and unique.
    const name = shortName(`${job.metadata?.name ?? ownJobName(view, stage.name)}-x${priorAttempts}`, MAX_JOB_NAME);
    job.metadata = {
      ...job.metadata,
      name,
      annotations: { ...job.metadata?.annotations, [ANN_PRIOR_ATTEMPTS]: String(priorAttempts) },
    };
  }
  if (decided && role === ROLE_STAGE) {
    const served = cachedUpstreamAnnotation(servedUpstream(stage as StageSpec, view.pipeline.spec.stages, decided));
    job.metadata = { ...job.metadata, annotations: { ...job.metadata?.annotations, ...served } };
  }
  effects.actions.push({ kind: 'createJob', job });
  const name = job.metadata?.name ?? ownJobName(view, stage.name);
  return { name: stage.name, phase: 'Running', job: name, attempts: priorAttempts + 1 };
}

/**
 * A CronJob's suspended Job is started in place. With a per-run staging volume it cannot be:
 * its template could not name the run's claim, so Conveyor creates the stage's Job itself.
 */
function startSuspended(view: RunView, stage: StageSpec, job: V1Job, effects: Effects): StageStatus {
  // A root stage: it builds on nothing served.
  if (view.stagingClaim) return createStageJob(view, stage, ROLE_STAGE, effects);
  const name = job.metadata?.name ?? '';
  effects.starting.add(name);
  effects.actions.push({
    kind: 'startJob',
    name,
    runId: view.runId,
    patch: startJobPatch(view.runId, view.trigger, view.startTime, view.values, view.pipeline.spec.timeZone),
  });
  return { name: stage.name, phase: 'Running', job: name, attempts: 1 };
}

/** Step 2: the run deadline fails every stage still running. */
export function stopAtDeadline(status: Map<string, StageStatus>, seconds: number | undefined, now: Date): void {
  for (const [name, stage] of status) {
    if (isTerminalStage(stage.phase)) continue;
    status.set(name, {
      ...stage,
      phase: 'Failed',
      reason: 'RunDeadlineExceeded',
      message: `run exceeded activeDeadlineSeconds (${seconds}s)`,
      completionTime: iso(now),
    });
  }
}

/** Step 3 for one open stage whose dependencies are decided. */
type OpenStageRule = { deadlinePassed: boolean; stopAll: boolean; anyFailed: boolean };

export function decideOpenStages(
  view: RunView,
  status: Map<string, StageStatus>,
  rule: OpenStageRule,
  effects: Effects,
): void {
  for (const stage of topologicalOrder(view.pipeline.spec.stages)) {
    if (!status.has(stage.name)) status.set(stage.name, decideStage(view, stage, status, rule, effects));
  }
}

function decideStage(
  view: RunView,
  stage: StageSpec,
  status: Map<string, StageStatus>,
  rule: OpenStageRule,
  effects: Effects,
): StageStatus {
  const deps = stage.dependsOn ?? [];
  const blocked = deps.filter((d) => status.get(d)?.phase === 'Failed' || status.get(d)?.phase === 'Skipped');
  if (blocked.length > 0) {
    return {
      name: stage.name,
      phase: 'Skipped',
      reason: 'UpstreamFailed',
      message: `upstream stage ${someNames(blocked)} did not succeed`,
    };
  }
  if (rule.deadlinePassed)
    return {
      name: stage.name,
      phase: 'Skipped',
      reason: 'RunDeadlineExceeded',
      message: 'run deadline passed before it could start',
    };
  // StopAll: nothing new starts after a failure; running stages are left to finish.
  if (rule.stopAll && rule.anyFailed)
    return { name: stage.name, phase: 'Skipped', reason: 'RunFailed', message: 'run stopped after a stage failed' };
  if (!deps.every((d) => status.get(d)?.phase === 'Succeeded')) return { name: stage.name, phase: 'Pending' };
  return startStage(view, stage, (name) => status.get(name), effects);
}

/** Names quoted, at most the first three and how many more: a stage may depend on 199 others, and each message is status. */
export function someNames(names: string[], shown = 3): string {
  const list = names
    .slice(0, shown)
    .map((n) => `"${n}"`)
    .join(', ');
  return names.length > shown ? `${list} and ${names.length - shown} more` : list;
}

/**
 * All dependencies succeeded: reuse a cached result, start the CronJob's Job, wait for it, or
 * create the stage's Job (naming the served stages it builds on). A CronJob's suspended Job of a
 * cached stage is deleted in step 4. `decided`: the run's stage statuses so far.
 */
function startStage(
  view: RunView,
  stage: StageSpec,
  decided: (name: string) => StageStatus | undefined,
  effects: Effects,
): StageStatus {
  const root = (stage.dependsOn ?? []).length === 0;
  const cached = view.cacheEntries
    ? cachedStage(view.pipeline, stage, {
        entries: view.cacheEntries,
        values: view.values,
        runId: view.runId,
        now: view.now,
        decided,
      })
    : undefined;
  if (cached) {
    effects.events.push(cached.event);
    return cached.status;
  }
  const suspended = jobOf(view, ROLE_STAGE, stage.name);
  // Memory may name a Job Conveyor created for the stage that the cache does not show yet.
  const remembered = view.memory.get(stage.name)?.job;
  if (
    suspended &&
    isSuspendedJob(suspended) &&
    !isDeleting(suspended) &&
    (!remembered || remembered === suspended.metadata?.name)
  ) {
    return startSuspended(view, stage, suspended, effects);
  }
  if (root && view.awaitRootsUntil && view.now < view.awaitRootsUntil) {
    effects.awaiting = true;
    return { name: stage.name, phase: 'Pending', message: 'waiting for its CronJob to create the Job of this run' };
  }
  return createStageJob(view, stage, ROLE_STAGE, effects, 0, decided);
}

/**
 * Step 4: Jobs the run deadline stopped are deleted (again, if an earlier delete did not land);
 * only those — a Job that merely looks active next to a remembered success is a stale cache.
 */
export function deadlineDeletes(view: RunView, stages: StageStatus[], seconds: number | undefined): Action[] {
  const actions: Action[] = [];
  for (const stage of stages) {
    const job = jobOf(view, ROLE_STAGE, stage.name);
    const stopped = stage.phase === 'Failed' && stage.reason === 'RunDeadlineExceeded';
    if (stopped && job?.metadata?.name && !isJobFinished(job) && !isDeleting(job) && !isSuspendedJob(job)) {
      actions.push({
        kind: 'deleteJob',
        name: job.metadata.name,
        reason: `run deadline exceeded (activeDeadlineSeconds=${seconds})`,
      });
    }
  }
  return actions;
}

/**
 * Step 4: a CronJob's suspended Job that is not started now will never be: its stage already has
 * a Job, will not run in this run (skipped, kept by a retry), or is no longer a stage.
 */
export function unusedSuspendedJobs(view: RunView, stages: StageStatus[], starting: Set<string>): Action[] {
  const actions: Action[] = [];
  for (const job of view.allJobs) {
    const name = job.metadata?.name;
    if (!name || !isSuspendedJob(job) || isDeleting(job) || starting.has(name)) continue;
    const stageName = stageOfJob(view.pipeline.spec.stages, job);
    const stage = stageName !== undefined ? stages.find((s) => s.name === stageName) : undefined;
    if (stage?.phase === 'Pending' && !stage.job) continue; // still waiting for its dependencies
    const why = !stage
      ? 'not a stage of this pipeline any more'
      : stage.job && stage.job !== name
        ? `stage "${stage.name}" already has Job ${stage.job}`
        : `stage "${stage.name}" does not run in this run (${stage.phase})`;
    actions.push({ kind: 'deleteJob', name, reason: `run ${view.runId}: ${why}` });
  }
  return actions;
}

/** The DAG stage a Job runs, by its stage label (onFailure Jobs are never suspended). */
function stageOfJob(stages: StageSpec[], job: V1Job): string | undefined {
  const key = jobStageKey(job);
  return stages.find((s) => stageKey(ROLE_STAGE, labelValue(s.name)) === key)?.name;
}
