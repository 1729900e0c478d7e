// A frozen copy of src/api/cron.ts's time arithmetic as it was before it was made fast (commit
// 110bb16): a fresh Intl.DateTimeFormat per call and formatToParts for every UTC minute the walk
// touches, each wall-clock field read through a Date. Slow (about 1 s for 1,000 daily ticks in
// Europe/Berlin) but checked against robfig/cron by the oracle at the time; it is the reference
// the fast path must agree with (cron-equivalence.test.ts) and the "before" of bench/cron.ts.
// Test-only: nothing under src/ imports it. Do not "improve" it.
import { type CronSpec, parseSchedule } from '../../../src/api/cron.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

type Wall = { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number };

class Zone {
  readonly #format: Intl.DateTimeFormat | undefined;
  readonly #offsets = new Map<number, number>();

  constructor(timeZone: string | undefined) {
    this.#format =
      timeZone === undefined || timeZone === 'UTC'
        ? undefined
        : new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** UTC offset in ms at instant `ms`. Offsets only change on whole minutes, so cache per minute. */
  offset(ms: number): number {
    if (!this.#format) return 0;
    const bucket = Math.floor(ms / MINUTE);
    const cached = this.#offsets.get(bucket);
    if (cached !== undefined) return cached;
    const part: Record<string, number> = {};
    for (const { type, value } of this.#format.formatToParts(bucket * MINUTE)) part[type] = Number(value);
    const wallAsUtc = Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day, part.hour, part.minute, part.second);
    const offset = wallAsUtc - bucket * MINUTE;
    if (this.#offsets.size > 100_000) this.#offsets.clear();
    this.#offsets.set(bucket, offset);
    return offset;
  }

  wall(ms: number): Wall {
    const d = new Date(ms + this.offset(ms));
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      weekday: d.getUTCDay(),
    };
  }

  /** time.Date: fields may overflow; a wall time in a gap or overlap resolves as Go resolves it. */
  date(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute, second);
    return wallAsUtc - this.offset(wallAsUtc - this.offset(wallAsUtc));
  }

  /** time.AddDate: the same wall clock, so many years, months and days later. */
  addDate(ms: number, years: number, months: number, days: number): number {
    const w = this.wall(ms);
    return this.date(w.year + years, w.month + months, w.day + days, w.hour, w.minute, w.second);
  }
}

function dayMatches(spec: CronSpec, w: Wall): boolean {
  const domMatch = spec.dom.bits[w.day] === true;
  const dowMatch = spec.dow.bits[w.weekday] === true;
  // robfig: with `*` (or `?`) in either day field both must match; otherwise either may.
  if (spec.dom.star || spec.dow.star) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

function neverFires(spec: CronSpec): boolean {
  const any = (field: CronSpec['minute']) => field.bits.includes(true);
  if (!any(spec.minute) || !any(spec.hour) || !any(spec.month)) return true;
  const days = spec.dom.star || spec.dow.star ? any(spec.dom) && any(spec.dow) : any(spec.dom) || any(spec.dow);
  return !days;
}

/** SpecSchedule.Next: the first activation strictly after `after` (ms), or undefined within 5 years. */
function nextAfter(spec: CronSpec, zone: Zone, after: number): number | undefined {
  // Start at the earliest possible time (the upcoming second).
  let t = Math.floor(after / SECOND) * SECOND + SECOND;
  let added = false;
  const yearLimit = zone.wall(t).year + 5;

  wrap: for (;;) {
    if (zone.wall(t).year > yearLimit) return undefined;

    while (spec.month.bits[zone.wall(t).month] !== true) {
      if (!added) {
        added = true;
        const w = zone.wall(t);
        t = zone.date(w.year, w.month, 1, 0, 0, 0);
      }
      t = zone.addDate(t, 0, 1, 0);
      if (zone.wall(t).month === 1) continue wrap;
    }

    while (!dayMatches(spec, zone.wall(t))) {
      if (!added) {
        added = true;
        const w = zone.wall(t);
        t = zone.date(w.year, w.month, w.day, 0, 0, 0);
      }
      t = zone.addDate(t, 0, 0, 1);
      // Where DST moves midnight, AddDate lands at 23:00 or 01:00: go back to the day start.
      const hour = zone.wall(t).hour;
      if (hour !== 0) t = hour > 12 ? t + (24 - hour) * HOUR : t - hour * HOUR;
      if (zone.wall(t).day === 1) continue wrap;
    }

    while (spec.hour.bits[zone.wall(t).hour] !== true) {
      if (!added) {
        added = true;
        const w = zone.wall(t);
        t = zone.date(w.year, w.month, w.day, w.hour, 0, 0);
      }
      t += HOUR;
      if (zone.wall(t).hour === 0) continue wrap;
    }

    while (spec.minute.bits[zone.wall(t).minute] !== true) {
      if (!added) {
        added = true;
        t = Math.floor(t / MINUTE) * MINUTE;
      }
      t += MINUTE;
      if (zone.wall(t).minute === 0) continue wrap;
    }

    // The standard parser's seconds field is always "0".
    while (zone.wall(t).second !== 0) {
      if (!added) {
        added = true;
        t = Math.floor(t / SECOND) * SECOND;
      }
      t += SECOND;
      if (zone.wall(t).second === 0) continue wrap;
    }

    return t;
  }
}

/** nextScheduleTimes as it was: the same loop over the old nextAfter. */
export function referenceNextScheduleTimes(
  schedule: string,
  timeZone: string | undefined,
  after: Date,
  count: number,
): Date[] {
  const spec = parseSchedule(schedule);
  const zone = new Zone(timeZone);
  const out: Date[] = [];
  if (neverFires(spec)) return out;
  let from = after.getTime();
  while (out.length < count) {
    const next = nextAfter(spec, zone, from);
    if (next === undefined) break;
    out.push(new Date(next));
    from = next;
  }
  return out;
}

const PREVIOUS_FIRST_WINDOW_MS = 2 * MINUTE;
const PREVIOUS_MAX_WINDOW_MS = 9 * 366 * 24 * HOUR;

/** previousScheduleTime as it was: windows doubling from 2 minutes, each walked with the old nextAfter. */
export function referencePreviousScheduleTime(
  schedule: string,
  timeZone: string | undefined,
  before: Date,
): Date | undefined {
  const spec = parseSchedule(schedule);
  const zone = new Zone(timeZone);
  if (neverFires(spec)) return undefined;
  const end = before.getTime();
  for (let window = PREVIOUS_FIRST_WINDOW_MS; window <= PREVIOUS_MAX_WINDOW_MS; window *= 2) {
    let last: number | undefined;
    for (let t = nextAfter(spec, zone, end - window - SECOND); t !== undefined && t < end; t = nextAfter(spec, zone, t))
      last = t;
    if (last !== undefined) return new Date(last);
  }
  return undefined;
}

/** The old offset reading of a zone: formatToParts at the start of each UTC minute asked about. */
export function referenceOffsets(timeZone: string): (ms: number) => number {
  const zone = new Zone(timeZone);
  return (ms) => zone.offset(ms);
}
