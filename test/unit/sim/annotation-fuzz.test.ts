// Issue 17 (case 8, and the simulator's fuzz): everything the planner reads from annotations —
// run-requested, run-options, retry-requested, cancel-requested, backfill-requested,
// backfill-cancel — may be anything anyone who can annotate a Pipeline writes. Random and hostile
// values never make plan() throw, and never make one plan() take more than STEP_BUDGET steps of
// the cron walk (src/api/cron.ts cronWalkSteps; past the budget the walk is cut short, so a
// runaway input ends the test instead of hanging it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../src/api/types.ts';
import {
  ANN_BACKFILL_CANCEL,
  ANN_BACKFILL_REQUESTED,
  ANN_CANCEL_REQUESTED,
  ANN_RETRY_REQUESTED,
  ANN_RUN_OPTIONS,
  ANN_RUN_REQUESTED,
} from '../../../src/api/labels.ts';
import type { SimConfig } from '../../sim/config.ts';
import { knownKey } from '../../sim/counterexamples.ts';
import { STEP_BUDGET } from '../../sim/invariants.ts';
import type { Op } from '../../sim/ops.ts';
import { planCounted, World } from '../../sim/world.ts';

const done = { do: 'finish', seed: 0, failPercent: 100, all: true } as const;
/** A failed run (a retry has a target) and a running one (a cancel has one), on a schedule and without. */
const WORLDS: { name: string; config: SimConfig; ops: Op[] }[] = [
  {
    name: 'daily-orders (0 3 * * *, Europe/Berlin)',
    config: { variant: 'daily', concurrencyPolicy: 'Allow', maxAge: { extract: '30d', clean: '30d' }, chained: false },
    ops: [{ do: 'advance', percent: 9 }, done, done, { do: 'run' }],
  },
  {
    name: 'hourly in UTC',
    config: { variant: 'hourly', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '1h' }, chained: false },
    ops: [{ do: 'advance', percent: 101 }, done, done, { do: 'run' }],
  },
  {
    name: 'without a schedule',
    config: {
      variant: 'hourly',
      concurrencyPolicy: 'Allow',
      maxAge: { extract: '1h', clean: '1h' },
      chained: false,
      unscheduled: true,
    },
    ops: [done, done, { do: 'run' }],
  },
];

const worlds = WORLDS.map(({ name, config, ops }) => {
  const world = new World(config);
  for (const op of ops) world.apply(op);
  return { name, world };
});

