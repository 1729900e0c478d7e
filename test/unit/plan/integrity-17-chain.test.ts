// Issue 17, chaining: case 5 (a chained pipeline runs once per upstream run that ends in the
// phase, backfill runs included, each with that run's logical time) and case 11 (a re-created
// upstream fires its chained pipeline; a trigger that fires starts a run or records why not).
// Two FakeClusters play the upstream and the downstream Pipeline: the downstream looks at the
// upstream's status each time the upstream's is written, as the downstream index wakes it.
import { describe, expect, it } from 'vitest';
import type { Pipeline, PipelineSpec, RunSummary } from '../../../src/api/types.ts';
import { ANN_BACKFILL_REQUESTED } from '../../../src/api/labels.ts';
import { MAX_RUN_SUMMARIES, runHistory } from '../../../src/plan/tidy/history.ts';
import { backfillRunId, chainRunId } from '../../../src/plan/names.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, at, createdJobs, eventReasons, pipeline, stage } from './fixtures.ts';

const DAY = 86_400_000;
/** Seven daily ticks before T0 (2025-01-01): 2024-12-25 .. 2024-12-31. */
const FROM = '2024-12-25T00:00:00Z';
const TO = '2025-01-01T00:00:00Z';
const tick = (n: number): Date => new Date(Date.parse(FROM) + n * DAY);
/** RFC 3339 as status writes it (second precision). */
const iso = (n: number): string => tick(n).toISOString().replace('.000Z', 'Z');

const createdRuns = (result: Plan): string[] => [
  ...new Set(createdJobs(result).map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? '')),
];
const chainRuns = (cluster: FakeCluster): RunSummary[] =>
  (cluster.pipeline.status?.runs ?? []).filter((r) => r.trigger === 'chain');
const messages = (result: Plan, reason: string): string[] =>
  result.events.filter((e) => e.reason === reason).map((e) => e.message);

function downstream(extra: Partial<PipelineSpec> = {}): FakeCluster {
  return new FakeCluster(
    pipeline(
      { stages: [stage('r')], triggers: { after: [{ pipeline: 'ingest' }] }, ...extra },
      { name: 'report', uid: 'uid-report' },
    ),
  );
}

/** Every run the downstream created Jobs for, over the whole test (its old Jobs get pruned). */
const started = new WeakMap<FakeCluster, string[]>();

/** The downstream looks at the upstream; every chained run it starts does its work at once. */
function look(down: FakeCluster, up: Pipeline, seconds: number): Plan {
  down.upstream = [structuredClone(up)];
  const result = down.reconcile(at(seconds));
  for (const run of createdRuns(result)) down.setIn(run, 'r', { state: 'succeeded' });
  started.set(down, [...(started.get(down) ?? []), ...createdRuns(result)]);
  return result;
}

/** An upstream run as its status entry shows it. */
function upRun(id: string, phase: RunSummary['phase'], n: number): RunSummary {
  const ended = phase !== 'Running';
  return {
    id,
    trigger: 'backfill',
    phase,
    startTime: new Date(at(100 * n).getTime()).toISOString(),
    ...(ended ? { completionTime: new Date(at(100 * n + 50).getTime()).toISOString() } : {}),
    logicalTime: iso(n),
    intervalStart: iso(n),
    intervalEnd: iso(n + 1),
  };
}

/** A full upstream history: MAX_RUN_SUMMARIES runs that succeeded, newest (`newest`) first. */
const fullHistory = (newest: number): RunSummary[] =>
  Array.from({ length: MAX_RUN_SUMMARIES }, (_, i) => upRun(`n${i}`, 'Succeeded', newest - i));

/** The upstream Pipeline `ingest` with these runs (newest first, the first one is lastRun). */
function ingest(runs: RunSummary[], uid = 'uid-ingest'): Pipeline {
  return pipeline(
    { stages: [stage('x')] },
    { name: 'ingest', uid, status: { ...(runs[0] ? { lastRun: runs[0] } : {}), runs } },
  );
}

