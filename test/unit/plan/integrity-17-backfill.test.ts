// Issue 17, the backfill cases, each as the plain sequence of operations a user goes through:
//   case 4 — a backfill with other parameter values is not "already done" by the runs of others;
//   case 6 — a backfill never takes the run slots ticks and manual runs need;
//   case 7 — a backfill request id is handled once, ever: re-applying an old request's JSON
//            (as Argo CD self-heal does) neither adopts its finished runs nor cancels the backfill
//            that runs.
import { describe, expect, it } from 'vitest';
import type { PipelineSpec, RunSummary } from '../../../src/api/types.ts';
import { MAX_BACKFILL_IDS } from '../../../src/api/schema.ts';
import { ANN_BACKFILL_REQUESTED, ANN_RUN_REQUESTED } from '../../../src/api/labels.ts';
import { scheduledRunId } from '../../../src/plan/names.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, at, createdJobs, eventReasons, pipeline, stage } from './fixtures.ts';

const DAY = 86_400_000;
/** Five daily ticks before T0 (2025-01-01): 2024-12-27 .. 2024-12-31. */
const FROM = '2024-12-27T00:00:00Z';
const TO = '2025-01-01T00:00:00Z';
const tickAt = (n: number): string => new Date(Date.parse(FROM) + n * DAY).toISOString().replace('.000Z', 'Z');

function scheduled(extra: Partial<PipelineSpec> = {}): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: [stage('extract')], schedule: '@daily', ...extra }));
  cluster.reconcile(at(0));
  return cluster;
}

/** The request's JSON, written once: re-applying it later is byte for byte the same value. */
const requestJson = (fields: Record<string, unknown>): string =>
  JSON.stringify({ from: FROM, to: TO, maxActive: 5, ...fields });
const createdRuns = (result: Plan): string[] => [
  ...new Set(createdJobs(result).map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? '')),
];
const backfill = (cluster: FakeCluster) => cluster.pipeline.status?.backfill;
const runs = (cluster: FakeCluster): RunSummary[] => cluster.pipeline.status?.runs ?? [];
const runsOf = (cluster: FakeCluster, request: string): RunSummary[] =>
  runs(cluster).filter((r) => r.backfill === request);

/** Every backfill run in flight ends (`failing`: the logical times whose run fails), and the next plan counts them. */
function finishRunning(cluster: FakeCluster, seconds: number, failing: string[] = []): Plan {
  for (const id of backfill(cluster)?.running ?? []) {
    const run = runs(cluster).find((r) => r.id === id);
    cluster.setIn(id, 'extract', { state: failing.includes(run?.logicalTime ?? '') ? 'failed' : 'succeeded' });
  }
  return cluster.reconcile(at(seconds));
}

/** Runs a backfill request to its end (maxActive ≥ the ticks: one round), returning the last plan. */
function runBackfill(cluster: FakeCluster, raw: string, seconds: number, failing: string[] = []): Plan {
  cluster.annotate(ANN_BACKFILL_REQUESTED, raw);
  cluster.reconcile(at(seconds));
  return finishRunning(cluster, seconds + 10, failing);
}

