// Issue 17, problems the simulator found (test/sim), each as the plain sequence of operations:
//   NEW-A — a backfill tick whose (logical time, parameter values) an active run holds waits for
//           that run: skipped if it succeeds, run if it fails (unless --rerun: its run starts
//           beside it, and both may succeed in either order — NEW-K, a checker fix);
//   NEW-D — a run first recorded already ended (the plan that started it lost its write, the next
//           one cancels it) gets its end Event;
//   NEW-L — a run that waits for its own Job the cache does not show yet records its values (a
//           backfill's tick and params): its Job deleted by hand, it does not decide them anew;
//   NEW-I — a backfill id whose acceptance status lost is remembered from its runs' Jobs, before
//           they are pruned: its request applied again is refused, not run again under old names;
//   NEW-J — a retry keeps a stage only with every stage it builds on: a stage served from the
//           cache in the run retried is kept with that result, and a stage whose upstream runs
//           again runs again; no upstream stage starts beneath a stage that builds on it.
import { describe, expect, it } from 'vitest';
import {
  ANN_BACKFILL_REQUESTED,
  ANN_LOGICAL_TIME,
  ANN_PARAMS,
  ANN_RETRY_REQUESTED,
  ANN_RUN_BACKFILL,
  ANN_RUN_REQUESTED,
} from '../../../src/api/labels.ts';
import { backfillRunId, scheduledRunId } from '../../../src/plan/names.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, createdJobs, createdStages, deletedJobs, pipeline, stage } from './fixtures.ts';

const HOUR = 3_600_000;
const T = new Date('2025-01-01T10:00:00Z');
const after = (ms: number): Date => new Date(T.getTime() + ms);

function hourly(policy: 'Allow' | 'Replace' = 'Allow'): FakeCluster {
  const cluster = new FakeCluster(
    pipeline({ stages: [stage('extract')], schedule: '0 * * * *', concurrencyPolicy: policy }),
  );
  cluster.reconcile(after(-HOUR + 60_000));
  return cluster;
}

const createdRuns = (result: Plan): string[] => [
  ...new Set(createdJobs(result).map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? '')),
];
const backfillOf = (cluster: FakeCluster) => cluster.pipeline.status?.backfill;
/** A backfill of the one tick at T (the range ends just after it, before now). */
const oneTick = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, from: T.toISOString(), to: after(1000).toISOString(), maxActive: 1, ...extra });

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

  it('--rerun does not wait: its run starts beside the tick run in flight, which goes on; both succeed, either first (NEW-K)', () => {
    const cluster = hourly();
    cluster.tick(T);
    cluster.reconcile(after(5_000));
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1', { rerun: true }));
    const rerun = backfillRunId('bf1', T);
    expect(createdRuns(cluster.reconcile(after(10_000)))).toEqual([rerun]);
    const phases = () => Object.fromEntries((cluster.pipeline.status?.runs ?? []).map((r) => [r.id, r.phase]));
    expect(phases()).toEqual({ [scheduledRunId(T)]: 'Running', [rerun]: 'Running' });
    cluster.setIn(rerun, 'extract', { state: 'succeeded' });
    cluster.reconcile(after(20_000));
    expect(phases()).toEqual({ [scheduledRunId(T)]: 'Running', [rerun]: 'Succeeded' });
    expect(backfillOf(cluster)).toMatchObject({ request: 'bf1', phase: 'Succeeded', done: 1 });
    cluster.setIn(scheduledRunId(T), 'extract', { state: 'succeeded' });
    cluster.reconcile(after(30_000));
    expect(phases()).toEqual({ [scheduledRunId(T)]: 'Succeeded', [rerun]: 'Succeeded' });
  });

  it('--rerun does not wait for the CronJob to make the tick either', () => {
    const cluster = hourly();
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1', { rerun: true }));
    expect(createdRuns(cluster.reconcile(after(2_000)))).toEqual([backfillRunId('bf1', T)]);
  });

  it('other parameter values do not wait', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('extract')], schedule: '0 * * * *', params: [{ name: 'region', default: 'eu' }] }),
    );
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

