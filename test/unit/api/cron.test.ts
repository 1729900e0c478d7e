// src/api/cron.ts against robfig/cron itself (recorded answers), against croner where the two
// must agree, and on the cases that matter to users.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import {
  CronError,
  extraTick,
  nextScheduleTimes,
  parseSchedule,
  previousOwnTick,
  scheduleProblem,
} from '../../../src/api/cron.ts';

type OracleCase = {
  schedule: string;
  timeZone?: string;
  after: string;
  count: number;
  error?: string;
  times?: string[];
};

const oracle: OracleCase[] = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../fixtures/cron/robfig-oracle.json'), 'utf8'),
).cases;

/** Conveyor refuses these on purpose although robfig parses them (see cron.ts). */
const refusedOnPurpose = (schedule: string) => schedule.includes('TZ') || schedule.startsWith('@every');

const iso = (dates: Date[]) => dates.map((d) => d.toISOString().replace('.000Z', 'Z'));

function answer(c: OracleCase): { error: string } | { times: string[] } {
  try {
    return { times: iso(nextScheduleTimes(c.schedule, c.timeZone, new Date(c.after), c.count)) };
  } catch (error) {
    if (error instanceof CronError) return { error: error.message };
    throw error;
  }
}

describe('nextScheduleTimes and parseSchedule match robfig/cron v3', () => {
  const cases = oracle.filter((c) => !refusedOnPurpose(c.schedule));
  it('has a meaningful corpus', () => {
    expect(cases.length).toBeGreaterThan(300);
    expect(cases.filter((c) => c.error).length).toBeGreaterThan(40);
    expect(cases.filter((c) => c.timeZone && c.times?.length).length).toBeGreaterThan(100);
  });
  it.each(cases.map((c) => [`${JSON.stringify(c.schedule)} ${c.timeZone ?? 'UTC'} after ${c.after}`, c] as const))(
    '%s',
    (_, c) => {
      expect(answer(c)).toEqual(c.error !== undefined ? { error: c.error } : { times: c.times ?? [] });
    },
  );
});

