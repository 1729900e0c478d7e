// Cron schedules exactly as a Kubernetes CronJob reads them: robfig/cron v3's standard parser
// (cron.ParseStandard) and its SpecSchedule.Next, ported line by line. A port rather than croner:
// the two disagree where it shows — croner reads `?` as "the current value", accepts 7 for Sunday
// and runs a daily 02:30 job at 03:00 on a spring-forward day, where CronJob skips that day and
// runs it twice when the clocks go back. test/unit/api/cron.test.ts checks this port against
// answers recorded from robfig/cron itself (test/fixtures/cron/robfig-oracle.json) and against
// croner where both must agree.
//
// Accepted: 5 fields (minute hour day-of-month month day-of-week) of numbers, ranges a-b, steps
// x/n, lists, `*`, `?`, JAN-DEC and SUN-SAT (any case); and @yearly @annually @monthly @weekly
// @daily @midnight @hourly. Refused although robfig takes them: `@every <duration>` (not a
// calendar schedule) and `TZ=`/`CRON_TZ=` prefixes (CronJob refuses them; use spec.timeZone).
import { type ZoneOffsets, zoneOffsets } from './timezone.ts';

type Field = { bits: boolean[]; star: boolean };
export type CronSpec = { minute: Field; hour: Field; dom: Field; month: Field; dow: Field };

type Bounds = { min: number; max: number; names?: Record<string, number> };

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

export class CronError extends Error {}

/** unicode.IsSpace, which strings.Fields splits on (JavaScript's \\s differs in U+0085 and U+FEFF). */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/** Parses a schedule; throws CronError with robfig's message when a CronJob would refuse it. */
export function parseSchedule(spec: string): CronSpec {
  if (spec.length === 0) throw new CronError('empty spec string');
  if (spec.includes('TZ')) throw new CronError('cannot use TZ or CRON_TZ in schedule, use timeZone field instead');
  if (spec.startsWith('@every')) {
    throw new CronError('@every is not supported: use 5 cron fields or @yearly, @monthly, @weekly, @daily, @hourly');
  }
  if (spec.startsWith('@')) return parseDescriptor(spec);
  const fields = spec.split(GO_SPACE).filter((f) => f !== '');
  if (fields.length !== 5) {
    throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  }
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  return {
    minute: getField(minute, MINUTES),
    hour: getField(hour, HOURS),
    dom: getField(dom, DOM),
    month: getField(month, MONTHS),
    dow: getField(dow, DOW),
  };
}

/** The message a CronJob would give for `spec`, or undefined when it is valid. */
export function scheduleProblem(spec: string): string | undefined {
  try {
    parseSchedule(spec);
    return undefined;
  } catch (error) {
    if (error instanceof CronError) return error.message;
    throw error;
  }
}

function emptyField(bounds: Bounds): Field {
  return { bits: new Array<boolean>(bounds.max + 1).fill(false), star: false };
}

/** A comma-separated list of ranges; empty items are skipped, as strings.FieldsFunc does. */
function getField(field: string, bounds: Bounds): Field {
  const out = emptyField(bounds);
  for (const expr of field.split(',').filter((part) => part !== '')) {
    const { start, end, step, star } = getRange(expr, bounds);
    for (let i = start; i <= end; i += step) out.bits[i] = true;
    out.star ||= star;
  }
  return out;
}

function getRange(expr: string, bounds: Bounds): { start: number; end: number; step: number; star: boolean } {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = (rangeAndStep[0] ?? '').split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: bigint;
  let end: bigint;
  let step: bigint;
  let star = false;
  const low = lowAndHigh[0] ?? '';
  if (low === '*' || low === '?') {
    // robfig ignores whatever follows `*-`.
    start = BigInt(bounds.min);
    end = BigInt(bounds.max);
    star = true;
  } else {
    start = parseIntOrName(low, bounds.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1] ?? '', bounds.names);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  if (rangeAndStep.length === 1) {
    step = 1n;
  } else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1] ?? '');
    // "N/step" means "N-max/step".
    if (singleDigit) end = BigInt(bounds.max);
    if (step > 1n) star = false;
  } else {
    throw new CronError(`too many slashes: ${expr}`);
  }
  if (start < BigInt(bounds.min))
    throw new CronError(`beginning of range (${start}) below minimum (${bounds.min}): ${expr}`);
  if (end > BigInt(bounds.max)) throw new CronError(`end of range (${end}) above maximum (${bounds.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0n) throw new CronError(`step of range should be a positive number: ${expr}`);
  return { start: Number(start), end: Number(end), step: Number(step > 64n ? 64n : step), star };
}

function parseIntOrName(expr: string, names: Record<string, number> | undefined): bigint {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? BigInt(named) : mustParseInt(expr);
}

const INT64_MAX = 2n ** 63n - 1n;

/** strconv.Atoi, then no negatives. */
function mustParseInt(expr: string): bigint {
  if (!/^[+-]?\d+$/.test(expr)) {
    throw new CronError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`,
    );
  }
  const num = BigInt(expr);
  if (num > INT64_MAX || num < -INT64_MAX - 1n) {
    throw new CronError(
      `failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`,
    );
  }
  if (num < 0n) throw new CronError(`negative number (${num}) not allowed: ${expr}`);
  return num;
}

