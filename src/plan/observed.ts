// Reading the evidence: the Jobs and claims a Pipeline owns, grouped into runs, and what one
// Job says about its stage. Tolerates anything the API (or a stale cache) may hand us.
import type { V1Job, V1ObjectMeta, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { RunTrigger, StagePhase } from '../api/types.ts';
import { KIND } from '../api/constants.ts';
import {
  ANN_CRONJOB_INSTANTIATE,
  ANN_GENERATION,
  ANN_PRIOR_ATTEMPTS,
  ANN_RETRY_OF,
  ANN_RUN_STARTED,
  ANN_SCHEDULED_TIMESTAMP,
  ANN_TRIGGER,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_STAGE,
  ROLE_STAGE,
} from '../api/labels.ts';
import { manualRunId, scheduledRunId } from './names.ts';
import { earliest, isoOf, toDate } from './time.ts';
import { valuesFromAnnotations } from './values/on-jobs.ts';
import type { RunValues } from './values/values.ts';

/** A stage's message and reason in status: status lives in etcd, and a run has up to 220 stages. */
export const MAX_STAGE_MESSAGE = 256;
export const MAX_STAGE_REASON = 64;
const TRIGGERS: readonly RunTrigger[] = [
  'create',
  'change',
  'manual',
  'schedule',
  'retry',
  'chain',
  'backfill',
  'webhook',
];

/** One run as the cluster shows it. */
export type ObservedRun = {
  id: string;
  jobs: V1Job[];
  claims: V1PersistentVolumeClaim[];
  /** Earliest creationTimestamp of its objects: orders runs for history pruning. */
  createdAt?: Date;
  /** Earliest run-start annotation on its Jobs: the run's own record of when it began. */
  startedAt?: Date;
  generation?: number;
  trigger?: RunTrigger;
  /** The tick a CronJob created this run's Jobs for (their scheduled-timestamp annotation). */
  scheduledAt?: Date;
  /** Made by `kubectl create job --from=cronjob/...`: a manual run of the whole pipeline. */
  manualFromCronJob?: boolean;
  /** The run this one retries (conveyor.dev/retry-of on its Jobs). */
  retryOf?: string;
  /** The run's logical time, interval and params as its Jobs record them (values/on-jobs.ts). */
  values?: RunValues;
  /**
   * Earliest creation of the objects Conveyor itself created for the run (its own Jobs, its
   * claim). A CronJob's Job is created at the tick, maybe long before Conveyor started it, so it
   * does not count: its run-start annotation does.
   */
  activeSince?: Date;
  /** Some Job of the run was started (is not suspended), or its claim exists. */
  started: boolean;
  /** Some started Job of the run has not finished (and is not being deleted). */
  unfinished: boolean;
};

/** What a Job says about its stage. */
export type JobOutcome = {
  phase: StagePhase;
  attempts: number;
  reason?: string;
  message?: string;
  startTime?: string;
  completionTime?: string;
};

type Meta = { metadata?: V1ObjectMeta };

export function isDeleting(obj: Meta): boolean {
  return obj.metadata?.deletionTimestamp != null;
}

function trueCondition(job: V1Job, type: string) {
  const conditions = Array.isArray(job.status?.conditions) ? job.status.conditions : [];
  return conditions.find((c) => c?.type === type && c.status === 'True');
}

/** A Job is finished once the Job controller set Complete or Failed. */
export function isJobFinished(job: V1Job): boolean {
  return trueCondition(job, 'Complete') !== undefined || trueCondition(job, 'Failed') !== undefined;
}

/** A Job created suspended (a CronJob's) that nobody started yet: its stage has not begun. */
export function isSuspendedJob(job: V1Job): boolean {
  return job.spec?.suspend === true && !isJobFinished(job) && count(job.status?.active) === 0;
}

/** Created by a CronJob (or from one by kubectl), rather than by Conveyor. */
export function isCronJobJob(job: V1Job): boolean {
  const annotations = job.metadata?.annotations ?? {};
  return annotations[ANN_SCHEDULED_TIMESTAMP] !== undefined || annotations[ANN_CRONJOB_INSTANTIATE] !== undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export function trimMessage(text: string | undefined, max = MAX_STAGE_MESSAGE): string | undefined {
  if (!text) return undefined;
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/**
 * A stage as status records it: message and reason within their bounds, whatever produced them
 * (a Job's condition, the API server's refusal, a cache key, a cancel request).
 */
export function boundStage<T extends { message?: string; reason?: string }>(stage: T): T {
  const long = (stage.message?.length ?? 0) > MAX_STAGE_MESSAGE || (stage.reason?.length ?? 0) > MAX_STAGE_REASON;
  if (!long) return stage;
  const message = trimMessage(stage.message);
  const reason = trimMessage(stage.reason, MAX_STAGE_REASON);
  return { ...stage, ...(message !== undefined ? { message } : {}), ...(reason !== undefined ? { reason } : {}) };
}

export function readJob(job: V1Job): JobOutcome {
  const status = job.status ?? {};
  // Every pod the Job made is an attempt; a created Job counts as one before its pod exists. A
  // Job created again after its predecessor was deleted mid-run also counts the earlier attempts.
  const prior = Number(job.metadata?.annotations?.[ANN_PRIOR_ATTEMPTS] ?? 0);
  const own = Math.max(1, count(status.failed) + count(status.succeeded) + count(status.active));
  const attempts = own + (Number.isSafeInteger(prior) && prior > 0 ? prior : 0);
  const startTime = isoOf(status.startTime) ?? isoOf(job.metadata?.creationTimestamp);
  const base = { attempts, ...(startTime ? { startTime } : {}) };
  const complete = trueCondition(job, 'Complete');
  if (complete) {
    const completionTime = isoOf(status.completionTime) ?? isoOf(complete.lastTransitionTime);
    return { ...base, phase: 'Succeeded', ...(completionTime ? { completionTime } : {}) };
  }
  const failed = trueCondition(job, 'Failed');
  if (failed) {
    const reason = trimMessage(failed.reason, MAX_STAGE_REASON) || 'Failed';
    const deadline = job.spec?.activeDeadlineSeconds;
    const message =
      reason === 'DeadlineExceeded' && typeof deadline === 'number'
        ? `timed out after ${deadline}s`
        : trimMessage(failed.message);
    const completionTime = isoOf(failed.lastTransitionTime);
    return {
      ...base,
      phase: 'Failed',
      reason,
      ...(message ? { message } : {}),
      ...(completionTime ? { completionTime } : {}),
    };
  }
  // A suspended Job has not started (scheduled runs waiting for Conveyor's go-ahead).
  if (job.spec?.suspend === true && count(status.active) === 0) return { ...base, phase: 'Pending' };
  return { ...base, phase: 'Running' };
}

/** The stage label value and role of a Job, or undefined for Jobs that are not stage Jobs. */
export function jobStageKey(job: V1Job): string | undefined {
  const labels = job.metadata?.labels ?? {};
  const stage = labels[LABEL_STAGE];
  if (!stage) return undefined;
  return stageKey(labels[LABEL_ROLE] || ROLE_STAGE, stage);
}

export function stageKey(role: string, stageLabel: string): string {
  return `${role}/${stageLabel}`;
}

/**
 * Objects of another Pipeline that had the same name (deleted and re-created while the garbage
 * collector catches up) carry another owner uid: they are not evidence about this one. A
 * scheduled run's root Jobs are owned by the Pipeline's CronJobs instead.
 */
export function ownedBy(
  obj: Meta,
  pipelineUid: string | undefined,
  cronJobUids: ReadonlySet<string> = new Set(),
): boolean {
  if (!pipelineUid) return true;
  const owners = Array.isArray(obj.metadata?.ownerReferences) ? obj.metadata.ownerReferences : [];
  const controller = owners.find((ref) => ref?.controller === true && (ref.kind === KIND || ref.kind === 'CronJob'));
  if (!controller?.uid) return true;
  return controller.kind === KIND ? controller.uid === pipelineUid : cronJobUids.has(controller.uid);
}

/**
 * The run a Job belongs to: its run label, or — for a CronJob's Job that Conveyor has not started
 * (and so not labelled) yet — the id its tick or its manual creation stands for.
 */
export function runIdOf(job: V1Job): string | undefined {
  const labelled = job.metadata?.labels?.[LABEL_RUN];
  if (labelled) return labelled;
  const annotations = job.metadata?.annotations ?? {};
  const scheduled = toDate(annotations[ANN_SCHEDULED_TIMESTAMP]);
  if (scheduled) return scheduledRunId(scheduled);
  const uid = job.metadata?.uid;
  if (annotations[ANN_CRONJOB_INSTANTIATE] === 'manual' && uid) return manualRunId(`job:${uid}`);
  return undefined;
}

function parseGeneration(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Jobs and claims grouped into runs (see runIdOf); objects of no run, or owned by something else
 * than this Pipeline and its CronJobs (`cronJobUids`), are ignored.
 */
export function observeRuns(
  pipelineUid: string | undefined,
  jobs: V1Job[],
  claims: V1PersistentVolumeClaim[],
  cronJobUids: ReadonlySet<string> = new Set(),
): Map<string, ObservedRun> {
  const runs = new Map<string, ObservedRun>();
  const runOf = (obj: Meta, id: string | undefined): ObservedRun | undefined => {
    if (!id || !ownedBy(obj, pipelineUid, cronJobUids)) return undefined;
    let run = runs.get(id);
    if (!run) runs.set(id, (run = { id, jobs: [], claims: [], started: false, unfinished: false }));
    const created = earliest(run.createdAt, obj.metadata?.creationTimestamp);
    if (created) run.createdAt = created;
    return run;
  };
  for (const job of Array.isArray(jobs) ? jobs : []) {
    if (!isPlainObjectLike(job)) continue;
    const run = runOf(job, runIdOf(job));
    if (!run) continue;
    run.jobs.push(job);
    const annotations = job.metadata?.annotations ?? {};
    const started = earliest(run.startedAt, annotations[ANN_RUN_STARTED]);
    if (started) run.startedAt = started;
    run.generation ??= parseGeneration(annotations[ANN_GENERATION]);
    // kubectl copies the CronJob template's trigger annotation (`schedule`) onto a manual Job.
    const manual =
      annotations[ANN_CRONJOB_INSTANTIATE] === 'manual' && annotations[ANN_SCHEDULED_TIMESTAMP] === undefined;
    if (manual) run.manualFromCronJob = true;
    const trigger = (manual ? 'manual' : annotations[ANN_TRIGGER]) as RunTrigger | undefined;
    if (trigger && TRIGGERS.includes(trigger)) run.trigger ??= trigger;
    run.scheduledAt ??= toDate(annotations[ANN_SCHEDULED_TIMESTAMP]);
    run.retryOf ??= annotations[ANN_RETRY_OF] || undefined;
    run.values ??= valuesFromAnnotations(annotations);
    if (!isCronJobJob(job)) {
      const since = earliest(run.activeSince, job.metadata?.creationTimestamp);
      if (since) run.activeSince = since;
    }
    if (!isSuspendedJob(job)) {
      run.started = true;
      if (!isJobFinished(job) && !isDeleting(job)) run.unfinished = true;
    }
  }
  for (const claim of Array.isArray(claims) ? claims : []) {
    const run = runOf(claim, claim?.metadata?.labels?.[LABEL_RUN]);
    if (!run) continue;
    run.claims.push(claim);
    run.started = true;
    const since = earliest(run.activeSince, claim.metadata?.creationTimestamp);
    if (since) run.activeSince = since;
  }
  return runs;
}

function isPlainObjectLike(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

/**
 * The Jobs of one run by stage key. A live Job is preferred over one being deleted, and a started
 * Job over a suspended one (a CronJob's Job that arrived after Conveyor created the stage's Job).
 */
export function indexStageJobs(jobs: V1Job[]): Map<string, V1Job> {
  const index = new Map<string, V1Job>();
  const rank = (job: V1Job) => (isDeleting(job) ? 0 : isSuspendedJob(job) ? 1 : 2);
  for (const job of jobs) {
    const key = jobStageKey(job);
    if (!key) continue;
    const existing = index.get(key);
    if (!existing || rank(job) > rank(existing)) index.set(key, job);
  }
  return index;
}
