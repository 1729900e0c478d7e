import { describe, expect, it } from 'vitest';
import { nextScheduleTimes, previousScheduleTime } from '../../../src/api/cron.ts';
import { requestedRunTimes, scheduledRunTimes } from '../../../src/plan/logical-time.ts';

describe('scheduledRunTimes: the tick, and the interval since the previous tick', () => {
  it.each([
    ['@daily UTC', '@daily', undefined, '2026-03-02T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['@hourly UTC', '@hourly', undefined, '2026-03-02T05:00:00Z', '2026-03-02T04:00:00Z'],
    ['every minute', '* * * * *', undefined, '2026-03-02T05:07:00Z', '2026-03-02T05:06:00Z'],
    ['@monthly UTC (February is short)', '@monthly', undefined, '2026-03-01T00:00:00Z', '2026-02-01T00:00:00Z'],
    ['@monthly New York across spring forward', '@monthly', 'America/New_York', '2026-04-01T04:00:00Z', '2026-03-01T05:00:00Z'],
    ['@daily Berlin, spring forward: a 23-hour day', '@daily', 'Europe/Berlin', '2026-03-29T22:00:00Z', '2026-03-28T23:00:00Z'],
    ['@daily Berlin, fall back: a 25-hour day', '@daily', 'Europe/Berlin', '2026-10-25T23:00:00Z', '2026-10-24T22:00:00Z'],
    ['@hourly Berlin across the missing hour', '@hourly', 'Europe/Berlin', '2026-03-29T01:00:00Z', '2026-03-29T00:00:00Z'],
    ['@hourly Berlin in the repeated hour', '@hourly', 'Europe/Berlin', '2026-10-25T01:00:00Z', '2026-10-25T00:00:00Z'],
    ['02:30 Berlin skips the spring-forward day', '30 2 * * *', 'Europe/Berlin', '2026-03-30T00:30:00Z', '2026-03-28T01:30:00Z'],
    ['01:30 New York runs twice when the clocks go back', '30 1 * * *', 'America/New_York', '2026-11-01T06:30:00Z', '2026-11-01T05:30:00Z'],
    ['@daily New York, spring forward', '@daily', 'America/New_York', '2026-03-09T04:00:00Z', '2026-03-08T05:00:00Z'],
  ])('%s', (_case, schedule, timeZone, tick, start) => {
    expect(scheduledRunTimes({ schedule, timeZone }, new Date(tick))).toEqual({ logicalTime: tick, intervalStart: start, intervalEnd: tick });
  });

  it('an unreadable schedule gives an empty interval at the tick', () => {
    const tick = '2026-03-02T00:00:00Z';
    expect(scheduledRunTimes({ schedule: 'not a schedule' }, new Date(tick))).toEqual({ logicalTime: tick, intervalStart: tick, intervalEnd: tick });
  });
});

describe('requestedRunTimes: the request time, and the last complete interval ending at or before it', () => {
  it.each([
    ['hourly, between ticks', '@hourly', undefined, '2026-03-02T10:17:42Z', '2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z'],
    ['hourly, exactly at a tick', '@hourly', undefined, '2026-03-02T10:00:00Z', '2026-03-02T09:00:00Z', '2026-03-02T10:00:00Z'],
    ['daily Berlin, the morning after spring forward', '@daily', 'Europe/Berlin', '2026-03-29T10:00:00Z', '2026-03-27T23:00:00Z', '2026-03-28T23:00:00Z'],
    ['daily Berlin, the day after spring forward', '@daily', 'Europe/Berlin', '2026-03-30T10:00:00Z', '2026-03-28T23:00:00Z', '2026-03-29T22:00:00Z'],
    ['@monthly mid-month', '@monthly', undefined, '2026-03-15T12:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T00:00:00Z'],
    ['unscheduled: start = end = the request time', undefined, undefined, '2026-03-02T10:17:42Z', '2026-03-02T10:17:42Z', '2026-03-02T10:17:42Z'],
  ])('%s', (_case, schedule, timeZone, at, start, end) => {
    expect(requestedRunTimes({ schedule, timeZone }, new Date(at))).toEqual({ logicalTime: at, intervalStart: start, intervalEnd: end });
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
    for (let i = 1; i < ticks.length; i++) expect(previousScheduleTime(schedule, timeZone, ticks[i] as Date)).toEqual(ticks[i - 1]);
  });

  it('a schedule that never fires has no previous tick', () => {
    expect(previousScheduleTime('0 0 30 2 *', undefined, new Date('2026-03-01T00:00:00Z'))).toBeUndefined();
  });
});
