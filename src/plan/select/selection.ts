// What the select phase decides (select.ts), as the later phases read it: the runs going on, the
// new runs asked for, the ones skipped before they started, and the request bookkeeping.
import type { RunTrigger, StageStatus, WebhookDelivery } from '../../api/types.ts';
import type { HandledTrigger } from './chain.ts';
import type { RememberedRun } from './retry.ts';
import type { RunValues } from '../values/values.ts';
import type { PlanEvent } from '../types.ts';

/**
 * A scheduled tick's roots are created by separate CronJobs; a root whose Job has not appeared
 * this long after the tick is created by Conveyor instead (see RunContext.awaitRootsUntil).
 */
export const ROOT_JOIN_GRACE_MS = 60_000;

/** A run this plan advances: one going on, or one it starts. */
export type RunRef = {
  id: string;
  trigger: RunTrigger;
  /** Generation whose spec the run uses. */
  generation: number;
  /** The run as status remembers it (detailed for lastRun, a summary for other runs). */
  previous?: RememberedRun;
  retryOf?: string;
  kept?: StageStatus[];
  /** Until when a scheduled tick's roots wait for their CronJobs' Jobs. */
  awaitRootsUntil?: Date;
  /**
   * Leave the run as status remembers it this time: a retry run that status no longer details
   * and whose Jobs the cache does not show yet — advancing it blind would run its kept stages.
   */
  hold?: boolean;
  /** Logical time, interval, parameters, cache bypass: decided when the run is selected (values/values.ts). */
  values?: RunValues;
};

export type RunRequest = RunRef & {
  /** concurrencyPolicy decides whether it starts; explicit requests (manual, retry) always start. */
  governed: boolean;
  /** When it was asked for: runs started in one plan start in this order (the last is lastRun). */
  at: Date;
};

/** A run decided against before it started (a tick while suspended or past its deadline). */
export type SkippedRun = { id: string; trigger: RunTrigger; generation: number; message: string };

export type Selection = {
  /** Runs going on, oldest first. */
  continuing: RunRef[];
  requests: RunRequest[];
  skipped: SkippedRun[];
  /** An unscheduled pipeline has one run at a time: any new run supersedes the others. */
  supersede: boolean;
  lastRunRequest?: string;
  lastRetryRequest?: string;
  lastTriggers?: HandledTrigger[];
  /** Run and retry requests handled so far (status.requestCount). */
  requestCount?: number;
  /** RetryRefused and RunRefused events. */
  events: PlanEvent[];
  /** The webhook delivery (run request `webhook:<id>`) handled now: started or refused (select/webhook.ts). */
  delivery?: WebhookDelivery;
};
