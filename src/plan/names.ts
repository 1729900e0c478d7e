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

/*
 * Why every Job and CronJob name carries a hash of its tuple.
 *
 * The readable text `<pipeline>-<stage>-<run>` is ambiguous: pipeline and stage names may both
 * contain '-', so pipeline `ingest` + stage `events-load` and pipeline `ingest-events` + stage
 * `load` give the same text, and a dotted pipeline (`etl.nightly`) shaped into a DNS label reads
 * like `etl-nightly`. No separator helps inside a DNS label ('-' and '--' may appear in both
 * names), so the name cannot be made unambiguous by the readable part alone. Instead the name is
 * the readable text (cut to fit) followed by `-` and 8 hex characters of sha256 over the tuple
 * joined with '/', a character that appears in no pipeline, stage or run name. Two different
 * tuples therefore hash different inputs; they share a name only if sha256's first 32 bits
 * collide AND their (cut) readable texts are the same: about 1 in 4·10^9 for a given pair.
 * It is one rule for every length: short names keep all their text, long ones (stage names go
 * up to 63) keep a prefix, and nothing is ever refused. The hash segment is 8 hex characters and
 * run ids (g<n>, s<n>, m/r/c/b<8 hex>) are never 8 hex characters, so a Job name cannot read as
 * `<CronJob name>-<8 digits>`, the shape of the Jobs a CronJob creates.
 * The executor still checks ownership on AlreadyExists: a hash makes collisions between
 * Conveyor's own names negligible, not objects someone else created with that name.
 */
function tupleName(parts: readonly string[], max: number): string {
  const hash = shortHash(parts.join('/'));
  const room = Math.max(0, max - HASH_CHARS - 1);
  const prefix = toLabelShape(parts.join('-')).slice(0, room).replace(/-+$/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/** Job of one stage in one run: `<pipeline>-<stage>-<run>-<hash>`, at most 63 characters. */
export function jobName(pipeline: string, stage: string, runId: string): string {
  return tupleName([pipeline, stage, runId], MAX_JOB_NAME);
}

/**
 * CronJob of a scheduled root stage: `<pipeline>-<stage>-<hash>`, at most 52 characters (the
 * CronJob controller appends `-<minutes since epoch>` to name each tick's Job).
 */
export function cronJobName(pipeline: string, stage: string): string {
  return tupleName([pipeline, stage], MAX_CRONJOB_NAME);
}

/**
 * Staging PersistentVolumeClaim of one run: `<pipeline>-<run>-staging`, at most 63. Already
 * unambiguous without a tuple hash: a run id never contains '-', so reading the text from the
 * right gives back `staging`, then the run id, and the rest is the pipeline name. Where the
 * text changes (a dotted pipeline shaped into a label, or a cut), shortName appends a hash of
 * the whole text, and such a name ends in 8 hex characters, never in `-staging`.
 */
export function claimName(pipeline: string, runId: string): string {
  return shortName(`${pipeline}-${runId}-staging`, MAX_CLAIM_NAME);
}

/** A valid label value: at most 63, [A-Za-z0-9._-], alphanumeric at both ends (or empty). */
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/**
 * A label value for a name: the name itself when it is a valid label value (dotted Pipeline
 * names are), otherwise (a Pipeline name of 64..253 characters) a prefix and 8 hex characters of
 * sha256(name). A shortened value selects, but does not name: read the Pipeline from the owner
 * reference or the conveyor.dev/pipeline-name annotation, never from this label.
 */
export function labelValue(name: string): string {
  if (name.length <= MAX_LABEL_VALUE && LABEL_VALUE.test(name)) return name;
  const hash = shortHash(name);
  const room = MAX_LABEL_VALUE - HASH_CHARS - 1;
  const prefix = name
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, room)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/** Run started by creating the Pipeline or changing its spec. */
export function generationRunId(generation: number): string {
  return `g${generation}`;
}

/** Run asked for with the conveyor.dev/run-requested annotation (value → id). */
export function manualRunId(annotationValue: string): string {
  return `m${shortHash(annotationValue)}`;
}

/** Run asked for by a webhook delivery (run-requested `webhook:<delivery id>`; value → id). */
export function webhookRunId(annotationValue: string): string {
  return `w${shortHash(annotationValue)}`;
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

/**
 * Run started because a run of another Pipeline (chaining, spec.triggers.after) finished. The
 * upstream's uid is part of it: a Pipeline deleted and created again under the same name starts
 * its run ids afresh (its first run is g1 again), and that run must get a run of its own here.
 */
export function chainRunId(upstreamPipeline: string, upstreamUid: string | undefined, upstreamRunId: string): string {
  return `c${shortHash(upstreamUid ? `${upstreamPipeline}/${upstreamUid}/${upstreamRunId}` : `${upstreamPipeline}/${upstreamRunId}`)}`;
}

/**
 * Run of one tick of a backfill: from the request id (and its requestedAt, when it has one) and
 * the tick, so planning again after a crash (or a lost status write) picks the same id, and the
 * same Job names; an old id reused with a new requestedAt names other runs.
 */
export function backfillRunId(requestId: string, tick: Date, requestedAt?: string): string {
  const request = requestedAt ? `${requestId}@${requestedAt}` : requestId;
  return `b${shortHash(`${request}/${tick.toISOString()}`)}`;
}

/** Whether `text` has the shape of a run id Conveyor derives (used to read `<runId>:<nonce>`). */
export function isRunId(text: string): boolean {
  return /^(g\d+|s\d+|[mrcbw][0-9a-f]{8})$/.test(text);
}

/**
 * The data version of one stage result (as Dagster calls it): which computation of the stage it
 * is — the stage, the run that computed it and when it finished — in 16 hex characters. Cache
 * entries record their dependencies' versions (cache.ts).
 */
export function resultVersion(stage: string, run: string, completionTime: string): string {
  return shortHash(`${stage}\n${run}\n${completionTime}`, 16);
}
