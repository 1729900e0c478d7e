// Phase 8, status: the whole new status (phase and conditions, the latest run, the history, the
// bookkeeping of requests, schedule, cache and backfill), the Events of what changed, and when to
// plan again.
import type { PipelineStatus, RunStatus, RunSummary } from '../../api/types.ts';
import { backfillStatusParts, type BackfillStatusParts } from '../backfill/backfill.ts';
import { updateCache } from '../cache/cache.ts';
import { toConditions } from './conditions.ts';
import { scheduleStatus, type ScheduleStatus } from '../tidy/cronjob.ts';
import type { Decisions } from '../decisions.ts';
import { transitionEvents } from './transition-events.ts';
import type { PlanFacts } from '../facts.ts';
import { runHistory, summarize } from '../tidy/history.ts';
import { compact } from '../objects.ts';
import { pipelinePhase, progressOf, runConditions, scheduledConditions, scheduledPhase } from './pipeline-status.ts';
import { isActiveRun } from '../run/run.ts';
import type { SkippedRun } from '../select/selection.ts';
import { webhookStatus } from '../select/webhook.ts';
import { iso } from '../time.ts';
import type { Plan } from '../types.ts';

export function writeStatus(facts: PlanFacts, d: Decisions): Plan {
  const { previous, now } = facts;
  const backfilled = backfillStatusParts(d.backfill, previous, d.runs, now);
  const schedule = facts.scheduled ? scheduleStatus(facts.spec, facts.cronJobs, previous, now) : {};
  const status = pipelineStatus(facts, d, schedule, backfilled.status);
  const requeues = [...d.requeues, ...(schedule.requeueAfterMs !== undefined ? [schedule.requeueAfterMs] : [])];
  if (backfilled.requeueAfterMs !== undefined) requeues.push(backfilled.requeueAfterMs);
  // Events compare every run this plan decided, also those past the ten finished runs runs[] keeps.
  const decided = runSummaries(d.runs, d.lastRun, d.skipped, now);
  const reported = { ...status, runs: runHistory(previous.runs, decided, Number.POSITIVE_INFINITY) };
  return compact({
    actions: d.actions,
    status,
    events: [...transitionEvents(previous, reported), ...d.events, ...backfilled.events],
    requeueAfterMs: requeues.length > 0 ? Math.min(...requeues) : undefined,
  });
}

/** The whole new status: phase and conditions, the latest run, the history, the bookkeeping. */
function pipelineStatus(
  facts: PlanFacts,
  d: Decisions,
  schedule: ScheduleStatus,
  backfill: BackfillStatusParts,
): PipelineStatus {
  const { spec, previous, generation, now } = facts;
  const { lastRun, selection } = d;
  // It waits for a trigger (a schedule, a chain) or is suspended: between runs it is Ready.
  const holds = facts.waitsForTrigger || spec.suspend === true;
  const active = [...d.runs.values()].some((r) => isActiveRun(r.phase));
  const cronChanging = d.actions.some((a) => a.kind === 'applyCronJob' || a.kind === 'deleteCronJob');
  const desired = holds
    ? scheduledConditions({ lastRun, active, spec, generation, cronChanging, next: schedule.nextScheduleTime })
    : runConditions(lastRun, spec);
  const summaries = runSummaries(d.runs, lastRun, d.skipped, now);
  return compact({
    observedGeneration: generation,
    phase: holds ? scheduledPhase(lastRun, active, spec) : pipelinePhase(lastRun),
    conditions: toConditions(desired, previous.conditions, generation, now),
    progress: lastRun ? progressOf(lastRun, spec) : undefined,
    lastRun,
    runs: summaries.length > 0 || previous.runs ? runHistory(previous.runs, summaries) : undefined,
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.nextScheduleTime,
    lastRunRequest: selection.lastRunRequest,
    lastRetryRequest: selection.lastRetryRequest,
    lastCancelRequest: facts.requests.cancel.value,
    requestCount: selection.requestCount,
    lastTriggers: selection.lastTriggers,
    webhook: webhookStatus(spec, facts.webhook, previous, selection.delivery),
    ...backfill,
    cache: updateCache(previous.cache, d.cacheEntries),
  });
}

/** The runs[] entries of the runs this plan advanced, started or skipped. */
function runSummaries(
  runs: Map<string, RunStatus>,
  lastRun: RunStatus | undefined,
  skipped: SkippedRun[],
  now: Date,
): RunSummary[] {
  return [
    // lastRun carries its stages itself; its entry in runs[] need not repeat them.
    ...[...runs.values()].map((r) => summarize(r.id === lastRun?.id ? { ...r, stages: [] } : r)),
    ...skipped.map(
      (s): RunSummary => ({
        id: s.id,
        trigger: s.trigger,
        phase: 'Skipped',
        generation: s.generation,
        completionTime: iso(now),
        message: s.message,
      }),
    ),
  ];
}
