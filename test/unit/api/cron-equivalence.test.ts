// The fast time arithmetic of src/api/cron.ts (offsets read once a UTC day, skipped minutes and
// seconds) against the old walk kept as cron-reference.ts, which formatted every UTC minute it
// touched: the same ticks, forwards and backwards, for a seeded random table of schedules, zones
// and instants, most of them near DST changes. And the offsets themselves against Intl, minute by
// minute, on days where a zone's offset changes.
import { describe, expect, it } from 'vitest';
import { nextScheduleTimes, previousScheduleTime } from '../../../src/api/cron.ts';
import { zoneOffsets } from '../../../src/api/timezone.ts';
import { referenceNextScheduleTimes, referenceOffsets, referencePreviousScheduleTime } from './cron-reference.ts';

const ZONES = [
  undefined,
  'UTC',
  'Europe/Berlin',
  'Europe/London',
  'Europe/Dublin', // negative DST in ICU's data
  'Europe/Moscow', // standard offset changed in 2011 and 2014
  'America/New_York',
  'America/Sao_Paulo', // DST at midnight until 2019
  'America/Santiago',
  'America/Havana', // DST at midnight
  'America/St_Johns', // -03:30
  'Australia/Lord_Howe', // a 30-minute DST
  'Australia/Adelaide',
  'Pacific/Chatham', // +12:45
  'Pacific/Apia', // skipped 30 December 2011
  'Asia/Kolkata',
  'Asia/Kathmandu', // +05:45
  'Asia/Gaza', // DST suspended for Ramadan
  'Africa/Casablanca', // an hour back for Ramadan
  'Antarctica/Troll', // a 2-hour DST
];

const SCHEDULES = [
  '30 2 * * *',
  '0 2 * * *',
  '0 0 * * *',
  '30 1 * * *',
  '@hourly',
  '*/15 * * * *',
  '* 2 * * *',
  '5,35 0-3 * * *',
  '0 */6 * * 1-5',
  '15 2 * 3,10 0',
  '0 0 13 * FRI',
  '45 23 * * *',
  '@monthly',
  '0 3 31 * *',
  '0 0 29 2 *',
  '59 23 31 12 *',
];

/** mulberry32: a small seeded generator, so a failure names a case that fails again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

type Case = { schedule: string; timeZone: string | undefined; after: Date };

/** Two thirds in the months where DST changes (north and south), the rest anywhere since 1890. */
function randomCases(count: number, seed: number): Case[] {
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)] as T;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    const nearChange = random() < 2 / 3;
    const year = nearChange ? 1970 + Math.floor(random() * 71) : 1890 + Math.floor(random() * 151);
    const month = nearChange ? pick([2, 3, 4, 8, 9, 10, 11]) : 1 + Math.floor(random() * 12);
    const ms = Date.UTC(year, month - 1, 1) + Math.floor(random() * 31 * 24 * 3600) * 1000 + pick([0, 0, 0, 999]);
    const c = { schedule: pick(SCHEDULES), timeZone: pick(ZONES), after: new Date(ms) };
    // See the first test: Pacific/Apia's skipped day stalls both walks.
    if (!(c.timeZone === 'Pacific/Apia' && year === 2011)) cases.push(c);
  }
  return cases;
}

/** The old walk is slow by design (seconds here; more on a busy machine): generous time, no timing asserted. */
const SLOW_MACHINE_MS = 120_000;

const label = (c: Case) => `${c.schedule} in ${c.timeZone ?? '(none)'} after ${c.after.toISOString()}`;

describe('the fast walk gives the ticks the old walk gave', () => {
  // Not Pacific/Apia in late December 2011 (the day it skipped): there a schedule that walks
  // days (@monthly, `0 0 13 * FRI`) never returns, in the old walk as in the new one.
  it('every schedule in every zone, 2 ticks from the same DST-season instants', { timeout: SLOW_MACHINE_MS }, () => {
    for (const timeZone of ZONES) {
      for (const schedule of SCHEDULES) {
        for (const after of ['2024-03-30T21:17:05Z', '2024-10-26T20:00:00Z', '2018-11-03T12:00:00Z']) {
          const c = { schedule, timeZone, after: new Date(after) };
          expect(nextScheduleTimes(schedule, timeZone, c.after, 2), label(c)).toEqual(
            referenceNextScheduleTimes(schedule, timeZone, c.after, 2),
          );
        }
      }
    }
  });

  it('next: 1,500 seeded random cases', { timeout: SLOW_MACHINE_MS }, () => {
    for (const c of randomCases(1500, 20261201)) {
      expect(nextScheduleTimes(c.schedule, c.timeZone, c.after, 2), label(c)).toEqual(
        referenceNextScheduleTimes(c.schedule, c.timeZone, c.after, 2),
      );
    }
  });

  it('previous: 400 seeded random cases', { timeout: SLOW_MACHINE_MS }, () => {
    for (const c of randomCases(400, 7)) {
      expect(previousScheduleTime(c.schedule, c.timeZone, c.after), label(c)).toEqual(
        referencePreviousScheduleTime(c.schedule, c.timeZone, c.after),
      );
    }
  });

  it('a long run: 1,000 daily ticks at 02:30 in Berlin, both DST changes each year', {
    timeout: SLOW_MACHINE_MS,
  }, () => {
    const after = new Date('2023-01-01T00:00:00Z');
    const fast = nextScheduleTimes('30 2 * * *', 'Europe/Berlin', after, 1000);
    expect(fast).toEqual(referenceNextScheduleTimes('30 2 * * *', 'Europe/Berlin', after, 1000));
    // Spring forward skips a day, fall back runs twice: not 1,000 distinct calendar days.
    expect(fast.at(-1)?.toISOString()).toBe('2025-09-27T00:30:00.000Z');
  });
});

describe('zoneOffsets matches the old minute-by-minute Intl reading where the offset changes', () => {
  it.each([
    ['Europe/Berlin', '2024-03-31', '2024-10-27'],
    ['Australia/Lord_Howe', '2024-04-07', '2024-10-06'],
    ['America/Sao_Paulo', '2018-11-04', '2018-02-18'],
    ['Pacific/Apia', '2011-12-29', '2011-12-30'],
    ['Europe/Moscow', '2014-10-25', '2011-03-26'],
    ['Africa/Casablanca', '2024-03-10', '2024-04-14'],
    ['Europe/Berlin', '1893-03-31', '1893-04-01'], // from local mean time (+00:53:28) to CET
  ])('%s on %s and %s', (timeZone, ...days) => {
    const intlOffset = referenceOffsets(timeZone);
    const offsets = zoneOffsets(timeZone);
    let changes = 0;
    for (const day of days) {
      const start = Date.parse(`${day}T00:00:00Z`) - 12 * 3_600_000;
      for (let ms = start; ms < start + 48 * 3_600_000; ms += 60_000) {
        const at = ms + 29_000;
        expect(offsets.at(at), `${timeZone} at ${new Date(at).toISOString()}`).toBe(intlOffset(at));
        if (offsets.at(ms) !== offsets.at(ms - 60_000)) changes++;
      }
    }
    // The days were picked for a change each: the comparison saw them.
    expect(changes).toBeGreaterThanOrEqual(days.length);
  });
});
