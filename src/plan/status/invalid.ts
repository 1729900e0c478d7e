// A plan for a spec that does not validate: nothing is created, runs in flight are cancelled.
import type { PipelineStatus, RunSummary } from '../../api/types.ts';
import { dedupe } from '../tidy/tidy.ts';
import { stalled, toConditions } from './conditions.ts';
import { updateCache } from '../cache/cache.ts';
import { transitionEvents } from './transition-events.ts';
import type { SeenFacts } from '../facts.ts';
import { cancelRun, pruneHistory, runHistory, stopInactiveRuns, summarize } from '../tidy/history.ts';
import { compact } from '../objects.ts';
import { trimMessage } from '../observed.ts';
import { isActiveRun } from '../run/run.ts';
import type { Plan } from '../types.ts';

const MAX_PROBLEMS_MESSAGE = 1000;

/**
 * An invalid spec creates nothing. Choice: a newer invalid generation supersedes the runs in
 * flight (they ran an older spec the user has replaced), so they are cancelled and their Jobs
 * deleted, like any superseded run; finished runs and their history are left as they were.
 * CronJobs are left as they are (their template cannot be rebuilt from an invalid spec); the
 * ticks they create meanwhile are deleted unstarted.
 */
export function planInvalid(facts: SeenFacts): Plan {
  const { problems, previous, generation, observed, now } = facts;
  const message =
    trimMessage(problems.map((p) => `${p?.path ?? ''}: ${p?.message ?? ''}`).join('; '), MAX_PROBLEMS_MESSAGE) ??
    'invalid spec';
  const before = previous.lastRun;
  const reason = `cancelled: generation ${generation} is invalid`;
  const lastRun = before && isActiveRun(before.phase) ? cancelRun(before, reason, now) : before;
  const cancelled: RunSummary[] = [];
  for (const run of facts.remembered.values()) {
    if (run.id === before?.id) continue;
    if (isActiveRun(run.phase)) cancelled.push(summarize(cancelRun(run, reason, now)));
  }
  const actions = dedupe([
    ...stopInactiveRuns(observed, new Set(), () => reason),
    ...pruneHistory(observed, new Set(before?.id ? [before.id] : []), facts.historyLimit),
  ]);
  const changed = [...(lastRun ? [summarize(lastRun)] : []), ...cancelled];
  const status: PipelineStatus = compact({
    observedGeneration: generation,
    phase: 'Invalid' as const,
    conditions: toConditions(stalled('InvalidSpec', message), previous.conditions, generation, now),
    lastRun,
    runs: changed.length > 0 ? runHistory(previous.runs, changed) : previous.runs,
    lastScheduleTime: previous.lastScheduleTime,
    lastRunRequest: previous.lastRunRequest,
    lastRetryRequest: previous.lastRetryRequest,
    lastCancelRequest: previous.lastCancelRequest,
    lastTriggers: previous.lastTriggers,
    webhook: previous.webhook,
    cache: updateCache(previous.cache, []),
    backfill: previous.backfill,
    lastBackfillRequest: previous.lastBackfillRequest,
    lastBackfillRefusal: previous.lastBackfillRefusal,
    backfillIds: previous.backfillIds,
    backfillIdsForgottenUntil: previous.backfillIdsForgottenUntil,
    succeededTimes: previous.succeededTimes,
  });
  const reported = { ...status, runs: runHistory(previous.runs, changed, Number.POSITIVE_INFINITY) };
  return { actions, status, events: transitionEvents(previous, reported) };
}
