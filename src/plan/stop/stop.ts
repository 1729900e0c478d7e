// Phase 4, stop: which runs going on end now and which new runs may start. A run cancelled on
// request (cancel.ts), one whose backfill ended (backfill/read.ts) and one replaced
// (concurrencyPolicy Replace) are no longer active for what starts next; concurrencyPolicy and the
// stage budget then decide the new runs (concurrency.ts). Runs going on moved first (advance
// phase): one that ended now no longer blocks a new run (Forbid).
import { MAX_ACTIVE_RUNS, MAX_ACTIVE_STAGES, RESERVED_RUN_SLOTS } from '../../api/schema.ts';
import { backfillRunIds } from '../backfill/backfill.ts';
import { cancelReason, cancelRefused, type CancelRequest } from './cancel.ts';
import {
  decideConcurrency,
  replacedRuns,
  stageRoom,
  withinStageBudget,
  type ConcurrencyDecision,
} from './concurrency.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import { isActiveRun } from '../run/run.ts';
import type { RunRef } from '../select/selection.ts';
import type { PlanEvent } from '../types.ts';

export function stopRuns(facts: PlanFacts, d: Decisions): void {
  const { selection } = d;
  const stillActive = d.going.filter((g) => isActiveRun(g.progress.run.phase)).map((g) => g.ref);
  const ids = stillActive.map((ref) => ref.id);
  const stopped = requestedCancel(facts.requests.cancel, ids);
  for (const [id, reason] of facts.requests.backfill.cancel) if (ids.includes(id)) stopped.cancelled.set(id, reason);
  const replaced = selection.supersede ? new Map<string, string>() : replacedRuns(facts.policy, stillActive);
  const active = ids.filter((id) => !replaced.has(id) && !stopped.cancelled.has(id));
  const exempt = backfillRunIds(stillActive);
  const decided = decideConcurrency(facts.policy, active, selection.requests, selection.supersede, exempt);
  const remaining = active.filter((id) => !decided.cancelled.has(id));
  const { decision, room } = admit(
    facts,
    decided,
    stillActive.filter((ref) => remaining.includes(ref.id)),
  );
  d.cancelled = new Map([...stopped.cancelled, ...replaced, ...decision.cancelled]);
  d.concurrency = decision;
  d.active = remaining;
  d.room = room;
  d.events.push(...stopped.events);
}

/**
 * The new runs that also fit the stage budget (every active run's stages are remembered in
 * status: concurrency.ts), and the room left for backfill ticks: what the other new runs leave,
 * less RESERVED_RUN_SLOTS kept for the ticks and manual runs to come and their share of the stage
 * budget (250: more than the largest run has). `remaining`: the runs still active after this plan.
 */
type Admitted = { decision: ConcurrencyDecision; room: number };

function admit(facts: PlanFacts, decided: ConcurrencyDecision, remaining: RunRef[]): Admitted {
  const { stagesOf } = facts;
  const held = remaining.reduce((sum, ref) => sum + stagesOf(ref.generation), 0);
  const decision = withinStageBudget(decided, held, stagesOf);
  const starting = decision.start.reduce((sum, r) => sum + stagesOf(r.generation), 0);
  const reservedStages = (MAX_ACTIVE_STAGES * RESERVED_RUN_SLOTS) / MAX_ACTIVE_RUNS;
  const slots = MAX_ACTIVE_RUNS - RESERVED_RUN_SLOTS - remaining.length - decision.start.length;
  return { decision, room: Math.min(slots, stageRoom(held + starting + reservedStages, stagesOf(facts.generation))) };
}

/** The run a new cancel request names, if it is active; otherwise an Event that says why not. */
function requestedCancel(
  request: CancelRequest,
  active: string[],
): { cancelled: Map<string, string>; events: PlanEvent[] } {
  if (request.problem) return { cancelled: new Map(), events: [cancelRefused(request, request.problem)] };
  if (!request.target) return { cancelled: new Map(), events: [] };
  if (active.includes(request.target))
    return { cancelled: new Map([[request.target, cancelReason(request)]]), events: [] };
  return { cancelled: new Map(), events: [cancelRefused(request, `run ${request.target} is not active`)] };
}
