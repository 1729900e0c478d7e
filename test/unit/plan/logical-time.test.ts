import { describe, expect, it } from 'vitest';
import { nextScheduleTimes, previousScheduleTime } from '../../../src/api/cron.ts';
import { extraTickMessage, requestedRunTimes, scheduledRunTimes } from '../../../src/plan/values/logical-time.ts';

describe('scheduledRunTimes: the tick, and the interval since the previous tick', () => {
  it.each([
    ['@daily UTC', '@daily', undefined, '2026-03-02T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['@hourly UTC', '@hourly', undefined, '2026-03-02T05:00:00Z', '2026-03-02T04:00:00Z'],
    ['every minute', '* * * * *', undefined, '2026-03-02T05:07:00Z', '2026-03-02T05:06:00Z'],
    ['@monthly UTC (February is short)', '@monthly', undefined, '2026-03-01T00:00:00Z', '2026-02-01T00:00:00Z'],
    [
      '@monthly New York across spring forward',
      '@monthly',
      'America/New_York',
      '2026-04-01T04:00:00Z',
      '2026-03-01T05:00:00Z',
    ],
    [
      '@daily Berlin, spring forward: a 23-hour day',
      '@daily',
      'Europe/Berlin',
      '2026-03-29T22:00:00Z',
      '2026-03-28T23:00:00Z',
    ],
    [
      '@daily Berlin, fall back: a 25-hour day',
      '@daily',
      'Europe/Berlin',
      '2026-10-25T23:00:00Z',
      '2026-10-24T22:00:00Z',
    ],
    [
      '@hourly Berlin across the missing hour',
      '@hourly',
      'Europe/Berlin',
      '2026-03-29T01:00:00Z',
      '2026-03-29T00:00:00Z',
    ],
    [
      '@hourly Berlin in the repeated hour: every hour follows real time',
      '@hourly',
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      '2026-10-25T00:00:00Z',
    ],
    [
      '@hourly Berlin after the repeated hour',
      '@hourly',
      'Europe/Berlin',
      '2026-10-25T02:00:00Z',
      '2026-10-25T01:00:00Z',
    ],
    [
      '0 1-3 Berlin after the repeated 02:00: from the first (fixed hours skip a repeat)',
      '0 1-3 * * *',
      'Europe/Berlin',
      '2026-10-25T02:00:00Z',
      '2026-10-25T00:00:00Z',
    ],
    [
      '02:30 Berlin has no tick on the spring-forward day: 47 hours',
      '30 2 * * *',
      'Europe/Berlin',
      '2026-03-30T00:30:00Z',
      '2026-03-28T01:30:00Z',
    ],
    [
      '02:00 Berlin, the day after fall back: from the first 02:00, 25 hours',
      '0 2 * * *',
      'Europe/Berlin',
      '2026-10-26T01:00:00Z',
      '2026-10-25T00:00:00Z',
    ],
    [
      '01:30 New York, the day after fall back: from the first 01:30, 25 hours',
      '30 1 * * *',
      'America/New_York',
      '2026-11-02T06:30:00Z',
      '2026-11-01T05:30:00Z',
    ],
    [
      '*/30 Berlin in the repeated hour: real time',
      '*/30 * * * *',
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      '2026-10-25T00:30:00Z',
    ],
    [
      '0,45 2 Berlin after the repeated hour: from the first 02:45',
      '0,45 2 * * *',
      'Europe/Berlin',
      '2026-10-26T01:00:00Z',
      '2026-10-25T00:45:00Z',
    ],
    [
      'Lord Howe (clocks go back 30 minutes): from the first 01:45',
      '45 1 * * *',
      'Australia/Lord_Howe',
      '2026-04-05T15:15:00Z',
      '2026-04-04T14:45:00Z',
    ],
    ['@daily New York, spring forward', '@daily', 'America/New_York', '2026-03-09T04:00:00Z', '2026-03-08T05:00:00Z'],
  ])('%s', (_case, schedule, timeZone, tick, start) => {
    expect(scheduledRunTimes({ schedule, timeZone }, new Date(tick))).toEqual({
      logicalTime: tick,
      intervalStart: start,
      intervalEnd: tick,
    });
  });

  it('an unreadable schedule gives an empty interval at the tick', () => {
    const tick = '2026-03-02T00:00:00Z';
    expect(scheduledRunTimes({ schedule: 'not a schedule' }, new Date(tick))).toEqual({
      logicalTime: tick,
      intervalStart: tick,
      intervalEnd: tick,
    });
  });
});

describe('requestedRunTimes: the last complete interval ending at or before the request, its end the logical time', () => {
  it.each([
    [
      'hourly, between ticks',
      '@hourly',
      undefined,
      '2026-03-02T10:17:42Z',
      '2026-03-02T09:00:00Z',
      '2026-03-02T10:00:00Z',
    ],
    [
      'hourly, exactly at a tick',
      '@hourly',
      undefined,
      '2026-03-02T10:00:00Z',
      '2026-03-02T09:00:00Z',
      '2026-03-02T10:00:00Z',
    ],
    [
      'hourly, a second before a tick',
      '@hourly',
      undefined,
      '2026-03-02T09:59:59Z',
      '2026-03-02T08:00:00Z',
      '2026-03-02T09:00:00Z',
    ],
    [
      'daily Berlin, the morning after spring forward',
      '@daily',
      'Europe/Berlin',
      '2026-03-29T10:00:00Z',
      '2026-03-27T23:00:00Z',
      '2026-03-28T23:00:00Z',
    ],
    [
      'daily Berlin, the day after spring forward',
      '@daily',
      'Europe/Berlin',
      '2026-03-30T10:00:00Z',
      '2026-03-28T23:00:00Z',
      '2026-03-29T22:00:00Z',
    ],
    [
      '03:00 Berlin at 01:30 on 11-05 (issue 17 case 1): the 11-04 tick',
      '0 3 * * *',
      'Europe/Berlin',
      '2026-11-05T00:30:00Z',
      '2026-11-03T02:00:00Z',
      '2026-11-04T02:00:00Z',
    ],
    [
      '02:00 Berlin between the two 02:00s of 10-25: the first',
      '0 2 * * *',
      'Europe/Berlin',
      '2026-10-25T00:30:00Z',
      '2026-10-24T00:00:00Z',
      '2026-10-25T00:00:00Z',
    ],
    [
      '02:00 Berlin after the repeated 02:00: still the first',
      '0 2 * * *',
      'Europe/Berlin',
      '2026-10-25T12:00:00Z',
      '2026-10-24T00:00:00Z',
      '2026-10-25T00:00:00Z',
    ],
    [
      '02:30 Berlin on the spring-forward day: the 03-28 tick',
      '30 2 * * *',
      'Europe/Berlin',
      '2026-03-29T12:00:00Z',
      '2026-03-27T01:30:00Z',
      '2026-03-28T01:30:00Z',
    ],
    [
      '@monthly mid-month',
      '@monthly',
      undefined,
      '2026-03-15T12:00:00Z',
      '2026-02-01T00:00:00Z',
      '2026-03-01T00:00:00Z',
    ],
  ])('%s', (_case, schedule, timeZone, at, start, end) => {
    expect(requestedRunTimes({ schedule, timeZone }, new Date(at))).toEqual({
      logicalTime: end,
      intervalStart: start,
      intervalEnd: end,
    });
  });

  it('unscheduled: start = end = logical time = the request time', () => {
    const at = '2026-03-02T10:17:42Z';
    expect(requestedRunTimes({}, new Date(at))).toEqual({ logicalTime: at, intervalStart: at, intervalEnd: at });
  });

  it('keeps second precision and drops milliseconds', () => {
    expect(requestedRunTimes({}, new Date('2026-03-02T10:17:42.987Z')).logicalTime).toBe('2026-03-02T10:17:42Z');
  });
});

describe('previousScheduleTime agrees with nextScheduleTimes', () => {
  it.each([
    ['*/7 * * * *', undefined],
    ['@hourly', 'Europe/Berlin'],
    ['30 2 * * *', 'Europe/Berlin'],
    ['30 1 * * *', 'America/New_York'],
    ['@daily', 'America/New_York'],
    ['@monthly', 'Europe/Berlin'],
    ['0 0 29 2 *', undefined],
  ])('%s in %s: each tick is the previous one of the tick after it', (schedule, timeZone) => {
    const from = schedule === '0 0 29 2 *' ? '2026-01-01T00:00:00Z' : '2026-03-01T00:00:00Z';
    const count = schedule.startsWith('30') || schedule === '@daily' ? 260 : 12;
    const ticks = nextScheduleTimes(schedule, timeZone, new Date(from), count);
    for (let i = 1; i < ticks.length; i++)
      expect(previousScheduleTime(schedule, timeZone, ticks[i] as Date)).toEqual(ticks[i - 1]);
  });

  it('a schedule that never fires has no previous tick', () => {
    expect(previousScheduleTime('0 0 30 2 *', undefined, new Date('2026-03-01T00:00:00Z'))).toBeUndefined();
  });
});

describe('extraTickMessage: why a CronJob tick is not a run', () => {
  it.each([
    [
      'a repeat',
      '0 2 * * *',
      'Europe/Berlin',
      '2026-10-25T01:00:00Z',
      "skipped: 2026-10-25 02:00 (Europe/Berlin) came a second time as the clocks went back; its first tick is run s1792886400, and the time since then is part of the next run's interval",
    ],
    [
      'off the schedule',
      '45 1 * * *',
      'Australia/Lord_Howe',
      '2026-10-03T15:45:00Z',
      "skipped: the CronJob fired at 2026-10-04 02:45 (Australia/Lord_Howe), a time the schedule does not name (the clocks went forward); the time since the previous tick is part of the next run's interval",
    ],
    ['an ordinary tick', '0 2 * * *', 'Europe/Berlin', '2026-10-25T00:00:00Z', undefined],
    ['an unreadable schedule', 'nonsense', 'Europe/Berlin', '2026-10-25T01:00:00Z', undefined],
    ['no schedule', undefined, 'Europe/Berlin', '2026-10-25T01:00:00Z', undefined],
  ])('%s', (_case, schedule, timeZone, tick, expected) => {
    expect(extraTickMessage({ schedule, timeZone }, new Date(tick))).toBe(expected);
  });
});
