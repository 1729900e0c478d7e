// Chaining (spec.triggers.after): a run of this pipeline starts for each run of another pipeline
// in the namespace that ends with the wanted phase. Status remembers, per upstream, which of its
// ended runs are handled (status.lastTriggers), so each upstream run fires at most once, and which
// were still active, so one that leaves the upstream's bounded history unseen is reported.
import type { ChainTrigger, Pipeline, PipelineStatus } from '../../api/types.ts';
import {
  MAX_ACTIVE_RUNS,
  MAX_HANDLED_UPSTREAM_RUNS,
  MAX_RUN_ID_LENGTH,
  MAX_RUNS,
  MAX_TRIGGERS,
} from '../../api/schema.ts';
import { MAX_RUN_SUMMARIES } from '../tidy/history.ts';
import { isPlainObject } from '../objects.ts';
import type { RunValues } from '../values/values.ts';
import { isoOf, toDate } from '../time.ts';
import type { PlanEvent } from '../types.ts';

export type HandledTrigger = NonNullable<PipelineStatus['lastTriggers']>[number];

type RunTimesOf = Pick<RunValues, 'logicalTime' | 'intervalStart' | 'intervalEnd'>;

/** An upstream run that fires this pipeline: which incarnation of the upstream, and what it processed. */
export type FiredTrigger = { pipeline: string; uid?: string; run: string; phase: string; times?: RunTimesOf };

export type ChainEvaluation = {
  /** The new status.lastTriggers (undefined when the pipeline has no chain triggers). */
  lastTriggers?: HandledTrigger[];
  /** Upstream runs that ended with a wanted phase since last handled: per upstream in spec order, each in the order they ended. */
  fired: FiredTrigger[];
  /** TriggerMissed: upstream runs that ended unseen. */
  events: PlanEvent[];
};

function triggersOf(pipeline: Pipeline | undefined): ChainTrigger[] {
  const after = pipeline?.spec?.triggers?.after;
  return Array.isArray(after)
    ? after.filter((t): t is ChainTrigger => isPlainObject(t) && typeof t.pipeline === 'string' && t.pipeline !== '')
    : [];
}

/**
 * Which upstream runs fire now. Choice: the first time a pipeline sees an upstream (no entry in
 * lastTriggers yet — a new downstream pipeline, a newly added trigger, or a lost status) it
 * records the upstream's ended runs as handled WITHOUT starting a run; otherwise creating a
 * downstream pipeline would fire on old history. Its runs still active then fire when they end.
 * An upstream missing from `upstream` (not created yet) gets no entry, so its first run after it
 * appears counts as first sight too; an entry already recorded is kept while the upstream is
 * missing. Every ended run not handled yet fires once, in the order the runs ended, also an
 * older run that ends after a newer one (concurrencyPolicy Allow, a backfill).
 */
export function evaluateChainTriggers(
  pipeline: Pipeline,
  upstream: Pipeline[],
  previous: HandledTrigger[] | undefined,
): ChainEvaluation {
  const triggers = triggersOf(pipeline);
  if (triggers.length === 0) return { fired: [], events: [] };
  const handled = new Map(
    (Array.isArray(previous) ? previous : []).filter((h) => isPlainObject(h)).map((h) => [h.pipeline, h]),
  );
  const wanted = new Map<string, Set<string>>();
  for (const trigger of triggers) {
    const phases = wanted.get(trigger.pipeline) ?? new Set<string>();
    phases.add(trigger.phase ?? 'Succeeded');
    wanted.set(trigger.pipeline, phases);
  }

  const lastTriggers: HandledTrigger[] = [];
  const fired: FiredTrigger[] = [];
  const events: PlanEvent[] = [];
  for (const [name, phases] of [...wanted].slice(0, MAX_TRIGGERS)) {
    const other = (Array.isArray(upstream) ? upstream : []).find((p) => p?.metadata?.name === name);
    const step = evaluateUpstream(name, phases, other, handled.get(name));
    if (step.handled) lastTriggers.push(step.handled);
    fired.push(...step.fired);
    events.push(...step.events);
  }
  return { lastTriggers, fired, events };
}

