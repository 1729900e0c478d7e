// Backfill: one run for each schedule tick in [from, to), oldest first, at most maxActive at once.
// The request is the conveyor.dev/backfill-requested annotation (backfill-request.ts); status is
// the memory (status.backfill: which tick is next, which runs are in flight, what is done), and a
// run's id derives from (request id, tick), so planning again after a crash or a lost status
// write picks the same runs and the same Job names: a tick's Jobs collide instead of doubling.
//
// Each plan, in three steps the planner calls in order:
//   readBackfill        — a new request (accepted, refused, or replacing the one running) or a cancel;
//                         a request id is accepted once, ever (backfill-ids.ts);
//   startBackfill       — ticks that start now, given the runs still active and the room left;
//   backfillStatusParts — runs that ended now are counted (settleBackfill); the phase, progress,
//                         succeededTimes (by logical time and parameter values: succeeded.ts) and
//                         Events follow.
import { handledRecord, MAX_REQUEST_JSON_LENGTH, requestAnnotation } from './request-annotation.ts';
import type { BackfillStatus, Pipeline, PipelineSpec, PipelineStatus, RunPhase, RunStatus } from '../api/types.ts';
import { MAX_BACKFILL_ACTIVE } from '../api/schema.ts';
import { ANN_BACKFILL_CANCEL, ANN_BACKFILL_REQUESTED } from '../api/labels.ts';
import { readUsedIds, rememberId, rememberRunsSeen, usedIdProblem, type UsedIds } from './backfill-ids.ts';
import { checkBackfillRequest, describeProblem, futureTickProblem, parseBackfillRequest, type AcceptedBackfill, type BackfillProblem } from './backfill-request.ts';
import { ticksBetween } from './backfill-ticks.ts';
import { scheduledRunTimes } from './logical-time.ts';
import { compact } from './merge.ts';
import { backfillRunId } from './names.ts';
import { trimMessage, type ObservedRun } from './observed.ts';
import { isActiveRun } from './run.ts';
import type { RunValues } from './run-values.ts';
import type { RunRef } from './select.ts';
import { paramsHash, readSucceeded, recordSucceeded, succeededEntry } from './succeeded.ts';
import { defaultParams } from './params.ts';
import { ROOT_JOIN_GRACE_MS } from './select.ts';
import { iso, toDate } from './time.ts';
import type { PlanEvent } from './types.ts';

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
 * field does). A request whose id was used before is refused (backfill-ids.ts): an old request
 * applied again must neither adopt its old runs nor replace the backfill that runs.
 */
function handleRequest(pipeline: Pipeline, raw: string, before: Handled, now: Date, cancel: Map<string, string>): Handled {
  const current = before.status;
  const refused = (problem: BackfillProblem): Handled => {
    const message = `backfill request refused: ${describeProblem(problem)}`;
    return { ...before, refusal: trimMessage(message, MAX_REFUSAL), events: [{ type: 'Warning', reason: 'BackfillRefused', message }] };
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
  events.push({ type: 'Normal', reason: 'BackfillStarted', message: `backfill ${id}: ${status.total} ticks in [${from}, ${to}), at most ${maxActive} at once` });
  return { status, used: rememberId(before.used, read.value.request, now), events };
}

/**
 * A backfill the previous version started may have a maxActive above MAX_BACKFILL_ACTIVE: it goes
 * on with that many at most, so that it leaves the reserved run slots free too.
 */
function withinBounds(status: BackfillStatus | undefined): BackfillStatus | undefined {
  if (status?.phase !== 'Running') return status;
  const maxActive = Number.isSafeInteger(status.maxActive) ? Math.min(Math.max(status.maxActive, 1), MAX_BACKFILL_ACTIVE) : 1;
  return maxActive === status.maxActive ? status : { ...status, maxActive };
}

/**
 * Reads the request and cancel annotations against what status remembers; the ids of backfill runs
 * seen only on their Jobs (`observed`) join the memory after the request is handled (backfill-ids.ts:
 * a plan repeating one whose write was lost accepts its request again, as decided before).
 */
export function readBackfill(
  pipeline: Pipeline,
  previous: PipelineStatus,
  observed: ReadonlyMap<string, ObservedRun>,
  now: Date,
): BackfillState {
  const cancel = new Map<string, string>();
  let lastRequest = previous.lastBackfillRequest;
  const refusal = typeof previous.lastBackfillRefusal === 'string' ? trimMessage(previous.lastBackfillRefusal, MAX_REFUSAL) : undefined;
  let handled: Handled = { status: withinBounds(previous.backfill), used: readUsedIds(previous, now), refusal, events: [] };
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
    status = stopBackfill(status, `backfill ${status.request} stopped: the pipeline has no schedule (or no tick in the range) any more`, now, cancel);
    events.push({ type: 'Warning', reason: 'BackfillCancelled', message: `${status.message}` });
  }
  const cancelId = requestAnnotation(pipeline, ANN_BACKFILL_CANCEL)?.trim();
  if (status?.phase === 'Running' && cancelId === status.request) {
    status = stopBackfill(status, `backfill ${status.request} cancelled on request (${ANN_BACKFILL_CANCEL})`, now, cancel);
    events.push({ type: 'Normal', reason: 'BackfillCancelled', message: `${status.message}; ${status.progress}` });
  }
  const succeeded = readSucceeded(previous, pipeline.spec.params);
  const used = rememberRunsSeen(handled.used, previous, observed, now);
  return compact({ status, lastRequest, used, refusal: handled.refusal, succeeded, cancel, events, ticks });
}

