// Backfill through the planner: a request on the Pipeline, runs started oldest first and at most
// maxActive at once, ticks already done skipped, cancel, a replacing request, re-planning after a
// crash, a lost status, and scheduled ticks that keep their concurrencyPolicy meanwhile. The
// FakeCluster applies each plan's actions and plays the Job controller (setIn).
import { describe, expect, it } from 'vitest';
import type { PipelineSpec, RunSummary } from '../../../src/api/types.ts';
import { ANN_BACKFILL_CANCEL, ANN_BACKFILL_REQUESTED } from '../../../src/api/labels.ts';
import { backfillRunId, jobName, scheduledRunId } from '../../../src/plan/names.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, at, createdJobs, deletedJobs, eventReasons, pipeline, stage, type JobState } from './fixtures.ts';

const DAY = 86_400_000;
/** Five daily ticks before T0 (2025-01-01): 2024-12-27 .. 2024-12-31. */
const FROM = '2024-12-27T00:00:00Z';
const TO = '2025-01-01T00:00:00Z';
const tick = (n: number): Date => new Date(Date.parse(FROM) + n * DAY);
const runOf = (n: number, id = 'bf1'): string => backfillRunId(id, tick(n));
const stages = () => [stage('extract'), stage('load', ['extract'])];

function scheduled(extra: Partial<PipelineSpec> = {}): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: stages(), schedule: '@daily', ...extra }));
  cluster.reconcile(at(0));
  return cluster;
}

function request(cluster: FakeCluster, fields: Record<string, unknown> = {}): void {
  cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf1', from: FROM, to: TO, maxActive: 2, ...fields }));
}

/** Both stages of a backfill run end (extract, then load). */
function finish(cluster: FakeCluster, runId: string, seconds: number, state: JobState = { state: 'succeeded' }): void {
  cluster.setIn(runId, 'extract', { state: 'succeeded' });
  cluster.reconcile(at(seconds));
  cluster.setIn(runId, 'load', state);
}

const createdRuns = (result: Plan): string[] => [
  ...new Set(createdJobs(result).map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? '')),
];
const backfill = (cluster: FakeCluster) => cluster.pipeline.status?.backfill;
const run = (cluster: FakeCluster, id: string): RunSummary | undefined =>
  cluster.pipeline.status?.runs?.find((r) => r.id === id);

describe('a backfill runs every tick once, oldest first, at most maxActive at once', () => {
  it('starts two, then one more as each ends, and ends Succeeded with every tick in succeededTimes', () => {
    const cluster = scheduled();
    const created: string[] = [];
    const reconcile = cluster.reconcile.bind(cluster);
    cluster.reconcile = (now, crash) => {
      const result = reconcile(now, crash);
      created.push(...createdJobs(result).map((j) => j.metadata?.name ?? ''));
      return result;
    };
    request(cluster);
    const first = cluster.reconcile(at(10));
    expect(createdRuns(first)).toEqual([runOf(0), runOf(1)]);
    expect(createdJobs(first).map((j) => j.metadata?.labels?.['conveyor.dev/stage'])).toEqual(['extract', 'extract']);
    expect(eventReasons(first)).toContain('BackfillStarted');
    expect(backfill(cluster)).toMatchObject({
      request: 'bf1',
      phase: 'Running',
      total: 5,
      next: 2,
      done: 0,
      running: [runOf(0), runOf(1)],
      progress: '0/5 ticks done, 2 running',
    });
    expect(run(cluster, runOf(0))).toMatchObject({ trigger: 'backfill', phase: 'Running' });
    expect(cluster.pipeline.status?.lastBackfillRequest).toBe(
      cluster.pipeline.metadata.annotations?.[ANN_BACKFILL_REQUESTED],
    );

    // Nothing more starts while two are in flight.
    expect(createdRuns(cluster.reconcile(at(20)))).toEqual([]);
    finish(cluster, runOf(0), 30);
    const third = cluster.reconcile(at(40));
    expect(createdRuns(third)).toEqual([runOf(2)]);
    expect(backfill(cluster)).toMatchObject({
      next: 3,
      done: 1,
      running: [runOf(1), runOf(2)],
      progress: '1/5 ticks done, 2 running',
    });

    for (const [n, seconds] of [
      [1, 50],
      [2, 70],
      [3, 90],
      [4, 110],
    ] as const) {
      if (n === 3 || n === 4) cluster.reconcile(at(seconds - 5));
      finish(cluster, runOf(n), seconds);
      cluster.reconcile(at(seconds + 5));
    }
    const last = cluster.last as Plan;
    expect(backfill(cluster)).toMatchObject({
      phase: 'Succeeded',
      total: 5,
      next: 5,
      done: 5,
      progress: '5/5 ticks done, 0 running',
    });
    expect(backfill(cluster)?.completionTime).toBeDefined();
    expect(eventReasons(last)).toContain('BackfillCompleted');
    expect(cluster.pipeline.status?.succeededTimes).toEqual(
      [4, 3, 2, 1, 0].map((n) => tick(n).toISOString().replace('.000Z', 'Z')),
    );
    // Exactly one Job per stage per tick, over the whole backfill.
    for (let n = 0; n < 5; n++)
      expect(created.filter((name) => name.includes(runOf(n))).sort()).toEqual(
        [jobName('etl', 'extract', runOf(n)), jobName('etl', 'load', runOf(n))].sort(),
      );
    // Handled: the next reconcile starts nothing and says nothing.
    const after = cluster.reconcile(at(200));
    expect(createdJobs(after)).toEqual([]);
    expect(eventReasons(after).filter((r) => r.startsWith('Backfill'))).toEqual([]);
  });

  it('counts a failed tick, goes on with the others, and ends Failed', () => {
    const cluster = scheduled();
    request(cluster, { to: '2024-12-29T00:00:00Z' });
    cluster.reconcile(at(10));
    finish(cluster, runOf(0), 20, { state: 'failed' });
    finish(cluster, runOf(1), 30);
    const end = cluster.reconcile(at(40));
    expect(backfill(cluster)).toMatchObject({ phase: 'Failed', done: 2, failed: 1, message: '1 of 2 ticks failed' });
    expect(eventReasons(end)).toContain('BackfillFailed');
    expect(cluster.pipeline.status?.succeededTimes).toEqual([tick(1).toISOString().replace('.000Z', 'Z')]);
  });

  it('maxActive 15 (the most) next to 0 other runs starts 15 at once', () => {
    const cluster = scheduled();
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({ id: 'big', from: '2024-11-01T00:00:00Z', to: TO, maxActive: 15 }),
    );
    expect(createdRuns(cluster.reconcile(at(10)))).toHaveLength(15);
    expect(backfill(cluster)).toMatchObject({ total: 61, next: 15 });
  });
});

