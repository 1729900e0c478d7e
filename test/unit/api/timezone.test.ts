import { describe, expect, it } from 'vitest';
import { timeZoneProblem } from '../../../src/api/timezone.ts';

describe('timeZoneProblem', () => {
  it.each([
    'Europe/Berlin',
    'America/New_York',
    'America/Argentina/Buenos_Aires',
    'UTC',
    'Etc/UTC',
    'Etc/GMT+5',
    'US/Eastern',
    'Asia/Kolkata',
    'Africa/Dar_es_Salaam',
  ])('accepts %s', (zone) => expect(timeZoneProblem(zone)).toBeUndefined());

  it.each([
    ['', 'timeZone must be nil or non-empty string'],
    ['Mars/Olympus', 'unknown time zone Mars/Olympus'],
    ['+02:00', 'unknown time zone +02:00'],
    ['Europe/../etc', 'unknown time zone Europe/../etc'],
    ['-Europe', 'unknown time zone -Europe'],
    ['America/Argentina_Buenos_Aires', 'unknown time zone America/Argentina_Buenos_Aires'],
    ['Local', 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
    ['local', 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'],
    ['europe/berlin', 'unknown time zone europe/berlin (did you mean Europe/Berlin?)'],
    ['us/eastern', 'unknown time zone us/eastern'],
  ])('refuses %j', (zone, message) => expect(timeZoneProblem(zone)).toBe(message));
});
