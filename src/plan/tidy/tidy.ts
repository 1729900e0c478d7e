// Phase 7, the objects around the runs: the Jobs of runs no longer active are stopped, old runs'
// Jobs pruned past the history limit (history.ts), ControllerRevisions kept for the generations
// active runs use (revision.ts), and a scheduled pipeline's CronJobs kept in shape (cronjob.ts).
import { cronJobActions } from './cronjob.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import { pruneHistory, stopInactiveRuns, supersededBy } from './history.ts';
import type { ObservedRun } from '../observed.ts';
import { buildRevision } from './revision.ts';
import { isActiveRun } from '../run/run.ts';
import type { RunRef } from '../select/selection.ts';
import type { Action, PinnedSpec } from '../types.ts';

/** How far retry-of links are followed to protect a retry's sources from pruning. */
const MAX_RETRY_CHAIN = 10;

export function tidyObjects(facts: PlanFacts, d: Decisions): void {
  const { observed, generation } = facts;
  const active = [...d.runs.values()].filter((r) => isActiveRun(r.phase));
  const activeIds = new Set(active.map((r) => r.id));
  const skipped = new Map(d.skipped.map((s) => [s.id, s]));
  const ended = (id: string) => (d.selection.supersede ? supersededBy(d.lastRun?.id) : `run ${id} has already ended`);
  const reasonFor = (id: string): string => d.cancelled.get(id) ?? skipped.get(id)?.message ?? ended(id);
  const refs = [...d.going, ...d.started].map((g) => g.ref);
  const keep = protectedRuns(activeIds, d.lastRun?.id, refs, observed);
  const inUse = new Set(active.map((r) => r.generation ?? generation));
  d.actions = dedupe([
    ...revisionActions(facts, inUse),
    ...cronJobActions(facts.pipeline, facts.cronJobs, generation),
    ...d.actions,
    ...stopInactiveRuns(observed, activeIds, reasonFor),
    ...pruneHistory(observed, keep, facts.historyLimit),
  ]);
}

/**
 * A run of the current generation has its ControllerRevision from its first plan on, so that a
 * later change of spec cannot reach it; revisions that are not the current generation's and that
 * no active run uses are deleted.
 *
 * When it is created. A run needs its generation's revision only once the Pipeline has moved on
 * to a newer generation and the run still goes on. Runs of a pipeline that waits for triggers (a
 * schedule, a chain) do go on across changes of spec, so for them the revision is created before
 * any Job is created or started (beforeJobs). An unscheduled pipeline's first Jobs of a
 * generation are created alongside it, one round trip sooner, because no run can need a revision
 * that is missing:
 * - status records a run only after a reconcile whose creates all succeeded, the revision's
 *   included (reconciler.ts writes status only then), so a run whose revision is missing is known
 *   from its Jobs alone;
 * - the unscheduled selection continues such a run only at its own generation (select.ts
 *   newestRunOf; a suspended pipeline continues only the run status records), and at its own
 *   generation the run reads the Pipeline's spec, which is that generation's, and this plan
 *   creates the revision again;
 * - at a newer generation the run is superseded (or, suspended, stopped): its Jobs are deleted,
 *   the newer generation's run uses the Pipeline's current spec; nothing runs on a spec it did
 *   not start with.
 * Crash windows: killed after the Jobs and before the revision, or the revision's create failing,
 * the next plan at the same generation adopts the run and creates the revision; at a newer one it
 * supersedes the run (test/unit/plan/revision-alongside.test.ts).
 */
function revisionActions(facts: PlanFacts, inUse: Set<number>): Action[] {
  const { generation, revisions } = facts;
  const actions: Action[] = [];
  const needed = inUse.has(generation) && !revisions.some((r: PinnedSpec) => r.generation === generation);
  if (needed)
    actions.push({ kind: 'createRevision', revision: buildRevision(facts.written), beforeJobs: facts.waitsForTrigger });
  for (const r of revisions) {
    if (r.generation !== generation && !inUse.has(r.generation)) {
      actions.push({ kind: 'deleteRevision', name: r.name, reason: `no active run uses generation ${r.generation}` });
    }
  }
  return actions;
}

/** Runs pruning must not touch: active ones, the latest, and what an active retry keeps stages of. */
function protectedRuns(
  active: Set<string>,
  lastId: string | undefined,
  refs: RunRef[],
  observed: Map<string, ObservedRun>,
): Set<string> {
  const keep = new Set(active);
  if (lastId) keep.add(lastId);
  for (const ref of refs) {
    if (!active.has(ref.id)) continue;
    let source = ref.retryOf;
    for (let depth = 0; source && depth < MAX_RETRY_CHAIN && !keep.has(source); depth++) {
      keep.add(source);
      source = observed.get(source)?.retryOf;
    }
  }
  return keep;
}

/** One action per object (the first wins): a Job may be both superseded and past the history limit. */
export function dedupe(actions: Action[]): Action[] {
  const seen = new Set<string>();
  return actions.filter((action) => {
    const key = objectKey(action);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function objectKey(action: Action): string {
  switch (action.kind) {
    case 'createJob':
      return `job:${action.job.metadata?.name}`;
    case 'startJob':
    case 'deleteJob':
      return `job:${action.name}`;
    case 'createClaim':
      return `claim:${action.claim.metadata?.name}`;
    case 'deleteClaim':
      return `claim:${action.name}`;
    case 'applyCronJob':
      return `cronjob:${action.cronJob.metadata?.name}`;
    case 'deleteCronJob':
      return `cronjob:${action.name}`;
    case 'createRevision':
      return `revision:${action.revision.metadata?.name}`;
    case 'deleteRevision':
      return `revision:${action.name}`;
  }
}