describe('issue 17 case 4: a backfill with other parameter values is not skipped', () => {
  const regional = () => scheduled({ params: [{ name: 'region', default: 'eu', enum: ['eu', 'us'] }] });

  it('region=us over five days that succeeded for eu runs all five ticks for us; eu again skips them all', () => {
    const cluster = regional();
    runBackfill(cluster, requestJson({ id: 'bf-eu', params: { region: 'eu' } }), 10);
    expect(backfill(cluster)).toMatchObject({ request: 'bf-eu', phase: 'Succeeded', done: 5 });
    expect(backfill(cluster)?.skipped).toBeUndefined();

    cluster.annotate(ANN_BACKFILL_REQUESTED, requestJson({ id: 'bf-us', params: { region: 'us' } }));
    const us = cluster.reconcile(at(100));
    expect(createdRuns(us)).toHaveLength(5);
    expect(runsOf(cluster, 'bf-us').map((r) => r.params)).toEqual(Array(5).fill({ region: 'us' }));
    finishRunning(cluster, 110);
    expect(backfill(cluster)).toMatchObject({ request: 'bf-us', phase: 'Succeeded', done: 5 });
    expect(backfill(cluster)?.skipped).toBeUndefined();

    cluster.annotate(ANN_BACKFILL_REQUESTED, requestJson({ id: 'bf-eu-2' }));
    const again = cluster.reconcile(at(200));
    expect(createdJobs(again)).toEqual([]);
    expect(backfill(cluster)).toMatchObject({ request: 'bf-eu-2', phase: 'Succeeded', done: 5, skipped: 5 });
  });

  it('a scheduled tick (default params) counts for a default backfill only', () => {
    const cluster = regional();
    const tick = new Date('2025-01-02T00:00:00Z');
    cluster.tick(tick);
    cluster.reconcile(new Date(tick.getTime() + 1000));
    cluster.setIn(scheduledRunId(tick), 'extract', { state: 'succeeded' });
    cluster.reconcile(new Date(tick.getTime() + 20_000));
    const range = { from: '2025-01-02T00:00:00Z', to: '2025-01-02T00:00:01Z' };
    cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf-us', ...range, params: { region: 'us' } }));
    expect(createdRuns(cluster.reconcile(new Date(tick.getTime() + 30_000)))).toHaveLength(1);
    cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf-eu', ...range }));
    cluster.reconcile(new Date(tick.getTime() + 40_000));
    expect(backfill(cluster)).toMatchObject({ request: 'bf-eu', phase: 'Succeeded', skipped: 1 });
  });

  it('status written by the previous version (times only): read as the runs it remembers, else as the default params', () => {
    const cluster = regional();
    // The previous version recorded five times; runs[] still remembers that the 12-28 one ran for us.
    cluster.pipeline.status = {
      ...cluster.pipeline.status,
      succeededTimes: [4, 3, 2, 1, 0].map(tickAt),
      runs: [
        {
          id: 'bold',
          trigger: 'backfill',
          phase: 'Succeeded',
          logicalTime: tickAt(1),
          params: { region: 'us' },
          backfill: 'old',
        },
      ],
    };
    cluster.annotate(ANN_BACKFILL_REQUESTED, requestJson({ id: 'bf-eu' }));
    const eu = cluster.reconcile(at(10));
    // Only 12-28 runs for eu: the others were (by default) eu runs.
    expect(runsOf(cluster, 'bf-eu').map((r) => r.logicalTime)).toEqual([tickAt(1)]);
    expect(createdRuns(eu)).toHaveLength(1);
    finishRunning(cluster, 20);
    cluster.annotate(ANN_BACKFILL_REQUESTED, requestJson({ id: 'bf-us', params: { region: 'us' } }));
    cluster.reconcile(at(30));
    expect(
      runsOf(cluster, 'bf-us')
        .map((r) => r.logicalTime)
        .sort(),
    ).toEqual([0, 2, 3, 4].map(tickAt));
    // Written back in the new form: every entry says which parameter values it succeeded for.
    expect(cluster.pipeline.status?.succeededTimes?.every((e) => /Z\/[0-9a-f]{16}$/.test(e))).toBe(true);
  });
});

