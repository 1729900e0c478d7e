// Micro-benchmark of schedule arithmetic (src/api/cron.ts): ticks per second of the current walk
// against the old one (test/unit/api/cron-reference.ts, a frozen copy of the walk before it was
// made fast), in one process, on the same machine, alternating. Run: `npm run bench:cron` (or
// `node bench/cron.ts` with Node >= 23.6). No cluster. Nothing is asserted: the equivalence of
// the two walks is a unit test (test/unit/api/cron-equivalence.test.ts), not this.
//
// "new, fresh days" asks about a range the process never asked about (each repetition moves the
// range on by years), so the zone's offsets are read from Intl as they go; "new, same range" asks
// again about the first range, as every plan of a running backfill does.
import os from 'node:os';
import { nextScheduleTimes, previousScheduleTime } from '../src/api/cron.ts';
import { referenceNextScheduleTimes, referencePreviousScheduleTime } from '../test/unit/api/cron-reference.ts';

type Walk = 'next' | 'previous';
type Scenario = { name: string; schedule: string; timeZone?: string; count: number; walk: Walk };

const SCENARIOS: Scenario[] = [
  {
    name: '1,000 daily ticks, 02:00 Europe/Berlin (a backfill)',
    schedule: '0 2 * * *',
    timeZone: 'Europe/Berlin',
    count: 1000,
    walk: 'next',
  },
  {
    name: '1,000 hourly ticks, Europe/Berlin',
    schedule: '@hourly',
    timeZone: 'Europe/Berlin',
    count: 1000,
    walk: 'next',
  },
  {
    name: '1,000 ticks every 15 min, America/New_York',
    schedule: '*/15 * * * *',
    timeZone: 'America/New_York',
    count: 1000,
    walk: 'next',
  },
  {
    name: '120 monthly ticks, Australia/Sydney',
    schedule: '@monthly',
    timeZone: 'Australia/Sydney',
    count: 120,
    walk: 'next',
  },
  { name: '1,000 daily ticks, 02:00 UTC', schedule: '0 2 * * *', count: 1000, walk: 'next' },
  {
    name: 'previous tick of 200 daily ticks, 02:30 Europe/Berlin (data intervals)',
    schedule: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    count: 200,
    walk: 'previous',
  },
];

const REPETITIONS = 3;
const FIRST_YEAR = 2030;
/** Each repetition starts this many years later than the previous one: fresh days for the new walk. */
const YEARS_APART = 12;

type Implementation = {
  next: typeof nextScheduleTimes;
  previous: typeof previousScheduleTime;
};
const OLD: Implementation = { next: referenceNextScheduleTimes, previous: referencePreviousScheduleTime };
const NEW: Implementation = { next: nextScheduleTimes, previous: previousScheduleTime };

/** Runs one scenario from `year` and returns the ticks produced (or answered) per second. */
function ticksPerSecond(impl: Implementation, scenario: Scenario, year: number): number {
  const after = new Date(Date.UTC(year, 0, 1, 0, 0, 7));
  // For "previous", the ticks to ask about are found first, outside the clock, with the old walk
  // (which remembers nothing, so the new one still meets fresh days).
  const ticks =
    scenario.walk === 'previous' ? OLD.next(scenario.schedule, scenario.timeZone, after, scenario.count) : [];
  const started = process.hrtime.bigint();
  let produced = 0;
  if (scenario.walk === 'next') {
    produced = impl.next(scenario.schedule, scenario.timeZone, after, scenario.count).length;
  } else {
    for (const tick of ticks) if (impl.previous(scenario.schedule, scenario.timeZone, tick)) produced++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return produced / seconds;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const rate = (perSecond: number) =>
  perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);

type Row = { scenario: Scenario; old: number; fresh: number; same: number };

function measure(scenario: Scenario): Row {
  // Warm-up on another range, so that both walks are compiled before the clock runs.
  ticksPerSecond(OLD, { ...scenario, count: Math.min(scenario.count, 50) }, FIRST_YEAR - 20);
  ticksPerSecond(NEW, { ...scenario, count: Math.min(scenario.count, 50) }, FIRST_YEAR - 20);
  const old: number[] = [];
  const fresh: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    old.push(ticksPerSecond(OLD, scenario, FIRST_YEAR + r * YEARS_APART));
    fresh.push(ticksPerSecond(NEW, scenario, FIRST_YEAR + r * YEARS_APART));
  }
  const same = Array.from({ length: REPETITIONS }, () => ticksPerSecond(NEW, scenario, FIRST_YEAR));
  return { scenario, old: median(old), fresh: median(fresh), same: median(same) };
}

function main(): void {
  console.log(`# cron.ts ticks per second (median of ${REPETITIONS}), ${new Date().toISOString()}`);
  console.log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, load ${os.loadavg()[0]?.toFixed(1)}\n`,
  );
  console.log('| scenario | old walk | new, fresh days | new, same range | speed-up (fresh / same) |');
  console.log('|---|---|---|---|---|');
  for (const scenario of SCENARIOS) {
    const row = measure(scenario);
    const speedUp = `${(row.fresh / row.old).toFixed(0)}× / ${(row.same / row.old).toFixed(0)}×`;
    console.log(`| ${scenario.name} | ${rate(row.old)} | ${rate(row.fresh)} | ${rate(row.same)} | ${speedUp} |`);
  }
}

main();
