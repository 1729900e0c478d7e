// What the phases of one plan decide, handed forward from one phase to the next (planner.ts lists
// them). Each phase fills in its own fields and reads those of the phases before it; the facts
// (facts.ts) stay as they were read.
import type { CacheEntry, RunStatus } from '../api/types.ts';
import type { BackfillState } from './backfill/read.ts';
import type { ConcurrencyDecision } from './stop/concurrency.ts';
import type { RunProgress } from './run/run.ts';
import type { RunRef, Selection, SkippedRun } from './select/selection.ts';
import type { Action, PlanEvent } from './types.ts';

/** A run this plan moved on: which one, and how. */
export type Advanced = { ref: RunRef; progress: RunProgress };

export type Decisions = {
  /** select, values: the runs going on and the new runs asked for, each with its values. */
  selection: Selection;
  /** advance: the runs going on, moved on. */
  going: Advanced[];
  /** stop: runs cancelled now (on request, replaced, superseded, their backfill ended), with the reason. */
  cancelled: Map<string, string>;
  /** stop: which new runs concurrencyPolicy and the stage budget admit, which it skips or replaces. */
  concurrency: ConcurrencyDecision;
  /** stop: ids of the runs going on that stay active. */
  active: string[];
  /** stop: how many backfill runs may start besides the admitted ones. */
  room: number;
  /** start: the backfill after its ticks started (its runs that ended are counted by the status phase). */
  backfill: BackfillState;
  /** start: the runs that start now, moved on (backfill ticks first, so a manual run started with them is lastRun). */
  started: Advanced[];
  /** record: every run this plan advanced or started, by id, with cancellations applied. */
  runs: Map<string, RunStatus>;
  lastRun?: RunStatus;
  /** Runs decided against before they started (select and concurrency). */
  skipped: SkippedRun[];
  actions: Action[];
  /** In the order they are reported: selection, cancel requests, runs', backfill's. */
  events: PlanEvent[];
  requeues: number[];
  /** Results of stages with cache that succeeded now, in any run (a cancelled one too). */
  cacheEntries: CacheEntry[];
};

/** Nothing decided yet: the backfill as the facts read it. */
export function newDecisions(backfill: BackfillState): Decisions {
  return {
    selection: { continuing: [], requests: [], skipped: [], supersede: false, events: [] },
    going: [],
    cancelled: new Map(),
    concurrency: { start: [], skipped: [], cancelled: new Map() },
    active: [],
    room: 0,
    backfill,
    started: [],
    runs: new Map(),
    skipped: [],
    actions: [],
    events: [],
    requeues: [],
    cacheEntries: [],
  };
}