/** One plan() of `world`'s orders with `annotations` (values of any type: the planner must not trust them). */
function planWith(world: World, annotations: Record<string, unknown>): { steps: number; threw?: string } {
  const stored = world.pipelines.get('orders') as Pipeline;
  const pipeline = { ...stored, metadata: { ...stored.metadata, annotations: annotations as Record<string, string> } };
  try {
    return { steps: planCounted(world.planInput(pipeline), STEP_BUDGET).steps };
  } catch (error) {
    return { steps: 0, threw: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

function holds(annotations: Record<string, unknown>): void {
  for (const { name, world } of worlds) {
    const { steps, threw } = planWith(world, annotations);
    const what = `${name}, annotations ${JSON.stringify(annotations).slice(0, 300)}`;
    expect(threw, `plan() threw (${what})`).toBeUndefined();
    expect(steps, `cron walk steps of one plan() (${what})`).toBeLessThanOrEqual(STEP_BUDGET);
  }
}

/** The ends of the Date range: today a plan() with one of these never ends (the case 8). */
const FAR_DATES = ['+275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z', '+275760-09-13T00:00:00.000Z'];
const ODD_DATES = [
  '+010000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '0000-01-01T00:00:00Z',
  '1970-01-01T00:00:00Z',
  '2026-02-30T00:00:00Z',
  '2026-03-29T02:30:00+01:00',
  '2026-11-05T01:30:00+14:00',
  '2026-11-05',
  'not a date',
  '2026-11-05T01:30:00.123456789Z',
  '',
];
const LONG = 'x'.repeat(100_000);
const DEEP = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
const NUMBERS = [1e308, -1e308, 1e21, 2 ** 53 + 1, -1, 0, 0.5, 21, Number.MAX_SAFE_INTEGER];

describe('issue 17 case 8: a far date in run-options "at" does not stall plan()', () => {
  const open = knownKey('case 8');
  for (const at of FAR_DATES) {
    const annotations = { [ANN_RUN_REQUESTED]: 'now', [ANN_RUN_OPTIONS]: JSON.stringify({ request: 'now', at }) };
    if (open) {
      it(`KNOWN_FAILING "${open}": "at": "${at}" still exceeds the step budget somewhere (remove the entry once fixed)`, () => {
        expect(worlds.some(({ world }) => planWith(world, annotations).steps > STEP_BUDGET)).toBe(true);
      });
    } else {
      it(`"at": "${at}" stays within the step budget`, () => holds(annotations));
    }
  }
});

describe('annotations never make plan() throw or exceed its step budget', () => {
  const backfill = (fields: Record<string, unknown>) =>
    JSON.stringify({ id: 'bf-fuzz', from: '2026-11-01T00:00:00Z', to: '2026-11-03T00:00:00Z', ...fields });
  const cases: [string, Record<string, unknown>][] = [
    ['run-options not JSON', { [ANN_RUN_REQUESTED]: 'a', [ANN_RUN_OPTIONS]: '{' }],
    ['run-options nested 20,000 deep', { [ANN_RUN_REQUESTED]: 'a', [ANN_RUN_OPTIONS]: DEEP }],
    [
      'run-options 100,000-character param',
      { [ANN_RUN_REQUESTED]: 'a', [ANN_RUN_OPTIONS]: JSON.stringify({ params: { region: LONG } }) },
    ],
    [
      'run-options params of the wrong type',
      { [ANN_RUN_REQUESTED]: 'a', [ANN_RUN_OPTIONS]: JSON.stringify({ params: [1, 2], at: 5, noCache: 'yes' }) },
    ],
    ['run-requested 100,000 characters', { [ANN_RUN_REQUESTED]: LONG }],
    [
      'annotations that are not strings',
      {
        [ANN_RUN_REQUESTED]: 5,
        [ANN_RUN_OPTIONS]: { at: 1 },
        [ANN_RETRY_REQUESTED]: [],
        [ANN_CANCEL_REQUESTED]: null,
        [ANN_BACKFILL_REQUESTED]: {},
      },
    ],
    [
      'retry and cancel of a 100,000-character run',
      { [ANN_RETRY_REQUESTED]: `${LONG}:n`, [ANN_CANCEL_REQUESTED]: `${LONG}:n` },
    ],
    [
      'backfill of 8,000 years of a rare schedule',
      { [ANN_BACKFILL_REQUESTED]: backfill({ from: '1000-01-01T00:00:00Z', to: '9000-01-01T00:00:00Z' }) },
    ],
    ['backfill with huge maxActive', { [ANN_BACKFILL_REQUESTED]: backfill({ maxActive: 1e308 }) }],
    ['backfill nested 20,000 deep', { [ANN_BACKFILL_REQUESTED]: DEEP }],
    ['backfill-cancel 100,000 characters', { [ANN_BACKFILL_CANCEL]: LONG }],
  ];
  for (const [name, annotations] of cases) it(name, () => holds(annotations));

  it('random and hostile values (fast-check, seed 8)', () => {
    // While case 8 is open, its far dates are left to the test above.
    const dates = knownKey('case 8') ? ODD_DATES : [...ODD_DATES, ...FAR_DATES];
    const scalar = fc.oneof(
      fc.constantFrom<unknown>(...dates, ...NUMBERS, LONG, true, null, 'eu', 'us'),
      fc.string(),
      fc.double(),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const maybe = (arb: fc.Arbitrary<unknown>) => fc.option(arb, { nil: undefined });
    const runOptions = fc.record(
      {
        request: maybe(scalar),
        params: maybe(fc.oneof(scalar, fc.dictionary(fc.constantFrom('region', 'table', 'x', ''), scalar))),
        at: maybe(scalar),
        noCache: maybe(scalar),
      },
      { requiredKeys: [] },
    );
    const backfillRequest = fc.record(
      {
        id: maybe(fc.oneof(scalar, fc.constantFrom('bf-1', 'bf-fuzz'))),
        from: maybe(scalar),
        to: maybe(scalar),
        maxActive: maybe(scalar),
        params: maybe(fc.oneof(scalar, fc.dictionary(fc.string(), scalar))),
        rerun: maybe(scalar),
        extra: maybe(scalar),
      },
      { requiredKeys: [] },
    );
    const text = (arb: fc.Arbitrary<unknown>) =>
      fc.oneof(
        arb.map((v) => JSON.stringify(v) ?? ''),
        fc.string(),
        fc.constantFrom(DEEP, LONG, '{', 'null'),
      );
    const runId = fc.constantFrom('s1', 'g1', 'm0000000a', 'b00000000', LONG, '');
    const annotations = fc.record(
      {
        [ANN_RUN_REQUESTED]: maybe(fc.oneof(fc.string(), scalar)),
        [ANN_RUN_OPTIONS]: maybe(text(runOptions)),
        [ANN_RETRY_REQUESTED]: maybe(
          fc.oneof(
            fc.tuple(runId, fc.string()).map(([r, n]) => `${r}:${n}`),
            scalar,
          ),
        ),
        [ANN_CANCEL_REQUESTED]: maybe(
          fc.oneof(
            fc.tuple(runId, fc.string()).map(([r, n]) => `${r}:${n}`),
            scalar,
          ),
        ),
        [ANN_BACKFILL_REQUESTED]: maybe(text(backfillRequest)),
        [ANN_BACKFILL_CANCEL]: maybe(fc.oneof(fc.string(), scalar)),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(annotations, (a) => holds(a)),
      { seed: 8, numRuns: 150 },
    );
  }, 120_000);
});
