// Chaining (spec.triggers.after) and trigger cycles.
import { describe, expect, it } from 'vitest';
import type { Pipeline, PipelineStatus, RunStatus } from '../../../src/api/types.ts';
import { findTriggerCycle } from '../../../src/plan/select/chain.ts';
import { chainRunId, jobName } from '../../../src/plan/names.ts';
import { FakeCluster, at, createdStages, deletedJobs, eventReasons, pipeline, stage } from './fixtures.ts';

const lastRun = (s: PipelineStatus): RunStatus => {
  if (!s.lastRun) throw new Error('no lastRun');
  return s.lastRun;
};

/** The upstream Pipeline as the downstream's reconciler observes it. */
function upstream(run?: Partial<RunStatus> & { id: string }): Pipeline {
  return pipeline(
    { stages: [stage('x')] },
    {
      name: 'ingest',
      uid: 'uid-ingest',
      ...(run ? { status: { lastRun: { trigger: 'manual', phase: 'Running', ...run } } } : {}),
    },
  );
}
const finished = (id: string, phase: 'Succeeded' | 'Failed' | 'Cancelled' = 'Succeeded') =>
  upstream({ id, phase, completionTime: '2025-01-01T00:10:00Z' });

/** A downstream pipeline `report` (after ingest), created and seen once: it waits. */
function downstream(after: { pipeline: string; phase?: 'Succeeded' | 'Failed' }[], first: Pipeline): FakeCluster {
  const cluster = new FakeCluster(
    pipeline({ stages: [stage('r')], triggers: { after } }, { name: 'report', uid: 'uid-report' }),
  );
  cluster.upstream = [first];
  cluster.reconcile(at(0));
  return cluster;
}

