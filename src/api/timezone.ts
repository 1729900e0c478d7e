// IANA time zones as a CronJob accepts them (Kubernetes' validateTimeZone, then Go's
// time.LoadLocation). Intl stands in for Go's tz database; it is case-insensitive where Go is not,
// so a name must also be spelled as in the database.

/** One path element of a zone name, per https://data.iana.org/time-zones/theory.html#naming */
const ZONE_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

let canonical: Map<string, string> | undefined;

/** Canonical zone names (Europe/Berlin, ...) by their lower-case spelling. */
function canonicalZones(): Map<string, string> {
  canonical ??= new Map(Intl.supportedValuesOf('timeZone').map((zone) => [zone.toLowerCase(), zone]));
  return canonical;
}

/** Why a CronJob would refuse `timeZone`, or undefined when it is a zone it accepts. */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone === '') return 'timeZone must be nil or non-empty string';
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !ZONE_PART.test(part)) {
      return `unknown time zone ${timeZone}`;
    }
  }
  if (timeZone.toLowerCase() === 'local') {
    return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones';
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    return `unknown time zone ${timeZone}`;
  }
  // Intl accepts "europe/berlin"; Go's tz database (a file per zone) does not.
  const spelled = canonicalZones().get(timeZone.toLowerCase());
  if (spelled !== undefined && spelled !== timeZone) return `unknown time zone ${timeZone} (did you mean ${spelled}?)`;
  // Aliases (US/Eastern, Etc/UTC) are not in the canonical list; their parts are capitalised.
  if (spelled === undefined && timeZone.split('/').some((part) => /^[a-z]/.test(part))) {
    return `unknown time zone ${timeZone}`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// UTC offsets of a zone, from Intl, fast. Formatting an instant (formatToParts) costs tens of
// microseconds, and a schedule walked minute by minute asks for an offset per step: a zone's
// offsets are therefore read once per UTC day and remembered per process, and only a day whose
// two ends differ is searched (by halves, to the minute) for where the offset changes.

const MINUTE = 60_000;
/**
 * Offsets are sampled at the start of every UTC day. Two equal samples are read as "no change in
 * between": an offset that changes and changes back within a day does not exist (in the tz
 * database the closest such pair is 95 hours apart, Africa/Freetown in 1939; DST lasts weeks).
 */
const SAMPLE_MS = 24 * 60 * MINUTE;
/** Days remembered per zone before the cache starts over (about 80 years of daily schedules). */
const MAX_DAYS = 30_000;
/** Zones remembered; there are about 600 names, and a cluster uses a handful. */
const MAX_ZONES = 1000;

/** How en-US writes the wall clock with hourCycle h23: `3/31/2024, 03:00:00`. */
const PLAIN_WALL_CLOCK = /^(\d{1,2})\/(\d{1,2})\/(\d{1,6}), (\d{2}):(\d{2}):(\d{2})$/;

/** From `start` (inclusive) to `end` (exclusive), the zone is `offset` ms ahead of UTC. */
type Span = { start: number; end: number; offset: number };

export class ZoneOffsets {
  readonly #format: Intl.DateTimeFormat;
  /** Offset at the start of each sampled UTC day, by day number since the epoch. */
  readonly #samples = new Map<number, number>();
  /** Each sampled day as spans of one offset (one span, or two around a change). */
  readonly #days = new Map<number, Span[]>();
  /** The span last answered from: a walk asks about nearby instants over and over. */
  #last: Span = { start: 0, end: 0, offset: 0 };

  /** Throws RangeError for a zone Intl does not know. */
  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
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

  /**
   * UTC offset in ms at instant `ms`: the one in force at the start of its UTC minute (offsets
   * change on whole minutes, except for local mean time before ~1900, where this is what the
   * minute-by-minute reading always gave).
   */
  at(ms: number): number {
    const last = this.#last;
    if (ms >= last.start && ms < last.end) return last.offset;
    const day = Math.floor(ms / SAMPLE_MS);
    const spans = this.#days.get(day) ?? this.#readDay(day);
    const span = spans.find((candidate) => ms < candidate.end) as Span;
    this.#last = span;
    return span.offset;
  }

  #readDay(day: number): Span[] {
    if (this.#days.size >= MAX_DAYS) {
      this.#days.clear();
      this.#samples.clear();
    }
    const start = day * SAMPLE_MS;
    const end = start + SAMPLE_MS;
    const spans: Span[] = [];
    this.#split(start, this.#sample(day), end, this.#sample(day + 1), spans);
    this.#days.set(day, spans);
    return spans;
  }

  /** Appends [start, end) as spans, knowing the offsets at both ends (both whole minutes). */
  #split(start: number, startOffset: number, end: number, endOffset: number, out: Span[]): void {
    if (startOffset === endOffset || end - start === MINUTE) {
      const previous = out.at(-1);
      if (previous?.offset === startOffset) previous.end = end;
      else out.push({ start, end, offset: startOffset });
      return;
    }
    const middle = start + Math.floor((end - start) / MINUTE / 2) * MINUTE;
    const middleOffset = this.#read(middle);
    this.#split(start, startOffset, middle, middleOffset, out);
    this.#split(middle, middleOffset, end, endOffset, out);
  }

  #sample(day: number): number {
    let offset = this.#samples.get(day);
    if (offset === undefined) {
      offset = this.#read(day * SAMPLE_MS);
      this.#samples.set(day, offset);
    }
    return offset;
  }

  /** The offset at `ms` as Intl tells it: the wall clock read as if it were UTC, minus `ms`. */
  #read(ms: number): number {
    // format() and a pattern cost half of formatToParts; anything else (an era, a locale
    // surprise) goes the long way.
    const plain = PLAIN_WALL_CLOCK.exec(this.#format.format(ms));
    if (plain) {
      const [, month, day, year, hour, minute, second] = plain.map(Number) as number[];
      return Date.UTC(year ?? 0, (month ?? 1) - 1, day, hour, minute, second) - ms;
    }
    const part: Record<string, number> = {};
    for (const { type, value } of this.#format.formatToParts(ms)) part[type] = Number(value);
    return Date.UTC(part.year ?? 0, (part.month ?? 1) - 1, part.day, part.hour, part.minute, part.second) - ms;
  }
}

const zoneOffsetsByName = new Map<string, ZoneOffsets>();

/** The process-wide offsets of `timeZone`; throws RangeError for a zone Intl does not know. */
export function zoneOffsets(timeZone: string): ZoneOffsets {
  let zone = zoneOffsetsByName.get(timeZone);
  if (zone === undefined) {
    zone = new ZoneOffsets(timeZone);
    if (zoneOffsetsByName.size >= MAX_ZONES) zoneOffsetsByName.clear();
    zoneOffsetsByName.set(timeZone, zone);
  }
  return zone;
}