describe('issue 17 case 6: a backfill leaves room for ticks and manual runs', () => {
  it('maxActive 20 is refused; at the most allowed, three nightly ticks and a manual run during it all start', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    const range = { from: '2024-10-01T00:00:00Z', to: TO };
    cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf-20', ...range, maxActive: 20 }));
    const refused = cluster.reconcile(at(10));
    expect(refused.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(
      /maxActive: must be a whole number from 1 to 15, got 20.*5 of the 20/,
    );
    expect(createdJobs(refused)).toEqual([]);

    cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf-15', ...range, maxActive: 15 }));
    expect(createdRuns(cluster.reconcile(at(20)))).toHaveLength(15);
    // The backfill runs are slow: none ends for three nights. Ticks (Allow: they overlap) and a
    // manual run come meanwhile.
    const ticks = [1, 2, 3].map((n) => new Date(Date.parse(TO) + n * DAY));
    for (const [i, tick] of ticks.entries()) {
      cluster.tick(tick);
      if (i === 1) cluster.annotate(ANN_RUN_REQUESTED, 'by-hand');
      cluster.reconcile(new Date(tick.getTime() + 5_000));
    }
    const others = runs(cluster).filter((r) => r.trigger !== 'backfill');
    expect(others.map((r) => `${r.trigger} ${r.phase}`).sort()).toEqual([
      'manual Running',
      'schedule Running',
      'schedule Running',
      'schedule Running',
    ]);
    expect(runs(cluster).filter((r) => r.phase === 'Skipped')).toEqual([]);
    expect(backfill(cluster)).toMatchObject({ request: 'bf-15', phase: 'Running' });
  });

  it('other runs active: the backfill takes only the slots that leave 5 free, and the next ticks start', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    for (let i = 1; i <= 12; i++) {
      cluster.annotate(ANN_RUN_REQUESTED, `m${i}`);
      cluster.reconcile(at(i));
    }
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({ id: 'bf', from: '2024-10-01T00:00:00Z', to: TO, maxActive: 15 }),
    );
    const result = cluster.reconcile(at(30));
    expect(createdRuns(result)).toHaveLength(3);
    expect(result.requeueAfterMs).toBeLessThanOrEqual(5_000);
    for (const n of [1, 2, 3, 4, 5]) {
      const tick = new Date(Date.parse(TO) + n * DAY);
      cluster.tick(tick);
      cluster.reconcile(new Date(tick.getTime() + 5_000));
      expect(runs(cluster).find((r) => r.id === scheduledRunId(tick))?.phase).toBe('Running');
    }
  });

  it('a backfill the previous version started with maxActive 20 goes on with at most 15 at once', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({ id: 'bf', from: '2024-10-01T00:00:00Z', to: TO, maxActive: 1 }),
    );
    cluster.reconcile(at(10));
    const status = cluster.pipeline.status;
    cluster.pipeline.status = {
      ...status,
      backfill: { ...(status?.backfill as NonNullable<typeof status>['backfill'] & object), maxActive: 20 },
    };
    expect(createdRuns(cluster.reconcile(at(20)))).toHaveLength(14);
    expect(backfill(cluster)).toMatchObject({ maxActive: 15, phase: 'Running' });
    expect(backfill(cluster)?.running).toHaveLength(15);
  });
});

