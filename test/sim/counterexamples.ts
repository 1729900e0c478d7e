// The counterexamples the simulator found, as short histories that replay exactly
// (test/unit/sim/simulator.test.ts runs each). One per problem in KNOWN_FAILING: while the problem
// is listed, its history must still break the invariant it names; once its fix has merged and the
// entry is removed, the same history must hold every invariant.
//
// `found` says where each came from: a seeded search (`npm run sim`) shrunk by fast-check, then
// made plainer by hand where that kept the failure; or the issue's own sequence, written as a
// history. See test/sim/README.md for the list with the invariant each one breaks.
import type { SimConfig } from './config.ts';
import type { Op } from './ops.ts';
import { KNOWN_FAILING } from './invariants.ts';

export type Counterexample = {
  /** The KNOWN_FAILING entry it shows: its key up to the colon ("case 1", "NEW-A"). */
  problem: string;
  found: string;
  config: SimConfig;
  ops: Op[];
};

const done = { do: 'finish', seed: 0, failPercent: 0, all: true } as const;
const hourly = {
  variant: 'hourly',
  concurrencyPolicy: 'Allow',
  maxAge: { extract: '1h', clean: '1h' },
  chained: false,
} as const;

/** A backfill of the last tick, accepted by a plan whose status write is lost (NEW-L). */
const lostBackfill = (extra: { rerun?: boolean; region?: 'us' }): Op => ({
  do: 'backfill',
  fromPeriodsAgo: 1,
  periods: 1,
  maxActive: 1,
  ...extra,
  fault: { kind: 'writeLost', on: 'main' },
});

