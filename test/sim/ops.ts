// One history is a list of operations, plain data: what a user, the cluster and the operator's
// bad luck do, one after the other. After each one the operator reconciles every Pipeline (the
// upstream first), possibly with a fault. Plain data prints as JSON, shrinks with fast-check's
// array shrinking, and replays without fast-check (history.ts runHistory).

/** What goes wrong in the reconcile that follows an operation (world.ts reconcile says how each is played). */
export type Fault =
  /** The operator dies after `keep` of the plan's creates and starts (modulo their number + 1): no status, no deletions, no Events; it restarts with empty expectations. */
  | { kind: 'crash'; keep: number; on: PipelineRef }
  /** Creates and starts done, the status write fails: no status, no deletions, no Events. */
  | { kind: 'writeLost'; on: PipelineRef }
  /** The plan reads the Pipeline as it was `back` status writes ago (a lagging informer); its creates go out, its write conflicts. */
  | { kind: 'stale'; back: number; on: PipelineRef }
  /** The Job cache is as it was at the previous reconcile: newer Jobs, completions and deletions unseen (expectations stand in for the operator's own creates). */
  | { kind: 'lag'; on: PipelineRef }
  /** Status written, then the operator dies: its deletions and Events are lost. */
  | { kind: 'crashAfterWrite'; on: PipelineRef };

/** Which pipeline a fault hits: the scheduled one, or the one chained after it. */
export type PipelineRef = 'main' | 'downstream';

export type Action =
  /** The clock moves on by `percent` of a schedule period (at least a minute); the CronJob controller creates a Job for every tick it passes. */
  | { do: 'advance'; percent: number }
  /** Running Jobs finish: all of them, or about half (by a hash of `seed` and the Job's name); `failPercent` of those fail. */
  | { do: 'finish'; seed: number; failPercent: number; all: boolean }
  /** `conveyor run orders [--param region=..] [--at ..] [--no-cache]`. */
  /** `webhook`: what the webhook receiver writes (run-requested `webhook:<delivery id>`), not `conveyor run`. */
  | { do: 'run'; region?: 'eu' | 'us'; atPeriodsAgo?: number; noCache?: boolean; webhook?: boolean }
  /** `kubectl create job --from=cronjob/<root>`. */
  | { do: 'runFromCronJob' }
  /** `conveyor backfill orders --from .. --to ..`: `periods` schedule periods starting `fromPeriodsAgo` ago. */
  | {
      do: 'backfill';
      fromPeriodsAgo: number;
      periods: number;
      maxActive: number;
      region?: 'eu' | 'us';
      rerun?: boolean;
    }
  /** The JSON of an earlier backfill request applied again (Argo CD self-heal, case 7). */
  | { do: 'reapplyBackfill'; index: number }
  /** `conveyor backfill orders --cancel`. */
  | { do: 'cancelBackfill' }
  /** `conveyor cancel orders --run <id>`: a run from status, preferably an active one. */
  | { do: 'cancel'; index: number }
  /** `conveyor retry orders --run <id>`: a run from status, preferably a failed one. */
  | { do: 'retry'; index: number }
  /** An edit of orders' spec (a new generation). */
  | { do: 'edit'; change: 'image' | 'maxAge' | 'suspend' | 'resume' | 'policy'; value: number }
  /** `kubectl delete job`: one Job, by its index among the Jobs sorted by name. */
  | { do: 'deleteJob'; index: number }
  /** orders is deleted and created again (a new uid; case 11). */
  | { do: 'recreate' }
  /** Nothing happens but a reconcile (a requeue, a resync). */
  | { do: 'wait' };

export type Op = Action & { fault?: Fault };
