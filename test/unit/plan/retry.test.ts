// Retry from failure (conveyor.dev/retry-requested): re-run the failed and skipped stages of a run,
// keep the ones that succeeded there.
import { describe, expect, it } from 'vitest';
import type { PipelineStatus, RunStatus } from '../../../src/api/types.ts';
import { jobName, retryRunId } from '../../../src/plan/names.ts';
import { requestSeed } from '../../../src/plan/select/select.ts';
import { parseRetryRequest } from '../../../src/plan/select/retry.ts';
import { plan } from '../../../src/plan/planner.ts';
import {
  FakeCluster,
  at,
  condition,
  createdJobs,
  createdStages,
  diamond,
  eventReasons,
  pipeline,
  stage,
  stagePhases,
} from './fixtures.ts';

const RETRY = 'conveyor.dev/retry-requested';
const lastRun = (s: PipelineStatus): RunStatus => {
  if (!s.lastRun) throw new Error('no lastRun');
  return s.lastRun;
};
const stageOf = (s: PipelineStatus, name: string) => lastRun(s).stages?.find((x) => x.name === name);

/** a → (b, c) → d where b fails: a and c succeed, d is skipped, run g1 failed. */
function failedDiamond(): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: diamond(), failurePolicy: 'ContinueIndependent' }));
  cluster.reconcile(at(0));
  cluster.set('a', { state: 'succeeded' });
  cluster.reconcile(at(10));
  cluster.set('b', { state: 'failed' });
  cluster.set('c', { state: 'succeeded' });
  const failed = cluster.reconcile(at(30));
  expect(lastRun(failed.status)).toMatchObject({ id: 'g1', phase: 'Failed' });
  expect(stagePhases(failed)).toEqual({ a: 'Succeeded', b: 'Failed', c: 'Succeeded', d: 'Skipped' });
  return cluster;
}

describe('parseRetryRequest', () => {
  it.each([
    ['1', {}],
    ['2025-01-01T00:00:00Z', {}],
    ['g3:1', { target: 'g3' }],
    ['s1735693200:again', { target: 's1735693200' }],
    [`${retryRunId('x')}:2`, { target: retryRunId('x') }],
    ['nope:1', {}],
  ])('%s', (value, expected) => {
    expect(parseRetryRequest(value)).toEqual(expected);
  });
});

