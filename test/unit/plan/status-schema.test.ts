// The statuses the planner writes must be accepted by the status schema (the CRD's status
// subresource): new phases (Skipped), lastTriggers, schedule times, FromRun stages.
import { describe, expect, it } from 'vitest';
import { FakeCluster, at, pipeline, stage } from './fixtures.ts';
import { expectValidStatus as check } from './status-check.ts';

describe('statuses the planner writes', () => {
  it('a scheduled pipeline with a skipped tick', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')], schedule: '0 * * * *' }));
    cluster.reconcile(at(0));
    cluster.tick(at(3600));
    cluster.reconcile(at(3601));
    cluster.tick(at(7200));
    cluster.reconcile(at(7201));
    expect(cluster.pipeline.status?.runs?.map((r) => r.phase)).toEqual(['Skipped', 'Running']);
    check(cluster.pipeline.status);
  });

  it('a chained pipeline and a retry', () => {
    const upstream = pipeline(
      { stages: [stage('x')] },
      {
        name: 'ingest',
        status: {
          lastRun: { id: 'g1', trigger: 'create', phase: 'Succeeded', completionTime: '2025-01-01T00:00:00Z' },
        },
      },
    );
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('a'), stage('b', ['a'])], triggers: { after: [{ pipeline: 'ingest' }] } }),
    );
    cluster.upstream = [upstream];
    cluster.reconcile(at(0));
    // A chained pipeline waits for its trigger; a manual run starts it here.
    cluster.annotate('conveyor.dev/run-requested', 'go');
    cluster.reconcile(at(5));
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(10));
    cluster.set('b', { state: 'failed' });
    cluster.reconcile(at(20));
    cluster.annotate('conveyor.dev/retry-requested', '1');
    cluster.reconcile(at(30));
    expect(cluster.pipeline.status?.lastTriggers).toEqual([
      { pipeline: 'ingest', run: 'g1', uid: 'uid-1', ended: ['g1'] },
    ]);
    expect(cluster.pipeline.status?.lastRun?.stages?.[0]?.reason).toBe('FromRun');
    check(cluster.pipeline.status);
  });
});