describe('issue 17 case 5: a chained pipeline runs once per upstream run that ends in the phase', () => {
  it('a 7-tick upstream backfill (maxActive 1) runs the chained pipeline 7 times, each with its upstream run’s logical time', () => {
    const up = new FakeCluster(
      pipeline({ stages: [stage('x')], schedule: '@daily' }, { name: 'ingest', uid: 'uid-ingest' }),
    );
    up.reconcile(at(0));
    const down = downstream();
    look(down, up.pipeline, 1);
    up.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf1', from: FROM, to: TO, maxActive: 1 }));
    let t = 10;
    for (let n = 0; n < 7; n++) {
      up.reconcile(at(t++));
      look(down, up.pipeline, t++);
      up.setIn(backfillRunId('bf1', tick(n)), 'x', { state: 'succeeded' });
    }
    up.reconcile(at(t++));
    look(down, up.pipeline, t++);
    look(down, up.pipeline, t++);
    expect(up.pipeline.status?.backfill).toMatchObject({ phase: 'Succeeded', done: 7 });

    const upstreamRuns = (up.pipeline.status?.runs ?? []).filter((r) => r.trigger === 'backfill');
    expect(upstreamRuns).toHaveLength(7);
    const times = (runs: RunSummary[]) =>
      runs.map((r) => [r.logicalTime, r.intervalStart, r.intervalEnd].join(' ')).sort();
    const chained = chainRuns(down);
    expect(chained.map((r) => r.phase)).toEqual(Array(7).fill('Succeeded'));
    expect(times(chained)).toEqual(times(upstreamRuns));
    expect(new Set(chained.map((r) => r.id)).size).toBe(7);
    expect(started.get(down)?.sort()).toEqual(chained.map((r) => r.id).sort());
  });

  it('an upstream backfill (maxActive 2) whose first run ends after the ten others: every run fires, none is missed', () => {
    const up = new FakeCluster(
      pipeline({ stages: [stage('x')], schedule: '@daily' }, { name: 'ingest', uid: 'uid-ingest' }),
    );
    up.reconcile(at(0));
    const down = downstream({ concurrencyPolicy: 'Allow' });
    look(down, up.pipeline, 1);
    // Twelve daily ticks, all before T0 (a backfill never reaches past now).
    const tick12 = (n: number): Date => new Date(Date.parse(TO) - (12 - n) * DAY);
    up.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({ id: 'bf1', from: tick12(0).toISOString(), to: TO, maxActive: 2 }),
    );
    up.reconcile(at(10));
    const missed: string[] = [];
    let t = 20;
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0]) {
      up.setIn(backfillRunId('bf1', tick12(n)), 'x', { state: 'succeeded', at: at(t) });
      up.reconcile(at(t++));
      missed.push(...messages(look(down, up.pipeline, t++), 'TriggerMissed'));
    }
    look(down, up.pipeline, t++);
    expect(up.pipeline.status?.backfill).toMatchObject({ phase: 'Succeeded', done: 12 });
    expect(missed).toEqual([]);
    const chained = chainRuns(down);
    expect(started.get(down)).toHaveLength(12);
    expect(chained.find((r) => r.logicalTime === iso(0))).toMatchObject({ phase: 'Succeeded' });
  });

  it('several upstream runs ended between two looks: one run each, in the order they ended (Allow)', () => {
    const down = downstream({ concurrencyPolicy: 'Allow' });
    look(down, ingest([]), 0);
    const result = look(
      down,
      ingest([
        upRun('b3', 'Running', 3),
        upRun('b2', 'Succeeded', 2),
        upRun('b1', 'Failed', 1),
        upRun('b0', 'Succeeded', 0),
      ]),
      10,
    );
    const ids = ['b0', 'b2'].map((run) => chainRunId('ingest', 'uid-ingest', run));
    expect(createdRuns(result).sort()).toEqual([...ids].sort());
    // The last to start is the newest upstream run's: it is lastRun.
    expect(result.status.lastRun).toMatchObject({ id: ids[1], trigger: 'chain', logicalTime: iso(2) });
    expect(chainRuns(down).find((r) => r.id === ids[0])?.logicalTime).toBe(iso(0));
    // Nothing fires twice; b3 fires when it ends.
    expect(
      createdRuns(
        look(
          down,
          ingest([
            upRun('b3', 'Running', 3),
            upRun('b2', 'Succeeded', 2),
            upRun('b1', 'Failed', 1),
            upRun('b0', 'Succeeded', 0),
          ]),
          20,
        ),
      ),
    ).toEqual([]);
    const b3 = look(
      down,
      ingest([
        upRun('b3', 'Succeeded', 3),
        upRun('b2', 'Succeeded', 2),
        upRun('b1', 'Failed', 1),
        upRun('b0', 'Succeeded', 0),
      ]),
      30,
    );
    expect(createdRuns(b3)).toEqual([chainRunId('ingest', 'uid-ingest', 'b3')]);
  });

  it('under Forbid the runs that find one active are Skipped, each with its reason', () => {
    const down = downstream();
    look(down, ingest([]), 0);
    const result = down.reconcile(at(10)); // nothing new
    expect(createdRuns(result)).toEqual([]);
    down.upstream = [ingest([upRun('b2', 'Succeeded', 2), upRun('b1', 'Succeeded', 1), upRun('b0', 'Succeeded', 0)])];
    const fired = down.reconcile(at(20));
    const [first, second, third] = ['b0', 'b1', 'b2'].map((run) => chainRunId('ingest', 'uid-ingest', run));
    expect(createdRuns(fired)).toEqual([first]);
    const runs = fired.status.runs ?? [];
    for (const id of [second, third]) {
      expect(runs.find((r) => r.id === id)).toMatchObject({
        trigger: 'chain',
        phase: 'Skipped',
        message: `skipped: run ${first} still active (concurrencyPolicy Forbid)`,
      });
    }
    expect(eventReasons(fired).filter((r) => r === 'RunSkipped')).toHaveLength(2);
  });

  it('an upstream run seen active that left the upstream’s history before it was seen ended is recorded (Event)', () => {
    const down = downstream({ concurrencyPolicy: 'Allow' });
    look(down, ingest([upRun('b0', 'Running', 0)]), 0);
    // b0 ended, then ten others did: the upstream's history keeps the ten that ended last.
    const result = look(down, ingest(fullHistory(10)), 10);
    expect(createdRuns(result)).toHaveLength(MAX_RUN_SUMMARIES);
    expect(messages(result, 'TriggerMissed')).toEqual([expect.stringContaining('run b0 of ingest ended unseen')]);
  });

  it('a full upstream history of runs never seen says that older ones may have been missed (Event), once', () => {
    const down = downstream({ concurrencyPolicy: 'Allow' });
    look(down, ingest([upRun('a0', 'Succeeded', 0)]), 0);
    const newer = fullHistory(20);
    const result = look(down, ingest(newer), 10);
    expect(createdRuns(result)).toHaveLength(MAX_RUN_SUMMARIES);
    expect(messages(result, 'TriggerMissed')).toEqual([
      expect.stringContaining('runs of ingest may have ended unseen'),
    ]);
    expect(messages(look(down, ingest(newer), 20), 'TriggerMissed')).toEqual([]);
  });

  it('a history that still shows a run handled before says nothing is missed', () => {
    const down = downstream({ concurrencyPolicy: 'Allow' });
    const runs = fullHistory(20);
    look(down, ingest(runs.slice(5)), 0);
    const result = look(down, ingest(runs), 10);
    expect(createdRuns(result)).toHaveLength(5);
    expect(messages(result, 'TriggerMissed')).toEqual([]);
  });

  it('a status write lost after the chained runs started: planning again adopts them, no Job twice', () => {
    const down = downstream({ concurrencyPolicy: 'Allow' });
    look(down, ingest([]), 0);
    down.upstream = [ingest([upRun('b1', 'Succeeded', 1), upRun('b0', 'Succeeded', 0)])];
    const lost = down.reconcile(at(10), 'writeLost');
    const ids = ['b0', 'b1'].map((run) => chainRunId('ingest', 'uid-ingest', run));
    expect(createdRuns(lost).sort()).toEqual([...ids].sort());
    const again = down.reconcile(at(20));
    expect(createdJobs(again)).toEqual([]);
    expect(
      chainRuns(down)
        .map((r) => [r.id, r.phase])
        .sort(),
    ).toEqual(ids.map((id) => [id, 'Running']).sort());
    expect(createdRuns(down.reconcile(at(30)))).toEqual([]);
  });

  it('hostile upstream status and lastTriggers: no throw, bounded bookkeeping', () => {
    const down = downstream({ concurrencyPolicy: 'Allow' });
    const junk: unknown[] = [
      null,
      7,
      'x',
      { id: 42 },
      { id: 'y'.repeat(10_000), phase: 'Succeeded' },
      ...Array.from({ length: 5000 }, (_, i) => ({
        id: `r${i}`,
        phase: i % 2 ? 'Succeeded' : 'Running',
        logicalTime: '+275760-09-13T00:00:00Z',
      })),
    ];
    const up = pipeline(
      { stages: [stage('x')] },
      { name: 'ingest', uid: 'uid-ingest', status: { runs: junk } as never },
    );
    down.pipeline = {
      ...down.pipeline,
      status: {
        observedGeneration: 1,
        lastTriggers: [
          { pipeline: 'ingest', uid: 'uid-ingest', run: 7, ended: [1, 'r1', ...Array(5000).fill('z')], active: 'no' },
        ] as never,
      },
    };
    const result = look(down, up, 10);
    const entry = result.status.lastTriggers?.[0];
    expect(entry?.ended?.length).toBeLessThanOrEqual(32);
    expect(entry?.active?.length).toBeLessThanOrEqual(20);
    expect(JSON.stringify(result.status.lastTriggers).length).toBeLessThan(2000);
    // Runs fired, bounded, and none with the out-of-range logical time.
    expect(createdRuns(result).length).toBeLessThanOrEqual(20);
    expect(chainRuns(down).every((r) => !r.logicalTime?.startsWith('+'))).toBe(true);
  });

  it('after an upgrade, lastTriggers of the previous version (no handled ids) re-fires no old run', () => {
    const history = [
      upRun('b3', 'Succeeded', 3),
      upRun('b2', 'Succeeded', 2),
      upRun('b1', 'Succeeded', 1),
      upRun('b0', 'Succeeded', 0),
    ];
    const down = downstream({ concurrencyPolicy: 'Allow' });
    down.pipeline = {
      ...down.pipeline,
      status: { observedGeneration: 1, lastTriggers: [{ pipeline: 'ingest', uid: 'uid-ingest', run: 'b3' }] },
    };
    const quiet = look(down, ingest(history), 10);
    expect(createdRuns(quiet)).toEqual([]);
    expect(quiet.events.map((e) => e.reason)).not.toContain('TriggerMissed');
    // The previous version's rule still holds for its lastRun: one that ended since fires, once.
    down.pipeline = {
      ...down.pipeline,
      status: { observedGeneration: 1, lastTriggers: [{ pipeline: 'ingest', uid: 'uid-ingest', run: 'b2' }] },
    };
    expect(createdRuns(look(down, ingest(history), 20))).toEqual([chainRunId('ingest', 'uid-ingest', 'b3')]);
    expect(createdRuns(look(down, ingest(history), 30))).toEqual([]);
  });
});

