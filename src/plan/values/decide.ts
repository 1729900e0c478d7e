// The values (values/values.ts) of every run a plan advances: decided once, when the run is first
// selected, then read back — from its status entry, or from its Jobs' annotations after a lost
// status — so a run's logical time and parameters never change while it runs. Manual and
// chained runs get theirs where their request is read (select.ts); backfill runs from
// backfill.ts; everything else here.
import type { Pipeline } from '../../api/types.ts';
import type { FiredTrigger } from '../select/chain.ts';
import { requestedRunTimes, scheduledRunTimes, type RunTimes } from './logical-time.ts';
import { scheduledTimeOf } from '../names.ts';
import { defaultParams, type RunOptions } from '../select/params.ts';
import type { RememberedRun } from '../select/retry.ts';
import { setRunValues, type RunValues } from './values.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import type { RunRef } from '../select/selection.ts';
import { toDate } from '../time.ts';

/** The values a status entry records, or undefined when it records none (a run of an older version). */
export function recordedValues(run: RememberedRun | undefined): RunValues | undefined {
  return run?.logicalTime ? setRunValues(run) : undefined;
}

/** Every declared parameter at its default, or nothing when the pipeline declares none. */
function defaults(pipeline: Pipeline): Pick<RunValues, 'params'> {
  const params = defaultParams(pipeline.spec.params);
  return Object.keys(params).length > 0 ? { params } : {};
}

/** A manual run asked for with `options` (already checked), at `at` unless the options say when. */
export function manualRunValues(
  pipeline: Pipeline,
  params: Record<string, string>,
  options: RunOptions,
  now: Date,
): RunValues {
  const at = toDate(options.at) ?? now;
  return {
    ...requestedRunTimes(pipeline.spec, at),
    ...(Object.keys(params).length > 0 ? { params } : {}),
    ...(options.noCache === true ? { noCache: true } : {}),
  };
}

/**
 * A chained run: the logical time and interval of the upstream run that fired it (it processes
 * the same slice of data), this pipeline's default params. An upstream run that records no times
 * (one of an older version): the moment it is handled.
 */
export function chainRunValues(pipeline: Pipeline, fired: FiredTrigger, now: Date): RunValues {
  const times = fired.times ?? requestedRunTimes({}, now);
  return { ...times, ...defaults(pipeline) };
}

/** What a run already recorded: its status entry, else its Jobs. */
function knownValues(ctx: PlanFacts, id: string, previous: RememberedRun | undefined): RunValues | undefined {
  const remembered = previous ?? ctx.remembered.get(id);
  return recordedValues(remembered) ?? ctx.observed.get(id)?.values;
}

/** The times of a run that recorded none yet, from what triggered it. */
function decidedTimes(ctx: PlanFacts, ref: RunRef): RunTimes {
  const evidence = ctx.observed.get(ref.id);
  if (ref.trigger === 'schedule') {
    const tick = evidence?.scheduledAt ?? scheduledTimeOf(ref.id);
    if (tick) return scheduledRunTimes(ctx.pipeline.spec, tick);
  }
  // `kubectl create job --from=cronjob/...`: the Job's creation is the request. Create, change
  // (and runs of older versions that recorded nothing): when the run started.
  const at = ref.trigger === 'manual' ? evidence?.createdAt : (toDate(ref.previous?.startTime) ?? evidence?.startedAt);
  return requestedRunTimes(ctx.pipeline.spec, at ?? ctx.now);
}

/** The values of one run: recorded ones, a retry's target's, or decided now. */
export function runValuesOf(ctx: PlanFacts, ref: RunRef): RunValues {
  if (ref.values) return ref.values;
  const known = knownValues(ctx, ref.id, ref.previous);
  if (known) return known;
  // A retry run processes the same slice, with the same parameters, as the run it retries. It is
  // not itself one of a backfill's ticks: backfill progress counts the backfill's own runs.
  const target = ref.retryOf ? knownValues(ctx, ref.retryOf, undefined) : undefined;
  if (target) {
    const { backfill: _backfill, ...values } = target;
    return values;
  }
  return { ...decidedTimes(ctx, ref), ...defaults(ctx.pipeline) };
}

/** Phase 2, values: every run's values filled in (those already decided kept). */
export function decideValues(facts: PlanFacts, d: Decisions): void {
  const fill = <T extends RunRef>(ref: T): T => ({ ...ref, values: runValuesOf(facts, ref) });
  d.selection = {
    ...d.selection,
    continuing: d.selection.continuing.map(fill),
    requests: d.selection.requests.map(fill),
  };
}
