// Reading the evidence: the Jobs and claims a Pipeline owns, grouped into runs, and what one
// Job says about its stage. Tolerates anything the API (or a stale cache) may hand us.
import type { V1Job, V1ObjectMeta, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { RunTrigger, StagePhase } from '../api/types.ts';
import { KIND } from '../api/constants.ts';
import { ANN_GENERATION, ANN_RUN_STARTED, ANN_TRIGGER, LABEL_ROLE, LABEL_RUN, LABEL_STAGE, ROLE_STAGE } from '../kube/labels.ts';
import { earliest, isoOf } from './time.ts';

const MAX_STAGE_MESSAGE = 256;
const TRIGGERS: readonly RunTrigger[] = ['create', 'change', 'manual', 'schedule', 'retry', 'chain'];

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

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export function trimMessage(text: string | undefined, max = MAX_STAGE_MESSAGE): string | undefined {
  if (!text) return undefined;
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

export function readJob(job: V1Job): JobOutcome {
  const status = job.status ?? {};
  // Every pod the Job made is an attempt; a created Job counts as one before its pod exists.
  const attempts = Math.max(1, count(status.failed) + count(status.succeeded) + count(status.active));
  const startTime = isoOf(status.startTime) ?? isoOf(job.metadata?.creationTimestamp);
  const base = { attempts, ...(startTime ? { startTime } : {}) };
  const complete = trueCondition(job, 'Complete');
  if (complete) {
    const completionTime = isoOf(status.completionTime) ?? isoOf(complete.lastTransitionTime);
    return { ...base, phase: 'Succeeded', ...(completionTime ? { completionTime } : {}) };
  }
  const failed = trueCondition(job, 'Failed');
  if (failed) {
    const reason = failed.reason || 'Failed';
    const deadline = job.spec?.activeDeadlineSeconds;
    const message =
      reason === 'DeadlineExceeded' && typeof deadline === 'number' ? `timed out after ${deadline}s` : trimMessage(failed.message);
    const completionTime = isoOf(failed.lastTransitionTime);
    return { ...base, phase: 'Failed', reason, ...(message ? { message } : {}), ...(completionTime ? { completionTime } : {}) };
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
 * collector catches up) carry another owner uid: they are not evidence about this one.
 */
function ownedBy(obj: Meta, pipelineUid: string | undefined): boolean {
  if (!pipelineUid) return true;
  const owner = (obj.metadata?.ownerReferences ?? []).find((ref) => ref?.controller === true && ref.kind === KIND);
  return !owner?.uid || owner.uid === pipelineUid;
}

function parseGeneration(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/** Jobs and claims grouped by their run label; objects without one are ignored. */
export function observeRuns(pipelineUid: string | undefined, jobs: V1Job[], claims: V1PersistentVolumeClaim[]): Map<string, ObservedRun> {
  const runs = new Map<string, ObservedRun>();
  const runOf = (obj: Meta): ObservedRun | undefined => {
    const id = obj?.metadata?.labels?.[LABEL_RUN];
    if (!id || !ownedBy(obj, pipelineUid)) return undefined;
    let run = runs.get(id);
    if (!run) runs.set(id, (run = { id, jobs: [], claims: [] }));
    const created = earliest(run.createdAt, obj.metadata?.creationTimestamp);
    if (created) run.createdAt = created;
    return run;
  };
  for (const job of Array.isArray(jobs) ? jobs : []) {
    const run = runOf(job);
    if (!run) continue;
    run.jobs.push(job);
    const annotations = job.metadata?.annotations ?? {};
    const started = earliest(run.startedAt, annotations[ANN_RUN_STARTED]);
    if (started) run.startedAt = started;
    run.generation ??= parseGeneration(annotations[ANN_GENERATION]);
    const trigger = annotations[ANN_TRIGGER] as RunTrigger | undefined;
    if (trigger && TRIGGERS.includes(trigger)) run.trigger ??= trigger;
  }
  for (const claim of Array.isArray(claims) ? claims : []) runOf(claim)?.claims.push(claim);
  return runs;
}

/** The Jobs of one run by stage key; a live Job is preferred over one being deleted. */
export function indexStageJobs(jobs: V1Job[]): Map<string, V1Job> {
  const index = new Map<string, V1Job>();
  for (const job of jobs) {
    const key = jobStageKey(job);
    if (!key) continue;
    const existing = index.get(key);
    if (!existing || (isDeleting(existing) && !isDeleting(job))) index.set(key, job);
  }
  return index;
}
