// Issue 17, problems the simulator found (test/sim), each as the plain sequence of operations:
//   NEW-A — a backfill tick whose (logical time, parameter values) an active run holds waits for
//           that run: skipped if it succeeds, run if it fails (unless --rerun);
//   NEW-D — a run first recorded already ended (the plan that started it lost its write, the next
//           one cancels it) gets its end Event.
import { describe, expect, it } from 'vitest';
import { ANN_BACKFILL_REQUESTED } from '../../../src/api/labels.ts';
import { scheduledRunId } from '../../../src/plan/names.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, createdJobs, pipeline, stage } from './fixtures.ts';

const HOUR = 3_600_000;
const T = new Date('2025-01-01T10:00:00Z');
const after = (ms: number): Date => new Date(T.getTime() + ms);

function hourly(policy: 'Allow' | 'Replace' = 'Allow'): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: [stage('extract')], schedule: '0 * * * *', concurrencyPolicy: policy }));
  cluster.reconcile(after(-HOUR + 60_000));
  return cluster;
}

const createdRuns = (result: Plan): string[] => [...new Set(createdJobs(result).map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? ''))];
const backfillOf = (cluster: FakeCluster) => cluster.pipeline.status?.backfill;
/** A backfill of the one tick at T (the range ends just after it, before now). */
const oneTick = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ id, from: T.toISOString(), to: after(1000).toISOString(), maxActive: 1, ...extra });

describe('issue 17 NEW-A: a backfill tick held by an active run waits for it', () => {
  function tickInFlight(): FakeCluster {
    const cluster = hourly();
    cluster.tick(T);
    cluster.reconcile(after(5_000));
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ id: scheduledRunId(T), phase: 'Running' });
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1'));
    return cluster;
  }

  it('the scheduled run of the tick is in flight: the backfill starts nothing; it succeeds: the tick is skipped', () => {
    const cluster = tickInFlight();
    expect(createdRuns(cluster.reconcile(after(10_000)))).toEqual([]);
    expect(backfillOf(cluster)).toMatchObject({ request: 'bf1', phase: 'Running', next: 0 });
    cluster.setIn(scheduledRunId(T), 'extract', { state: 'succeeded' });
    const ended = cluster.reconcile(after(20_000));
    expect(createdRuns(ended)).toEqual([]);
    expect(backfillOf(cluster)).toMatchObject({ request: 'bf1', phase: 'Succeeded', done: 1, skipped: 1 });
  });

  it('the scheduled run fails: the tick runs (once the CronJob grace after the tick is over)', () => {
    const cluster = tickInFlight();
    expect(createdRuns(cluster.reconcile(after(10_000)))).toEqual([]);
    cluster.setIn(scheduledRunId(T), 'extract', { state: 'failed' });
    expect(createdRuns(cluster.reconcile(after(20_000)))).toEqual([]);
    expect(createdRuns(cluster.reconcile(after(70_000)))).toHaveLength(1);
    expect(backfillOf(cluster)).toMatchObject({ request: 'bf1', phase: 'Running', next: 1 });
  });

  it('--rerun does not wait', () => {
    const cluster = hourly();
    cluster.tick(T);
    cluster.reconcile(after(5_000));
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1', { rerun: true }));
    expect(createdRuns(cluster.reconcile(after(10_000)))).toHaveLength(1);
  });

  it('other parameter values do not wait', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('extract')], schedule: '0 * * * *', params: [{ name: 'region', default: 'eu' }] }));
    cluster.reconcile(after(-HOUR + 60_000));
    cluster.tick(T);
    cluster.reconcile(after(5_000));
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1', { params: { region: 'us' } }));
    expect(createdRuns(cluster.reconcile(after(10_000)))).toHaveLength(1);
  });

  it('the CronJob has not made the tick yet: the backfill waits for it, and the scheduled run alone runs it', () => {
    const cluster = hourly();
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1'));
    expect(createdRuns(cluster.reconcile(after(2_000)))).toEqual([]);
    cluster.tick(T);
    expect(createdRuns(cluster.reconcile(after(5_000)))).toEqual([]);
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ id: scheduledRunId(T), phase: 'Running' });
    cluster.setIn(scheduledRunId(T), 'extract', { state: 'succeeded' });
    expect(createdRuns(cluster.reconcile(after(20_000)))).toEqual([]);
    expect(backfillOf(cluster)).toMatchObject({ request: 'bf1', phase: 'Succeeded', skipped: 1 });
  });
});

describe('issue 17 NEW-D: a run first recorded already ended gets its end Event', () => {
  it('Replace: a tick started by a plan whose write was lost, replaced by the next tick, gets RunCancelled', () => {
    const cluster = hourly('Replace');
    cluster.tick(T);
    cluster.reconcile(after(5_000), 'writeLost');
    cluster.tick(after(HOUR));
    const next = cluster.reconcile(after(HOUR + 5_000));
    const first = scheduledRunId(T);
    expect(cluster.pipeline.status?.runs?.find((r) => r.id === first)?.phase).toBe('Cancelled');
    expect(next.events.filter((e) => e.reason === 'RunCancelled' && e.message.includes(first))).toHaveLength(1);
  });
});
