// Issue 17 NEW-K: invariant 3 (one-success) lets a --rerun backfill's run succeed beside the run of
// its interval in flight, in either order. That exemption must not hide the bug class the invariant
// is for: a backfill without --rerun that runs an interval another run holds or has done (NEW-A).
// Here the real planner gets that bug planted — a backfill that does not ask for --rerun starts its
// ticks as if it did (no waiting for the run in flight, no skipping what succeeded) — and the
// simulator must catch it, in each order the two successes can come. The same histories with the
// planner as it is hold every invariant (the last test), so each verdict comes from the plant.
import { describe, expect, it, vi } from 'vitest';
import type * as Backfill from '../../../src/plan/backfill/backfill.ts';
import type { SimConfig } from '../../sim/config.ts';
import { COUNTEREXAMPLES } from '../../sim/counterexamples.ts';
import { runHistory } from '../../sim/history.ts';
import type { Op } from '../../sim/ops.ts';

const planted = vi.hoisted(() => ({ on: false }));

vi.mock('../../../src/plan/backfill/backfill.ts', async (importOriginal) => {
  const real = await importOriginal<typeof Backfill>();
  const startBackfill: typeof real.startBackfill = (facts, d) => {
    const status = d.backfill.status;
    if (!planted.on || !status || status.rerun) return real.startBackfill(facts, d);
    d.backfill = { ...d.backfill, status: { ...status, rerun: true } };
    const starts = real.startBackfill(facts, d);
    const { rerun: _asked, ...after } = d.backfill.status ?? status;
    d.backfill = { ...d.backfill, status: after };
    return starts;
  };
  return { ...real, startBackfill };
});

const hourly: SimConfig = {
  variant: 'hourly',
  concurrencyPolicy: 'Allow',
  maxAge: { extract: '1h', clean: '1h' },
  chained: false,
};
const done: Op = { do: 'finish', seed: 0, failPercent: 0, all: true };

/** The ops of a counterexample (the last one listed for `problem`), every backfill in it without --rerun. */
function withoutRerun(problem: string): Op[] {
  const found = COUNTEREXAMPLES.filter((c) => c.problem === problem).at(-1);
  if (!found) throw new Error(`no counterexample ${problem}`);
  return found.ops.map((op) => (op.do === 'backfill' ? { ...op, rerun: false } : op));
}

const HISTORIES: { name: string; ops: Op[]; clash: RegExp }[] = [
  {
    name: "NEW-K's plain history without --rerun: the backfill's run succeeds first, the tick's run second",
    ops: withoutRerun('NEW-K'),
    clash: /runs b[0-9a-f]+ and s1735693200 both succeeded/,
  },
  {
    name: "NEW-A's history: the tick's run and the backfill's succeed in one plan",
    ops: withoutRerun('NEW-A'),
    clash: /runs s1735693200 and b[0-9a-f]+ both succeeded/,
  },
  {
    name: 'a backfill without --rerun over an interval a --rerun backfill has done (region us: no tick of its own)',
    ops: [
      { do: 'advance', percent: 101 },
      done,
      done,
      done,
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, region: 'us', rerun: true },
      done,
      done,
      done,
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, region: 'us' },
      done,
      done,
      done,
    ],
    clash: /runs b[0-9a-f]+ and b[0-9a-f]+ both succeeded .*"region","us"/,
  },
];

describe('invariant 3 (one-success) still catches a backfill that runs an interval it should wait for or skip', () => {
  for (const history of HISTORIES) {
    it(`planted bug, ${history.name}: one-success fails`, () => {
      planted.on = true;
      try {
        const result = runHistory(hourly, history.ops);
        expect(result.violation?.invariant).toBe('one-success');
        expect(result.violation?.message).toMatch(history.clash);
      } finally {
        planted.on = false;
      }
    });
  }

  it('the same histories with the planner as it is hold every invariant', () => {
    for (const history of HISTORIES) expect(runHistory(hourly, history.ops).violation, history.name).toBeUndefined();
  });
});