describe('the 20 active runs a Pipeline may have', () => {
  it('bound backfill runs too, less the 5 reserved: with 14 manual runs active one tick starts, and the plan asks to look again', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    for (let i = 1; i <= 14; i++) {
      cluster.annotate('conveyor.dev/run-requested', `m${i}`);
      cluster.reconcile(at(i));
    }
    expect((cluster.pipeline.status?.runs ?? []).filter((r) => r.phase === 'Running')).toHaveLength(14);
    request(cluster);
    const result = cluster.reconcile(at(30));
    expect(createdRuns(result)).toEqual([runOf(0)]);
    expect(backfill(cluster)).toMatchObject({ next: 1, running: [runOf(0)] });
    expect(result.requeueAfterMs).toBeLessThanOrEqual(5_000);
  });
});

describe('ticks already done', () => {
  const withSucceeded = (rerun: boolean) => {
    const cluster = scheduled();
    cluster.pipeline.status = {
      ...cluster.pipeline.status,
      succeededTimes: [tick(3), tick(1), tick(0)].map((t) => t.toISOString()),
    };
    request(cluster, { rerun });
    return cluster;
  };

  it('are skipped (and counted) unless rerun', () => {
    const cluster = withSucceeded(false);
    expect(createdRuns(cluster.reconcile(at(10)))).toEqual([runOf(2), runOf(4)]);
    expect(backfill(cluster)).toMatchObject({
      next: 5,
      done: 3,
      skipped: 3,
      progress: '3/5 ticks done, 2 running, 3 skipped (already succeeded)',
    });
  });

  it('run again with rerun', () => {
    const cluster = withSucceeded(true);
    expect(createdRuns(cluster.reconcile(at(10)))).toEqual([runOf(0), runOf(1)]);
    expect(backfill(cluster)).toMatchObject({ rerun: true, next: 2, done: 0 });
  });

  it('all done: the backfill ends at once', () => {
    const cluster = scheduled();
    cluster.pipeline.status = {
      ...cluster.pipeline.status,
      succeededTimes: [0, 1, 2, 3, 4].map((n) => tick(n).toISOString()),
    };
    request(cluster);
    const result = cluster.reconcile(at(10));
    expect(createdJobs(result)).toEqual([]);
    expect(backfill(cluster)).toMatchObject({ phase: 'Succeeded', done: 5, skipped: 5 });
    expect(eventReasons(result)).toEqual(expect.arrayContaining(['BackfillStarted', 'BackfillCompleted']));
  });
});