describe('issue 17 NEW-L: a run waiting for its own unseen Job records its values', () => {
  it('a --param backfill run whose Job is deleted by hand before the cache shows it runs its tick with its values', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('extract')], schedule: '0 * * * *', params: [{ name: 'region', default: 'eu' }] }),
    );
    cluster.reconcile(after(-HOUR + 60_000));
    cluster.annotate(ANN_BACKFILL_REQUESTED, oneTick('bf1', { params: { region: 'us' } }));
    const run = backfillRunId('bf1', T);
    // The plan that starts the run creates its Job, and its status write is lost.
    const [job] = createdJobs(cluster.reconcile(after(10_000), 'writeLost'));
    const name = job?.metadata?.name ?? '';
    // Deleted by hand before the informer delivered it: the operator only expects it.
    cluster.jobs.delete(name);
    cluster.pendingJobs.add(name);
    cluster.reconcile(after(11_000));
    expect(cluster.pipeline.status?.runs?.find((r) => r.id === run)).toMatchObject({
      phase: 'Running',
      backfill: 'bf1',
      logicalTime: T.toISOString().replace('.000Z', 'Z'),
      params: { region: 'us' },
    });
    // The expectation expires: the Job is taken for deleted and created again, for the tick and with us.
    cluster.pendingJobs.delete(name);
    const [again] = createdJobs(cluster.reconcile(after(80_000)));
    expect(again?.metadata?.annotations?.[ANN_LOGICAL_TIME]).toBe(T.toISOString().replace('.000Z', 'Z'));
    expect(JSON.parse(again?.metadata?.annotations?.[ANN_PARAMS] ?? '{}')).toEqual({ region: 'us' });
    expect(again?.metadata?.annotations?.[ANN_RUN_BACKFILL]).toBe('bf1');
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

describe('issue 17 NEW-I: a backfill id seen only on its Jobs is remembered before they go', () => {
  /** A backfill of the one tick `hoursAgo` before T, requested (and applied again later) with this JSON. */
  const request = (id: string, hoursAgo: number, requestedAt: Date, rerun = false) => {
    const [from, to] = [after(-hoursAgo * HOUR).toISOString(), after(-hoursAgo * HOUR + 1000).toISOString()];
    return JSON.stringify({ id, from, to, maxActive: 1, rerun, requestedAt: requestedAt.toISOString() });
  };

  it('bf1; bf2 --rerun (its plan dies after creating a Job); bf3; bf2’s run ends, pruned; bf2 again: refused', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('extract')], schedule: '@hourly', runHistoryLimit: 0 }));
    cluster.reconcile(after(0));
    cluster.annotate(ANN_BACKFILL_REQUESTED, request('bf1', 3, after(1_000)));
    cluster.reconcile(after(1_000));
    const bf2 = request('bf2', 2, after(2_000), true);
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf2);
    const bf2Run = backfillRunId('bf2', after(-2 * HOUR), after(2_000).toISOString().replace('.000Z', 'Z'));
    expect(createdRuns(cluster.reconcile(after(2_000), 'beforeWrite'))).toEqual([bf2Run]);
    // bf3 comes before any plan wrote bf2: the next plan reads the status bf1's plan wrote, and finds
    // bf2's run only on its Job. The Job is the evidence bf2 was accepted: status must list bf2 now.
    cluster.annotate(ANN_BACKFILL_REQUESTED, request('bf3', 1, after(3_000)));
    cluster.reconcile(after(3_000));
    expect(cluster.pipeline.status?.backfill?.request).toBe('bf3');
    expect(cluster.pipeline.status?.backfillIds?.map((e) => e.id)).toContain('bf2');

    // Every run ends; with runHistoryLimit 0 their Jobs go (bf2's among them).
    const pruned: string[] = [];
    const runIds = [...cluster.jobs.values()].map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? '');
    for (const [n, id] of runIds.entries()) {
      cluster.setIn(id, 'extract', { state: 'succeeded' });
      pruned.push(...deletedJobs(cluster.reconcile(after(10_000 + n * 1_000))));
    }
    pruned.push(...deletedJobs(cluster.reconcile(after(20_000))));
    expect(pruned.some((name) => name.includes(bf2Run))).toBe(true);

    // Argo CD self-heal applies bf2's JSON again, byte for byte: refused. (Accepted, --rerun would run
    // its tick again under the same run id: the Job the operator deleted, created again.)
    cluster.annotate(ANN_BACKFILL_REQUESTED, bf2);
    const reapplied = cluster.reconcile(after(30_000));
    expect(createdJobs(reapplied)).toEqual([]);
    expect(reapplied.events.find((e) => e.reason === 'BackfillRefused')?.message).toMatch(/id: "bf2" was already used/);
    expect(cluster.pipeline.status?.backfill?.request).toBe('bf3');
  });
});