describe('chain triggers', () => {
  it('do not fire on first sight of the upstream: its current run is recorded as handled', () => {
    const cluster = downstream([{ pipeline: 'ingest' }], finished('g4'));
    expect(cluster.pipeline.status?.lastTriggers).toEqual([
      { pipeline: 'ingest', run: 'g4', uid: 'uid-ingest', ended: ['g4'] },
    ]);
    expect(cluster.pipeline.status?.lastRun).toBeUndefined();
    expect(cluster.reconcile(at(20)).actions).toEqual([]);
  });

  it('start no run on create or on a spec change: they wait for their trigger', () => {
    const cluster = downstream([{ pipeline: 'ingest' }], finished('g4'));
    expect(cluster.jobsOf('r')).toEqual([]);
    expect(cluster.pipeline.status?.phase).toBe('Scheduled');
    const ready = cluster.pipeline.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', message: 'waiting for ingest to end Succeeded' });
    cluster.edit((spec) => {
      spec.stages[0]!.args = ['changed'];
    });
    expect(createdStages(cluster.reconcile(at(20)))).toEqual([]);
    // A manual run still starts at once.
    cluster.annotate('conveyor.dev/run-requested', 'now');
    expect(createdStages(cluster.reconcile(at(30)))).toEqual(['r']);
  });

  it('fire once per upstream run that succeeds', () => {
    const cluster = downstream([{ pipeline: 'ingest' }], finished('g4'));
    cluster.upstream = [upstream({ id: 'm1' })]; // running: not yet
    expect(cluster.reconcile(at(20)).actions).toEqual([]);
    expect(cluster.pipeline.status?.lastTriggers).toEqual([
      { pipeline: 'ingest', run: 'g4', uid: 'uid-ingest', ended: [], active: ['m1'] },
    ]);

    cluster.upstream = [finished('m1')];
    const fired = cluster.reconcile(at(30));
    const id = chainRunId('ingest', 'uid-ingest', 'm1');
    expect(id).toMatch(/^c[0-9a-f]{8}$/);
    expect(lastRun(fired.status)).toMatchObject({ id, trigger: 'chain', phase: 'Running' });
    expect(createdStages(fired)).toEqual(['r']);
    expect(fired.status.lastTriggers).toEqual([{ pipeline: 'ingest', run: 'm1', uid: 'uid-ingest', ended: ['m1'] }]);
    expect(eventReasons(fired)).toEqual(['RunStarted']);

    // The same upstream run never fires again, also after this run ended.
    expect(cluster.reconcile(at(31)).actions).toEqual([]);
    cluster.set('r', { state: 'succeeded' });
    cluster.reconcile(at(40));
    expect(createdStages(cluster.reconcile(at(50)))).toEqual([]);

    cluster.upstream = [finished('m2')];
    expect(lastRun(cluster.reconcile(at(60)).status).id).toBe(chainRunId('ingest', 'uid-ingest', 'm2'));
  });

  it('do not fire on a Failed upstream run when Succeeded is asked for (the default), but record it', () => {
    const cluster = downstream([{ pipeline: 'ingest' }], finished('g4'));
    cluster.upstream = [finished('m1', 'Failed')];
    const result = cluster.reconcile(at(30));
    expect(result.actions).toEqual([]);
    expect(result.status.lastTriggers).toEqual([{ pipeline: 'ingest', run: 'm1', uid: 'uid-ingest', ended: ['m1'] }]);
    expect(result.status.lastRun).toBeUndefined();
  });

  it('fire on Failed when asked for', () => {
    const cluster = downstream([{ pipeline: 'ingest', phase: 'Failed' }], finished('g4'));
    cluster.upstream = [finished('m1', 'Succeeded')];
    expect(cluster.reconcile(at(30)).actions).toEqual([]);
    cluster.upstream = [finished('m2', 'Failed')];
    expect(lastRun(cluster.reconcile(at(40)).status)).toMatchObject({
      id: chainRunId('ingest', 'uid-ingest', 'm2'),
      trigger: 'chain',
    });
  });

  it('an upstream with no run yet fires on its first finished run', () => {
    const cluster = downstream([{ pipeline: 'ingest' }], upstream());
    expect(cluster.pipeline.status?.lastTriggers).toEqual([
      { pipeline: 'ingest', run: '', uid: 'uid-ingest', ended: [] },
    ]);
    cluster.upstream = [finished('g1')];
    expect(lastRun(cluster.reconcile(at(30)).status).id).toBe(chainRunId('ingest', 'uid-ingest', 'g1'));
  });

  it('a missing upstream keeps its entry', () => {
    const cluster = downstream([{ pipeline: 'ingest' }], finished('g4'));
    cluster.upstream = [];
    const result = cluster.reconcile(at(30));
    expect(result.status.lastTriggers).toEqual([{ pipeline: 'ingest', run: 'g4', uid: 'uid-ingest', ended: ['g4'] }]);
    expect(result.actions).toEqual([]);
  });

  it('obey concurrencyPolicy: Replace cancels the active run for the chained one', () => {
    const cluster = new FakeCluster(
      pipeline(
        { stages: [stage('r')], concurrencyPolicy: 'Replace', triggers: { after: [{ pipeline: 'ingest' }] } },
        { name: 'report' },
      ),
    );
    cluster.upstream = [finished('g4')];
    cluster.reconcile(at(0));
    cluster.upstream = [finished('g5')];
    const first = cluster.reconcile(at(10));
    const firstId = chainRunId('ingest', 'uid-ingest', 'g5');
    expect(lastRun(first.status)).toMatchObject({ id: firstId, trigger: 'chain', phase: 'Running' });
    cluster.upstream = [finished('g6')];
    const result = cluster.reconcile(at(20));
    expect(deletedJobs(result)).toEqual([jobName('report', 'r', firstId)]);
    expect(result.status.runs?.map((r) => [r.id, r.phase])).toEqual([
      [chainRunId('ingest', 'uid-ingest', 'g6'), 'Running'],
      [firstId, 'Cancelled'],
    ]);
  });

  it('of a scheduled pipeline obey concurrencyPolicy (Forbid skips while a run is active)', () => {
    const cluster = new FakeCluster(
      pipeline(
        { stages: [stage('r')], schedule: '0 * * * *', triggers: { after: [{ pipeline: 'ingest' }] } },
        { name: 'report' },
      ),
    );
    cluster.upstream = [finished('g4')];
    cluster.reconcile(at(0));
    cluster.annotate('conveyor.dev/run-requested', 'now');
    const manual = cluster.reconcile(at(10));
    cluster.upstream = [finished('g5')];
    const result = cluster.reconcile(at(20));
    const id = chainRunId('ingest', 'uid-ingest', 'g5');
    expect(result.actions).toEqual([]);
    expect(result.status.runs?.[0]).toMatchObject({
      id,
      trigger: 'chain',
      phase: 'Skipped',
      message: `skipped: run ${lastRun(manual.status).id} still active (concurrencyPolicy Forbid)`,
    });
    expect(result.status.lastTriggers).toEqual([{ pipeline: 'ingest', run: 'g5', uid: 'uid-ingest', ended: ['g5'] }]);
    expect(eventReasons(result)).toEqual(['RunSkipped']);
  });
});

describe('findTriggerCycle', () => {
  const p = (name: string, ...after: string[]): Pipeline =>
    pipeline(
      { stages: [stage('a')], ...(after.length ? { triggers: { after: after.map((a) => ({ pipeline: a })) } } : {}) },
      { name },
    );

  it.each([
    ['a after b, b after a', [p('a', 'b'), p('b', 'a')], 'a', ['a', 'b', 'a']],
    ['from the other end', [p('a', 'b'), p('b', 'a')], 'b', ['b', 'a', 'b']],
    ['a longer cycle', [p('a', 'c'), p('b', 'a'), p('c', 'b')], 'b', ['b', 'a', 'c', 'b']],
    ['the shortest of two', [p('a', 'b', 'c'), p('b', 'c'), p('c', 'a')], 'a', ['a', 'c', 'a']],
    ['a self trigger', [p('a', 'a')], 'a', ['a', 'a']],
    ['a chain without a cycle', [p('a', 'b'), p('b', 'c'), p('c')], 'a', undefined],
    ['a cycle that start only waits on', [p('a', 'b'), p('b', 'c'), p('c', 'b')], 'a', undefined],
    ['an unknown upstream', [p('a', 'ghost')], 'a', undefined],
    ['an unknown start', [p('a', 'b'), p('b', 'a')], 'zzz', undefined],
  ])('%s', (_case, pipelines, start, expected) => {
    expect(findTriggerCycle(pipelines, start)).toEqual(expected);
  });
});
