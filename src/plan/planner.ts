// THE decision: from a Pipeline, its validation result and the Jobs, claims and CronJobs it
// owns, decide the actions and the whole new status. Pure (no I/O, `now` is an input) and
// level-based: status is memory, observed objects are evidence, and names and run ids are
// deterministic, so planning again after a crash with a stale status converges on the same runs
// without duplicating work.
//
// A plan reads its facts once (facts.ts: the normalized spec, observed and remembered runs, pinned
// specs, requests, CronJobs), then runs its phases in order, each a function over the facts and
// the Decisions the phases before it handed forward (decisions.ts):
//
//   select   which runs go on and which new ones are asked for, by trigger    select.ts
//   values   each run's logical time, interval and params: read back or decided select-values.ts
//   advance  the runs going on move through their DAG, on their pinned spec   advance.ts, run.ts
//   stop     cancel requests, Replace, a backfill's end; concurrencyPolicy and
//            the stage budget admit the new runs                              stop.ts, concurrency.ts
//   start    the backfill's ticks, then the admitted runs, start              advance.ts, backfill.ts
//   record   cancellations applied, lastRun, forgotten active runs superseded record.ts
//   tidy     Jobs of inactive runs stopped, history pruned, revisions, CronJobs cleanup.ts
//   status   phase, conditions, runs[], bookkeeping, Events, requeue          status.ts
//
// A new trigger is a request read in the facts and a rule in select; a new policy that ends runs
// is a rule in stop. An invalid spec skips the phases (invalid.ts).
import { advanceGoing, startRuns } from './advance.ts';
import { tidyObjects } from './cleanup.ts';
import { newDecisions } from './decisions.ts';
import { readFacts, withRequests } from './facts.ts';
import { planInvalid } from './invalid.ts';
import { recordRuns } from './record.ts';
import { selectRuns } from './select.ts';
import { decideValues } from './select-values.ts';
import { writeStatus } from './status.ts';
import { stopRuns } from './stop.ts';
import type { Plan, PlanInput } from './types.ts';

export type { Action, Plan } from './types.ts';

export function plan(input: PlanInput): Plan {
  const seen = readFacts(input);
  if (seen.problems.length > 0) return planInvalid(seen);
  const facts = withRequests(seen);
  const decisions = newDecisions(facts.requests.backfill);
  for (const phase of PHASES) phase(facts, decisions);
  return writeStatus(facts, decisions);
}

/** The phases in the order they run; status (writeStatus) ends the plan. */
const PHASES = [selectRuns, decideValues, advanceGoing, stopRuns, startRuns, recordRuns, tidyObjects] as const;