export type StartContext = {
  spec: PipelineSpec;
  generation: number;
  /** Ids of the runs active after this plan advanced the ones going on. */
  active: ReadonlySet<string>;
  /** How many more backfill runs may start (MAX_ACTIVE_RUNS less the reserved slots, the active runs and other new ones). */
  room: number;
  /** (logical time, parameter values) entries of the runs active after this plan (new ones too), and of those that succeeded now. */
  runs: { held: ReadonlySet<string>; succeeded: readonly string[] };
  now: Date;
};

/** The succeededTimes entries of runs: those an active run holds, and those of runs that succeeded. */
export function runEntries(runs: readonly { values?: RunValues; active: boolean; phase?: RunPhase }[]): StartContext['runs'] {
  const held = new Set<string>();
  const succeeded: string[] = [];
  for (const { values, active, phase } of runs) {
    const entry = values?.logicalTime ? succeededEntry(values.logicalTime, values.params) : undefined;
    if (entry && active) held.add(entry);
    else if (entry && phase === 'Succeeded') succeeded.push(entry);
  }
  return { held, succeeded };
}

/**
 * A tick that may not have its scheduled run yet: the CronJob makes a tick's Job a few seconds
 * after it. For ROOT_JOIN_GRACE_MS after a tick (what a tick's roots wait for their CronJobs'
 * Jobs), a backfill tick with the default parameter values waits, so that the scheduled run,
 * once seen, holds it (or has done it) instead of both running it.
 */
function scheduledRunMayCome(spec: PipelineSpec, status: BackfillStatus, tick: Date, now: Date): boolean {
  if (spec.suspend === true || now.getTime() - tick.getTime() >= ROOT_JOIN_GRACE_MS) return false;
  return paramsHash(status.params) === paramsHash(defaultParams(Array.isArray(spec.params) ? spec.params : []));
}

/** The id of the run of a backfill's tick. */
function runIdOf(status: BackfillStatus, tick: Date): string {
  return backfillRunId(status.request, tick, status.requestedAt);
}

/** What a backfill run processes: its tick, the interval since the tick before (as a scheduled run's), the backfill's params. */
function valuesOf(state: BackfillState, status: BackfillStatus, index: number, spec: PipelineSpec): RunValues {
  const times = scheduledRunTimes(spec, state.ticks[index] as Date);
  return { ...times, params: status.params ?? {}, backfill: status.request };
}

/**
 * The ticks that start now, oldest first: while fewer than maxActive of the backfill's runs are
 * active and there is room. Ticks that already succeeded are skipped (unless rerun), also when no
 * slot is free, so a backfill of done work ends at once. A tick whose run is already going (found
 * from its Jobs after a lost status) is taken up instead of started again. A tick whose (logical
 * time, parameter values) another active run holds (its scheduled run, a manual run, another
 * backfill's) waits for it, and the ticks after it too (unless rerun): skipped if it succeeds,
 * run if it does not — one run per interval and values succeeds.
 */
export function startBackfill(state: BackfillState, ctx: StartContext): { state: BackfillState; starts: RunRef[] } {
  const status = state.status;
  if (status?.phase !== 'Running') return { state, starts: [] };
  const running = (status.running ?? []).filter((id) => ctx.active.has(id));
  const ended = (status.running ?? []).filter((id) => !ctx.active.has(id));
  let { next, done, skipped = 0 } = status;
  const starts: RunRef[] = [];
  let room = ctx.room;
  const succeeded = new Set([...state.succeeded, ...ctx.runs.succeeded]);
  while (next < state.ticks.length) {
    const tick = state.ticks[next] as Date;
    const entry = succeededEntry(iso(tick), status.params) ?? '';
    if (!status.rerun && succeeded.has(entry)) {
      next++;
      done++;
      skipped++;
      continue;
    }
    if (running.length >= status.maxActive || room <= 0) break;
    const id = runIdOf(status, tick);
    const waits = !status.rerun && !ctx.active.has(id) && (ctx.runs.held.has(entry) || scheduledRunMayCome(ctx.spec, status, tick, ctx.now));
    if (waits) break;
    if (!ctx.active.has(id)) {
      starts.push({ id, trigger: 'backfill', generation: ctx.generation, values: valuesOf(state, status, next, ctx.spec) });
      room--;
    }
    running.push(id);
    next++;
  }
  // Runs that ended stay listed until settleBackfill counts them.
  const updated = compact({ ...status, next, done, skipped: skipped || undefined, running: [...ended, ...running] });
  return { state: { ...state, status: updated }, starts };
}

