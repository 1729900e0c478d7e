// Properties of lifecycleEvents over random status histories (fast-check, fixed seeds: a failure
// prints its seed and path, and `fc.assert(..., { seed, path })` replays it):
//   - event ids are unique, and one id always means the same (run, stage, attempt, type);
//   - every run has at most one terminal event, across the whole history, and it is the run's last;
//   - order is causal per run: the run's start first; per stage, attempt k started before its end,
//     and attempt k ended before attempt k + 1 started; a cached stage has one event.
// Two generators: scripted histories (runs that progress the way the planner writes status, with
// concurrent runs moving out of lastRun into runs[]), and arbitrary statuses (any phase, reason,
// attempts and times, as a status written by hand could hold).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PipelineStatus, RunStatus, RunSummary, StageStatus } from '../../../src/api/types.ts';
import { lifecycleEvents, type LifecycleEvent } from '../../../src/notify/lifecycle.ts';
import { pipelineWith, short, T } from './fixtures.ts';

const STAGES = ['extract', 'clean', 'load', 'report'];
type Outcome = 'Succeeded' | 'Failed' | 'Cached' | 'Skipped' | 'Running';
type StageScript = { name: string; startAt: number; attempts: number; outcome: Outcome };
type RunScript = { id: string; startAt: number; stages: StageScript[]; end: 'Succeeded' | 'Failed' | 'Cancelled' };

const stageScript = (name: string) =>
  fc.record({
    name: fc.constant(name),
    startAt: fc.integer({ min: 0, max: 4 }),
    attempts: fc.integer({ min: 1, max: 3 }),
    outcome: fc.constantFrom<Outcome>('Succeeded', 'Failed', 'Cached', 'Skipped', 'Running'),
  });
const runScript = (index: number) =>
  fc.record({
    id: fc.constant(`r${index}`),
    startAt: fc.integer({ min: 0, max: 6 }),
    stages: fc.subarray(STAGES, { minLength: 1 }).chain((names) => fc.tuple(...names.map(stageScript))),
    end: fc.constantFrom<RunScript['end']>('Succeeded', 'Failed', 'Cancelled'),
  });
const history = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => runScript(i))));

/** The step at which the run ends: after its last stage (a cancelled run, halfway through). */
function runEnd(run: RunScript): number {
  const last = Math.max(...run.stages.map((s) => run.startAt + s.startAt + s.attempts));
  return run.end === 'Cancelled' ? run.startAt + Math.ceil((last - run.startAt) / 2) : last + 1;
}

function stageAt(run: RunScript, stage: StageScript, t: number, ended: boolean): StageStatus {
  const start = run.startAt + stage.startAt;
  if (stage.outcome === 'Skipped' || t < start) return { name: stage.name, phase: ended ? 'Skipped' : 'Pending' };
  if (stage.outcome === 'Cached')
    return { name: stage.name, phase: 'Succeeded', reason: 'Cached', completionTime: T(start) };
  const attempts = Math.min(stage.attempts, t - start + 1);
  const running: StageStatus = { name: stage.name, phase: 'Running', attempts, startTime: T(start) };
  const done = t >= start + stage.attempts && stage.outcome !== 'Running';
  if (done) {
    const phase = stage.outcome === 'Succeeded' ? 'Succeeded' : 'Failed';
    return {
      ...running,
      phase,
      completionTime: T(start + stage.attempts),
      ...(phase === 'Failed' ? { reason: 'Error' } : {}),
    };
  }
  if (!ended) return running;
  // The run ended while the stage ran: cancelled (or the deadline) fails it.
  return { ...running, phase: 'Failed', reason: 'RunCancelled', completionTime: T(t) };
}

function runAt(run: RunScript, t: number): RunStatus | undefined {
  if (t < run.startAt) return undefined;
  const ended = t >= runEnd(run);
  const stages = run.stages.map((s) => stageAt(run, s, t, ended));
  const base = { id: run.id, trigger: 'manual' as const, startTime: T(run.startAt), stages };
  return ended ? { ...base, phase: run.end, completionTime: T(runEnd(run)) } : { ...base, phase: 'Running' };
}

/** Status at step t as the planner writes it: the newest run is lastRun, runs[] summarizes all. */
function statusAt(runs: RunScript[], t: number): PipelineStatus {
  const shown = runs.flatMap((r) => runAt(r, t) ?? []);
  if (shown.length === 0) return {};
  const lastRun = shown.reduce((a, b) => ((b.startTime ?? '') >= (a.startTime ?? '') ? b : a));
  const summaries = shown.map((r): RunSummary => {
    const { stages, ...rest } = r;
    if (r.phase !== 'Running') return rest;
    // Active runs keep stage memory: finished stages without their times.
    const memory = (stages ?? [])
      .filter((s) => s.phase !== 'Pending')
      .map(({ completionTime: _c, ...s }) => (s.phase === 'Running' ? s : { ...s, startTime: undefined }));
    return { ...rest, stages: memory.map((s) => JSON.parse(JSON.stringify(s))) };
  });
  return { lastRun, runs: summaries };
}

