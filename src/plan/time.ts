// Timestamps arrive as Date (client-node's deserialised lists) or as RFC 3339 strings (raw watch
// events, status read back as JSON). These helpers accept both and never throw.

/**
 * The instants a Kubernetes timestamp can hold: RFC 3339 writes a four-digit year, so 0001-01-01
 * to 9999-12-31. A Date outside (JavaScript reaches ±275760) would be written back into
 * status as `+275760-09-13T00:00:00Z`, which the CRD's date-time format refuses: every status
 * write would fail. Such a time is read as no time at all.
 */
export const FIRST_INSTANT_MS = -62_135_596_800_000;
export const LAST_INSTANT_MS = 253_402_300_799_999;

function inRange(date: Date): Date | undefined {
  const ms = date.getTime();
  return ms >= FIRST_INSTANT_MS && ms <= LAST_INSTANT_MS ? date : undefined;
}

export function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return inRange(value);
  if (typeof value === 'string' || typeof value === 'number') return inRange(new Date(value));
  return undefined;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * A strict RFC 3339 time (`2026-03-01T00:00:00Z`, `2026-03-01T01:00:00.5+01:00`), or undefined:
 * no other shape Date.parse would take, and no field out of its range (Date.parse reads
 * 2025-02-30 as March 2 and 24:00 as the next day). Fractions below a millisecond are dropped.
 */
export function parseRfc3339(text: unknown): Date | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const offsetHours = Number(m[9] ?? 0);
  const offsetMinutes = Number(m[10] ?? 0);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const wall = new Date(0);
  wall.setUTCFullYear(year, month - 1, day);
  wall.setUTCHours(hour, minute, second, Math.floor(Number(`0${m[7] ?? ''}`) * 1000));
  const sign = m[8] === '-' ? -1 : 1;
  return toDate(wall.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}

/** RFC 3339 in UTC with second precision, as Kubernetes writes it (stable across re-plans). */
export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The earliest of the given times (undefined entries ignored). */
export function earliest(...values: unknown[]): Date | undefined {
  let best: Date | undefined;
  for (const value of values) {
    const date = toDate(value);
    if (date && (!best || date < best)) best = date;
  }
  return best;
}

/** The latest of the given times (undefined entries ignored). */
export function latest(...values: unknown[]): Date | undefined {
  let best: Date | undefined;
  for (const value of values) {
    const date = toDate(value);
    if (date && (!best || date > best)) best = date;
  }
  return best;
}

/** ISO string of a Date/string timestamp, or undefined. */
export function isoOf(value: unknown): string | undefined {
  const date = toDate(value);
  return date ? iso(date) : undefined;
}