describe('retry from failure', () => {
  it('re-runs only the failed and skipped stages and keeps what succeeded', () => {
    const cluster = failedDiamond();
    cluster.annotate(RETRY, '1');
    const retry = cluster.reconcile(at(100));
    const id = retryRunId(requestSeed('1', 0));

    expect(createdStages(retry)).toEqual(['b']);
    expect(createdJobs(retry)[0]?.metadata?.name).toBe(jobName('etl', 'b', id));
    expect(createdJobs(retry)[0]?.metadata?.annotations).toMatchObject({
      'conveyor.dev/retry-of': 'g1',
      'conveyor.dev/trigger': 'retry',
    });
    expect(lastRun(retry.status)).toMatchObject({ id, trigger: 'retry', phase: 'Running' });
    expect(stageOf(retry.status, 'a')).toMatchObject({
      phase: 'Succeeded',
      reason: 'FromRun',
      message: 'succeeded in run g1',
      job: jobName('etl', 'a', 'g1'),
    });
    expect(stageOf(retry.status, 'c')).toMatchObject({
      phase: 'Succeeded',
      reason: 'FromRun',
      message: 'succeeded in run g1',
    });
    expect(stagePhases(retry)).toEqual({ a: 'Succeeded', b: 'Running', c: 'Succeeded', d: 'Pending' });
    expect(retry.status.progress).toBe('2/4');
    expect(retry.status.lastRetryRequest).toBe('1');
    expect(retry.status.runs?.map((r) => [r.id, r.phase])).toEqual([
      [id, 'Running'],
      ['g1', 'Failed'],
    ]);
    expect(eventReasons(retry)).toEqual(['RunStarted']);

    cluster.set('b', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(at(120)))).toEqual(['d']);
    cluster.set('d', { state: 'succeeded' });
    const done = cluster.reconcile(at(140));
    expect(lastRun(done.status)).toMatchObject({ id, phase: 'Succeeded' });
    expect(done.status.progress).toBe('4/4');
    expect(condition(done.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
    expect(condition(done.status, 'Stalled')).toBeUndefined();

    // The stages that had succeeded were never run again.
    expect(cluster.jobsOf('a')).toHaveLength(1);
    expect(cluster.jobsOf('c')).toHaveLength(1);
    expect(cluster.jobsOf('b')).toHaveLength(2);
  });

  it('is safe to repeat: the same value starts one retry only', () => {
    const cluster = failedDiamond();
    cluster.annotate(RETRY, '1');
    cluster.reconcile(at(100));
    const again = cluster.reconcile(at(101));
    expect(again.actions).toEqual([]);
    expect(again.events).toEqual([]);
    cluster.set('b', { state: 'failed' });
    cluster.reconcile(at(120));
    const afterEnd = cluster.reconcile(at(130));
    expect(createdJobs(afterEnd)).toEqual([]);
    expect(lastRun(afterEnd.status).id).toBe(retryRunId(requestSeed('1', 0)));
    expect(cluster.jobsOf('b')).toHaveLength(2);
  });

  it('a retry of a retry still keeps the stages of the original run', () => {
    const cluster = failedDiamond();
    cluster.annotate(RETRY, '1');
    cluster.reconcile(at(100));
    cluster.set('b', { state: 'failed' });
    const failedAgain = cluster.reconcile(at(120));
    expect(lastRun(failedAgain.status)).toMatchObject({ id: retryRunId(requestSeed('1', 0)), phase: 'Failed' });

    cluster.annotate(RETRY, '2');
    const second = cluster.reconcile(at(200));
    expect(createdStages(second)).toEqual(['b']);
    expect(createdJobs(second)[0]?.metadata?.annotations?.['conveyor.dev/retry-of']).toBe(
      retryRunId(requestSeed('1', 0)),
    );
    expect(stageOf(second.status, 'a')).toMatchObject({ reason: 'FromRun', message: 'succeeded in run g1' });
    expect(cluster.jobsOf('a')).toHaveLength(1);
  });

  it('status lost during a retry: the kept stages are found through retry-of, not run again', () => {
    const cluster = failedDiamond();
    cluster.annotate(RETRY, '1');
    cluster.reconcile(at(100));
    cluster.pipeline = { ...cluster.pipeline, status: {} };
    const result = cluster.reconcile(at(110));
    expect(createdJobs(result)).toEqual([]);
    expect(lastRun(result.status)).toMatchObject({
      id: retryRunId(requestSeed('1', 0)),
      trigger: 'retry',
      phase: 'Running',
    });
    expect(stagePhases(result)).toEqual({ a: 'Succeeded', b: 'Running', c: 'Succeeded', d: 'Pending' });
    expect(result.status.lastRetryRequest).toBe('1');
  });

  it('`<runId>:<nonce>` retries that run', () => {
    const cluster = failedDiamond();
    cluster.annotate(RETRY, 'g1:once');
    const result = cluster.reconcile(at(100));
    expect(lastRun(result.status)).toMatchObject({ id: retryRunId(requestSeed('g1:once', 0)), trigger: 'retry' });
    expect(createdStages(result)).toEqual(['b']);
  });

  it.each([
    [
      'a run that succeeded',
      'x',
      (c: FakeCluster) => c.set('a', { state: 'succeeded' }),
      'run g1 succeeded: nothing to retry',
    ],
    ['a run still going', 'x', () => undefined, 'run g1 is still running'],
    ['an unknown run', 'g7:x', (c: FakeCluster) => c.set('a', { state: 'failed' }), 'run g7 is not known'],
  ])('refuses %s with a Warning, and records the request as handled', (_case, value, setup, reason) => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    setup(cluster);
    cluster.reconcile(at(10));
    cluster.annotate(RETRY, value);
    const result = cluster.reconcile(at(20));
    expect(createdJobs(result)).toEqual([]);
    expect(result.events).toEqual([
      { type: 'Warning', reason: 'RetryRefused', message: `retry request "${value}" refused: ${reason}` },
    ]);
    expect(result.status.lastRetryRequest).toBe(value);
    expect(lastRun(result.status).id).toBe('g1');
    expect(cluster.reconcile(at(30)).events).toEqual([]);
  });

  it('refuses when the Jobs of the run were pruned', () => {
    const cluster = failedDiamond();
    cluster.jobs.clear();
    cluster.annotate(RETRY, '1');
    const result = cluster.reconcile(at(100));
    expect(createdJobs(result)).toEqual([]);
    expect(result.events).toEqual([
      {
        type: 'Warning',
        reason: 'RetryRefused',
        message:
          'retry request "1" refused: the Jobs of run g1 were deleted (runHistoryLimit): its outcome cannot be reused',
      },
    ]);
    expect(result.status.lastRetryRequest).toBe('1');
  });

  it('keeps the retried run from being pruned while the retry runs', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])], runHistoryLimit: 0 }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(10));
    cluster.set('b', { state: 'failed' });
    cluster.reconcile(at(20));
    cluster.annotate(RETRY, '1');
    const retry = cluster.reconcile(at(30));
    expect(retry.actions.filter((a) => a.kind === 'deleteJob')).toEqual([]);
    expect(createdStages(retry)).toEqual(['b']);
    cluster.set('b', { state: 'succeeded' });
    const done = cluster.reconcile(at(40));
    // Once it ended, history is pruned as usual (runHistoryLimit 0).
    expect(
      done.actions
        .filter((a) => a.kind === 'deleteJob')
        .map((a) => a.kind === 'deleteJob' && a.name)
        .sort(),
    ).toEqual([jobName('etl', 'a', 'g1'), jobName('etl', 'b', 'g1')]);
  });

  it('a retry run status no longer details, whose Jobs the cache does not show yet, is left alone', () => {
    const p = pipeline(
      { stages: [stage('a'), stage('b', ['a'])], schedule: '0 * * * *', concurrencyPolicy: 'Allow' },
      {
        status: {
          observedGeneration: 1,
          lastRun: {
            id: 's1735693200',
            trigger: 'schedule',
            phase: 'Running',
            stages: [{ name: 'a', phase: 'Running', job: 'etl-a-1' }],
          },
          runs: [
            { id: 's1735693200', trigger: 'schedule', phase: 'Running' },
            {
              id: retryRunId(requestSeed('1', 0)),
              trigger: 'retry',
              phase: 'Running',
              startTime: '2025-01-01T00:00:00Z',
            },
          ],
          lastRetryRequest: '1',
        },
      },
    );
    const result = plan({ pipeline: p, problems: [], jobs: [], claims: [], cronJobs: [], now: at(5) });
    expect(createdJobs(result).map((j) => j.metadata?.name)).not.toContain(
      jobName('etl', 'a', retryRunId(requestSeed('1', 0))),
    );
    expect(result.status.runs?.find((r) => r.id === retryRunId(requestSeed('1', 0)))).toMatchObject({
      phase: 'Running',
    });
  });
});
