// The logical time and data interval of a run, from what triggered it. Pure: the caller says
// which tick, request time or start it was. All values are RFC 3339 in UTC with second precision;
// the schedule's time zone only decides where ticks fall (a daily tick at 00:00 Europe/Berlin is
// 23:00Z in winter and 22:00Z in summer, and a DST day is 23 or 25 hours long).
//
// - a scheduled run: logical time = its tick; interval = previous tick → this tick.
// - a manual run (request time or --at): logical time = that time; interval = for a scheduled
//   pipeline, the last complete schedule interval ending at or before it (so a run asked for at
//   10:17 of an hourly pipeline processes 09:00–10:00, as the 10:00 tick did); for an
//   unscheduled pipeline, start = end = the logical time (there is no interval to speak of).
// - create/change runs: as a manual run at the moment the run starts.
import { previousScheduleTime } from '../api/cron.ts';
import { iso } from './time.ts';

export type RunTimes = { logicalTime: string; intervalStart: string; intervalEnd: string };

export type Schedule = { schedule?: string; timeZone?: string };

/** The previous tick, or undefined when the schedule is unreadable or never fired before. */
function previousTick(schedule: Schedule, before: Date): Date | undefined {
  if (!schedule.schedule) return undefined;
  try {
    return previousScheduleTime(schedule.schedule, schedule.timeZone, before);
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

/** A run asked for at `at`: the last complete interval ending at or before it, when scheduled. */
export function requestedRunTimes(schedule: Schedule, at: Date): RunTimes {
  const logicalTime = iso(at);
  // "At or before": a tick exactly at `at` ends the interval.
  const end = previousTick(schedule, new Date(at.getTime() + 1000));
  const start = end ? previousTick(schedule, end) : undefined;
  if (!end || !start) return { logicalTime, intervalStart: logicalTime, intervalEnd: logicalTime };
  return { logicalTime, intervalStart: iso(start), intervalEnd: iso(end) };
}