export const COUNTEREXAMPLES: Counterexample[] = [
  {
    problem: 'case 1',
    found:
      "the issue's sequence: daily-orders (03:00 Berlin), conveyor run at 01:28 Berlin, the 03:00 tick is served the manual run's entry",
    config: { variant: 'daily', concurrencyPolicy: 'Allow', maxAge: { extract: '30d', clean: '30d' }, chained: false },
    ops: [{ do: 'advance', percent: 2 }, { do: 'run' }, done, done, done, { do: 'advance', percent: 7 }],
  },
  {
    problem: 'case 2',
    found: "the issue's sequence: extract maxAge 1h, clean 30d, a run of the same day 2 h later",
    config: { variant: 'daily', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '30d' }, chained: false },
    ops: [
      { do: 'advance', percent: 9 },
      done,
      done,
      done,
      { do: 'advance', percent: 10 },
      { do: 'run' },
      done,
      { do: 'wait' },
    ],
  },
  {
    problem: 'case 3',
    found:
      "the issue's sequence: extract served from an entry 57 min into its 1 h maxAge, load created, the write lost; 14 min later extract runs while load does",
    config: { variant: 'daily', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '30d' }, chained: false },
    ops: [
      { do: 'advance', percent: 9 },
      done,
      done,
      done,
      { do: 'advance', percent: 4 },
      { do: 'run', fault: { kind: 'writeLost', on: 'main' } },
      { do: 'advance', percent: 1 },
    ],
  },
  {
    problem: 'case 4',
    found: 'seeded explorations (seeds 11, 12: 11 histories); written plainer by hand',
    config: hourly,
    ops: [
      { do: 'advance', percent: 100 },
      done,
      done,
      done,
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, region: 'us' },
    ],
  },
  {
    problem: 'case 5',
    found:
      'npm run sim -- --seed 1 --steps 80 --histories 150 --only accounted (shrunk to 6 operations); written plainer by hand as a 2-tick backfill',
    config: { ...hourly, chained: true },
    ops: [{ do: 'backfill', fromPeriodsAgo: 3, periods: 2, maxActive: 1 }, done, done, done, done, done, done],
  },
  {
    problem: 'case 7',
    // The cancel (added after the fix): the refused re-apply is no second acceptance of bf1, whose
    // tick then ran for it (the checker once took it for one, with no run of its own: seed 17).
    found:
      'npm run sim -- --seed 1 --steps 80 --histories 150 --only once (shrunk by fast-check to the first 3 operations)',
    config: hourly,
    ops: [
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      { do: 'reapplyBackfill', index: 0 },
      { do: 'cancel', index: 0 },
    ],
  },
  {
    problem: 'case 9',
    found: 'npm run sim -- --seed 1 --steps 60 --histories 50 (shrunk by fast-check to 2 operations)',
    config: { ...hourly, large: 'dag' },
    ops: [
      { do: 'advance', percent: 100 },
      { ...done, failPercent: 100 },
    ],
  },
  {
    problem: 'case 9',
    found: "the issue's numbers: 50 parameters of 4 KB; written by hand (5 runs pass 1 MiB)",
    config: { ...hourly, large: 'params' },
    ops: Array.from({ length: 5 }, (): Op => ({ do: 'run' })),
  },
  {
    problem: 'case 10',
    found: "the issue's sequence: 0 2 * * * Europe/Berlin fires twice on 2026-10-25",
    config: {
      variant: 'dst-fall',
      concurrencyPolicy: 'Allow',
      maxAge: { extract: '30d', clean: '30d' },
      chained: false,
    },
    ops: [{ do: 'advance', percent: 300 }, done, done, done, { do: 'advance', percent: 5 }],
  },
  {
    // A backfill over that night has 3 ticks of its own, not 4: 01:00Z is 02:00 come again
    // (extraTick), its hour in the next tick's interval (the simulator once expected a run for it).
    problem: 'case 10',
    found: 'npm test (seed 17) after the case 10 fix: a backfill over 2026-10-25 in dst-fall; written plainer by hand',
    config: {
      variant: 'dst-fall',
      concurrencyPolicy: 'Allow',
      maxAge: { extract: '30d', clean: '30d' },
      chained: false,
    },
    ops: [
      { do: 'advance', percent: 400 },
      done,
      done,
      done,
      { do: 'backfill', fromPeriodsAgo: 4, periods: 4, maxActive: 5, region: 'us' },
      done,
      done,
      done,
    ],
  },
  {
    problem: 'case 11',
    found: "the issue's sequence: the upstream deleted and created again; its runs g1, g2 start afresh",
    config: { ...hourly, chained: true, unscheduled: true },
    ops: [
      done,
      done,
      done,
      { do: 'edit', change: 'image', value: 1 },
      done,
      done,
      done,
      { do: 'recreate' },
      done,
      done,
      done,
      { do: 'edit', change: 'image', value: 2 },
      done,
      done,
      done,
    ],
  },
  {
    // The upstream deleted after its run ended, before the downstream (its plan crashed) wrote a
    // plan that saw the end: the evidence went first, nothing to account for (the checker once asked).
    problem: 'case 11',
    found: 'npm run sim -- --seed 2 --steps 100 (shrunk by fast-check to these 9 operations)',
    config: { ...hourly, chained: true },
    ops: [
      { do: 'run', atPeriodsAgo: 1 },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'runFromCronJob' },
      { do: 'cancel', index: 5 },
      { do: 'retry', index: 0 },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'backfill', fromPeriodsAgo: 2, periods: 1, maxActive: 1 },
      { do: 'finish', seed: 0, failPercent: 0, all: false, fault: { kind: 'crash', keep: 0, on: 'downstream' } },
      { do: 'recreate' },
    ],
  },
  {
    problem: 'case 12',
    found:
      'seeded explorations (seeds 11, 12: 21 histories, often through a cancel request whose run left runs[]); written plainer by hand',
    config: hourly,
    ops: [...Array.from({ length: 11 }, (): Op => ({ do: 'run' })), done, done, done],
  },
  {
    problem: 'NEW-A',
    found:
      'npm run sim -- --seed 1 --steps 80 --histories 150 --only one-success (shrunk to 8 operations); written plainer by hand',
    config: hourly,
    ops: [
      { do: 'advance', percent: 101 },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      done,
      done,
      done,
      done,
    ],
  },
  {
    problem: 'NEW-B',
    found: 'seeded exploration (seed 11); shrunk by hand',
    config: { ...hourly, unscheduled: true },
    ops: [
      { do: 'run', fault: { kind: 'crash', keep: 0, on: 'main' } },
      { do: 'edit', change: 'image', value: 1 },
    ],
  },
  {
    // Never a problem of the operator: the simulator let a plan read a status older than the
    // operator's own last write, which reconciler.ts (read-your-writes, `freshest`) never does
    // there. With the stale fault modelled as reconciler.ts reads (README, faults), it holds.
    problem: 'NEW-C',
    found: 'every seeded search with stale reads (the first one: seed 42); shrunk by hand',
    config: { ...hourly, unscheduled: true },
    ops: [done, { do: 'run' }, { do: 'wait', fault: { kind: 'stale', back: 2, on: 'main' } }],
  },
  {
    // After a conflict the operator forgets its own write (reconciler.ts), and the next plan reads
    // the lagging informer: here a status in which the run replaced at operation 2 still runs, its
    // Job deleted. The planner finds it replaced again (no Job re-created).
    problem: 'NEW-C',
    found: 'by hand: the stale read older than the own last write that reconciler.ts allows (after a conflict)',
    config: { ...hourly, concurrencyPolicy: 'Replace' },
    ops: [
      { do: 'advance', percent: 100 },
      { do: 'advance', percent: 100, fault: { kind: 'stale', back: 1, on: 'main' } },
      { do: 'run', fault: { kind: 'stale', back: 3, on: 'main' } },
      { ...done, fault: { kind: 'stale', back: 3, on: 'main' } },
      { do: 'wait', fault: { kind: 'stale', back: 2, on: 'main' } },
      { do: 'wait' },
    ],
  },
  {
    problem: 'NEW-D',
    found: 'seeded exploration (seed 12); shrunk by hand',
    config: { ...hourly, concurrencyPolicy: 'Replace' },
    ops: [
      { do: 'advance', percent: 101, fault: { kind: 'writeLost', on: 'main' } },
      { do: 'advance', percent: 100 },
    ],
  },
  {
    problem: 'NEW-I',
    found:
      'npm run sim -- --seed 303 --steps 150 --histories 300 --small (shrunk by fast-check to these 15 operations)',
    config: hourly,
    ops: [
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      {
        do: 'backfill',
        fromPeriodsAgo: 1,
        periods: 1,
        maxActive: 1,
        rerun: true,
        fault: { kind: 'crash', keep: 0, on: 'main' },
      },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, fault: { kind: 'stale', back: 1, on: 'main' } },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'run' },
      { do: 'run' },
      { do: 'advance', percent: 1 },
      { do: 'run' },
      { do: 'run' },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'finish', seed: 69, failPercent: 0, all: false },
      { do: 'finish', seed: 481, failPercent: 0, all: false },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      { do: 'reapplyBackfill', index: 5 },
    ],
  },
  {
    // A retry of a run cancelled while clean ran (its Job then succeeded): clean is kept, extract
    // (Cached there, the entry expired since) ran again, load started at once beside it. 14 min
    // later the Job cache still showed neither Job (lag; expectations last 60 s): the plan took
    // them for deleted and created both again, extract after load had begun. Fixed: the retry keeps
    // extract with the result clean was built on (select/retry.ts keptStages); only load runs.
    problem: 'NEW-J',
    found: 'npm run sim -- --seed 7 --steps 120 --histories 200 --small (shrunk by fast-check to these 10 operations)',
    config: { variant: 'daily', concurrencyPolicy: 'Replace', maxAge: { extract: '1h', clean: '1h' }, chained: false },
    ops: [
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      { do: 'backfill', fromPeriodsAgo: 4, periods: 1, maxActive: 1, region: 'us' },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'run', region: 'us', atPeriodsAgo: 3 },
      { do: 'runFromCronJob' },
      { do: 'run' },
      { do: 'advance', percent: 109, fault: { kind: 'writeLost', on: 'main' } },
      { do: 'finish', seed: 0, failPercent: 0, all: false, fault: { kind: 'crashAfterWrite', on: 'main' } },
      { do: 'retry', index: 3 },
      { do: 'advance', percent: 1, fault: { kind: 'lag', on: 'main' } },
    ],
  },
  {
    problem: 'NEW-H',
    found: 'npm run sim -- --seed 101 --steps 100 --histories 300 --small (shrunk by fast-check to these 4 operations)',
    config: hourly,
    ops: [
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'runFromCronJob', fault: { kind: 'writeLost', on: 'main' } },
      { do: 'advance', percent: 100, fault: { kind: 'lag', on: 'main' } },
    ],
  },
  {
    problem: 'NEW-E',
    found: 'seeded exploration (seed 11); shrunk by hand',
    config: { variant: 'daily', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '30d' }, chained: false },
    ops: [
      { do: 'advance', percent: 9 },
      done,
      { do: 'run', region: 'us' },
      { do: 'deleteJob', index: 1 },
      { do: 'advance', percent: 10 },
      done,
      done,
      done,
      { do: 'run' },
      { do: 'wait' },
    ],
  },
  {
    problem: 'NEW-G',
    found:
      'npm test seeded histories (seed 17, 60 histories), then npm run sim -- --seed 17 --path 13 --steps 60 (shrunk by fast-check to these 2 operations)',
    config: { ...hourly, chained: true },
    ops: [{ do: 'recreate', fault: { kind: 'crash', keep: 0, on: 'main' } }, { do: 'run' }],
  },
  {
    problem: 'NEW-F',
    found: 'seeded searches with a chained pipeline without schedule; shrunk by hand',
    config: { ...hourly, chained: true, unscheduled: true },
    ops: [done, done, done],
  },
  {
    // Never a problem of the operator: invariant 3 excused a --rerun backfill's run only when it
    // was the second of the two to succeed. A --rerun tick waits for no run of its interval
    // (docs/scheduling.md), so it starts beside the tick's own run in flight and may finish first
    // (here its extract is served from a manual run's entry); the tick's run succeeding after it is
    // what --rerun asked for. The checker now excuses the pair in either order (invariants.ts
    // rerunExcuses); test/unit/sim/one-success-planted.test.ts shows it still catches NEW-A.
    problem: 'NEW-K',
    found:
      'npm run sim -- --seed 42 --steps 200 --histories 300 --small (history 241, shrunk by fast-check to these 9 operations)',
    config: hourly,
    ops: [
      { do: 'advance', percent: 12 },
      { do: 'advance', percent: 89 },
      { do: 'runFromCronJob' },
      { do: 'runFromCronJob' },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, rerun: true },
      done,
      { do: 'finish', seed: 397, failPercent: 0, all: false },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
    ],
  },
  {
    problem: 'NEW-K',
    found:
      'the found history written plainer by hand: the --rerun run and the tick run side by side, the --rerun one ends first',
    config: hourly,
    ops: [
      { do: 'advance', percent: 101 },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, rerun: true },
      done,
      done,
      { do: 'finish', seed: 1, failPercent: 0, all: false },
      done,
    ],
  },
  {
    // The backfill's run is started by a plan whose write is lost; its Job is deleted by hand before
    // the cache shows it. The next plan accepts the backfill again and, its run's own Job expected
    // but unseen, records the run waiting (NEW-H) — without its values: no logical time, no
    // parameters, no backfill id. The cancel then ends a run that is nobody's tick. Fixed: the
    // waiting run records its values (src/plan/run/run.ts advanceRun).
    problem: 'NEW-L',
    found:
      'npm run sim -- --seed 7 --steps 200 --histories 300 --small (history 197, shrunk by fast-check to these 3 operations)',
    config: hourly,
    ops: [lostBackfill({ rerun: true }), { do: 'deleteJob', index: 0 }, { do: 'cancel', index: 0 }],
  },
  {
    // Uncancelled, with --param region=us: once the expectation expires the run creates its Job
    // again with values decided anew from its start and the defaults — region eu — and the
    // backfill counts the us tick done.
    problem: 'NEW-L',
    found: 'the found history with a --param backfill that runs to its end, by hand',
    config: hourly,
    ops: [
      lostBackfill({ region: 'us' }),
      { do: 'deleteJob', index: 0 },
      { do: 'advance', percent: 5 },
      done,
      done,
      done,
    ],
  },
  {
    // A `conveyor run` served extract from the first run's entry and created clean's Job carrying
    // that decision; its status write was lost. 72 minutes later (5% of a day) the Job cache had
    // still not shown clean's Job (lag) and the expectation for it had lapsed after 60 s: with no
    // evidence left, the plan decided the run anew, found the entry expired (maxAge 1h) and started
    // extract beneath the running clean. Fixed: an expectation ends only on evidence (the watch's
    // add, or a Job list begun after the create), not on a clock (controller/reconcile/expected-jobs.ts).
    problem: 'NEW-M',
    found:
      'npm run sim -- --seed 7 --steps 200 --histories 300 --small (history 203, 5 operations after shrinking); these 4 by hand',
    config: {
      variant: 'dst-spring',
      concurrencyPolicy: 'Allow',
      maxAge: { extract: '1h', clean: '1h' },
      chained: false,
    },
    ops: [
      { do: 'run' },
      done,
      { do: 'run', fault: { kind: 'writeLost', on: 'main' } },
      { do: 'advance', percent: 5, fault: { kind: 'lag', on: 'main' } },
    ],
  },
  {
    // A `conveyor run` started run m1 and its Job (status written). A second `conveyor run` was
    // planned from the operator's own write while the informer lagged; the user's annotation made
    // that write conflict, and the operator forgot its own write. The user then deleted m1's Job by
    // hand, and the next plan read the lagging informer's Pipeline from before m1 started: the
    // first request looked unhandled, m1 started again and its Job was created again under the
    // same name. Fixed: a conflict keeps the own write as the floor of what a plan reads
    // (controller/reconcile/reconciler.ts writeStatus, status-writes.ts `freshest`).
    problem: 'NEW-N',
    found:
      'npm run sim -- --seed 42 --path 18:0:0:0:0:0:3:2:2:2:4:4:5:5:5:7:8:8:10:9:6 --steps 200 --small (3 operations)',
    config: { variant: 'hourly', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '1h' }, chained: false },
    ops: [
      { do: 'run' },
      { do: 'run', fault: { kind: 'stale', back: 2, on: 'main' } },
      { do: 'deleteJob', index: 0, fault: { kind: 'stale', back: 2, on: 'main' } },
    ],
  },
  {
    // Not a problem of the operator: the checker's. Run m (from the CronJob) is served extract from
    // the tick's entry and runs clean; its writes are lost until it has ended, and a finished run in
    // runs[] keeps no stage detail, so the checker could not tell what m's clean built on ("run ?")
    // when a backfill with rerun was served clean from m. It now reads it from m's clean Job
    // (cached-upstream), as the planner does (src/plan/cache/evidence.ts).
    problem: 'NEW-O',
    found: 'npm run sim -- --seed 7 --steps 200 --histories 300 --small (history 14, 8 operations after shrinking)',
    config: { variant: 'hourly', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '1h' }, chained: false },
    ops: [
      { do: 'advance', percent: 100 },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'runFromCronJob', fault: { kind: 'crash', keep: 0, on: 'main' } },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, fault: { kind: 'writeLost', on: 'main' } },
      { do: 'finish', seed: 0, failPercent: 0, all: false, fault: { kind: 'writeLost', on: 'main' } },
      { do: 'backfill', fromPeriodsAgo: 2, periods: 1, maxActive: 1, fault: { kind: 'stale', back: 1, on: 'main' } },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, rerun: true },
    ],
  },
  {
    // Backfill bf-3's run is cancelled (its clean Job deleted by the operator, extract's kept) and
    // later falls off runs[]. A manual run then fails before its first Job (its spec revision is
    // gone): lastRun has no startTime, and the planner took that for "no run known", so every
    // started run the Jobs showed counted as newer than lastRun: bf-3's run woke up and its clean
    // Job was created again under its old name. Fixed: select.ts lastKnownStart.
    problem: 'NEW-P',
    found: 'npm run sim -- --seed 7 --steps 200 --histories 300 --small (history 272, 23 operations after shrinking)',
    config: { variant: 'hourly', concurrencyPolicy: 'Allow', maxAge: { extract: '1h', clean: '1h' }, chained: false },
    ops: [
      { do: 'edit', change: 'policy', value: 1 },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1, fault: { kind: 'stale', back: 1, on: 'main' } },
      { do: 'advance', percent: 124, fault: { kind: 'crash', keep: 0, on: 'main' } },
      { do: 'advance', percent: 1 },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'run' },
      { do: 'cancelBackfill' },
      { do: 'advance', percent: 152 },
      { do: 'advance', percent: 7 },
      { do: 'advance', percent: 127 },
      { do: 'advance', percent: 39 },
      { do: 'advance', percent: 200 },
      { do: 'advance', percent: 109 },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
      { do: 'advance', percent: 1 },
      { do: 'edit', change: 'image', value: 0 },
      { do: 'edit', change: 'image', value: 1, fault: { kind: 'stale', back: 1, on: 'main' } },
      { do: 'runFromCronJob' },
      { do: 'finish', seed: 0, failPercent: 100, all: false },
      { do: 'advance', percent: 30 },
      { do: 'advance', percent: 12 },
      { do: 'finish', seed: 0, failPercent: 0, all: false },
      { do: 'backfill', fromPeriodsAgo: 1, periods: 1, maxActive: 1 },
    ],
  },
];

/** The KNOWN_FAILING key of a problem id ("case 1"), or undefined once the entry is gone. */
export function knownKey(problem: string): string | undefined {
  return Object.keys(KNOWN_FAILING).find((key) => key.startsWith(`${problem}:`));
}
