// Issue 17, requests the simulator found dropped: NEW-B (an unscheduled pipeline given several
// requests, or a change and a request, in one plan starts one run and marked the others handled
// with no trace) and NEW-G (a run or retry request read while the Pipeline's status was never
// written was marked handled with no run). Rule: an accepted request starts a run, or is recorded
// as skipped or refused with a reason that names it.
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../../../src/api/types.ts';
import { ANN_RETRY_REQUESTED, ANN_RUN_REQUESTED } from '../../../src/api/labels.ts';
import { manualRunId } from '../../../src/plan/names.ts';
import { requestSeed } from '../../../src/plan/select/select.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, at, createdJobs, pipeline, stage } from './fixtures.ts';

const REQUEST = '2025-01-01T00:10:00Z';
const runsOfStatus = (cluster: FakeCluster): RunSummary[] => cluster.pipeline.status?.runs ?? [];
const createdRuns = (result: Plan): string[] => [
  ...new Set(createdJobs(result).map((j) => j.metadata?.labels?.['conveyor.dev/run'] ?? '')),
];
const warnings = (result: Plan): string[] => result.events.filter((e) => e.type === 'Warning').map((e) => e.message);

/** An unscheduled pipeline whose first run (g1) ended `phase`. */
function unscheduledAfterFirstRun(state: 'succeeded' | 'failed'): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
  cluster.reconcile(at(0));
  cluster.setIn('g1', 'a', { state });
  cluster.reconcile(at(10));
  return cluster;
}

describe('issue 17 NEW-B: without a schedule, requests that come together in one plan are each accounted for', () => {
  it('a change of spec and a run request in one plan: the change runs, the request is recorded Skipped, superseded by it, with an Event naming it', () => {
    const cluster = unscheduledAfterFirstRun('succeeded');
    cluster.edit((spec) => (spec.stages[0]!.image = 'busybox:2'));
    cluster.annotate(ANN_RUN_REQUESTED, REQUEST);
    const result = cluster.reconcile(at(20));
    expect(createdRuns(result)).toEqual(['g2']);
    const manual = runsOfStatus(cluster).find((r) => r.trigger === 'manual');
    expect(manual).toMatchObject({ id: manualRunId(requestSeed(REQUEST, 0)), phase: 'Skipped' });
    expect(manual?.message).toContain(`run request "${REQUEST}"`);
    expect(manual?.message).toContain('superseded by run g2');
    expect(warnings(result).some((m) => m.includes(REQUEST) && m.includes('g2'))).toBe(true);
    expect(cluster.pipeline.status?.lastRunRequest).toBe(REQUEST);
  });

  it('a run request and a retry request in one plan: the retry runs, the run request is recorded Skipped with an Event naming it', () => {
    const cluster = unscheduledAfterFirstRun('failed');
    cluster.annotate(ANN_RUN_REQUESTED, REQUEST);
    cluster.annotate(ANN_RETRY_REQUESTED, 'g1:n1');
    const result = cluster.reconcile(at(20));
    const retry = runsOfStatus(cluster).find((r) => r.trigger === 'retry');
    expect(retry?.phase).toBe('Running');
    expect(createdRuns(result)).toEqual([retry?.id]);
    const manual = runsOfStatus(cluster).find((r) => r.trigger === 'manual');
    expect(manual).toMatchObject({ phase: 'Skipped' });
    expect(manual?.message).toContain(`superseded by run ${retry?.id}`);
    expect(warnings(result).some((m) => m.includes(REQUEST))).toBe(true);
  });

  it('the same plan again (its write lost) decides the same: one run, the same Skipped id', () => {
    const cluster = unscheduledAfterFirstRun('succeeded');
    cluster.edit((spec) => (spec.stages[0]!.image = 'busybox:2'));
    cluster.annotate(ANN_RUN_REQUESTED, REQUEST);
    const lost = cluster.reconcile(at(20), 'writeLost');
    const again = cluster.reconcile(at(30));
    expect(createdRuns(lost)).toEqual(['g2']);
    expect(createdRuns(again)).toEqual([]);
    expect(
      runsOfStatus(cluster)
        .filter((r) => r.trigger === 'manual')
        .map((r) => r.phase),
    ).toEqual(['Skipped']);
    expect(cluster.pipeline.status?.lastRun?.id).toBe('g2');
  });
});

describe('issue 17 NEW-G: a request read while the status was never written runs', () => {
  it('a scheduled Pipeline applied with run-requested already set starts that manual run', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('a')], schedule: '@hourly' }, { annotations: { [ANN_RUN_REQUESTED]: REQUEST } }),
    );
    const result = cluster.reconcile(at(0));
    const id = manualRunId(requestSeed(REQUEST, 0));
    expect(createdRuns(result)).toEqual([id]);
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ id, trigger: 'manual' });
    expect(cluster.pipeline.status?.lastRunRequest).toBe(REQUEST);
  });

  it('a scheduled Pipeline whose first status write was lost starts the run asked for next', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')], schedule: '@hourly' }));
    cluster.reconcile(at(0), 'writeLost');
    cluster.annotate(ANN_RUN_REQUESTED, REQUEST);
    const result = cluster.reconcile(at(10));
    expect(createdRuns(result)).toEqual([manualRunId(requestSeed(REQUEST, 0))]);
  });

  it('a retry request on a new Pipeline (nothing to retry) is refused with an Event', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('a')], schedule: '@hourly' }, { annotations: { [ANN_RETRY_REQUESTED]: 'g1:n1' } }),
    );
    const result = cluster.reconcile(at(0));
    expect(createdRuns(result)).toEqual([]);
    expect(result.events.some((e) => e.reason === 'RetryRefused' && e.message.includes('g1:n1'))).toBe(true);
  });

  it('an unscheduled Pipeline applied with run-requested set starts its first run and records the request Skipped, superseded by it', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('a')] }, { annotations: { [ANN_RUN_REQUESTED]: REQUEST } }),
    );
    const result = cluster.reconcile(at(0));
    expect(createdRuns(result)).toEqual(['g1']);
    const manual = runsOfStatus(cluster).find((r) => r.trigger === 'manual');
    expect(manual?.phase).toBe('Skipped');
    expect(warnings(result).some((m) => m.includes(REQUEST) && m.includes('g1'))).toBe(true);
  });

  it('a status wiped while Jobs show earlier runs: the request still set is not run again, and an Event says why', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')], schedule: '@hourly' }));
    cluster.reconcile(at(0));
    cluster.annotate(ANN_RUN_REQUESTED, REQUEST);
    const id = manualRunId(requestSeed(REQUEST, 0));
    cluster.reconcile(at(10));
    cluster.setIn(id, 'a', { state: 'succeeded' });
    cluster.reconcile(at(20));
    cluster.annotate(ANN_RUN_REQUESTED, '2025-01-01T00:20:00Z');
    cluster.reconcile(at(30));
    const second = manualRunId(requestSeed('2025-01-01T00:20:00Z', 1));
    cluster.setIn(second, 'a', { state: 'succeeded' });
    cluster.reconcile(at(40));
    // The status is wiped (a restore without status): requestCount is gone, the ids differ.
    cluster.pipeline = { ...cluster.pipeline, status: {} };
    const result = cluster.reconcile(at(50));
    expect(createdRuns(result)).toEqual([]);
    expect(warnings(result).some((m) => m.includes('2025-01-01T00:20:00Z') && m.includes('status'))).toBe(true);
  });
});