/** One run of an upstream as its status shows it, checked (another Pipeline's status is input too). */
type UpstreamRun = { id: string; phase: string; ended: boolean; endedAt: number; listed: number; times?: RunTimesOf };

type UpstreamView = {
  uid?: string;
  lastRun?: string;
  /** Ended runs, at most MAX_HANDLED_UPSTREAM_RUNS (the newest listed), in the order they ended. */
  ended: UpstreamRun[];
  /** Runs still active, at most MAX_ACTIVE_RUNS. */
  active: UpstreamRun[];
  /** Every run id the upstream's status shows (lastRun and runs[]). */
  ids: Set<string>;
};

const ENDED_PHASES = new Set(['Succeeded', 'Failed', 'Cancelled', 'Skipped']);

/** An RFC 3339 time with a four-digit year, normalized; undefined otherwise. */
function checkedTime(value: unknown): string | undefined {
  const text = isoOf(value);
  return text && /^\d{4}-/.test(text) ? text : undefined;
}

/** The logical time and interval an upstream run recorded (none from an upstream of an older version). */
function timesOf(run: Record<string, unknown>): RunTimesOf | undefined {
  const logicalTime = checkedTime(run.logicalTime);
  if (!logicalTime) return undefined;
  const intervalStart = checkedTime(run.intervalStart);
  const intervalEnd = checkedTime(run.intervalEnd);
  return { logicalTime, ...(intervalStart ? { intervalStart } : {}), ...(intervalEnd ? { intervalEnd } : {}) };
}

/** The upstream's runs: lastRun, then runs[] (newest first), each id once. */
function viewOf(other: Pipeline): UpstreamView {
  const status: Record<string, unknown> = isPlainObject(other.status) ? other.status : {};
  const listed = [status.lastRun, ...(Array.isArray(status.runs) ? status.runs.slice(0, MAX_RUNS) : [])];
  const runs = new Map<string, UpstreamRun>();
  for (const run of listed) {
    if (
      !isPlainObject(run) ||
      typeof run.id !== 'string' ||
      run.id === '' ||
      run.id.length > MAX_RUN_ID_LENGTH ||
      runs.has(run.id)
    )
      continue;
    const phase = typeof run.phase === 'string' ? run.phase : '';
    const endedAt = (toDate(run.completionTime) ?? toDate(run.startTime))?.getTime() ?? 0;
    const times = timesOf(run);
    runs.set(run.id, {
      id: run.id,
      phase,
      ended: ENDED_PHASES.has(phase),
      endedAt,
      listed: runs.size,
      ...(times ? { times } : {}),
    });
  }
  const all = [...runs.values()];
  const lastRun =
    isPlainObject(status.lastRun) && typeof status.lastRun.id === 'string' ? status.lastRun.id : undefined;
  return {
    ...(typeof other.metadata?.uid === 'string' ? { uid: other.metadata.uid } : {}),
    ...(lastRun !== undefined ? { lastRun } : {}),
    // Of two that ended at the same time, the one listed later (older) ended first.
    ended: all
      .filter((r) => r.ended)
      .slice(0, MAX_HANDLED_UPSTREAM_RUNS)
      .sort((a, b) => a.endedAt - b.endedAt || b.listed - a.listed),
    active: all.filter((r) => !r.ended).slice(0, MAX_ACTIVE_RUNS),
    ids: new Set(runs.keys()),
  };
}

/** What the previous look handled of this upstream. `legacy`: an entry of the previous version (no `ended`). */
type Known = { ended: Set<string>; active: Set<string>; run: string; legacy: boolean };

/** Ids a previous status recorded, at most `max` (status is input too). */
const idsOf = (list: unknown, max: number): Set<string> =>
  new Set(Array.isArray(list) ? list.slice(0, max).filter((s): s is string => typeof s === 'string') : []);

