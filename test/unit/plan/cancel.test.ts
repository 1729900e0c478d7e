// Cancelling a run on request (conveyor.dev/cancel-requested), as the Console's Cancel button does.
import { describe, expect, it } from 'vitest';
import { scheduledRunId } from '../../../src/plan/names.ts';
import { FakeCluster, at, condition, createdJobs, deletedJobs, eventReasons, pipeline, stage } from './fixtures.ts';

const ANN = 'conveyor.dev/cancel-requested';

function running(): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])] }));
  cluster.reconcile(at(0));
  return cluster;
}

describe('cancel-requested', () => {
  const targets: [string, string][] = [
    ['a run id with a nonce', 'g1:2025-01-01T00:00:05Z'],
    ['a bare run id', 'g1'],
    ['any other value: the latest run', 'please-stop'],
  ];
  for (const [title, value] of targets) {
    it(`cancels the active run named by ${title}: Jobs deleted after status says why, no new run`, () => {
      const cluster = running();
      cluster.annotate(ANN, value);
      const result = cluster.reconcile(at(5));
      expect(result.status.lastRun).toMatchObject({
        id: 'g1',
        phase: 'Cancelled',
        message: `cancelled on request (${ANN}: ${value})`,
      });
      expect(result.status.lastRun?.stages?.map((s) => [s.name, s.phase, s.reason])).toEqual([
        ['a', 'Failed', 'RunCancelled'],
        ['b', 'Skipped', 'RunCancelled'],
      ]);
      expect(deletedJobs(result)).toHaveLength(1);
      expect(createdJobs(result)).toEqual([]);
      expect(result.status.lastCancelRequest).toBe(value);
      expect(result.status.phase).toBe('Failed');
      expect(condition(result.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'RunCancelled' });
      expect(eventReasons(result)).toEqual(['RunCancelled']);
      // Handled once: planning again changes nothing and starts nothing.
      const again = cluster.reconcile(at(6));
      expect(createdJobs(again)).toEqual([]);
      expect(again.events).toEqual([]);
      expect(again.status.lastRun?.phase).toBe('Cancelled');
    });
  }

  it('a request for a run that has ended is refused with an Event', () => {
    const cluster = running();
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(5));
    cluster.set('b', { state: 'succeeded' });
    cluster.reconcile(at(6));
    cluster.annotate(ANN, 'g1:late');
    const result = cluster.reconcile(at(7));
    expect(result.status.lastRun?.phase).toBe('Succeeded');
    expect(result.events).toEqual([
      { type: 'Warning', reason: 'CancelRefused', message: 'cancel request "g1:late" refused: run g1 is not active' },
    ]);
    expect(result.status.lastCancelRequest).toBe('g1:late');
  });

  it('with overlapping runs (Allow) only the named run stops; the other goes on', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('x'), stage('y', ['x'])], schedule: '0 * * * *', concurrencyPolicy: 'Allow' }),
    );
    cluster.reconcile(at(0));
    const run = (n: number) => scheduledRunId(at(n * 3600));
    for (const n of [1, 2]) {
      cluster.tick(at(n * 3600));
      cluster.reconcile(at(n * 3600 + 1));
    }
    cluster.annotate(ANN, `${run(1)}:now`);
    const result = cluster.reconcile(at(2 * 3600 + 5));
    const phase = (id: string) =>
      [...(result.status.runs ?? []), result.status.lastRun].find((r) => r?.id === id)?.phase;
    expect(phase(run(1))).toBe('Cancelled');
    expect(phase(run(2))).toBe('Running');
    cluster.setIn(run(2), 'x', { state: 'succeeded' });
    expect(
      createdJobs(cluster.reconcile(at(2 * 3600 + 10))).map((j) => j.metadata?.labels?.['conveyor.dev/run']),
    ).toEqual([run(2)]);
  });
});
