// A backfill's request and cancel annotations read against what status remembers, once per plan
// (facts.ts): a new request is accepted, refused, or replaces the backfill running; a request id
// is accepted once, ever (backfill/ids.ts). What starts and what ended is backfill.ts's.
import { handledRecord, MAX_REQUEST_JSON_LENGTH, requestAnnotation } from '../select/request-annotation.ts';
import type { BackfillStatus, Pipeline, PipelineSpec, PipelineStatus } from '../../api/types.ts';
import { MAX_BACKFILL_ACTIVE } from '../../api/schema.ts';
import { ANN_BACKFILL_CANCEL, ANN_BACKFILL_REQUESTED } from '../../api/labels.ts';
import { readUsedIds, rememberId, rememberRunsSeen, usedIdProblem, type UsedIds } from './ids.ts';
import {
  checkBackfillRequest,
  describeProblem,
  futureTickProblem,
  parseBackfillRequest,
  type AcceptedBackfill,
  type BackfillProblem,
} from './request.ts';
import { ticksBetween } from './ticks.ts';
import { compact } from '../objects.ts';
import { trimMessage, type ObservedRun } from '../observed.ts';
import { readSucceeded } from './succeeded.ts';
import { iso, toDate } from '../time.ts';
import type { PlanEvent } from '../types.ts';

export type BackfillState = {
  /** The backfill after the request and cancel annotations are read (before runs start or end). */
  status?: BackfillStatus;
  /** status.lastBackfillRequest: the last annotation value handled. */
  lastRequest?: string;
  /** status.backfillIds and backfillIdsForgottenUntil: the request ids used. */
  used: UsedIds;
  /** status.lastBackfillRefusal: why the last request was refused, until one is accepted. */
  refusal?: string;
  /** status.succeededTimes as read (succeeded.ts): (logical time, parameter values) done before. */
  succeeded: string[];
  /** Backfill runs to cancel now (the backfill was cancelled or replaced), with the reason. */
  cancel: Map<string, string>;
  events: PlanEvent[];
  /** The ticks of `status` (its range in the current schedule), oldest first. */
  ticks: Date[];
};

/** "3/7 ticks done, 2 running" (plus failed and skipped when there are any). */
export function backfillProgress(b: Pick<BackfillStatus, 'total' | 'done' | 'failed' | 'skipped' | 'running'>): string {
  const parts = [`${b.done}/${b.total} ticks done`, `${b.running?.length ?? 0} running`];
  if (b.failed) parts.push(`${b.failed} failed`);
  if (b.skipped) parts.push(`${b.skipped} skipped (already succeeded)`);
  return parts.join(', ');
}

/** The ticks of a backfill's range in the current schedule ([] when it no longer has one). */
function ticksOf(spec: PipelineSpec, status: BackfillStatus | undefined): Date[] {
  const from = toDate(status?.from);
  const to = toDate(status?.to);
  if (!status || !from || !to || typeof spec.schedule !== 'string' || spec.schedule.trim() === '') return [];
  try {
    const range = ticksBetween(spec.schedule, spec.timeZone, from, to);
    return 'ticks' in range ? range.ticks : [];
  } catch {
    return [];
  }
}

/** The backfill ended by a cancel or a replacing request: runs in flight are cancelled with `reason`. */
function stopBackfill(status: BackfillStatus, reason: string, now: Date, cancel: Map<string, string>): BackfillStatus {
  for (const id of status.running ?? []) cancel.set(id, reason);
  const stopped = { ...status, phase: 'Cancelled' as const, running: [], message: reason, completionTime: iso(now) };
  return { ...stopped, progress: backfillProgress(stopped) };
}

function started(accepted: AcceptedBackfill, now: Date): BackfillStatus {
  const { request, ticks, params } = accepted;
  const status: BackfillStatus = compact({
    request: request.id,
    requestedAt: request.requestedAt ? iso(request.requestedAt) : undefined,
    from: iso(request.from),
    to: iso(request.to),
    maxActive: request.maxActive,
    rerun: request.rerun || undefined,
    params: Object.keys(params).length > 0 ? params : undefined,
    phase: 'Running' as const,
    total: ticks.length,
    next: 0,
    done: 0,
    startTime: iso(now),
  });
  return { ...status, progress: backfillProgress(status) };
}

/** The longest lastBackfillRefusal kept (the schema's bound). */
const MAX_REFUSAL = 1024;

type Handled = { status?: BackfillStatus; used: UsedIds; refusal?: string; events: PlanEvent[] };

/**
 * A new request value is handled once: refused (Warning BackfillRefused naming the field, and
 * status.lastBackfillRefusal), or started — replacing a backfill still running, whose runs in
 * flight are cancelled (choice: the newest request wins, as the newest value of any declarative
 * field does). A request whose id was used before is refused (backfill/ids.ts): an old request
 * applied again must neither adopt its old runs nor replace the backfill that runs.
 */
