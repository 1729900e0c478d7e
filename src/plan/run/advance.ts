// Phases 3 and 5: the runs going on move on (advance), then the ones that start now (start). Each
// run advances with the spec it started with (its generation's ControllerRevision when the
// Pipeline has moved on since), its own Jobs, and what status remembers of it (run.ts).
import type { RunStatus } from '../../api/types.ts';
import { startBackfill } from '../backfill/backfill.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import { cancelRun } from '../tidy/history.ts';
import { compact } from '../objects.ts';
import { advanceRun, type RunProgress } from './run.ts';
import type { RunRef } from '../select/selection.ts';

/** Phase 3, advance: the runs going on, moved on before anything new is decided. */
export function advanceGoing(facts: PlanFacts, d: Decisions): void {
  d.going = d.selection.continuing.map((ref) => ({ ref, progress: advance(facts, ref) }));
}

/** Phase 5, start: the backfill's ticks that start now, then the runs the stop phase admitted. */
export function startRuns(facts: PlanFacts, d: Decisions): void {
  // Backfill ticks start first, so that a tick or a manual run starting in the same plan is lastRun.
  const starts = [...startBackfill(facts, d), ...d.concurrency.start];
  d.started = starts.map((ref) => ({ ref, progress: advance(facts, ref) }));
}

/** How one run moves on. */
function advance(facts: PlanFacts, ref: RunRef): RunProgress {
  if (ref.hold && ref.previous) return { run: ref.previous, actions: [] };
  const pinned = facts.pipelineAt(ref.generation);
  if (!pinned) return { run: specUnavailable(ref, facts.now), actions: [] };
  return advanceRun(
    compact({
      pipeline: pinned,
      runId: ref.id,
      trigger: ref.trigger,
      generation: ref.generation,
      previous: ref.previous,
      observed: facts.observed.get(ref.id),
      kept: ref.kept,
      retryOf: ref.retryOf,
      awaitRootsUntil: ref.awaitRootsUntil,
      rejections: facts.rejections,
      pendingJobs: facts.pendingJobs,
      values: ref.values,
      cacheEntries: facts.cacheEntries,
      now: facts.now,
    }),
  );
}

/** A run whose spec is gone (its ControllerRevision was deleted) cannot go on: it fails, saying why. */
function specUnavailable(ref: RunRef, now: Date): RunStatus {
  const message = `the spec of generation ${ref.generation} that run ${ref.id} started with is no longer available (its ControllerRevision is gone); the run cannot go on`;
  const base: RunStatus = ref.previous ?? {
    id: ref.id,
    trigger: ref.trigger,
    generation: ref.generation,
    phase: 'Running',
  };
  return { ...cancelRun(base, message, now), phase: 'Failed' };
}
