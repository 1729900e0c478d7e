// fast-check arbitraries for worlds and histories, and the property every history must hold.
//
// Why a plain array of operations and not fc.commands (model-based testing): fc.commands checks a
// system against a separate model of it, command by command. Here there is no second model — the
// invariants are statements about what the world shows (facts.ts), checked after every step, and
// the world is itself the harness. A history as plain data shrinks with fast-check's ordinary
// array and record shrinking (drop operations, simplify each), prints as JSON a reader can follow
// and paste into counterexamples.ts, and replays with runHistory alone, without fast-check.
import fc from 'fast-check';
import type { SimConfig } from './config.ts';
import type { Action, Fault, Op } from './ops.ts';

const region = fc.constantFrom<'eu' | 'us'>('eu', 'us');
const on = fc.constantFrom<'main' | 'downstream'>('main', 'main', 'downstream');

const fault: fc.Arbitrary<Fault> = fc.oneof(
  fc.record({ kind: fc.constant('crash' as const), keep: fc.nat(8), on }),
  fc.record({ kind: fc.constant('writeLost' as const), on }),
  fc.record({ kind: fc.constant('stale' as const), back: fc.integer({ min: 1, max: 3 }), on }),
  fc.record({ kind: fc.constant('lag' as const), on }),
  fc.record({ kind: fc.constant('crashAfterWrite' as const), on }),
);

/** The clock moves by 1% to 200% of a schedule period. */
const advance: fc.Arbitrary<Action> = fc.record({
  do: fc.constant('advance' as const),
  percent: fc.integer({ min: 1, max: 200 }),
});

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: advance },
  {
    weight: 7,
    arbitrary: fc.record({
      do: fc.constant('finish' as const),
      seed: fc.nat(1000),
      failPercent: fc.constantFrom(0, 0, 20, 50, 100),
      all: fc.boolean(),
    }),
  },
  { weight: 3, arbitrary: fc.constant<Action>({ do: 'wait' }) },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        do: fc.constant('run' as const),
        region: fc.option(region, { nil: undefined }),
        atPeriodsAgo: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        noCache: fc.option(fc.boolean(), { nil: undefined }),
        webhook: fc.option(fc.boolean(), { nil: undefined }),
      },
      { requiredKeys: ['do'] },
    ),
  },
  { weight: 1, arbitrary: fc.constant<Action>({ do: 'runFromCronJob' }) },
  {
    weight: 2,
    arbitrary: fc.record(
      {
        do: fc.constant('backfill' as const),
        fromPeriodsAgo: fc.integer({ min: 1, max: 8 }),
        periods: fc.integer({ min: 1, max: 8 }),
        maxActive: fc.integer({ min: 1, max: 20 }),
        region: fc.option(region, { nil: undefined }),
        rerun: fc.option(fc.boolean(), { nil: undefined }),
      },
      { requiredKeys: ['do', 'fromPeriodsAgo', 'periods', 'maxActive'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('reapplyBackfill' as const), index: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.constant<Action>({ do: 'cancelBackfill' }) },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('cancel' as const), index: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ do: fc.constant('retry' as const), index: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      do: fc.constant('edit' as const),
      change: fc.constantFrom('image', 'maxAge', 'suspend', 'resume', 'policy'),
      value: fc.nat(5),
    }),
  },
  { weight: 1, arbitrary: fc.record({ do: fc.constant('deleteJob' as const), index: fc.nat(50) }) },
  { weight: 1, arbitrary: fc.constant<Action>({ do: 'recreate' }) },
);

/** An operation, with a fault in the reconcile after it one time in five. */
export const opArbitrary: fc.Arbitrary<Op> = fc
  .tuple(action, fc.option(fault, { freq: 4, nil: undefined }))
  .map(([a, f]) => (f ? { ...a, fault: f } : a));

/** A world; `large`: also the largest specs (slow: 40–140 ms a step, against 3–8). */
export function configArbitrary(large = true): fc.Arbitrary<SimConfig> {
  const size = large
    ? fc.oneof(
        { weight: 18, arbitrary: fc.constant<SimConfig['large']>(undefined) },
        { weight: 1, arbitrary: fc.constantFrom<SimConfig['large']>('dag', 'params') },
      )
    : fc.constant(undefined);
  return fc
    .record(
      {
        variant: fc.constantFrom('hourly', 'hourly', 'daily', 'dst-fall', 'dst-spring'),
        concurrencyPolicy: fc.constantFrom('Allow', 'Forbid', 'Replace'),
        maxAge: fc.record({ extract: fc.constantFrom('1h', '2h', '30d'), clean: fc.constantFrom('1h', '30d') }),
        chained: fc.boolean(),
        unscheduled: fc.oneof(
          { weight: 4, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constant(true as const) },
        ),
        large: size,
        startingDeadlineSeconds: fc.option(fc.constantFrom(60, 3600), { nil: undefined }),
      },
      { requiredKeys: ['variant', 'concurrencyPolicy', 'maxAge', 'chained'] },
    )
    .map((c) => normalizeConfig(c as SimConfig));
}

/** Combinations that make no sense are folded into ones that do. */
function normalizeConfig(c: SimConfig): SimConfig {
  const out: SimConfig = { ...c };
  // An unscheduled orders keys its cache by logical time (a run's own moment), as an hourly one.
  if (out.unscheduled) out.variant = 'hourly';
  if (out.large) {
    delete out.unscheduled;
    out.chained = false;
  }
  for (const key of Object.keys(out) as (keyof SimConfig)[]) if (out[key] === undefined) delete out[key];
  return out;
}

/** A world and a history of up to `steps` operations (both shrink). */
export function historyArbitrary(steps: number, large = true): fc.Arbitrary<{ config: SimConfig; ops: Op[] }> {
  return fc.record({ config: configArbitrary(large), ops: fc.array(opArbitrary, { maxLength: steps, size: 'max' }) });
}
