// Lifecycle notifications (CloudEvents, OpenLineage; src/notify) in status: `notified: true` on a
// finished run once the shell says each of its notifications was delivered or dropped, and
// status.notify.message when the Pipeline's own sink (spec.notify.cloudevents) is refused.
//
// The flag is what makes the at-least-once contract survive a restart: a new operator (or leader)
// sends again the events of every run status shows without it — duplicates carry the ids they
// had — and nothing of the runs with it. Once set it stays: the planner keeps it from the previous
// status by run id, whatever the shell gathers; without input from the shell nothing changes.
//
// Why a status field for the refusal and not a condition: the refusal does not make the Pipeline
// less Ready (its runs run as before), and a Stalled or Ready=False condition would make kstatus
// tools (Argo CD, Flux, kubectl wait) call a healthy Pipeline broken. The message sits next to
// what it explains, as status.webhook.message does for webhooks; a Warning Event marks its change.
import type { PipelineStatus, RunStatus, RunSummary } from '../../api/types.ts';
import { trimMessage } from '../observed.ts';
import { isActiveRun } from '../run/run.ts';
import type { NotifiedInput, Plan, PlanEvent } from '../types.ts';

/** status.notify.message is bounded as its schema says. */
export const MAX_NOTIFY_MESSAGE = 1024;

/** The plan with notified runs marked and the sink refusal recorded. */
export function withNotifications(plan: Plan, previous: PipelineStatus, input: NotifiedInput | undefined): Plan {
  const kept = notifiedBefore(previous);
  const given = readInput(input);
  const isNotified = (run: RunSummary) => !isActiveRun(run.phase) && (kept.has(run.id) || given.runs.has(run.id));
  const mark = <R extends RunStatus | RunSummary>(run: R): R => {
    const { notified: _notified, ...rest } = run;
    return (isNotified(run) ? { ...rest, notified: true } : rest) as R;
  };
  const { notify: _notify, ...status } = plan.status;
  const notify = given.present ? given.message : previous.notify?.message;
  const next: PipelineStatus = {
    ...status,
    ...(status.lastRun ? { lastRun: mark(status.lastRun) } : {}),
    ...(Array.isArray(status.runs) ? { runs: status.runs.map(mark) } : {}),
    ...(notify ? { notify: { message: notify } } : {}),
  };
  return { ...plan, status: next, events: [...plan.events, ...refusalEvents(previous.notify?.message, notify)] };
}

/** Run ids the previous status marked notified. */
function notifiedBefore(previous: PipelineStatus): Set<string> {
  const runs = [previous.lastRun, ...(Array.isArray(previous.runs) ? previous.runs : [])];
  return new Set(runs.flatMap((run) => (run?.notified === true && typeof run.id === 'string' ? [run.id] : [])));
}

/** The shell's input, read defensively: anything but a set of run ids marks nothing. */
function readInput(input: NotifiedInput | undefined): {
  present: boolean;
  runs: ReadonlySet<string>;
  message?: string;
} {
  if (input === undefined || input === null || typeof input !== 'object') return { present: false, runs: new Set() };
  const runs = input.runs instanceof Set ? input.runs : new Set<string>();
  const message = typeof input.message === 'string' ? trimMessage(input.message, MAX_NOTIFY_MESSAGE) : undefined;
  return { present: true, runs, ...(message ? { message } : {}) };
}

/** A Warning when the refusal appears or changes; nothing while it stays the same, or when it clears. */
function refusalEvents(before: string | undefined, now: string | undefined): PlanEvent[] {
  if (!now || now === before) return [];
  return [{ type: 'Warning', reason: 'NotifySinkRefused', message: `spec.notify.cloudevents: ${now}` }];
}