describe('what CronJob refuses', () => {
  it.each([
    ['CRON_TZ=Europe/Berlin 0 2 * * *', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ['TZ=UTC @daily', 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'],
    ['@every 1h', '@every is not supported: use 5 cron fields or @yearly, @monthly, @weekly, @daily, @hourly'],
    ['', 'empty spec string'],
    ['0 0 0 2 * *', 'expected exactly 5 fields, found 6: [0 0 0 2 * *]'],
    ['0 0 * * 7', 'end of range (7) above maximum (6): 7'],
    ['0 0 L * *', 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
    ['0 0 * * MON#2', 'failed to parse int from MON#2: strconv.Atoi: parsing "MON#2": invalid syntax'],
    ['@reboot', 'unrecognized descriptor: @reboot'],
    ['@Daily', 'unrecognized descriptor: @Daily'],
  ])('%j', (schedule, message) => {
    expect(scheduleProblem(schedule)).toBe(message);
    expect(() => parseSchedule(schedule)).toThrow(CronError);
  });

  it('accepts the grammar of a CronJob', () => {
    for (const schedule of [
      '* * * * *',
      '0 2 * * *',
      '*/15 0-6,22-23 ? jan-MAR Mon-fri',
      '5/10 * * * *',
      '@midnight',
      '@annually',
      ' 0  2 * * * ',
    ]) {
      expect(scheduleProblem(schedule), schedule).toBeUndefined();
    }
  });
});

describe('semantics', () => {
  const after = new Date('2024-01-01T00:00:00Z');

  it('day-of-month and day-of-week both restricted: either one matches', () => {
    // 13th of the month OR a Friday, in January 2024 (Fridays: 5, 12, 19, 26).
    expect(iso(nextScheduleTimes('0 0 13 * FRI', undefined, after, 5))).toEqual([
      '2024-01-05T00:00:00Z',
      '2024-01-12T00:00:00Z',
      '2024-01-13T00:00:00Z',
      '2024-01-19T00:00:00Z',
      '2024-01-26T00:00:00Z',
    ]);
  });

  it('a * (or ?) in one day field: the other decides alone', () => {
    // Mondays only; 2024-01-01 is a Monday but not after `after`.
    expect(iso(nextScheduleTimes('0 0 ? * MON', undefined, after, 2))).toEqual([
      '2024-01-08T00:00:00Z',
      '2024-01-15T00:00:00Z',
    ]);
    expect(iso(nextScheduleTimes('0 0 1 * *', undefined, after, 2))).toEqual([
      '2024-02-01T00:00:00Z',
      '2024-03-01T00:00:00Z',
    ]);
  });

  it('*/2 in day-of-month is a restriction (robfig drops the star for steps > 1)', () => {
    // Odd days OR Mondays: Jan 1 (Mon, odd) is excluded by "after", then 3, 5, 7, 8 (Mon), 9.
    expect(iso(nextScheduleTimes('0 0 */2 * MON', undefined, after, 5))).toEqual([
      '2024-01-03T00:00:00Z',
      '2024-01-05T00:00:00Z',
      '2024-01-07T00:00:00Z',
      '2024-01-08T00:00:00Z',
      '2024-01-09T00:00:00Z',
    ]);
  });

  it('02:00 in Berlin is skipped on the spring-forward night, like a CronJob does', () => {
    expect(iso(nextScheduleTimes('0 2 * * *', 'Europe/Berlin', new Date('2024-03-29T12:00:00Z'), 3))).toEqual([
      '2024-03-30T01:00:00Z',
      '2024-04-01T00:00:00Z',
      '2024-04-02T00:00:00Z',
    ]);
  });

  it('02:30 in Berlin runs twice on the fall-back night, like a CronJob does', () => {
    expect(iso(nextScheduleTimes('30 2 * * *', 'Europe/Berlin', new Date('2024-10-26T12:00:00Z'), 3))).toEqual([
      '2024-10-27T00:30:00Z',
      '2024-10-27T01:30:00Z',
      '2024-10-28T01:30:00Z',
    ]);
  });

  it('45 1 * * * in Lord Howe also fires at 02:45 when the clocks go forward half an hour (robfig does not look at the hour again)', () => {
    expect(iso(nextScheduleTimes('45 1 * * *', 'Australia/Lord_Howe', new Date('2026-10-03T12:00:00Z'), 3))).toEqual([
      '2026-10-03T15:15:00Z', // 10-04 01:45 +10:30
      '2026-10-03T15:45:00Z', // 10-04 02:45 +11
      '2026-10-04T14:45:00Z', // 10-05 01:45 +11
    ]);
  });

  it('a schedule that never fires yields nothing, quickly', () => {
    expect(nextScheduleTimes('0 0 30 2 *', 'Europe/Berlin', after, 3)).toEqual([]);
    expect(nextScheduleTimes(', * * * *', undefined, after, 3)).toEqual([]);
  });

  it('times are strictly after `after`', () => {
    expect(iso(nextScheduleTimes('0 * * * *', undefined, new Date('2024-01-01T05:00:00Z'), 1))).toEqual([
      '2024-01-01T06:00:00Z',
    ]);
  });

  it('an unknown time zone is a RangeError', () => {
    expect(() => nextScheduleTimes('@daily', 'Mars/Olympus', after, 1)).toThrow(RangeError);
  });
});

describe('agrees with croner where both follow the same rules', () => {
  // No ?, no 7, no DST: there croner and robfig mean the same thing.
  const schedules = [
    '*/7 * * * *',
    '0 2 * * *',
    '15 */3 * * 1-5',
    '0 0 1,15 * *',
    '30 4 * jan,jul *',
    '0 0 13 * 5',
    '0 12 * * 0',
    '@weekly',
    '@monthly',
  ];
  it.each(schedules)('%s', (schedule) => {
    const from = new Date('2024-02-27T10:11:12Z');
    const croner = new Cron(schedule, { timezone: 'UTC', mode: '5-part' }).nextRuns(12, from);
    expect(iso(nextScheduleTimes(schedule, 'UTC', from, 12))).toEqual(iso(croner));
  });
});

describe('extraTick: ticks a CronJob fires that are no wall-clock time of their own', () => {
  it.each<[string, string, string | undefined, string, unknown]>([
    [
      'the second 02:00 of 2026-10-25 in Berlin',
      '0 2 * * *',
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      { kind: 'repeat', first: new Date('2026-10-25T00:00:00Z') },
    ],
    ['the first 02:00 of 2026-10-25 in Berlin', '0 2 * * *', 'Europe/Berlin', '2026-10-25T00:00:00Z', undefined],
    ['an ordinary day', '0 2 * * *', 'Europe/Berlin', '2026-10-26T01:00:00Z', undefined],
    [
      'the second 02:30 of 2026-10-25 in Berlin',
      '30 2 * * *',
      'Europe/Berlin',
      '2026-10-25T01:30:00Z',
      { kind: 'repeat', first: new Date('2026-10-25T00:30:00Z') },
    ],
    [
      'the second 02:00 of a fixed-hours schedule (0 1-3)',
      '0 1-3 * * *',
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      { kind: 'repeat', first: new Date('2026-10-25T00:00:00Z') },
    ],
    [
      'the second 02:00 of @hourly: real time, not a repeat',
      '@hourly',
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      undefined,
    ],
    [
      'the second 02:30 of */30: real time, not a repeat',
      '*/30 * * * *',
      'Europe/Berlin',
      '2026-10-25T01:30:00Z',
      undefined,
    ],
    [
      'the second 01:30 of 2026-11-01 in New York',
      '30 1 * * *',
      'America/New_York',
      '2026-11-01T06:30:00Z',
      { kind: 'repeat', first: new Date('2026-11-01T05:30:00Z') },
    ],
    [
      'the second 01:45 of 2026-04-05 in Lord Howe (30 minutes back)',
      '45 1 * * *',
      'Australia/Lord_Howe',
      '2026-04-04T15:15:00Z',
      { kind: 'repeat', first: new Date('2026-04-04T14:45:00Z') },
    ],
    [
      '02:45 on 2026-10-04 in Lord Howe: off the schedule',
      '45 1 * * *',
      'Australia/Lord_Howe',
      '2026-10-03T15:45:00Z',
      { kind: 'offSchedule' },
    ],
    ['UTC has none', '0 2 * * *', undefined, '2026-10-25T02:00:00Z', undefined],
  ])('%s', (_case, schedule, timeZone, tick, expected) => {
    expect(extraTick(schedule, timeZone, new Date(tick))).toEqual(expected);
  });
});

describe('previousOwnTick: previousScheduleTime without extra ticks', () => {
  it.each<[string, string, string | undefined, string, string]>([
    ['after the repeat: the first 02:00', '0 2 * * *', 'Europe/Berlin', '2026-10-26T01:00:00Z', '2026-10-25T00:00:00Z'],
    ['between the two 02:00s', '0 2 * * *', 'Europe/Berlin', '2026-10-25T00:30:00Z', '2026-10-25T00:00:00Z'],
    ['at the repeat itself', '0 2 * * *', 'Europe/Berlin', '2026-10-25T01:00:00Z', '2026-10-25T00:00:00Z'],
    [
      'after two repeats (0,45 2): the first 02:45',
      '0,45 2 * * *',
      'Europe/Berlin',
      '2026-10-26T01:00:00Z',
      '2026-10-25T00:45:00Z',
    ],
    [
      'after a tick off the schedule: the 01:45 before it',
      '45 1 * * *',
      'Australia/Lord_Howe',
      '2026-10-04T14:45:00Z',
      '2026-10-03T15:15:00Z',
    ],
    [
      '@hourly: the repeated hour is a tick of its own',
      '@hourly',
      'Europe/Berlin',
      '2026-10-25T02:00:00Z',
      '2026-10-25T01:00:00Z',
    ],
    ['spring forward: the day before', '30 2 * * *', 'Europe/Berlin', '2026-03-30T00:30:00Z', '2026-03-28T01:30:00Z'],
    ['UTC: as previousScheduleTime', '0 2 * * *', undefined, '2026-10-26T02:00:00Z', '2026-10-25T02:00:00Z'],
  ])('%s', (_case, schedule, timeZone, before, expected) => {
    expect(previousOwnTick(schedule, timeZone, new Date(before))?.toISOString()).toBe(new Date(expected).toISOString());
  });

  it('a schedule that never fires has none', () => {
    expect(previousOwnTick('0 0 30 2 *', 'Europe/Berlin', new Date('2026-03-01T00:00:00Z'))).toBeUndefined();
  });
});
