// Cancelling a run on request (conveyor.dev/cancel-requested): `<runId>` or `<runId>:<nonce>`
// cancels that run, any other value the latest run. Like the other requests it is declarative —
// a value is handled once (status.lastCancelRequest) — and it only stops: the run's unfinished
// stages are marked, its Jobs deleted after the status says why, and no new run starts.
import { readRequestValue } from '../select/request-annotation.ts';
import type { Pipeline, PipelineStatus } from '../../api/types.ts';
import { ANN_CANCEL_REQUESTED } from '../../api/labels.ts';
import { isRunId } from '../names.ts';
import { parseRetryRequest } from '../select/retry.ts';
import type { PlanEvent } from '../types.ts';

export type CancelRequest = {
  /** The value to record as handled (status.lastCancelRequest). */
  value?: string;
  /** The run to cancel, when a new request names one (or the latest run is the target). */
  target?: string;
  /** A new request refused before it is read (too long): why. */
  problem?: string;
};

export function readCancelRequest(pipeline: Pipeline, previous: PipelineStatus): CancelRequest {
  const read = readRequestValue(pipeline, ANN_CANCEL_REQUESTED);
  const value = read?.value;
  if (value === undefined) return previous.lastCancelRequest ? { value: previous.lastCancelRequest } : {};
  if (value === previous.lastCancelRequest) return { value };
  if (read?.problem) return { value, problem: read.problem };
  const named = parseRetryRequest(value).target ?? (isRunId(value) ? value : undefined);
  const target = named ?? previous.lastRun?.id;
  return target ? { value, target } : { value };
}

/** Why the run ends, as runs[] and the Event say it. */
export function cancelReason(request: CancelRequest): string {
  return `cancelled on request (${ANN_CANCEL_REQUESTED}: ${request.value ?? ''})`;
}

/** A request for a run that is not active is answered with an Event, not an error. */
export function cancelRefused(request: CancelRequest, why: string): PlanEvent {
  return {
    type: 'Warning',
    reason: 'CancelRefused',
    message: `cancel request "${request.value ?? ''}" refused: ${why}`,
  };
}
