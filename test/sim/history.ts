// One history: a world, its operations one by one, the invariants after each. Pure data in, a
// verdict out — what fast-check runs (search.ts), and what a counterexample replays.
import type { SimConfig } from './config.ts';
import { Checker, INVARIANT_IDS, knownProblem, type InvariantId, type Violation } from './invariants.ts';
import type { Op } from './ops.ts';
import { World } from './world.ts';

export type HistoryOptions = {
  /** Invariants a violation of which ends the history (default: all). */
  enforce?: ReadonlySet<InvariantId>;
  /** Violations of a known problem (KNOWN_FAILING) are counted, not fatal (default: false). */
  tolerateKnown?: boolean;
  /** A known problem not tolerated all the same (the one a counterexample is about). */
  except?: string;
};

export type HistoryResult = {
  /** The first violation that counts, and where; undefined when the history holds. */
  violation?: Violation;
  /** Violations tolerated, by the known problem (or the invariant not enforced) they belong to. */
  tolerated: Record<string, number>;
  /** Operations played (up to and including the violating one). */
  steps: number;
  /** plan() calls, and the most cron walk steps one took. */
  plans: number;
  maxPlanSteps: number;
};

export function runHistory(config: SimConfig, ops: readonly Op[], options: HistoryOptions = {}): HistoryResult {
  const result: HistoryResult = { tolerated: {}, steps: 0, plans: 0, maxPlanSteps: 0 };
  const judge = judgeOf({ config, ops }, options, result);
  try {
    const world = new World(config);
    if (judge(world)) return result;
    for (const op of ops) {
      result.steps++;
      world.apply(op);
      if (judge(world)) return result;
    }
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    result.violation = {
      invariant: 'step-budget',
      step: result.steps,
      message: `plan() (or the world around it) threw: ${text.split('\n').slice(0, 4).join(' | ')}`,
    };
  }
  return result;
}

/** Checks the facts of the last step; true when a violation that counts was found. */
function judgeOf(
  history: { config: SimConfig; ops: readonly Op[] },
  options: HistoryOptions,
  result: HistoryResult,
): (world: World) => boolean {
  const checker = new Checker();
  const enforce = options.enforce ?? new Set(INVARIANT_IDS);
  let seen = 0;
  return (world) => {
    for (; seen < world.facts.length; seen++) {
      const fact = world.facts[seen];
      if (fact?.type !== 'reconcile') continue;
      result.plans++;
      result.maxPlanSteps = Math.max(result.maxPlanSteps, fact.record.steps);
    }
    for (const violation of checker.check(world.facts)) {
      const problem = options.tolerateKnown ? knownProblem(violation, history) : undefined;
      const known = problem !== options.except ? problem : undefined;
      const excuse =
        known ?? (enforce.has(violation.invariant) ? undefined : `invariant ${violation.invariant} (not checked)`);
      if (excuse === undefined) {
        result.violation = violation;
        return true;
      }
      result.tolerated[excuse] = (result.tolerated[excuse] ?? 0) + 1;
    }
    return false;
  };
}
