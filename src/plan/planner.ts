// THE decision: from a Pipeline, its validation result and the Jobs, claims and CronJobs it
// owns, decide the actions and the whole new status. Pure (no I/O, `now` is an input) and
// level-based: status is memory, observed objects are evidence, and names and run ids are
// deterministic, so planning again after a crash with a stale status converges on the same runs
// without duplicating work.
//
// A plan reads its facts once (facts.ts: the normalized spec, observed and remembered runs, pinned
// specs, requests, CronJobs), then runs its phases in order, each a function over the facts and
// the Decisions the phases before it handed forward (decisions.ts). Each phase has its folder:
//
//   select   which runs go on, which new ones are asked for (triggers, requests)  select/
//   values   each run's logical time, interval and params: read back or decided   values/
//   advance  the runs going on move through their DAG, on their pinned spec        run/advance.ts
//   stop     cancel requests, Replace, a backfill's end; concurrencyPolicy and the
//            stage budget admit the new runs                                       stop/
//   start    the backfill's ticks, then the admitted runs, start                   run/advance.ts, backfill/
//   record   cancellations applied, lastRun, forgotten active runs superseded      run/record.ts
//   tidy     Jobs of inactive runs stopped, history pruned, revisions, CronJobs     tidy/
//   status   phase, conditions, runs[], bookkeeping, Events, requeue               status/
//   notified runs whose notifications went out, the sink refusal (also when invalid) status/notified.ts
//
// A new trigger is a request read with the facts (select/requests.ts) and a rule in select/; a
// policy that ends runs is a rule in stop/. An invalid spec skips the phases (status/invalid.ts).
import { newDecisions } from './decisions.ts';
import { readFacts, withRequests } from './facts.ts';
import { selectRuns } from './select/select.ts';
import { decideValues } from './values/decide.ts';
import { advanceGoing, startRuns } from './run/advance.ts';
import { stopRuns } from './stop/stop.ts';
import { recordRuns } from './run/record.ts';
import { tidyObjects } from './tidy/tidy.ts';
import { writeStatus } from './status/status.ts';
import { planInvalid } from './status/invalid.ts';
import { withNotifications } from './status/notified.ts';
import type { Plan, PlanInput } from './types.ts';

export type { Action, Plan } from './types.ts';

export function plan(input: PlanInput): Plan {
  const seen = readFacts(input);
  if (seen.problems.length > 0) return withNotifications(planInvalid(seen), seen.previous, input.notified);
  const facts = withRequests(seen);
  const decisions = newDecisions(facts.requests.backfill);
  for (const phase of PHASES) phase(facts, decisions);
  return withNotifications(writeStatus(facts, decisions), seen.previous, input.notified);
}

/** The phases in the order they run; status (writeStatus) ends the plan. */
const PHASES = [selectRuns, decideValues, advanceGoing, stopRuns, startRuns, recordRuns, tidyObjects] as const;