/**
 * A re-created upstream (another uid; its run ids start afresh) has handled nothing. An entry of
 * the previous version recorded only the last run handled, and that version fired only on the
 * upstream's lastRun: so every ended run counts as handled but a lastRun other than that one,
 * which fires as it would have — an upgrade re-fires no old run.
 */
function knownOf(seen: HandledTrigger, view: UpstreamView): Known {
  const recreated = seen.uid !== undefined && view.uid !== undefined && seen.uid !== view.uid;
  if (recreated) return { ended: new Set(), active: new Set(), run: '', legacy: false };
  const run = typeof seen.run === 'string' ? seen.run : '';
  if (Array.isArray(seen.ended)) {
    return {
      ended: idsOf(seen.ended, MAX_HANDLED_UPSTREAM_RUNS),
      active: idsOf(seen.active, MAX_ACTIVE_RUNS),
      run,
      legacy: false,
    };
  }
  const ended = new Set(view.ended.filter((r) => r.id === run || r.id !== view.lastRun).map((r) => r.id));
  return { ended, active: new Set(), run, legacy: true };
}

/** One upstream: what is handled now, which of its runs fire, and what ended unseen. */
function evaluateUpstream(
  name: string,
  phases: Set<string>,
  other: Pipeline | undefined,
  seen: HandledTrigger | undefined,
): { handled?: HandledTrigger; fired: FiredTrigger[]; events: PlanEvent[] } {
  if (!other) return { ...(seen ? { handled: seen } : {}), fired: [], events: [] };
  const view = viewOf(other);
  const entry = (run: string): HandledTrigger => ({
    pipeline: name,
    ...(view.uid ? { uid: view.uid } : {}),
    run,
    ended: view.ended.map((r) => r.id),
    ...(view.active.length > 0 ? { active: view.active.map((r) => r.id) } : {}),
  });
  if (!seen) return { handled: entry(view.lastRun ?? ''), fired: [], events: [] };
  const known = knownOf(seen, view);
  const fresh = view.ended.filter((r) => !known.ended.has(r.id));
  const fired = fresh
    .filter((r) => phases.has(r.phase))
    .map(
      (r): FiredTrigger => ({
        pipeline: name,
        ...(view.uid ? { uid: view.uid } : {}),
        run: r.id,
        phase: r.phase,
        ...(r.times ? { times: r.times } : {}),
      }),
    );
  const missed = known.legacy ? [] : missedEvents(name, phases, known, view);
  return { handled: entry(fresh[fresh.length - 1]?.id ?? known.run), fired, events: missed };
}

/**
 * Upstream runs that ended unseen: the upstream's status keeps the MAX_RUN_SUMMARIES finished runs
 * that ended last (history.ts), so a run can leave it before this pipeline looks — it looks each
 * time the upstream's status changes, but it may lag (down, Invalid, a long queue). Certain for a
 * run seen active that is gone; possible when every finished run the full history shows is new
 * here (then the one before them ended after the last look too, or was known: it cannot tell).
 * Said, since nothing can run for them.
 */
function missedEvents(name: string, phases: Set<string>, known: Known, view: UpstreamView): PlanEvent[] {
  const gone = [...known.active].filter((id) => !view.ids.has(id));
  const full = view.ended.length >= MAX_RUN_SUMMARIES;
  const maybe = full && !view.ended.some((r) => known.ended.has(r.id) || known.active.has(r.id));
  if (gone.length === 0 && !maybe) return [];
  const consequence = `before this pipeline saw how they ended (it keeps the last ${MAX_RUN_SUMMARIES} finished runs); no run started here for any of them that ended ${[...phases].join(' or ')}`;
  const message =
    gone.length > 0
      ? `${gone.length === 1 ? 'run' : 'runs'} ${gone.join(', ')} of ${name} ended unseen${maybe ? ', and maybe others' : ''}: they left the status of ${name} ${consequence}`
      : `runs of ${name} may have ended unseen: every finished run its status shows is new here, so others may have left it ${consequence}`;
  return [{ type: 'Warning', reason: 'TriggerMissed', message }];
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
