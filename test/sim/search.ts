// Searching for a history that breaks an invariant, and shrinking it: fast-check's check() over
// (world, operations), each run a full history (history.ts). Shared by the CLI (run.ts) and the
// unit test (test/unit/sim/simulator.test.ts).
import fc from 'fast-check';
import type { SimConfig } from './config.ts';
import { historyArbitrary } from './generate.ts';
import { runHistory, type HistoryResult } from './history.ts';
import { knownProblem, type InvariantId } from './invariants.ts';
import type { Fault, Op } from './ops.ts';

export type SearchOptions = {
  seed: number;
  /** Operations per history, at most. */
  steps: number;
  histories: number;
  enforce: ReadonlySet<InvariantId>;
  /** Violations of known problems (KNOWN_FAILING) do not fail a history. */
  tolerateKnown: boolean;
  /** Faults left out of every history (a known problem being fixed elsewhere). */
  withoutFaults?: ReadonlySet<Fault['kind']>;
  /** Replay this counterexample path of `seed` (fast-check's), then shrink. */
  path?: string;
  /** Shrink a failing history (default true); without, it is reported as found, with its path to shrink later. */
  shrink?: boolean;
  /** Worlds with the largest specs too (default true; slow). */
  large?: boolean;
};

export type Counterexample = {
  config: SimConfig;
  ops: Op[];
  result: HistoryResult;
  seed: number;
  path: string;
  shrinks: number;
};

export type SearchOutcome = {
  histories: number;
  /** Operations played over all histories (the shrinking runs not counted). */
  steps: number;
  /** Cron walk steps of the costliest plan() seen. */
  maxPlanSteps: number;
  /** Violations tolerated over all histories, by known problem. */
  tolerated: Record<string, number>;
  counterexample?: Counterexample;
};

class InvariantBroken extends Error {
  readonly result: HistoryResult;
  constructor(result: HistoryResult) {
    super(`${result.violation?.invariant}: ${result.violation?.message}`);
    this.result = result;
  }
}

/** Histories from `seed`; the first that breaks an enforced invariant is shrunk, holding to that invariant. */
export function search(options: SearchOptions): SearchOutcome {
  const outcome: SearchOutcome = { histories: 0, steps: 0, maxPlanSteps: 0, tolerated: {} };
  const arbitrary = historyArbitrary(options.steps, options.large ?? true).map((h) => ({
    ...h,
    ops: withoutFaults(h.ops, options.withoutFaults),
  }));
  let counting = true;
  const property = (enforce: ReadonlySet<InvariantId>) =>
    fc.property(arbitrary, ({ config, ops }) => {
      const result = runHistory(config, ops, { enforce, tolerateKnown: options.tolerateKnown });
      if (counting) {
        outcome.histories++;
        outcome.steps += result.steps;
        outcome.maxPlanSteps = Math.max(outcome.maxPlanSteps, result.maxPlanSteps);
        for (const [k, n] of Object.entries(result.tolerated)) outcome.tolerated[k] = (outcome.tolerated[k] ?? 0) + n;
      }
      if (result.violation) {
        counting = false;
        throw new InvariantBroken(result);
      }
    });
  const found = fc.check(property(options.enforce), {
    seed: options.seed,
    numRuns: options.histories,
    ...(options.path ? { path: options.path } : {}),
    endOnFailure: true,
  });
  if (!found.failed || !found.counterexample || found.counterexamplePath === null) return outcome;
  if (options.shrink === false) {
    const [{ config, ops }] = found.counterexample as [{ config: SimConfig; ops: Op[] }];
    const result = (found.errorInstance as InvariantBroken).result;
    outcome.counterexample = { config, ops, result, seed: options.seed, path: found.counterexamplePath, shrinks: 0 };
    return outcome;
  }
  // Shrink again holding to the invariant found (and to its known problem, or to none), so the
  // short history shows the same problem.
  const [original] = found.counterexample as [{ config: SimConfig; ops: Op[] }];
  const first = (found.errorInstance as InvariantBroken).result.violation;
  const only = first ? new Set<InvariantId>([first.invariant]) : options.enforce;
  const problem = first ? knownProblem(first, original) : undefined;
  const same = fc.property(arbitrary, ({ config, ops }) => {
    const result = runHistory(config, ops, { enforce: only, tolerateKnown: options.tolerateKnown });
    if (result.violation && knownProblem(result.violation, { config, ops }) === problem)
      throw new InvariantBroken(result);
  });
  const shrunk = fc.check(same, { seed: options.seed, path: found.counterexamplePath, numRuns: 1 });
  const details = shrunk.failed && shrunk.counterexample ? shrunk : found;
  const [{ config, ops }] = details.counterexample as [{ config: SimConfig; ops: Op[] }];
  outcome.counterexample = {
    config,
    ops,
    result: runHistory(config, ops, { enforce: only, tolerateKnown: options.tolerateKnown }),
    seed: options.seed,
    path: details.counterexamplePath ?? found.counterexamplePath,
    shrinks: found.numShrinks + (details === shrunk ? shrunk.numShrinks : 0),
  };
  return outcome;
}

function withoutFaults(ops: Op[], left: ReadonlySet<Fault['kind']> | undefined): Op[] {
  if (!left || left.size === 0) return ops;
  return ops.map((op) => {
    if (!op.fault || !left.has(op.fault.kind)) return op;
    const { fault: _fault, ...rest } = op;
    return rest as Op;
  });
}