describe('cancel and replace', () => {
  it('cancel: runs in flight are cancelled and their Jobs deleted, no tick starts after', () => {
    const cluster = scheduled();
    request(cluster);
    cluster.reconcile(at(10));
    cluster.annotate(ANN_BACKFILL_CANCEL, 'bf1');
    const result = cluster.reconcile(at(20));
    expect(backfill(cluster)).toMatchObject({ phase: 'Cancelled', next: 2, done: 0 });
    expect(backfill(cluster)?.running).toEqual([]);
    expect(run(cluster, runOf(0))?.phase).toBe('Cancelled');
    expect(run(cluster, runOf(1))?.phase).toBe('Cancelled');
    expect(deletedJobs(result)).toEqual(
      [jobName('etl', 'extract', runOf(0)), jobName('etl', 'extract', runOf(1))].sort(),
    );
    expect(eventReasons(result)).toContain('BackfillCancelled');
    expect(createdJobs(cluster.reconcile(at(30)))).toEqual([]);
  });

  it('a cancel naming another backfill does nothing', () => {
    const cluster = scheduled();
    request(cluster);
    cluster.reconcile(at(10));
    cluster.annotate(ANN_BACKFILL_CANCEL, 'other');
    cluster.reconcile(at(20));
    expect(backfill(cluster)?.phase).toBe('Running');
  });

  it('a new request while one runs replaces it: the old runs are cancelled, the new ticks start', () => {
    const cluster = scheduled();
    request(cluster);
    cluster.reconcile(at(10));
    request(cluster, { id: 'bf2', maxActive: 1 });
    const result = cluster.reconcile(at(20));
    expect(run(cluster, runOf(0))?.phase).toBe('Cancelled');
    expect(createdRuns(result)).toEqual([runOf(0, 'bf2')]);
    expect(backfill(cluster)).toMatchObject({ request: 'bf2', phase: 'Running', next: 1 });
    expect(eventReasons(result)).toEqual(expect.arrayContaining(['BackfillCancelled', 'BackfillStarted']));
  });

  it('a request reusing the current id is refused (its runs would be the old ones)', () => {
    const cluster = scheduled();
    request(cluster);
    cluster.reconcile(at(10));
    request(cluster, { maxActive: 3 });
    const result = cluster.reconcile(at(20));
    expect(result.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(/id: "bf1" was already used/);
    expect(backfill(cluster)).toMatchObject({ request: 'bf1', maxActive: 2 });
  });
});

describe('refused requests', () => {
  it.each([
    ['unparseable JSON', '{not json', /request: is not valid JSON/],
    ['from after to', JSON.stringify({ id: 'x', from: TO, to: FROM }), /to: must be after from/],
    [
      'unknown param',
      JSON.stringify({ id: 'x', from: FROM, to: TO, params: { day: '1' } }),
      /params: unknown parameter "day"/,
    ],
  ])('%s: a Warning naming the field, handled once, nothing started', (_name, value, message) => {
    const cluster = scheduled();
    cluster.annotate(ANN_BACKFILL_REQUESTED, value);
    const result = cluster.reconcile(at(10));
    expect(result.events.find((e) => e.reason === 'BackfillRefused')).toMatchObject({
      type: 'Warning',
      message: expect.stringMatching(message),
    });
    expect(createdJobs(result)).toEqual([]);
    expect(cluster.pipeline.status?.lastBackfillRequest).toBe(value);
    expect(cluster.pipeline.status?.backfill).toBeUndefined();
    expect(eventReasons(cluster.reconcile(at(20)))).not.toContain('BackfillRefused');
  });

  it('a pipeline without a schedule', () => {
    const cluster = new FakeCluster(pipeline({ stages: stages() }));
    cluster.reconcile(at(0));
    request(cluster);
    const result = cluster.reconcile(at(10));
    expect(result.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(
      /spec.schedule: the pipeline has no schedule/,
    );
  });
});

describe('restarts: the same ticks, the same ids, no Job twice', () => {
  it.each(['writeLost', 'beforeWrite'] as const)(
    'a plan whose status write did not land (%s) is decided again the same way',
    (crash) => {
      const cluster = scheduled();
      request(cluster);
      const lost = cluster.reconcile(at(10), crash);
      expect(createdRuns(lost)).toEqual([runOf(0), runOf(1)]);
      const jobsBefore = new Set(cluster.jobs.keys());
      const again = cluster.reconcile(at(11));
      // The runs are found going on from their Jobs (same ids): nothing is created a second time.
      expect(createdJobs(again).filter((j) => jobsBefore.has(j.metadata?.name ?? ''))).toEqual([]);
      expect(createdRuns(again)).toEqual([]);
      expect(cluster.jobs.size).toBe(2);
      expect(backfill(cluster)).toMatchObject({ next: 2, running: [runOf(0), runOf(1)] });
    },
  );

  it('a lost status: the runs are found from their Jobs as backfill runs, and no finished tick gets a second Job', () => {
    const cluster = scheduled();
    request(cluster);
    cluster.reconcile(at(10));
    finish(cluster, runOf(0), 20);
    cluster.reconcile(at(30));
    cluster.pipeline = { ...cluster.pipeline, status: undefined };
    const jobsBefore = new Set(cluster.jobs.keys());
    const result = cluster.reconcile(at(40));
    const recreated = createdJobs(result).filter((j) => jobsBefore.has(j.metadata?.name ?? ''));
    expect(recreated).toEqual([]);
    expect(run(cluster, runOf(1))).toMatchObject({ trigger: 'backfill', phase: 'Running' });
    expect(run(cluster, runOf(2))).toMatchObject({ trigger: 'backfill', phase: 'Running' });
    expect(backfill(cluster)).toMatchObject({ request: 'bf1', done: 1 });
  });
});

describe('scheduled ticks keep their concurrencyPolicy during a backfill', () => {
  const schedTick = new Date('2025-01-02T00:00:00Z');

  it.each(['Forbid', 'Replace'] as const)('%s: backfill runs neither block a tick nor get replaced by it', (policy) => {
    const cluster = scheduled({ concurrencyPolicy: policy });
    request(cluster);
    cluster.reconcile(at(10));
    cluster.tick(schedTick);
    const result = cluster.reconcile(new Date(schedTick.getTime() + 5_000));
    expect(run(cluster, scheduledRunId(schedTick))?.phase).toBe('Running');
    expect(run(cluster, runOf(0))?.phase).toBe('Running');
    expect(run(cluster, runOf(1))?.phase).toBe('Running');
    expect(result.actions.some((a) => a.kind === 'startJob')).toBe(true);
    expect(deletedJobs(result)).toEqual([]);
    // The scheduled run becomes lastRun; the backfill goes on.
    expect(cluster.pipeline.status?.lastRun?.id).toBe(scheduledRunId(schedTick));
  });

  it('Forbid among scheduled runs still holds while a backfill runs', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Forbid' });
    request(cluster);
    cluster.reconcile(at(10));
    cluster.tick(schedTick);
    cluster.reconcile(new Date(schedTick.getTime() + 5_000));
    const next = new Date(schedTick.getTime() + DAY);
    cluster.tick(next);
    cluster.reconcile(new Date(next.getTime() + 5_000));
    expect(cluster.pipeline.status?.runs?.find((r) => r.id === scheduledRunId(next))?.phase).toBe('Skipped');
    expect(backfill(cluster)?.phase).toBe('Running');
  });

  it('an active scheduled run does not hold a backfill back', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Forbid' });
    cluster.tick(schedTick);
    cluster.reconcile(new Date(schedTick.getTime() + 5_000));
    request(cluster);
    expect(createdRuns(cluster.reconcile(new Date(schedTick.getTime() + 10_000)))).toEqual([runOf(0), runOf(1)]);
  });
});

