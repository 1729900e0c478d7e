// The Console's wire protocol: what the local server (src/console/server) sends the browser
// (src/console/ui) and what the browser may ask of it. Shared types only, no behaviour.
//
// HTTP, all on 127.0.0.1 (see server/security.ts for the checks every request passes):
//   GET  /?token=<one-time token>   consumes the token, sets the session cookie, 303 → /
//   GET  /, /assets/*                the UI (session required)
//   GET  /api/stream                 server-sent events: StreamMessage; resume with Last-Event-ID
//   GET  /api/access?namespace=NS    Access (SelfSubjectAccessReviews with the user's credentials)
//   POST /api/pipelines/NS/NAME/ACTION   ActionRequest → ActionResult (403 when not allowed)
//   GET  /api/pipelines/NS/NAME/logs?stage=S&run=R[&follow=1]   text/plain stream, or 404 ApiError;
//        with CANNED_LOGS_HEADER when the lines are not the pod's own (the local cluster's KWOK)
//   POST /api/dry-run   { yaml } → CheckResult (server-side dry run of a create)
//   POST /api/apply     { yaml } → CheckResult (server-side apply; only if Access.create)
//   GET  /api/schema    the Pipeline JSON Schema (schema/pipeline.schema.json)
import type { Pipeline, RunStatus } from '../api/types.ts';

export type { Pipeline };

/**
 * On a logs answer: the pod runs on a KWOK node, and KWOK serves every pod of the cluster the
 * same canned log (server/canned-logs.ts); its value is the node's name.
 */
export const CANNED_LOGS_HEADER = 'X-Conveyor-Canned-Logs';

/** What a run processed and how it was asked for, as its Jobs record it (annotations). */
export type RunValuesSummary = Pick<
  RunStatus,
  'logicalTime' | 'intervalStart' | 'intervalEnd' | 'params' | 'noCache' | 'backfill'
>;

/** A stage Job as the Console needs it (the server trims everything else). */
export type JobSummary = {
  namespace: string;
  name: string;
  uid: string;
  /** The Pipeline's full name (annotation conveyor.dev/pipeline-name, else the label). */
  pipeline: string;
  stage: string;
  run: string;
  role: 'stage' | 'on-failure';
  creationTimestamp?: string;
  startTime?: string;
  completionTime?: string;
  active: number;
  succeeded: number;
  failed: number;
  /** Complete / Failed condition, if any, with its reason and message. */
  finished?: { type: 'Complete' | 'Failed'; reason?: string; message?: string; at?: string };
  /** The run's logical time, interval, params… from the Job's annotations: for runs status no longer lists. */
  values?: RunValuesSummary;
};

/** A Kubernetes Event about a Pipeline or one of its Jobs. */
export type EventSummary = {
  namespace: string;
  name: string;
  uid: string;
  involved: { kind: string; name: string };
  type: 'Normal' | 'Warning' | string;
  reason: string;
  message: string;
  count: number;
  lastTimestamp?: string;
};

export type Snapshot = {
  /** Trimmed (server/summaries.ts toPipelineView): no last-applied annotation, no status.cache entries (the informer drops managedFields). */
  pipelines: Pipeline[];
  jobs: JobSummary[];
  events: EventSummary[];
  /** Namespaces the Console watches ([] = all the user may list). */
  namespaces: string[];
  /** Who the API server says the user is (SelfSubjectReview), when it says. */
  user?: string;
};

export type Op = 'upsert' | 'delete';

/** One server-sent event; `id` (the SSE id) is a sequence number for resuming. */
export type StreamMessage =
  | { type: 'reset'; data: Snapshot }
  | { type: 'pipeline'; data: { op: Op; object: Pipeline } }
  | { type: 'job'; data: { op: Op; object: JobSummary } }
  | { type: 'event'; data: { op: Op; object: EventSummary } };

export type ActionName = 'run' | 'retry' | 'cancel' | 'suspend' | 'resume';

/** What the user may do in a namespace, each from a SelfSubjectAccessReview. */
export type Access = { namespace: string; create: boolean } & Record<ActionName, boolean>;

/**
 * `run`: the run id a retry or cancel is about (default: the latest run). `params`, `noCache`:
 * for action `run` only, the run's options, written as `conveyor run --param … --no-cache` writes
 * them (conveyor.dev/run-options) after the same check against spec.params.
 */
export type ActionRequest = { run?: string; params?: Record<string, string>; noCache?: boolean };
export type ActionResult = { ok: boolean; message: string };

export type CheckResult = { ok: boolean; message: string };
export type ApiError = { message: string };
