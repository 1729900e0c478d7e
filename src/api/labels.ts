// Label and annotation keys Conveyor puts on the objects it creates and reads back.
// Labels select (informers, grouping Jobs into runs); annotations carry facts that are not
// selectors. Label values are limited to 63 characters: see labelValue() in src/plan/names.ts.

/** Standard "who manages this" label; informers select Conveyor's Jobs with it. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'conveyor';

/**
 * The Pipeline an object belongs to, for selecting (`kubectl get jobs -l conveyor.dev/pipeline=etl`).
 * Its value is the name only when the name is a valid label value (up to 63 characters; dots are
 * fine); a longer name is shortened with a hash. Never read it back as a name: use the owner
 * reference or ANN_PIPELINE_NAME.
 */
export const LABEL_PIPELINE = 'conveyor.dev/pipeline';
/**
 * The full name of the owning Pipeline, on every object Conveyor creates (Jobs, staging claims,
 * CronJobs and their Job templates, so the Jobs a CronJob creates carry it too). It maps an object
 * back to its Pipeline where the owner reference does not: a scheduled Job is owned by its CronJob.
 */
export const ANN_PIPELINE_NAME = 'conveyor.dev/pipeline-name';
/** The stage (or onFailure stage) a Job runs. */
export const LABEL_STAGE = 'conveyor.dev/stage';
/** The run id (g<generation>, m<hash>, r<hash>, s<unix seconds>, c<hash>, b<hash>) an object belongs to. */
export const LABEL_RUN = 'conveyor.dev/run';
/** Whether a Job is a DAG stage or an onFailure stage. */
export const LABEL_ROLE = 'conveyor.dev/role';

export const ROLE_STAGE = 'stage';
export const ROLE_ON_FAILURE = 'on-failure';
export type Role = typeof ROLE_STAGE | typeof ROLE_ON_FAILURE;

/** Set (to any new value, e.g. a timestamp) on a Pipeline to ask for a manual run. */
export const ANN_RUN_REQUESTED = 'conveyor.dev/run-requested';
/** Set on a Pipeline to ask for a retry of the failed stages of a run: `<nonce>` or `<runId>:<nonce>`. */
export const ANN_RETRY_REQUESTED = 'conveyor.dev/retry-requested';
/** On each Job: what started its run (create, change, manual, schedule, retry, chain). */
export const ANN_TRIGGER = 'conveyor.dev/trigger';
/** On each Job: the Pipeline generation whose spec the run uses. */
export const ANN_GENERATION = 'conveyor.dev/generation';
/** On each Job: when its run started (RFC 3339), so a lost status can be rebuilt exactly. */
export const ANN_RUN_STARTED = 'conveyor.dev/run-start-time';
/** On each Job of a retry run: the run it retries, so a lost status can be rebuilt. */
export const ANN_RETRY_OF = 'conveyor.dev/retry-of';
/** Set by the CronJob controller on the Jobs it creates: the tick's time (RFC 3339). */
export const ANN_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Set by `kubectl create job --from=cronjob/...` (value `manual`). */
export const ANN_CRONJOB_INSTANTIATE = 'cronjob.kubernetes.io/instantiate';
/**
 * On a Job Conveyor created again after the stage's Job was deleted mid-run: how many attempts
 * the deleted Jobs had made, so the stage's attempt count stays honest.
 */
export const ANN_PRIOR_ATTEMPTS = 'conveyor.dev/prior-attempts';
/**
 * Set on a Pipeline to cancel a run: `<runId>` or `<runId>:<nonce>` cancels that run, any other
 * value the latest run, if it is still active. Declarative like the others: a value is handled
 * once (status.lastCancelRequest).
 */
export const ANN_CANCEL_REQUESTED = 'conveyor.dev/cancel-requested';
/**
 * Set on a Pipeline together with ANN_RUN_REQUESTED (one patch): JSON
 * `{"params":{...},"at":"<RFC 3339>","noCache":true}`, the values of the run asked for. Read when
 * the planner handles a new run-requested value; bad options refuse the request (RunRefused).
 */
export const ANN_RUN_OPTIONS = 'conveyor.dev/run-options';
/**
 * On each Job of a run (and the pod template of a CronJob's Job, where the downward API reads
 * them): the run's logical time, logical date, data interval, parameters (JSON), cache bypass and
 * backfill, so a run rebuilt from its Jobs after a lost status keeps its values.
 */
export const ANN_LOGICAL_TIME = 'conveyor.dev/logical-time';
export const ANN_LOGICAL_DATE = 'conveyor.dev/logical-date';
export const ANN_INTERVAL_START = 'conveyor.dev/interval-start';
export const ANN_INTERVAL_END = 'conveyor.dev/interval-end';
export const ANN_PARAMS = 'conveyor.dev/params';
export const ANN_NO_CACHE = 'conveyor.dev/no-cache';
export const ANN_RUN_BACKFILL = 'conveyor.dev/backfill';
/**
 * Set on a Pipeline to ask for a backfill: JSON {"id","from","to","maxActive","params","rerun",
 * "requestedAt"} (src/plan/backfill/request.ts). Handled once per value (status.lastBackfillRequest),
 * and each id accepted once, ever (src/plan/backfill/ids.ts).
 */
export const ANN_BACKFILL_REQUESTED = 'conveyor.dev/backfill-requested';
/** Set on a Pipeline to cancel the backfill with this id (its runs in flight are cancelled). */
export const ANN_BACKFILL_CANCEL = 'conveyor.dev/backfill-cancel';
/**
 * On a stage Job whose dependencies were served from the cache: JSON {"<stage>": ["<run>",
 * "<dataVersion>"]}, the served stages it builds on (through served stages only). The decision
 * to use an entry is evidence before status says so: a run rebuilt from its Jobs after a lost
 * status write keeps those stages Cached instead of running them under a Job that used them.
 */
export const ANN_CACHED_UPSTREAM = 'conveyor.dev/cached-upstream';