describe('backfill run values', () => {
  it('each run carries its tick, the interval since the tick before, the params and the request', () => {
    const cluster = scheduled({
      params: [
        { name: 'table', default: 'orders' },
        { name: 'mode', default: 'full' },
      ],
    });
    request(cluster, { params: { mode: 'delta' } });
    cluster.reconcile(at(10));
    const values = { params: { table: 'orders', mode: 'delta' }, backfill: 'bf1' };
    expect(backfill(cluster)?.params).toEqual(values.params);
    // The first tick's interval starts at the tick before the range.
    expect(run(cluster, runOf(0))).toMatchObject({
      logicalTime: '2024-12-27T00:00:00Z',
      intervalStart: '2024-12-26T00:00:00Z',
      intervalEnd: '2024-12-27T00:00:00Z',
      ...values,
    });
    expect(run(cluster, runOf(1))).toMatchObject({
      logicalTime: '2024-12-28T00:00:00Z',
      intervalStart: '2024-12-27T00:00:00Z',
      intervalEnd: '2024-12-28T00:00:00Z',
    });
    const job = cluster.jobs.get(jobName('etl', 'extract', runOf(1)));
    expect(job?.metadata?.annotations).toMatchObject({
      'conveyor.dev/trigger': 'backfill',
      'conveyor.dev/backfill': 'bf1',
      'conveyor.dev/logical-time': '2024-12-28T00:00:00Z',
    });
  });
});
