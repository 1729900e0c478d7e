// Chaining (spec.triggers.after): a run of this pipeline starts when a run of another pipeline
// in the namespace finishes with the wanted phase. Status remembers, per upstream, the last of
// its runs handled (status.lastTriggers), so each upstream run fires at most once.
import type { ChainTrigger, Pipeline, PipelineStatus } from '../api/types.ts';
import { MAX_TRIGGERS } from '../api/schema.ts';
import { isPlainObject } from './merge.ts';
import type { RunValues } from './run-values.ts';

export type HandledTrigger = NonNullable<PipelineStatus['lastTriggers']>[number];

type RunTimesOf = Pick<RunValues, 'logicalTime' | 'intervalStart' | 'intervalEnd'>;

/** An upstream run that fires this pipeline. */
export type FiredTrigger = { pipeline: string; run: string };

export type ChainEvaluation = {
  /** The new status.lastTriggers (undefined when the pipeline has no chain triggers). */
  lastTriggers?: HandledTrigger[];
  /** Upstream runs that finished with a wanted phase since last handled, in spec order. */
  fired: FiredTrigger[];
};

function triggersOf(pipeline: Pipeline | undefined): ChainTrigger[] {
  const after = pipeline?.spec?.triggers?.after;
  return Array.isArray(after) ? after.filter((t): t is ChainTrigger => isPlainObject(t) && typeof t.pipeline === 'string' && t.pipeline !== '') : [];
}

/**
 * Which upstream runs fire now. Choice: the first time a pipeline sees an upstream (no entry in
 * lastTriggers yet — a new downstream pipeline, a newly added trigger, or a lost status) it
 * records the upstream's current lastRun as handled WITHOUT starting a run; otherwise creating a
 * downstream pipeline would fire on old history. An upstream missing from `upstream` (not created
 * yet) gets no entry, so its first run after it appears counts as first sight too; an entry
 * already recorded is kept while the upstream is missing. Only the upstream's lastRun is looked
 * at, once it has a completionTime: with overlapping upstream runs (Allow) an older run that
 * finishes after a newer one started does not fire.
 */
export function evaluateChainTriggers(pipeline: Pipeline, upstream: Pipeline[], previous: HandledTrigger[] | undefined): ChainEvaluation {
  const triggers = triggersOf(pipeline);
  if (triggers.length === 0) return { fired: [] };
  const handled = new Map((Array.isArray(previous) ? previous : []).filter((h) => isPlainObject(h)).map((h) => [h.pipeline, h]));
  const wanted = new Map<string, Set<string>>();
  for (const trigger of triggers) {
    const phases = wanted.get(trigger.pipeline) ?? new Set<string>();
    phases.add(trigger.phase ?? 'Succeeded');
    wanted.set(trigger.pipeline, phases);
  }

  const lastTriggers: HandledTrigger[] = [];
  const fired: FiredTrigger[] = [];
  for (const [name, phases] of wanted) {
    const other = (Array.isArray(upstream) ? upstream : []).find((p) => p?.metadata?.name === name);
    const step = evaluateUpstream(name, phases, other, handled.get(name));
    if (step.handled) lastTriggers.push(step.handled);
    if (step.fired) fired.push(step.fired);
  }
  return { lastTriggers: lastTriggers.slice(0, MAX_TRIGGERS), fired };
}

/**
 * One upstream: what is handled now, and whether its latest run fires. Runs are told apart by
 * the upstream's uid too: a Pipeline deleted and created again under the same name starts its
 * run ids afresh (its first run is g1 again), and that run is new, not one already handled.
 */
function evaluateUpstream(
  name: string,
  phases: Set<string>,
  other: Pipeline | undefined,
  seen: HandledTrigger | undefined,
): { handled?: HandledTrigger; fired?: FiredTrigger } {
  if (!other) return seen ? { handled: seen } : {};
  const uid = typeof other.metadata?.uid === 'string' ? other.metadata.uid : undefined;
  const last = other.status?.lastRun;
  const entry = (run: string): HandledTrigger => ({ pipeline: name, run, ...(uid ? { uid } : {}) });
  if (!seen) return { handled: entry(last?.id ?? '') };
  const recreated = seen.uid !== undefined && uid !== undefined && seen.uid !== uid;
  const handledRun = recreated ? '' : seen.run;
  // Nothing new, or the new run has not finished yet.
  if (!last?.id || last.id === handledRun || !last.completionTime) return { handled: entry(handledRun) };
  return { handled: entry(last.id), ...(phases.has(last.phase) ? { fired: { pipeline: name, run: last.id } } : {}) };
}

/**
 * The logical time and interval of the upstream run that fired a chained run: a chained run
 * processes the same slice of data as the run it follows. Read from the upstream Pipeline's
 * status entry of that run; undefined when it records none (an upstream of an older version).
 */
export function upstreamRunTimes(upstream: Pipeline[], fired: FiredTrigger): RunTimesOf | undefined {
  const other = (Array.isArray(upstream) ? upstream : []).find((p) => p?.metadata?.name === fired.pipeline);
  const status = other?.status;
  const runs = [status?.lastRun, ...(Array.isArray(status?.runs) ? status.runs : [])];
  const run = runs.find((r) => r?.id === fired.run);
  if (!run?.logicalTime) return undefined;
  return {
    logicalTime: run.logicalTime,
    ...(run.intervalStart ? { intervalStart: run.intervalStart } : {}),
    ...(run.intervalEnd ? { intervalEnd: run.intervalEnd } : {}),
  };
}

/**
 * A cycle of chain triggers through `start` (a after b, b after a: `['a', 'b', 'a']`), the
 * shortest one, or undefined. Pipelines on such a cycle would trigger each other forever; the
 * reconciler reports the cycle as a problem of every pipeline on it, which makes them Invalid.
 * A cycle elsewhere that `start` merely waits on is not `start`'s cycle.
 */
export function findTriggerCycle(pipelines: Pipeline[], start: string): string[] | undefined {
  const after = new Map<string, string[]>();
  for (const p of Array.isArray(pipelines) ? pipelines : []) {
    const name = p?.metadata?.name;
    if (name && !after.has(name)) after.set(name, [...new Set(triggersOf(p).map((t) => t.pipeline))]);
  }
  // Breadth first: the first path back to `start` is a shortest cycle, and deterministic.
  const queue: string[][] = [[start]];
  const visited = new Set<string>();
  while (queue.length > 0) {
    const path = queue.shift() ?? [];
    const node = path[path.length - 1] ?? start;
    for (const next of after.get(node) ?? []) {
      if (next === start) return [...path, start];
      if (visited.has(next)) continue;
      visited.add(next);
      queue.push([...path, next]);
    }
  }
  return undefined;
}
