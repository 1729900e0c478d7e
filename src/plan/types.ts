// The planner's contract: what it reads (PlanInput) and what it decides (Plan).
import type { V1ControllerRevision, V1CronJob, V1Job, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Pipeline, PipelineSpec, PipelineStatus } from '../api/types.ts';

/** One validation problem (src/api/validate.ts). */
export type Problem = { path: string; message: string };

export type PlanInput = {
  pipeline: Pipeline;
  /** Validation result for this spec; [] when valid. */
  problems: Problem[];
  /**
   * Every Job whose controller is the Pipeline or one of `cronJobs` (a scheduled run's root Jobs
   * are the CronJobs'), from the owner indexes.
   */
  jobs: V1Job[];
  /** Every staging claim whose controller is the Pipeline. */
  claims: V1PersistentVolumeClaim[];
  /** CronJobs owned by this Pipeline (one per root stage of a scheduled pipeline); default []. */
  cronJobs?: V1CronJob[];
  /** The observed Pipelines named in spec.triggers.after (same namespace); default []. */
  upstream?: Pipeline[];
  /**
   * The spec each generation ran with, from the Pipeline's ControllerRevisions (revision.ts): a
   * run executes the spec it started with, whatever the Pipeline says now. Default: none.
   */
  revisions?: PinnedSpec[];
  /**
   * Objects the API server refused to create (an invalid pod template, a name taken by an object
   * of someone else), by object name: the server's message. Facts, not fabricated Jobs.
   */
  rejections?: ReadonlyMap<string, string>;
  /**
   * Jobs this operator created that the cache does not show yet (expectations): a stage whose Job
   * is missing is only "deleted" when it is not among them.
   */
  pendingJobs?: ReadonlySet<string>;
  /**
   * What the shell knows of the webhook receiver for this Pipeline (one with a webhook trigger):
   * the path it takes deliveries on (when the receiver runs and the Secret has the token), or why
   * deliveries are not received. Written to status.webhook as given; absent: neither is shown.
   */
  webhook?: { path?: string; message?: string };
  /**
   * Lifecycle notifications (src/notify), gathered by the shell: the finished runs whose
   * notifications were all delivered or dropped, and why the Pipeline's own sink is refused.
   * Absent: status keeps what it says (status/notified.ts).
   */
  notified?: NotifiedInput;
  now: Date;
};

export type NotifiedInput = { runs: ReadonlySet<string>; message?: string };

/** One ControllerRevision of a Pipeline: the spec of one generation. */
export type PinnedSpec = { name: string; generation: number; spec?: PipelineSpec };

export type Action =
  | { kind: 'createJob'; job: V1Job }
  | { kind: 'deleteJob'; name: string; reason: string }
  | { kind: 'createClaim'; claim: V1PersistentVolumeClaim }
  | { kind: 'deleteClaim'; name: string; reason: string }
  /** Server-side apply (field manager `conveyor`): create or update the CronJob. */
  | { kind: 'applyCronJob'; cronJob: V1CronJob }
  | { kind: 'deleteCronJob'; name: string; reason: string }
  /**
   * Records the spec of a generation (revision.ts). `beforeJobs`: it must exist before this
   * plan's Jobs are created or started (a pipeline whose runs outlive a change of spec); otherwise
   * it is created alongside them (planner.ts revisionActions says why that is safe).
   */
  | { kind: 'createRevision'; revision: V1ControllerRevision; beforeJobs: boolean }
  | { kind: 'deleteRevision'; name: string; reason: string }
  /**
   * Start a suspended Job (a scheduled run's root): `patch` is the JSON merge patch body to send
   * to the Job — the run label and annotations on the Job and its pod template, and
   * `spec.suspend: false`, in one request.
   */
  | { kind: 'startJob'; name: string; runId: string; patch: Record<string, unknown> };

export type PlanEvent = { type: 'Normal' | 'Warning'; reason: string; message: string };

export type Plan = {
  actions: Action[];
  /** The whole new status; the caller writes it only when it differs from the current one. */
  status: PipelineStatus;
  /** Kubernetes Events for transitions between the previous status and this one. */
  events: PlanEvent[];
  /** Plan again after this long even if nothing changes (a run deadline, the next schedule time). */
  requeueAfterMs?: number;
};
