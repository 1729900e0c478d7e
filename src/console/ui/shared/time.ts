// Times as the Console words them: relative to now, short enough for a table cell ("4m ago",
// "in 2h"); durations ("3m 4s"); and absolute times in UTC ("2026-11-03 02:00Z"), as
// `conveyor describe` prints them, so a time reads the same in every time zone. Pure logic.

function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** "5m ago" for a past time, "in 5m" for a future one; "" when unknown. */
export function relative(iso: string | Date | undefined, now: number): string {
  if (!iso) return '';
  const at = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  if (!Number.isFinite(at)) return '';
  const diff = at - now;
  if (Math.abs(diff) < 5_000) return 'just now';
  return diff < 0 ? `${span(diff)} ago` : `in ${span(diff)}`;
}

/**
 * "2026-11-03 02:00Z"; seconds only when they are not zero; "" for no time or a bad one. Every
 * absolute time the Console shows is written so, never in the browser's locale.
 */
export function utcTime(t: string | undefined): string {
  if (!t) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  const seconds = iso.slice(17, 19);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`}Z`;
}

/** "1h 2m", "3m 4s", "5s"; "" when unknown. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** How long from `start` to `end` (to `now` while it has no end); "" without a start. */
export function between(start?: string, end?: string, now = Date.now()): string {
  if (!start) return '';
  return duration((end ? Date.parse(end) : now) - Date.parse(start));
}
