import { describe, expect, it } from 'vitest';
import { between, duration, relative, utcTime } from '../../../../../src/console/ui/shared/time.ts';

describe('utcTime', () => {
  it.each([
    ['2026-11-03T02:00:00Z', '2026-11-03 02:00Z'],
    ['2026-11-03T02:00:07Z', '2026-11-03 02:00:07Z'],
    ['2026-11-03T03:00:00+01:00', '2026-11-03 02:00Z'],
    [undefined, ''],
    ['', ''],
    ['not a time', ''],
  ])('%s → %s', (input, expected) => {
    expect(utcTime(input)).toBe(expected);
  });
});

describe('relative', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  it('says how long ago or how soon, in the largest fitting unit', () => {
    expect(relative('2026-12-01T11:59:58Z', now)).toBe('just now');
    expect(relative('2026-12-01T11:59:30Z', now)).toBe('30s ago');
    expect(relative('2026-12-01T11:56:00Z', now)).toBe('4m ago');
    expect(relative('2026-12-01T14:00:00Z', now)).toBe('in 2h');
    expect(relative('2026-11-28T12:00:00Z', now)).toBe('3d ago');
    expect(relative(new Date('2026-12-01T12:05:00Z'), now)).toBe('in 5m');
  });
  it('is empty when the time is unknown or not a time', () => {
    expect(relative(undefined, now)).toBe('');
    expect(relative('not a time', now)).toBe('');
  });
});

describe('duration and between', () => {
  it('says how long in the two largest units', () => {
    expect(duration(5_400)).toBe('5s');
    expect(duration(184_000)).toBe('3m 4s');
    expect(duration(3_720_000)).toBe('1h 2m');
    expect(duration(undefined)).toBe('');
    expect(duration(-1)).toBe('');
  });
  it('measures from start to end, or to now while there is no end', () => {
    const now = Date.parse('2026-12-01T07:25:18Z');
    expect(between('2026-12-01T07:20:18Z', '2026-12-01T07:21:00Z', now)).toBe('42s');
    expect(between('2026-12-01T07:20:18Z', undefined, now)).toBe('5m 0s');
    expect(between(undefined, '2026-12-01T07:21:00Z', now)).toBe('');
  });
});
