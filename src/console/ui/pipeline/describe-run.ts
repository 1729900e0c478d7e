// What a run processed and how it was run, in the words of `conveyor describe`: its data
// interval, its parameter values and a backfill's progress. Times stay in UTC, as recorded: a
// logical time is a partition key, and the same value must read the same in every time zone.
// Pure logic, unit-tested.
import type { BackfillStatus } from '../../../api/types.ts';
import { utcTime } from '../shared/time.ts';

/** "2026-11-02 02:00Z → 2026-11-03 02:00Z"; "" when unknown; "none (start = end)" for an unscheduled run's. */
export function intervalText(start: string | undefined, end: string | undefined): string {
  if (!start || !end) return '';
  if (Date.parse(start) === Date.parse(end)) return 'none (start = end)';
  return `${utcTime(start)} → ${utcTime(end)}`;
}

/** Parameter values as "key=value", sorted by key (the order of `conveyor describe`). */
export function paramChips(params: Record<string, string> | undefined): string[] {
  return Object.entries(params ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
}

/**
 * One line for a backfill, as `conveyor describe` prints it: "Backfill bf-x Running: 3/7 ticks
 * done, 2 running; 2026-11-02 00:00Z → 2026-11-09 00:00Z (end excluded), at most 2 at once".
 */
export function backfillLine(b: BackfillStatus): string {
  const progress = b.progress ?? `${b.done}/${b.total} ticks done`;
  const extra = [b.failed ? `${b.failed} failed` : '', b.skipped ? `${b.skipped} skipped as already done` : ''].filter(
    Boolean,
  );
  const counts = extra.length > 0 ? ` (${extra.join(', ')})` : '';
  const range = `${utcTime(b.from)} → ${utcTime(b.to)} (end excluded)`;
  const message = b.message ? ` — ${b.message}` : '';
  return `Backfill ${b.request} ${b.phase}, ${progress}${counts}; ${range}, at most ${b.maxActive} at once${b.rerun ? ', rerun' : ''}${message}`;
}