function allOf(bounds: Bounds): Field {
  const field = emptyField(bounds);
  for (let i = bounds.min; i <= bounds.max; i++) field.bits[i] = true;
  return { bits: field.bits, star: true };
}

function only(bounds: Bounds, value: number): Field {
  const field = emptyField(bounds);
  field.bits[value] = true;
  return field;
}

function parseDescriptor(descriptor: string): CronSpec {
  const base = {
    minute: only(MINUTES, 0),
    hour: only(HOURS, 0),
    dom: allOf(DOM),
    month: allOf(MONTHS),
    dow: allOf(DOW),
  };
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return { ...base, dom: only(DOM, 1), month: only(MONTHS, 1) };
    case '@monthly':
      return { ...base, dom: only(DOM, 1) };
    case '@weekly':
      return { ...base, dow: only(DOW, 0) };
    case '@daily':
    case '@midnight':
      return base;
    case '@hourly':
      return { ...base, hour: allOf(HOURS) };
    default:
      throw new CronError(`unrecognized descriptor: ${descriptor}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Time in a zone, with Go's semantics (time.Date, AddDate, Truncate), from Intl.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const positiveMod = (n: number, m: number) => ((n % m) + m) % m;

/**
 * Steps of every cron walk in this process: one per reading of a zone's clock, the walk's unit of
 * work. For tests that bound what one plan() may cost (test/sim, issue 17 invariant 6): `steps`
 * only grows; past `limit` the walk throws CronError, so that a runaway walk under test ends
 * (callers already treat a CronError as "no tick"). Production leaves `limit` at Infinity.
 */
export const cronWalkSteps = { steps: 0, limit: Number.POSITIVE_INFINITY };

function countCronStep(): void {
  if (++cronWalkSteps.steps > cronWalkSteps.limit)
    throw new CronError(`cron walk exceeded its step limit (${cronWalkSteps.limit})`);
}

type Wall = { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number };

class Zone {
  readonly #offsets: ZoneOffsets | undefined;

  constructor(timeZone: string | undefined) {
    this.#offsets = timeZone === undefined || timeZone === 'UTC' ? undefined : zoneOffsets(timeZone);
  }

  /** UTC offset in ms at instant `ms` (the one at the start of its UTC minute). */
  offset(ms: number): number {
    countCronStep();
    return this.#offsets === undefined ? 0 : this.#offsets.at(ms);
  }

  // The wall clock's second, minute and hour by arithmetic (what Date's UTC getters compute on
  // the shifted instant): the walk reads them at every step, so no Date and no object.
  second(ms: number): number {
    return positiveMod(Math.floor((ms + this.offset(ms)) / SECOND), 60);
  }

  minute(ms: number): number {
    return positiveMod(Math.floor((ms + this.offset(ms)) / MINUTE), 60);
  }

  hour(ms: number): number {
    return positiveMod(Math.floor((ms + this.offset(ms)) / HOUR), 24);
  }

  /** The walk reads the calendar of one instant several times in a row: the last one is kept. */
  #lastWall: { at: number; wall: Wall } | undefined;

  wall(ms: number): Wall {
    if (this.#lastWall?.at === ms) return this.#lastWall.wall;
    const wall = this.#readWall(ms);
    this.#lastWall = { at: ms, wall };
    return wall;
  }

  #readWall(ms: number): Wall {
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
  const any = (field: Field) => field.bits.includes(true);
  if (!any(spec.minute) || !any(spec.hour) || !any(spec.month)) return true;
  const days = spec.dom.star || spec.dow.star ? any(spec.dom) && any(spec.dow) : any(spec.dom) || any(spec.dow);
  return !days;
}

/**
 * The instants a walk covers: years 1000 to 9999. Past 9999 RFC 3339 cannot write a tick (and
 * at JavaScript's end of time, +275760, every step is NaN and robfig's loops never end); before
 * 1000 Date.UTC reads years 0–99 as 1900–1999. Outside, there is no tick.
 */
const FIRST_WALK_MS = -30_610_224_000_000; // 1000-01-01T00:00:00Z
const LAST_WALK_MS = 253_402_300_799_000; // 9999-12-31T23:59:59Z
/**
 * Steps one nextAfter may take: robfig's walk over its five years takes at most a few thousand
 * (a month, a day, an hour at a time); past this many it answers "no tick", so no schedule, zone
 * or instant can make it run long.
 */
const WALK_BUDGET = 20_000;
/** Steps of one minute or second loop: 60 with whole-minute offsets; more only where offsets jump by seconds. */
const INNER_BUDGET = 4_000;

/** SpecSchedule.Next: the first activation strictly after `after` (ms), or undefined within 5 years. */
function nextAfter(spec: CronSpec, zone: Zone, after: number): number | undefined {
  if (!(after >= FIRST_WALK_MS && after < LAST_WALK_MS)) return undefined;
  // Start at the earliest possible time (the upcoming second).
  let t = Math.floor(after / SECOND) * SECOND + SECOND;
  let added = false;
  const yearLimit = zone.wall(t).year + 5;
  let steps = 0;

  wrap: for (;;) {
    if (++steps > WALK_BUDGET || !(t <= LAST_WALK_MS) || zone.wall(t).year > yearLimit) return undefined;

    while (spec.month.bits[zone.wall(t).month] !== true) {
      if (++steps > WALK_BUDGET) return undefined;
      if (!added) {
        added = true;
        const w = zone.wall(t);
        t = zone.date(w.year, w.month, 1, 0, 0, 0);
      }
      t = zone.addDate(t, 0, 1, 0);
      if (zone.wall(t).month === 1) continue wrap;
    }

    while (!dayMatches(spec, zone.wall(t))) {
      if (++steps > WALK_BUDGET) return undefined;
      if (!added) {
        added = true;
        const w = zone.wall(t);
        t = zone.date(w.year, w.month, w.day, 0, 0, 0);
      }
      t = zone.addDate(t, 0, 0, 1);
      // Where DST moves midnight, AddDate lands at 23:00 or 01:00: go back to the day start.
      const hour = zone.hour(t);
      if (hour !== 0) t = hour > 12 ? t + (24 - hour) * HOUR : t - hour * HOUR;
      if (zone.wall(t).day === 1) continue wrap;
    }

    while (spec.hour.bits[zone.hour(t)] !== true) {
      if (++steps > WALK_BUDGET) return undefined;
      if (!added) {
        added = true;
        const w = zone.wall(t);
        t = zone.date(w.year, w.month, w.day, w.hour, 0, 0);
      }
      t += HOUR;
      if (zone.hour(t) === 0) continue wrap;
    }

    if (spec.minute.bits[zone.minute(t)] !== true) {
      if (!added) {
        added = true;
        t = Math.floor(t / MINUTE) * MINUTE;
      }
      t = toMatchingMinute(spec, zone, t);
      if (zone.minute(t) === 0) continue;
    }

    // The standard parser's seconds field is always "0".
    if (zone.second(t) !== 0) {
      if (!added) {
        added = true;
        t = Math.floor(t / SECOND) * SECOND;
      }
      t = toWholeMinute(zone, t);
      continue;
    }

    return t <= LAST_WALK_MS ? t : undefined;
  }
}

/**
 * robfig's minute loop: a minute at a time until the minute matches or the hour wraps (minute 0,
 * where the caller starts over). Where the offset is the same at both ends, the wall minute moves
 * with UTC, so the minutes in between are skipped, not stepped (an offset never changes and
 * changes back within the hour: see timezone.ts).
 */
function toMatchingMinute(spec: CronSpec, zone: Zone, t: number): number {
  let at = t;
  let steps = 0;
  do {
    const minute = zone.minute(at);
    let target = minute + 1;
    while (target < 60 && spec.minute.bits[target] !== true) target++;
    const jump = at + (target - minute) * MINUTE;
    at = zone.offset(jump) === zone.offset(at) ? jump : at + MINUTE;
  } while (spec.minute.bits[zone.minute(at)] !== true && zone.minute(at) !== 0 && ++steps < INNER_BUDGET);
  return at;
}

/**
 * robfig's second loop: a second at a time until the wall clock's second is 0. With whole-minute
 * offsets (all but local mean time) that is the next UTC minute, reached in one step.
 */
function toWholeMinute(zone: Zone, t: number): number {
  let at = t;
  let steps = 0;
  do {
    const nextMinute = Math.floor(at / MINUTE) * MINUTE + MINUTE;
    const wholeMinutes = zone.offset(at) % MINUTE === 0 && zone.offset(nextMinute) % MINUTE === 0;
    at = wholeMinutes ? nextMinute : at + SECOND;
  } while (zone.second(at) !== 0 && ++steps < INNER_BUDGET);
  return at;
}

/**
 * The next `count` times a CronJob with this schedule and time zone starts a Job, after `after`.
 * No time zone means the controller manager's local zone, which is UTC in nearly every cluster.
 * Fewer than `count` when the schedule stops firing (e.g. `0 0 30 2 *` never fires).
 * Throws CronError for a schedule a CronJob refuses, RangeError for an unknown time zone.
 */
export function nextScheduleTimes(schedule: string, timeZone: string | undefined, after: Date, count: number): Date[] {
  const spec = parseSchedule(schedule);
  const zone = new Zone(timeZone);
  const out: Date[] = [];
  // robfig would search five years minute by minute to find out (e.g. for a minute field of ",").
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

/**
 * The last time a CronJob with this schedule starts a Job strictly before `before`, or undefined
 * when there is none within about eight years (29 February). robfig has no "previous": this asks
 * `nextAfter` from ever earlier points (a window that doubles from 2 minutes) until a tick falls
 * in the window, then halves the stretch between that tick and `before` (lastTickBefore), so the
 * answer is a tick nextScheduleTimes produces, and the next one is >= before.
 * Cost: about log2(gap / 2 min) calls to find the window (10 for a daily schedule) and about
 * log2(window / 1 ms) to halve it (at most 38), whatever the schedule — a walk from tick to tick
 * through the window took 45,000 steps, a second, for `* * * 1 *` asked in December. Each call is
 * bounded (WALK_BUDGET). Throws as nextScheduleTimes does.
 */
export function previousScheduleTime(schedule: string, timeZone: string | undefined, before: Date): Date | undefined {
  const spec = parseSchedule(schedule);
  const zone = new Zone(timeZone);
  const end = before.getTime();
  if (neverFires(spec) || !(end > FIRST_WALK_MS && end <= LAST_WALK_MS + SECOND)) return undefined;
  for (let window = PREVIOUS_FIRST_WINDOW_MS; window <= PREVIOUS_MAX_WINDOW_MS; window *= 2) {
    const from = Math.max(FIRST_WALK_MS, end - window - SECOND);
    const first = nextAfter(spec, zone, from);
    if (first !== undefined && first < end) return new Date(lastTickBefore(spec, zone, first, end));
    if (from === FIRST_WALK_MS) return undefined;
  }
  return undefined;
}

/**
 * The last tick before `end`, knowing `tick` is one: no tick lies in (high, end), and each step
 * asks for the first tick after the middle of (best, high] and keeps the half that holds the
 * answer. The stretch is at most the window (9 years), so its halves are under the 5 years a
 * nextAfter looks ahead: "no tick within 5 years" means none in that half.
 */
function lastTickBefore(spec: CronSpec, zone: Zone, tick: number, end: number): number {
  let best = tick;
  let high = end - 1;
  while (high > best) {
    const middle = best + Math.floor((high - best) / 2);
    const next = nextAfter(spec, zone, middle);
    if (next !== undefined && next <= high) best = next;
    else high = middle;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Ticks of their own. A schedule names wall-clock times; around a DST change a CronJob fires
// instants that are not one of them:
// - a repeat: when the clocks go back, a time that comes twice fires twice (`0 2 * * *` in
//   Europe/Berlin at 02:00 CEST = 00:00Z and 02:00 CET = 01:00Z on 2026-10-25: robfig's Next
//   walks UTC and both instants read 02:00). Not for a schedule that fires every hour (`@hourly`,
//   `*/15 * * * *`): it follows real time, and its second 02:00 is the next hour of data;
// - off the schedule: when the clocks go forward by half an hour (Australia/Lord_Howe), robfig's
//   minute loop does not look at the hour again, so `45 1 * * *` also fires at 02:45 on 2026-10-04.
// Conveyor runs each wall-clock time of the schedule once (src/plan/values/logical-time.ts).

/** Further back than any zone's clocks ever went back at once (the tz database's largest is 24 h). */
const REPEAT_LOOKBACK_HOURS = 26;

/** The earliest instant before `t` whose wall clock reads the same as `t`'s, if there is one. */
function firstOccurrence(zone: Zone, t: number): number | undefined {
  const offset = zone.offset(t);
  const wallAsUtc = t + offset;
  let first: number | undefined;
  // Every offset the zone had in the hours before `t` (each lasts weeks, so hourly samples see them all).
  for (let hours = 1; hours <= REPEAT_LOOKBACK_HOURS; hours++) {
    const earlier = zone.offset(t - hours * HOUR);
    if (earlier <= offset) continue;
    const twin = wallAsUtc - earlier;
    if (zone.offset(twin) === earlier && (first === undefined || twin < first)) first = twin;
  }
  return first;
}

/** Where the clocks went back between `first` and its repeat `t`: every tick from there to `t` is a repeat. */
function clocksWentBack(zone: Zone, first: number, t: number): number {
  const after = zone.offset(t);
  let lo = first;
  let hi = t;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (mid <= lo) break;
    if (zone.offset(mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

function onSchedule(spec: CronSpec, zone: Zone, t: number): boolean {
  const w = zone.wall(t);
  return (
    w.second === 0 &&
    spec.minute.bits[w.minute] === true &&
    spec.hour.bits[w.hour] === true &&
    spec.month.bits[w.month] === true &&
    dayMatches(spec, w)
  );
}

/** Why a CronJob's tick is not a wall-clock time of its own: a repeat (of `first`), or off the schedule. */
export type ExtraTick = { kind: 'repeat'; first: Date } | { kind: 'offSchedule' };

function extraTickOf(spec: CronSpec, zone: Zone, t: number): ExtraTick | undefined {
  if (!onSchedule(spec, zone, t)) return { kind: 'offSchedule' };
  // A schedule that fires every hour follows real time, as Vixie cron's "wildcard" jobs do: its
  // repeated hour is an hour of data like any other, and its runs share their logicalDate anyway.
  if (spec.hour.bits.every((bit) => bit)) return undefined;
  const first = firstOccurrence(zone, t);
  if (first === undefined || nextAfter(spec, zone, first - SECOND) !== first) return undefined;
  return { kind: 'repeat', first: new Date(first) };
}

/**
 * Whether `tick` (one nextScheduleTimes gives) is not a wall-clock time of its own, and why;
 * undefined for every ordinary tick. Throws as nextScheduleTimes does.
 */
export function extraTick(schedule: string, timeZone: string | undefined, tick: Date): ExtraTick | undefined {
  // Without a time zone (or in UTC) every tick is its own: offsets never change.
  if (timeZone === undefined || timeZone === 'UTC') return undefined;
  return extraTickOf(parseSchedule(schedule), new Zone(timeZone), tick.getTime());
}

/**
 * previousScheduleTime without extra ticks: the last tick strictly before `before` that is a
 * wall-clock time of its own. Throws as nextScheduleTimes does.
 */
export function previousOwnTick(schedule: string, timeZone: string | undefined, before: Date): Date | undefined {
  const spec = parseSchedule(schedule);
  const zone = new Zone(timeZone);
  let end = before;
  // Extra ticks come a night at a time, and such nights are months apart: a few steps suffice.
  for (let step = 0; step < 4; step++) {
    const tick = previousScheduleTime(schedule, timeZone, end);
    if (tick === undefined) return undefined;
    const extra = timeZone === undefined || timeZone === 'UTC' ? undefined : extraTickOf(spec, zone, tick.getTime());
    if (extra === undefined) return tick;
    end = extra.kind === 'repeat' ? new Date(clocksWentBack(zone, extra.first.getTime(), tick.getTime())) : tick;
  }
  return undefined;
}