export type Settled = {
  status?: BackfillStatus;
  /** succeededTimes entries of the backfill runs that succeeded now. */
  succeeded: string[];
  events: PlanEvent[];
};

/**
 * Runs that ended are counted (a run that is not Succeeded counts as failed), and when every tick
 * is done the backfill ends: Succeeded without failures, Failed with some. `phaseOf` gives a run's
 * phase after this plan; undefined for a run nobody tracks any more (counted as failed).
 */
export function settleBackfill(state: BackfillState, phaseOf: (id: string) => RunPhase | undefined, now: Date): Settled {
  const status = state.status;
  if (status?.phase !== 'Running') return { status, succeeded: [], events: [] };
  const tickOf = new Map(state.ticks.slice(0, status.next).map((t) => [runIdOf(status, t), t]));
  let { done, failed = 0 } = status;
  const running: string[] = [];
  const succeeded: string[] = [];
  for (const id of status.running ?? []) {
    const phase = phaseOf(id);
    if (isActiveRun(phase)) {
      running.push(id);
      continue;
    }
    done++;
    const tick = tickOf.get(id);
    const entry = tick && succeededEntry(iso(tick), status.params);
    if (phase === 'Succeeded' && entry) succeeded.push(entry);
    else if (phase !== 'Succeeded') failed++;
  }
  const counted = compact({ ...status, done, failed: failed || undefined, running: running.length > 0 ? running : undefined });
  const finished = counted.next >= state.ticks.length && running.length === 0;
  const settled = finished ? finish(counted, state.ticks.length, now) : counted;
  const final = { ...settled, progress: backfillProgress(settled) };
  return { status: final, succeeded, events: finished ? [endEvent(final)] : [] };
}

function finish(status: BackfillStatus, total: number, now: Date): BackfillStatus {
  const phase = status.failed ? ('Failed' as const) : ('Succeeded' as const);
  const message = status.failed ? `${status.failed} of ${total} ticks failed` : undefined;
  return compact({ ...status, total, phase, message, completionTime: iso(now) });
}

function endEvent(status: BackfillStatus): PlanEvent {
  const text = `backfill ${status.request}: ${status.progress}`;
  return status.phase === 'Succeeded'
    ? { type: 'Normal', reason: 'BackfillCompleted', message: text }
    : { type: 'Warning', reason: 'BackfillFailed', message: text };
}

/** The backfill runs among `refs`: concurrencyPolicy does not govern them (concurrency.ts). */
export function backfillRunIds(refs: readonly Pick<RunRef, 'id' | 'trigger'>[]): Set<string> {
  return new Set(refs.filter((r) => r.trigger === 'backfill').map((r) => r.id));
}

/** The status fields backfill owns (planner.ts writes them as they are). */
export type BackfillStatusParts = Pick<
  PipelineStatus,
  'backfill' | 'lastBackfillRequest' | 'lastBackfillRefusal' | 'backfillIds' | 'backfillIdsForgottenUntil' | 'succeededTimes'
>;

/**
 * The status fields backfill owns after a plan, and its Events: runs that ended are counted
 * (their phase from this plan's runs, else from what status remembered), and every run with a
 * logical time that succeeded — backfill or not — joins status.succeededTimes with its parameter
 * values.
 */
export function backfillStatusParts(
  state: BackfillState,
  previous: PipelineStatus,
  runs: ReadonlyMap<string, Pick<RunStatus, 'phase' | 'logicalTime' | 'params'>>,
  now: Date,
): { status: BackfillStatusParts; events: PlanEvent[]; requeueAfterMs?: number } {
  const remembered = new Map([...(previous.runs ?? []), ...(previous.lastRun ? [previous.lastRun] : [])].map((r) => [r.id, r.phase]));
  const settled = settleBackfill(state, (id) => runs.get(id)?.phase ?? remembered.get(id), now);
  const logical = [...runs.values()].flatMap((r) => {
    const entry = r.phase === 'Succeeded' && r.logicalTime ? succeededEntry(r.logicalTime, r.params) : undefined;
    return entry ? [entry] : [];
  });
  const status = compact({
    backfill: settled.status,
    lastBackfillRequest: state.lastRequest,
    lastBackfillRefusal: state.refusal,
    backfillIds: state.used.ids.length > 0 ? state.used.ids : undefined,
    backfillIdsForgottenUntil: state.used.forgottenUntil,
    succeededTimes: recordSucceeded(state.succeeded, [...settled.succeeded, ...logical]),
  });
  return compact({ status, events: [...state.events, ...settled.events], requeueAfterMs: waitsForSlot(settled.status) ? BACKFILL_RECHECK_MS : undefined });
}

/**
 * A tick that could start but did not this plan (a run that ended in it freed a slot only after
 * the starts were decided, or all 20 run slots are taken): plan again soon, since no Job event
 * may come to wake the Pipeline.
 */
const BACKFILL_RECHECK_MS = 5_000;

function waitsForSlot(status: BackfillStatus | undefined): boolean {
  return status?.phase === 'Running' && status.next < status.total && (status.running?.length ?? 0) < status.maxActive;
}
