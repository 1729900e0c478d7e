// Backfill: one run for each schedule tick in [from, to), oldest first, at most maxActive at once.
// The request is the conveyor.dev/backfill-requested annotation (backfill/request.ts); status is
// the memory (status.backfill: which tick is next, which runs are in flight, what is done), and a
// run's id derives from (request id, tick), so planning again after a crash or a lost status
// write picks the same runs and the same Job names: a tick's Jobs collide instead of doubling.
//
// Each plan, in three steps the planner's phases take in order:
//   readBackfill        — (read.ts, with the facts) a new request (accepted, refused, or
//                         replacing the one running) or a cancel;
//   startBackfill       — (start phase) ticks that start now, given the runs still active and the room left;
//   backfillStatusParts — (status phase) runs that ended now are counted (settleBackfill); the phase,
//                         progress, succeededTimes (by logical time and parameter values: succeeded.ts)
//                         and Events follow.
import type { BackfillStatus, PipelineSpec, PipelineStatus, RunPhase, RunStatus } from '../../api/types.ts';
import { backfillProgress, type BackfillState } from './read.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import { scheduledRunTimes } from '../values/logical-time.ts';
import { compact } from '../objects.ts';
import { backfillRunId } from '../names.ts';
import { isActiveRun } from '../run/run.ts';
import type { RunValues } from '../values/values.ts';
import { ROOT_JOIN_GRACE_MS, type RunRef } from '../select/selection.ts';
import { paramsHash, recordSucceeded, succeededEntry } from './succeeded.ts';
import { defaultParams } from '../select/params.ts';
import { iso } from '../time.ts';
import type { PlanEvent } from '../types.ts';

/** (logical time, parameter values) entries of the runs active after this plan (new ones too), and of those that succeeded now. */
type RunEntries = { held: ReadonlySet<string>; succeeded: readonly string[] };

/** The succeededTimes entries of the runs going on and of those starting: those an active run holds, and those that succeeded. */
function runEntries(d: Decisions): RunEntries {
  const going = d.going.map((g) => ({
    values: g.ref.values,
    active: d.active.includes(g.ref.id),
    phase: g.progress.run.phase,
  }));
  const runs = [
    ...going,
    ...d.concurrency.start.map((ref) => ({ values: ref.values, active: true, phase: undefined })),
  ];
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
export function startBackfill(facts: PlanFacts, d: Decisions): RunRef[] {
  const state = d.backfill;
  const status = state.status;
  if (status?.phase !== 'Running') return [];
  const { spec, generation, now } = facts;
  const active = new Set(d.active);
  const runs = runEntries(d);
  const running = (status.running ?? []).filter((id) => active.has(id));
  const ended = (status.running ?? []).filter((id) => !active.has(id));
  let { next, done, skipped = 0 } = status;
  const starts: RunRef[] = [];
  let room = d.room;
  const succeeded = new Set([...state.succeeded, ...runs.succeeded]);
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
    const waits =
      !status.rerun && !active.has(id) && (runs.held.has(entry) || scheduledRunMayCome(spec, status, tick, now));
    if (waits) break;
    if (!active.has(id)) {
      starts.push({ id, trigger: 'backfill', generation, values: valuesOf(state, status, next, spec) });
      room--;
    }
    running.push(id);
    next++;
  }
  // Runs that ended stay listed until settleBackfill counts them.
  const updated = compact({ ...status, next, done, skipped: skipped || undefined, running: [...ended, ...running] });
  d.backfill = { ...state, status: updated };
  return starts;
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
export function settleBackfill(
  state: BackfillState,
  phaseOf: (id: string) => RunPhase | undefined,
  now: Date,
): Settled {
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
  const counted = compact({
    ...status,
    done,
    failed: failed || undefined,
    running: running.length > 0 ? running : undefined,
  });
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
  | 'backfill'
  | 'lastBackfillRequest'
  | 'lastBackfillRefusal'
  | 'backfillIds'
  | 'backfillIdsForgottenUntil'
  | 'succeededTimes'
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
  const remembered = new Map(
    [...(previous.runs ?? []), ...(previous.lastRun ? [previous.lastRun] : [])].map((r) => [r.id, r.phase]),
  );
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
  return compact({
    status,
    events: [...state.events, ...settled.events],
    requeueAfterMs: waitsForSlot(settled.status) ? BACKFILL_RECHECK_MS : undefined,
  });
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
