// The schedule ticks a backfill runs: every time the pipeline's CronJobs would have fired in
// [from, to), in its timeZone, read with the same cron port the CronJobs' schedule is checked
// with (src/api/cron.ts), so a backfill tick is exactly a tick the schedule would have made and
// run (not an extra tick, such as a wall-clock time repeated as the clocks go back: see
// logical-time.ts).
import { extraTick, nextScheduleTimes } from '../../api/cron.ts';

/** A backfill covers at most this many ticks: each is a run, and status counts them. */
export const MAX_BACKFILL_TICKS = 1000;
const BATCH = 64;

export type TickRange = { ticks: Date[] } | { tooMany: true };

/**
 * Every tick in [from, to), oldest first; `{ tooMany }` when there are more than `cap`. A tick at
 * exactly `from` counts (the range is inclusive there), one at `to` does not.
 * Throws like nextScheduleTimes for a schedule or time zone a CronJob refuses.
 */
export function ticksBetween(
  schedule: string,
  timeZone: string | undefined,
  from: Date,
  to: Date,
  cap = MAX_BACKFILL_TICKS,
): TickRange {
  if (from.getTime() >= to.getTime()) return { ticks: [] };
  // Every plan of a running backfill needs its ticks; walking a time zone's wall clock costs
  // 20–30 ms for 1,000 daily ticks in Europe/Berlin (npm run bench:cron): the same question is
  // answered once per process. The answer depends on the arguments only, so the planner stays pure.
  const key = JSON.stringify([schedule, timeZone ?? null, from.getTime(), to.getTime(), cap]);
  const known = remembered.get(key);
  if (known) return 'tooMany' in known ? known : { ticks: [...known.ticks] };
  const range = enumerate(schedule, timeZone, from, to, cap);
  if (remembered.size >= REMEMBERED_RANGES) remembered.delete(remembered.keys().next().value as string);
  remembered.set(key, range);
  return 'tooMany' in range ? range : { ticks: [...range.ticks] };
}

/** Ranges answered, oldest first (a backfill at a time per Pipeline; a few hundred Pipelines at most backfill at once). */
const remembered = new Map<string, TickRange>();
const REMEMBERED_RANGES = 256;

function enumerate(schedule: string, timeZone: string | undefined, from: Date, to: Date, cap: number): TickRange {
  // Cron ticks fall on whole seconds and the search starts after `after`: one second earlier
  // (and whole) lets a tick at `from` itself count.
  let cursor = new Date(Math.ceil(from.getTime() / 1000) * 1000 - 1000);
  const ticks: Date[] = [];
  // In batches, so that a short range of a frequent schedule costs a few ticks, not the cap.
  for (;;) {
    const batch = nextScheduleTimes(schedule, timeZone, cursor, BATCH);
    for (const t of batch) {
      if (t.getTime() >= to.getTime()) return { ticks };
      // An extra tick (a wall-clock time repeated as the clocks went back) is no run, as for the CronJobs.
      if (t.getTime() >= from.getTime() && !extraTick(schedule, timeZone, t)) ticks.push(t);
      if (ticks.length > cap) return { tooMany: true };
    }
    if (batch.length < BATCH) return { ticks };
    cursor = batch[batch.length - 1] as Date;
  }
}