/** The per-snapshot properties; returns nothing, fails with a message. */
function checkSnapshot(events: LifecycleEvent[]): void {
  const keys = events.map((e) => JSON.stringify([e.run, e.stage, e.attempt, e.type]));
  expect(new Set(keys).size, 'one event per (run, stage, attempt, type)').toBe(keys.length);
  expect(new Set(events.map((e) => e.id)).size, 'unique ids').toBe(events.length);
  const byRun = Map.groupBy(events, (e) => e.run);
  for (const [runId, list] of byRun) {
    expect(list[0]?.type, `${runId} starts with run.started`).toBe('dev.conveyor.run.started.v1');
    expect(list.filter((e) => e.type === 'dev.conveyor.run.started.v1').length).toBe(1);
    const terminal = list.filter((e) => e.terminal);
    expect(terminal.length, `${runId}: at most one terminal event`).toBeLessThanOrEqual(1);
    if (terminal.length === 1)
      expect(list[list.length - 1]?.terminal, `${runId}: the terminal event is last`).toBe(true);
    for (const [, stageEvents] of Map.groupBy(
      list.filter((e) => e.stage !== undefined),
      (e) => e.stage,
    )) {
      checkStage(stageEvents);
    }
  }
}

/** started(1) [failed(1) started(2) ...] [end]; or one cached; times never go back. */
function checkStage(events: LifecycleEvent[]): void {
  const seq = events.map(short);
  if (events[0]?.type === 'dev.conveyor.stage.cached.v1') return void expect(events.length, seq.join()).toBe(1);
  events.forEach((event, i) => {
    const attempt = Math.floor(i / 2) + 1;
    expect(event.attempt, seq.join()).toBe(attempt);
    expect(event.type === 'dev.conveyor.stage.started.v1', seq.join()).toBe(i % 2 === 0);
    if (i > 0) expect(Date.parse(event.time)).toBeGreaterThanOrEqual(Date.parse(events[i - 1]?.time ?? ''));
  });
}

describe('lifecycleEvents properties', () => {
  it('scripted histories (seed 19): per snapshot causal and unique; ids stable; one terminal per run overall', () => {
    fc.assert(
      fc.property(history, (runs) => {
        const meaning = new Map<string, string>();
        const terminals = new Map<string, Set<string>>();
        const steps = Math.max(...runs.map(runEnd)) + 2;
        for (let t = 0; t <= steps; t++) {
          const events = lifecycleEvents(pipelineWith(statusAt(runs, t)));
          checkSnapshot(events);
          for (const e of events) {
            expect(meaning.get(e.id) ?? short(e), 'an id always means the same event').toBe(short(e));
            meaning.set(e.id, short(e));
            if (e.terminal) terminals.set(e.run, (terminals.get(e.run) ?? new Set()).add(e.id));
          }
        }
        for (const [run, ids] of terminals) expect(ids.size, `${run}: one terminal event in the history`).toBe(1);
        // Every run ended, so each has its terminal event.
        expect(terminals.size).toBe(runs.length);
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  const anyStage = fc.record(
    {
      name: fc.constantFrom(...STAGES),
      phase: fc.constantFrom<StageStatus['phase']>('Pending', 'Running', 'Succeeded', 'Failed', 'Skipped'),
      attempts: fc.integer({ min: -2, max: 5 }),
      reason: fc.constantFrom('Cached', 'FromRun', 'RunCancelled', 'Error', 'Retried'),
      startTime: fc.integer({ min: 0, max: 59 }).map(T),
      completionTime: fc.integer({ min: 0, max: 59 }).map(T),
    },
    { requiredKeys: ['name', 'phase'] },
  );
  const anyRun = fc.record(
    {
      id: fc.constantFrom('a', 'b', 'c', 'd'),
      trigger: fc.constant('manual' as const),
      phase: fc.constantFrom<RunStatus['phase']>('Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'Skipped'),
      startTime: fc.integer({ min: 0, max: 59 }).map(T),
      completionTime: fc.oneof(fc.integer({ min: 0, max: 59 }).map(T), fc.constant('not a time')),
      stages: fc.uniqueArray(anyStage, { selector: (s) => s.name, maxLength: 4 }),
    },
    { requiredKeys: ['id', 'trigger', 'phase'] },
  );

  it('arbitrary statuses (seed 20): unique keys and ids, causal per run, at most one terminal', () => {
    fc.assert(
      fc.property(fc.option(anyRun, { nil: undefined }), fc.array(anyRun, { maxLength: 6 }), (lastRun, runs) => {
        checkSnapshot(lifecycleEvents(pipelineWith({ ...(lastRun ? { lastRun } : {}), runs })));
      }),
      { seed: 20, numRuns: 500 },
    );
  });
});
