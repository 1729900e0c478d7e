// Deterministic, length-safe names for the objects Conveyor creates, and run ids.
// Determinism is what makes the planner idempotent: re-planning produces the same names, so a
// repeated create is answered with AlreadyExists instead of a duplicate Job.
import { createHash } from 'node:crypto';

/** Kubernetes limits: Job names become a pod label value (63); CronJobs append 11 characters. */
export const MAX_JOB_NAME = 63;
export const MAX_CRONJOB_NAME = 52;
export const MAX_CLAIM_NAME = 63;
export const MAX_LABEL_VALUE = 63;

const HASH_CHARS = 8;

/** The first `chars` hex characters of sha256(text). Pure: node:crypto does no I/O here. */
export function shortHash(text: string, chars = HASH_CHARS): string {
  return createHash('sha256').update(text).digest('hex').slice(0, chars);
}

/** Lower-case, only [a-z0-9-], no leading or trailing '-': the shape of a DNS-1123 label. */
function toLabelShape(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `full` when it already is a DNS-1123 label of at most `max` characters; otherwise a prefix of
 * it plus `-` and 8 hex characters of sha256(full). Never fails, same input → same output, and
 * two different long names almost surely differ (the hash covers the whole original name).
 */
export function shortName(full: string, max: number): string {
  const shaped = toLabelShape(full);
  if (shaped === full && full.length > 0 && full.length <= max) return full;
  const hash = shortHash(full);
  const room = Math.max(0, max - HASH_CHARS - 1);
  const prefix = shaped.slice(0, room).replace(/-+$/, '');
  // An 8-hex hash alone is still a valid label (RFC 1123 allows a leading digit).
  return prefix ? `${prefix}-${hash}` : hash;
}

/** Job of one stage in one run: `<pipeline>-<stage>-<run>`, at most 63 characters. */
export function jobName(pipeline: string, stage: string, runId: string): string {
  return shortName(`${pipeline}-${stage}-${runId}`, MAX_JOB_NAME);
}

/** CronJob of a scheduled root stage: `<pipeline>-<stage>`, at most 52 characters. */
export function cronJobName(pipeline: string, stage: string): string {
  return shortName(`${pipeline}-${stage}`, MAX_CRONJOB_NAME);
}

/** Staging PersistentVolumeClaim of one run: `<pipeline>-<run>-staging`, at most 63. */
export function claimName(pipeline: string, runId: string): string {
  return shortName(`${pipeline}-${runId}-staging`, MAX_CLAIM_NAME);
}

/** A label value for a name that may be longer than 63 (a Pipeline name can be up to 253). */
export function labelValue(name: string): string {
  return shortName(name, MAX_LABEL_VALUE);
}

/** Run started by creating the Pipeline or changing its spec. */
export function generationRunId(generation: number): string {
  return `g${generation}`;
}

/** Run asked for with the conveyor.dev/run-requested annotation (value → id). */
export function manualRunId(annotationValue: string): string {
  return `m${shortHash(annotationValue)}`;
}

/** Retry of a failed run, asked for with conveyor.dev/retry-requested (value → id). */
export function retryRunId(annotationValue: string): string {
  return `r${shortHash(annotationValue)}`;
}

/**
 * Run started by the schedule, named after its scheduled time: the Jobs every root CronJob
 * creates for one tick carry the same time, so they join one run.
 */
export function scheduledRunId(scheduledTime: Date): string {
  return `s${Math.floor(scheduledTime.getTime() / 1000)}`;
}

/** The scheduled time a `s<unix seconds>` run id stands for, or undefined for other ids. */
export function scheduledTimeOf(runId: string): Date | undefined {
  const match = /^s(\d{1,12})$/.exec(runId);
  return match ? new Date(Number(match[1]) * 1000) : undefined;
}

/** Run started because a run of another Pipeline (chaining, spec.triggers.after) finished. */
export function chainRunId(upstreamPipeline: string, upstreamRunId: string): string {
  return `c${shortHash(`${upstreamPipeline}/${upstreamRunId}`)}`;
}

/** Whether `text` has the shape of a run id Conveyor derives (used to read `<runId>:<nonce>`). */
export function isRunId(text: string): boolean {
  return /^(g\d+|s\d+|[mrc][0-9a-f]{8})$/.test(text);
}