describe('issue 17 case 11: a re-created upstream fires its chained pipeline', () => {
  const g1 = (phase: 'Running' | 'Succeeded', n: number): RunSummary => ({
    ...upRun('g1', phase, n),
    trigger: 'create',
  });

  it('the new ingest’s g1 starts a run although the old ingest’s g1 started one', () => {
    const down = downstream();
    look(down, ingest([], 'uid-old'), 0);
    const old = createdRuns(look(down, ingest([g1('Succeeded', 1)], 'uid-old'), 10));
    expect(old).toHaveLength(1);
    look(down, ingest([g1('Succeeded', 1)], 'uid-old'), 20); // the chained run ends

    // ingest is deleted and created again: a new uid, and its first run is g1 again.
    expect(createdRuns(look(down, ingest([g1('Running', 5)], 'uid-new'), 30))).toEqual([]);
    const fired = look(down, ingest([g1('Succeeded', 5)], 'uid-new'), 40);
    expect(createdRuns(fired)).toHaveLength(1);
    const id = chainRunId('ingest', 'uid-new', 'g1');
    expect([old[0], id]).toEqual([chainRunId('ingest', 'uid-old', 'g1'), createdRuns(fired)[0]]);
    expect(fired.status.lastRun).toMatchObject({ id, trigger: 'chain', logicalTime: iso(5) });
    expect(eventReasons(fired)).toContain('RunStarted');
    expect(fired.status.lastTriggers?.[0]).toMatchObject({ pipeline: 'ingest', uid: 'uid-new', run: 'g1' });
  });

  it('a trigger whose run id is already taken (the upstream reused a run id) starts nothing and says why', () => {
    const down = downstream();
    look(down, ingest([]), 0);
    const first = look(down, ingest([{ ...upRun('m1', 'Succeeded', 1), trigger: 'manual' }]), 10);
    const id = chainRunId('ingest', 'uid-ingest', 'm1');
    expect(createdRuns(first)).toEqual([id]);
    look(down, ingest([{ ...upRun('m1', 'Succeeded', 1), trigger: 'manual' }]), 20);
    // The upstream's status was wiped: its history is gone, and its next manual run is m1 again.
    look(down, ingest([]), 30);
    const again = look(down, ingest([{ ...upRun('m1', 'Succeeded', 7), trigger: 'manual' }]), 40);
    expect(createdRuns(again)).toEqual([]);
    expect(messages(again, 'TriggerIgnored')).toEqual([
      expect.stringContaining(
        `run m1 of ingest ended Succeeded, but run ${id} it would start is already in this pipeline's history`,
      ),
    ]);
    expect(again.status.runs?.find((r) => r.id === id)).toMatchObject({ phase: 'Succeeded', logicalTime: iso(1) });
  });
});

describe('issue 17 case 5: runHistory keeps the finished runs that ended last', () => {
  const run = (id: string, start: number, end?: number): RunSummary => ({
    id,
    trigger: 'backfill',
    phase: end === undefined ? 'Running' : 'Succeeded',
    startTime: at(start).toISOString(),
    ...(end === undefined ? {} : { completionTime: at(end).toISOString() }),
  });

  it('a run that started first and ended last stays; the one that ended first goes; order is by start', () => {
    const newer = Array.from({ length: MAX_RUN_SUMMARIES }, (_, i) => run(`n${i}`, 100 + i, 200 + i));
    const history = runHistory([...newer].reverse(), [run('old', 0, 500), run('active', 1)]);
    expect(history.map((r) => r.id)).toEqual([
      ...newer
        .slice(1)
        .map((r) => r.id)
        .reverse(),
      'active',
      'old',
    ]);
  });
});