describe('issue 17 NEW-J: a retry runs no upstream stage beneath a stage it keeps', () => {
  const DAY = 24 * HOUR;
  /** Run `request` by hand and move each of its stages on as `outcomes` says, one plan per stage. */
  function manualRun(
    cluster: FakeCluster,
    request: string,
    start: number,
    outcomes: Record<string, 'succeeded' | 'failed'>,
  ) {
    cluster.annotate(ANN_RUN_REQUESTED, request);
    cluster.reconcile(after(start));
    const id = cluster.pipeline.status?.lastRun?.id ?? '';
    for (const [n, [name, state]] of Object.entries(outcomes).entries()) {
      cluster.setIn(id, name, { state });
      cluster.reconcile(after(start + (n + 1) * 1_000));
    }
    return id;
  }
  const stageOf = (cluster: FakeCluster, name: string) =>
    cluster.pipeline.status?.lastRun?.stages?.find((s) => s.name === name);

  it('extract served from the cache in the run retried (the entry expired since) is kept, not run beside load', () => {
    const cached = { cache: { key: 'orders', maxAge: '1h' } };
    const cluster = new FakeCluster(
      pipeline({
        stages: [stage('extract', undefined, cached), stage('clean', ['extract']), stage('load', ['clean'])],
      }),
    );
    cluster.reconcile(after(0));
    const r0 = manualRun(cluster, 'r0', 1_000, { extract: 'succeeded', clean: 'succeeded', load: 'succeeded' });
    // m1: extract served r0's entry; clean ran on it and succeeded; load failed.
    const m1 = manualRun(cluster, 'm1', 10_000, { clean: 'succeeded', load: 'failed' });
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ id: m1, phase: 'Failed' });
    expect(stageOf(cluster, 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: r0 });
    const served = stageOf(cluster, 'extract')?.dataVersion;

    // A day later the entry has expired. Running extract again would serve nobody (clean is kept, built
    // on r0's result) and would start it beside load, which reads clean's output.
    cluster.annotate(ANN_RETRY_REQUESTED, `${m1}:n1`);
    const retry = cluster.reconcile(after(DAY));
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ trigger: 'retry' });
    expect(createdStages(retry)).toEqual(['load']);
    expect(stageOf(cluster, 'extract')).toMatchObject({ phase: 'Succeeded', reason: 'FromRun', dataVersion: served });
    expect(stageOf(cluster, 'clean')).toMatchObject({ phase: 'Succeeded', reason: 'FromRun' });
  });

  it('a stage whose upstream runs again is not kept: it runs after it, and its downstream after it', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('extract'), stage('clean', ['extract']), stage('load', ['clean'])] }),
    );
    cluster.reconcile(after(0));
    const m1 = manualRun(cluster, 'm1', 1_000, { extract: 'succeeded', clean: 'succeeded', load: 'failed' });
    // extract's Job is deleted by hand: its success in m1 cannot be kept, so neither can clean's.
    for (const job of cluster.jobsOf('extract')) cluster.jobs.delete(job.metadata?.name ?? '');
    cluster.annotate(ANN_RETRY_REQUESTED, `${m1}:n1`);
    expect(createdStages(cluster.reconcile(after(HOUR)))).toEqual(['extract']);
    const id = cluster.pipeline.status?.lastRun?.id ?? '';
    expect(stageOf(cluster, 'clean')?.phase).toBe('Pending');
    cluster.setIn(id, 'extract', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(after(HOUR + 1_000)))).toEqual(['clean']);
    cluster.setIn(id, 'clean', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(after(HOUR + 2_000)))).toEqual(['load']);
  });
});