function handleRequest(
  pipeline: Pipeline,
  raw: string,
  before: Handled,
  now: Date,
  cancel: Map<string, string>,
): Handled {
  const current = before.status;
  const refused = (problem: BackfillProblem): Handled => {
    const message = `backfill request refused: ${describeProblem(problem)}`;
    return {
      ...before,
      refusal: trimMessage(message, MAX_REFUSAL),
      events: [{ type: 'Warning', reason: 'BackfillRefused', message }],
    };
  };
  const parsed = parseBackfillRequest(raw);
  if (!parsed.ok) return refused(parsed.problem);
  const reused = usedIdProblem(before.used, parsed.value, now);
  if (reused) return refused(reused);
  const read = checkBackfillRequest(pipeline.spec, parsed.value);
  if (!read.ok) return refused(read.problem);
  const future = futureTickProblem(read.value, now);
  if (future) return refused(future);
  const id = read.value.request.id;
  const events: PlanEvent[] = [];
  if (current?.phase === 'Running') {
    const stopped = stopBackfill(current, `backfill ${current.request} replaced by backfill ${id}`, now, cancel);
    events.push({ type: 'Normal', reason: 'BackfillCancelled', message: `${stopped.message}` });
  }
  const status = started(read.value, now);
  const { from, to, maxActive } = status;
  events.push({
    type: 'Normal',
    reason: 'BackfillStarted',
    message: `backfill ${id}: ${status.total} ticks in [${from}, ${to}), at most ${maxActive} at once`,
  });
  return { status, used: rememberId(before.used, read.value.request, now), events };
}

/**
 * A backfill the previous version started may have a maxActive above MAX_BACKFILL_ACTIVE: it goes
 * on with that many at most, so that it leaves the reserved run slots free too.
 */
function withinBounds(status: BackfillStatus | undefined): BackfillStatus | undefined {
  if (status?.phase !== 'Running') return status;
  const maxActive = Number.isSafeInteger(status.maxActive)
    ? Math.min(Math.max(status.maxActive, 1), MAX_BACKFILL_ACTIVE)
    : 1;
  return maxActive === status.maxActive ? status : { ...status, maxActive };
}

/**
 * Reads the request and cancel annotations against what status remembers; the ids of backfill runs
 * seen only on their Jobs (`observed`) join the memory after the request is handled (ids.ts: a plan
 * repeating one whose write was lost accepts its request again, as decided before).
 */
export function readBackfill(
  pipeline: Pipeline,
  previous: PipelineStatus,
  observed: ReadonlyMap<string, ObservedRun>,
  now: Date,
): BackfillState {
  const cancel = new Map<string, string>();
  let lastRequest = previous.lastBackfillRequest;
  const refusal =
    typeof previous.lastBackfillRefusal === 'string'
      ? trimMessage(previous.lastBackfillRefusal, MAX_REFUSAL)
      : undefined;
  let handled: Handled = {
    status: withinBounds(previous.backfill),
    used: readUsedIds(previous, now),
    refusal,
    events: [],
  };
  const raw = requestAnnotation(pipeline, ANN_BACKFILL_REQUESTED);
  // A value too long to read is recorded as its digest: handled once, not copied into status.
  const record = raw === undefined ? undefined : handledRecord(raw, MAX_REQUEST_JSON_LENGTH);
  if (raw !== undefined && record !== lastRequest) {
    handled = handleRequest(pipeline, raw, handled, now, cancel);
    lastRequest = record;
  }
  let status = handled.status;
  const events = [...handled.events];
  const ticks = ticksOf(pipeline.spec, status);
  if (status?.phase === 'Running' && ticks.length === 0) {
    status = stopBackfill(
      status,
      `backfill ${status.request} stopped: the pipeline has no schedule (or no tick in the range) any more`,
      now,
      cancel,
    );
    events.push({ type: 'Warning', reason: 'BackfillCancelled', message: `${status.message}` });
  }
  const cancelId = requestAnnotation(pipeline, ANN_BACKFILL_CANCEL)?.trim();
  if (status?.phase === 'Running' && cancelId === status.request) {
    status = stopBackfill(
      status,
      `backfill ${status.request} cancelled on request (${ANN_BACKFILL_CANCEL})`,
      now,
      cancel,
    );
    events.push({ type: 'Normal', reason: 'BackfillCancelled', message: `${status.message}; ${status.progress}` });
  }
  const succeeded = readSucceeded(previous, pipeline.spec.params);
  const used = rememberRunsSeen(handled.used, previous, observed, now);
  return compact({ status, lastRequest, used, refusal: handled.refusal, succeeded, cancel, events, ticks });
}
