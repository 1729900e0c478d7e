// Times relative to now, short enough for a table cell: "just now", "4m ago", "in 2h", "3d ago".

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

/** The full local time, for titles. */
export function exact(iso: string | Date | undefined): string {
  if (!iso) return '';
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return Number.isFinite(d.getTime()) ? d.toLocaleString() : '';
}
