// The logical time and data interval of a run, from what triggered it. Pure: the caller says
// which tick, request time or start it was. All values are RFC 3339 in UTC with second precision;
// the schedule's time zone only decides where ticks fall.
//
// The rule: a run's logical time is the END of the data interval it processes — for a scheduled
// pipeline always a tick, so two runs share a logical time exactly when they process the same
// interval, and a daily schedule's logicalDate names one interval. (Airflow's logical_date is the
// interval's START; see docs/parameters.md for why ours is the end.)
//
// - a scheduled (or backfill) run: logical time = its tick; interval = previous tick → this tick.
// - a manual run (request time or --at) of a scheduled pipeline: the last complete interval
//   ending at or before that time, and its end as logical time — the same values as the run of
//   that interval's tick (a run asked for at 10:17 of an hourly pipeline processes 09:00–10:00,
//   logical time 10:00). Of an unscheduled pipeline: start = end = logical time = that time.
// - create/change runs, and runs of older versions that recorded nothing: as a manual run at
//   the moment the run starts. Retries keep the values of the run they retry (values/decide.ts).
//
// A schedule names wall-clock times, and each runs once (api/cron.ts, "Ticks of their own"):
// - the clocks go back: a CronJob fires a time that comes twice twice (`0 2 * * *` Berlin on
//   2026-10-25 at 00:00Z and 01:00Z). The second is a repeat: it is skipped (select.ts), and the
//   interval of the next tick starts at the first, so the repeated hour is in it (25 hours);
//   likewise a tick off the schedule (Lord Howe's half-hour change) is skipped;
// - the clocks go forward: a time that does not exist that day has no tick (robfig/cron, and so
//   the CronJob, skip it: `30 2 * * *` Berlin has none on 2026-03-29). The next tick's interval
//   starts at the tick before, so it covers both days (47 hours) and that day has no run of its own.
// Intervals of consecutive runs' ticks therefore meet: every hour is in exactly one of them.
import { extraTick, previousOwnTick, type ExtraTick } from '../../api/cron.ts';
import { scheduledRunId } from '../names.ts';
import { iso } from '../time.ts';

export type RunTimes = { logicalTime: string; intervalStart: string; intervalEnd: string };

export type Schedule = { schedule?: string; timeZone?: string };

/** The previous tick that runs (a wall-clock time of its own), or undefined when the schedule is unreadable or never fired before. */
function previousTick(schedule: Schedule, before: Date): Date | undefined {
  if (!schedule.schedule) return undefined;
  try {
    return previousOwnTick(schedule.schedule, schedule.timeZone, before);
  } catch {
    // An invalid schedule or time zone never reaches a run (validation refuses the spec).
    return undefined;
  }
}

/** A scheduled (or backfill) run of `tick`: the interval since the previous tick. */
export function scheduledRunTimes(schedule: Schedule, tick: Date): RunTimes {
  const start = previousTick(schedule, tick) ?? tick;
  return { logicalTime: iso(tick), intervalStart: iso(start), intervalEnd: iso(tick) };
}

/** A run asked for at `at`: when scheduled, the last complete interval ending at or before it, and its end. */
export function requestedRunTimes(schedule: Schedule, at: Date): RunTimes {
  // "At or before": a tick exactly at `at` ends the interval.
  const end = previousTick(schedule, new Date(at.getTime() + 1000));
  const start = end ? previousTick(schedule, end) : undefined;
  if (!end || !start) return { logicalTime: iso(at), intervalStart: iso(at), intervalEnd: iso(at) };
  return { logicalTime: iso(end), intervalStart: iso(start), intervalEnd: iso(end) };
}

/**
 * Why tick `tick` does not run, when it is no wall-clock time of its own (a repeat as the clocks
 * went back, or a time off the schedule as they went forward); undefined for every other tick.
 */
export function extraTickMessage(schedule: Schedule, tick: Date): string | undefined {
  if (!schedule.schedule) return undefined;
  let extra: ExtraTick | undefined;
  try {
    extra = extraTick(schedule.schedule, schedule.timeZone, tick);
  } catch {
    return undefined;
  }
  if (!extra) return undefined;
  const when = `${wallClock(tick, schedule.timeZone ?? 'UTC')} (${schedule.timeZone})`;
  if (extra.kind === 'repeat') {
    return `skipped: ${when} came a second time as the clocks went back; its first tick is run ${scheduledRunId(extra.first)}, and the time since then is part of the next run's interval`;
  }
  return `skipped: the CronJob fired at ${when}, a time the schedule does not name (the clocks went forward); the time since the previous tick is part of the next run's interval`;
}

/** `2026-10-25 02:00` on the wall clock of `timeZone`. */
function wallClock(time: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(time);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}