describe('issue 17 case 7: a backfill request id is handled once, ever', () => {
  it('bf1 (one tick failed), bf2, then bf1’s JSON again byte for byte: refused, bf2 goes on, nothing of bf1 is adopted', () => {
    const cluster = scheduled();
    const bf1 = requestJson({ id: 'bf1', requestedAt: '2024-12-31T12:00:00Z' });
    runBackfill(cluster, bf1, 10, [tickAt(2)]);
    expect(backfill(cluster)).toMatchObject({ request: 'bf1', phase: 'Failed', failed: 1 });
    const bf1Runs = runsOf(cluster, 'bf1').map((r) => r.id);

    const bf2 = JSON.stringify({
      id: 'bf2',
      from: '2024-12-01T00:00:00Z',
      to: '2024-12-11T00:00:00Z',
      maxActive: 2,
      requestedAt: '2024-12-31T13:00:00Z',
    });
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf2);
    cluster.reconcile(at(100));
    const bf2Running = backfill(cluster)?.running ?? [];
    expect(bf2Running).toHaveLength(2);

    cluster.annotate(ANN_BACKFILL_REQUESTED, bf1);
    const reapplied = cluster.reconcile(at(110));
    const refusal = reapplied.events.find((e) => e.reason === 'BackfillRefused');
    expect(refusal).toMatchObject({ type: 'Warning', message: expect.stringMatching(/id: "bf1" was already used/) });
    expect(cluster.pipeline.status?.lastBackfillRefusal).toMatch(/id: "bf1" was already used/);
    expect(eventReasons(reapplied)).not.toContain('BackfillCancelled');
    expect(backfill(cluster)).toMatchObject({ request: 'bf2', phase: 'Running', running: bf2Running });
    for (const id of bf2Running) expect(runs(cluster).find((r) => r.id === id)?.phase).toBe('Running');
    expect(createdJobs(reapplied)).toEqual([]);
    expect(runsOf(cluster, 'bf1').map((r) => r.id)).toEqual(bf1Runs);
    expect(cluster.pipeline.status?.lastBackfillRequest).toBe(bf1);

    // Handled: the same value again says nothing; after bf2 ends, bf1 is still refused.
    expect(eventReasons(cluster.reconcile(at(120)))).not.toContain('BackfillRefused');
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf2);
    expect(eventReasons(cluster.reconcile(at(130)))).toContain('BackfillRefused');
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf1);
    expect(eventReasons(cluster.reconcile(at(140)))).toContain('BackfillRefused');
    expect(backfill(cluster)?.request).toBe('bf2');
  });

  it(`the memory is bounded: after ${MAX_BACKFILL_IDS} more backfills, bf1's JSON is still refused (by its requestedAt)`, () => {
    const cluster = scheduled();
    const hour = (n: number) => new Date(Date.parse('2024-12-31T00:00:00Z') + n * 60_000).toISOString();
    const bf1 = requestJson({ id: 'bf1', requestedAt: hour(0) });
    runBackfill(cluster, bf1, 10);
    for (let n = 1; n <= MAX_BACKFILL_IDS; n++) {
      cluster.annotate(ANN_BACKFILL_REQUESTED, requestJson({ id: `bf-${n}`, requestedAt: hour(n) }));
      cluster.reconcile(at(100 + n));
      expect(backfill(cluster)?.request).toBe(`bf-${n}`);
    }
    expect(cluster.pipeline.status?.backfillIds?.some((e) => e.id === 'bf1')).toBe(false);
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf1);
    const reapplied = cluster.reconcile(at(200));
    expect(reapplied.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(
      /requestedAt: 2024-12-31T00:00:00Z is too old/,
    );
    expect(createdJobs(reapplied)).toEqual([]);
    // (Every later backfill covered bf1's ticks, all done: each ended Succeeded at once.)
    expect(backfill(cluster)).toMatchObject({ request: `bf-${MAX_BACKFILL_IDS}`, phase: 'Succeeded' });
    // A new request (a time after the mark) is accepted.
    cluster.annotate(ANN_BACKFILL_REQUESTED, requestJson({ id: 'bf-new', requestedAt: '2024-12-31T23:00:00Z' }));
    cluster.reconcile(at(210));
    expect(backfill(cluster)?.request).toBe('bf-new');
    expect(cluster.pipeline.status?.lastBackfillRefusal).toBeUndefined();
  });

  it('also a request without requestedAt, and one the previous version handled (status without the id list)', () => {
    const cluster = scheduled();
    const bf1 = requestJson({ id: 'bf1' });
    runBackfill(cluster, bf1, 10);
    // As the previous version left it: the last backfill and its runs, no list of ids.
    const { backfillIds: _ids, ...old } = cluster.pipeline.status ?? {};
    cluster.pipeline.status = old;
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      requestJson({ id: 'bf2', from: '2024-12-01T00:00:00Z', to: '2024-12-02T00:00:00Z' }),
    );
    cluster.reconcile(at(100));
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf1);
    const reapplied = cluster.reconcile(at(110));
    expect(reapplied.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(/id: "bf1" was already used/);
    expect(backfill(cluster)?.request).toBe('bf2');
  });
});

describe('issue 17, found on the way: a backfill tick after now', () => {
  it('is refused: it would run before its interval is complete, and the schedule runs it again', () => {
    const cluster = scheduled();
    cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'ahead', from: FROM, to: '2025-01-04T00:00:00Z' }));
    const result = cluster.reconcile(at(10));
    expect(result.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(
      /to: the range holds ticks after now \(the first 2025-01-02T00:00:00Z\)/,
    );
    expect(createdJobs(result)).toEqual([]);
    expect(backfill(cluster)).toBeUndefined();
  });
});
