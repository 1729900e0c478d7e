// Timestamps arrive as Date (client-node's deserialised lists) or as RFC 3339 strings (raw watch
// events, status read back as JSON). These helpers accept both and never throw.

export function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === 'string' || typeof value === 'number') {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
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
