// What a run processed and how it was run, in words for the pipeline view: its logical time and
// data interval, its parameter values, a backfill's progress, and stages served from the cache.
// Times stay in UTC, as recorded: a logical time is a partition key, and the same value must read
// the same in every time zone (and in `conveyor describe`). Pure logic, unit-tested.
import type { BackfillStatus, StageStatus } from '../../../api/types.ts';
import type { EventSummary } from '../../protocol.ts';

/** "2026-11-03 02:00Z"; seconds only when they are not zero; "" for no time or a bad one. */
export function utcTime(t: string | undefined): string {
  if (!t) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  const iso = d.toISOString();
  const seconds = iso.slice(17, 19);
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}${seconds === '00' ? '' : `:${seconds}`}Z`;
}

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
  const extra = [b.failed ? `${b.failed} failed` : '', b.skipped ? `${b.skipped} skipped as already done` : ''].filter(Boolean);
  const counts = extra.length > 0 ? ` (${extra.join(', ')})` : '';
  const range = `${utcTime(b.from)} → ${utcTime(b.to)} (end excluded)`;
  const message = b.message ? ` — ${b.message}` : '';
  return `Backfill ${b.request} ${b.phase}, ${progress}${counts}; ${range}, at most ${b.maxActive} at once${b.rerun ? ', rerun' : ''}${message}`;
}

/** A stage served from the cache: it did not run in this run; `cachedFrom` did. */
export function isCached(s: Pick<StageStatus, 'reason'> | undefined): boolean {
  return s?.reason === 'Cached';
}

/** "Cached: result of run g1" (the words of `conveyor describe`). */
export function cachedWords(cachedFrom: string | undefined): string {
  return cachedFrom ? `Cached: result of run ${cachedFrom}` : 'Cached';
}

const STAGE_CACHED = /^run (\S+): stage "(.+)" served from the cache \(key "(.*)", run (\S+)\)$/;

/**
 * Stages served from the cache in a run, by stage name → the run that computed them, read from
 * the StageCached Events (src/plan/cache/cache.ts writes their message). Finished runs in
 * status.runs keep no stage list and a cached stage has no Job: the Event is what is left.
 */
export function cachedFromEvents(events: EventSummary[], runId: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const e of events) {
    if (e.reason !== 'StageCached' || e.involved.kind !== 'Pipeline') continue;
    const m = STAGE_CACHED.exec(e.message);
    if (m && m[1] === runId) found.set(m[2]!, m[4]!);
  }
  return found;
}
