import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import type { PipelineStatus, RunStatus } from '../../../src/api/types.ts';
import { plan } from '../../../src/plan/planner.ts';
import { jobName, manualRunId } from '../../../src/plan/names.ts';
import { requestSeed } from '../../../src/plan/select/select.ts';
import {
  FakeCluster,
  T0,
  at,
  condition,
  createdJobs,
  createdStages,
  deletedJobs,
  diamond,
  eventReasons,
  job,
  pipeline,
  stage,
  stagePhases,
  runActions,
  type JobState,
} from './fixtures.ts';

const run = (s: PipelineStatus): RunStatus => {
  if (!s.lastRun) throw new Error('no lastRun');
  return s.lastRun;
};
const stageStatus = (s: PipelineStatus, name: string) => run(s).stages?.find((x) => x.name === name);

describe('a fresh pipeline', () => {
  it('creates the root Jobs and reports the run as in progress', () => {
    const p = pipeline({ stages: diamond() });
    const result = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: T0 });

    expect(createdStages(result)).toEqual(['a']);
    expect(createdJobs(result)[0]?.metadata?.name).toBe(jobName('etl', 'a', 'g1'));
    expect(result.status.observedGeneration).toBe(1);
    expect(result.status.phase).toBe('Running');
    expect(result.status.progress).toBe('0/4');
    expect(run(result.status)).toMatchObject({
      id: 'g1',
      trigger: 'create',
      phase: 'Running',
      generation: 1,
      startTime: '2025-01-01T00:00:00Z',
    });
    expect(stagePhases(result)).toEqual({ a: 'Running', b: 'Pending', c: 'Pending', d: 'Pending' });
    expect(stageStatus(result.status, 'a')).toEqual({
      name: 'a',
      phase: 'Running',
      job: jobName('etl', 'a', 'g1'),
      attempts: 1,
    });
    // An unscheduled run's logical time is its start; its interval is that instant.
    const start = '2025-01-01T00:00:00Z';
    const times = { logicalTime: start, intervalStart: start, intervalEnd: start };
    expect(result.status.runs).toEqual([
      { id: 'g1', trigger: 'create', phase: 'Running', generation: 1, startTime: start, ...times },
    ]);
    expect(eventReasons(result)).toEqual(['RunStarted']);
    expect(result.requeueAfterMs).toBeUndefined();
  });

  it('sets kstatus conditions for a run in progress', () => {
    const result = plan({ pipeline: pipeline({ stages: diamond() }), problems: [], jobs: [], claims: [], now: T0 });
    expect(result.status.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'RunInProgress',
        message: 'run g1 in progress: 0/4 stages succeeded',
        lastTransitionTime: '2025-01-01T00:00:00Z',
        observedGeneration: 1,
      },
      {
        type: 'Reconciling',
        status: 'True',
        reason: 'RunInProgress',
        message: 'run g1 in progress: 0/4 stages succeeded',
        lastTransitionTime: '2025-01-01T00:00:00Z',
        observedGeneration: 1,
      },
    ]);
  });

  it('starts every root stage at once', () => {
    const p = pipeline({ stages: [stage('x'), stage('y'), stage('z', ['x', 'y'])] });
    expect(createdStages(plan({ pipeline: p, problems: [], jobs: [], claims: [], now: T0 }))).toEqual(['x', 'y']);
  });
});

describe('stage progression (table)', () => {
  const p = pipeline({ stages: diamond() });
  const cases: {
    name: string;
    jobs: Record<string, JobState>;
    create: string[];
    phases: Record<string, string>;
    progress: string;
  }[] = [
    {
      name: 'a running',
      jobs: { a: { state: 'running' } },
      create: [],
      phases: { a: 'Running', b: 'Pending', c: 'Pending', d: 'Pending' },
      progress: '0/4',
    },
    {
      name: 'a not started yet',
      jobs: { a: { state: 'pending' } },
      create: [],
      phases: { a: 'Running', b: 'Pending', c: 'Pending', d: 'Pending' },
      progress: '0/4',
    },
    {
      name: 'a done → b and c',
      jobs: { a: { state: 'succeeded' } },
      create: ['b', 'c'],
      phases: { a: 'Succeeded', b: 'Running', c: 'Running', d: 'Pending' },
      progress: '1/4',
    },
    {
      name: 'b done, c running → d waits',
      jobs: { a: { state: 'succeeded' }, b: { state: 'succeeded' }, c: { state: 'running' } },
      create: [],
      phases: { a: 'Succeeded', b: 'Succeeded', c: 'Running', d: 'Pending' },
      progress: '2/4',
    },
    {
      name: 'b and c done → d',
      jobs: { a: { state: 'succeeded' }, b: { state: 'succeeded' }, c: { state: 'succeeded' } },
      create: ['d'],
      phases: { a: 'Succeeded', b: 'Succeeded', c: 'Succeeded', d: 'Running' },
      progress: '3/4',
    },
  ];
  it.each(cases)('$name', ({ jobs, create, phases, progress }) => {
    const observed = Object.entries(jobs).map(([name, state]) => job(p, name, 'g1', state));
    const result = plan({ pipeline: p, problems: [], jobs: observed, claims: [], now: at(60) });
    expect(createdStages(result)).toEqual(create);
    expect(stagePhases(result)).toEqual(phases);
    expect(result.status.progress).toBe(progress);
    expect(result.status.phase).toBe('Running');
  });
});

describe('a diamond run end to end', () => {
  it('runs a → (b, c) → d in order and then is Ready', () => {
    const cluster = new FakeCluster(pipeline({ stages: diamond() }));
    expect(createdStages(cluster.reconcile(at(0)))).toEqual(['a']);
    expect(createdStages(cluster.reconcile(at(1)))).toEqual([]); // nothing changed
    cluster.set('a', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(at(20)))).toEqual(['b', 'c']);
    cluster.set('b', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(at(40)))).toEqual([]);
    cluster.set('c', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(at(41)))).toEqual(['d']);
    cluster.set('d', { state: 'succeeded', at: at(90) });
    const done = cluster.reconcile(at(100));

    expect(done.actions).toEqual([]);
    expect(done.status.phase).toBe('Succeeded');
    expect(done.status.progress).toBe('4/4');
    expect(run(done.status)).toMatchObject({ phase: 'Succeeded', completionTime: '2025-01-01T00:01:30Z' });
    expect(done.status.conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Succeeded',
        message: 'run g1 succeeded (4/4 stages succeeded)',
        lastTransitionTime: '2025-01-01T00:01:40Z',
        observedGeneration: 1,
      },
    ]);
    expect(eventReasons(done)).toEqual(['RunSucceeded']);

    // Planning again changes nothing: no actions, no events, identical status.
    const again = cluster.reconcile(at(500));
    expect(again.actions).toEqual([]);
    expect(again.events).toEqual([]);
    expect(again.status).toEqual(done.status);
  });

  it('keeps lastTransitionTime while a condition keeps its status', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])] }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    const middle = cluster.reconcile(at(30));
    expect(condition(middle.status, 'Ready')?.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect(condition(middle.status, 'Ready')?.message).toBe('run g1 in progress: 1/2 stages succeeded');
    cluster.set('b', { state: 'succeeded' });
    const done = cluster.reconcile(at(60));
    expect(condition(done.status, 'Ready')).toMatchObject({
      status: 'True',
      lastTransitionTime: '2025-01-01T00:01:00Z',
    });
    expect(condition(done.status, 'Reconciling')).toBeUndefined();
  });
});

describe('failures', () => {
  it('counts attempts across retries', () => {
    const p = pipeline({ stages: [stage('load', undefined, { retries: 2 })] });
    const retrying = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'load', 'g1', { state: 'running', active: 1, failed: 1 })],
      claims: [],
      now: at(30),
    });
    expect(stageStatus(retrying.status, 'load')).toMatchObject({ phase: 'Running', attempts: 2 });

    const failed = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'load', 'g1', { state: 'failed', failed: 3 })],
      claims: [],
      now: at(60),
    });
    expect(stageStatus(failed.status, 'load')).toEqual({
      name: 'load',
      phase: 'Failed',
      job: jobName('etl', 'load', 'g1'),
      attempts: 3,
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      startTime: '2025-01-01T00:00:00Z',
      completionTime: '2025-01-01T00:00:10Z',
    });
    expect(failed.status.phase).toBe('Failed');
    const message = `stage "load" failed: BackoffLimitExceeded after 3 attempts (see kubectl logs job/${jobName('etl', 'load', 'g1')})`;
    expect(failed.status.conditions).toEqual([
      {
        type: 'Ready',
        status: 'False',
        reason: 'StageFailed',
        message,
        lastTransitionTime: '2025-01-01T00:01:00Z',
        observedGeneration: 1,
      },
      {
        type: 'Stalled',
        status: 'True',
        reason: 'StageFailed',
        message,
        lastTransitionTime: '2025-01-01T00:01:00Z',
        observedGeneration: 1,
      },
    ]);
    expect(run(failed.status).message).toBe(message);
  });

  it('reports a stage timeout in seconds', () => {
    const p = pipeline({ stages: [stage('load', undefined, { timeoutSeconds: 30 })] });
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [
        job(p, 'load', 'g1', {
          state: 'failed',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
        }),
      ],
      claims: [],
      now: at(60),
    });
    expect(stageStatus(result.status, 'load')).toMatchObject({
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: 'timed out after 30s',
    });
    expect(condition(result.status, 'Stalled')?.message).toBe(
      'stage "load" failed: DeadlineExceeded after 1 attempt (timed out after 30s)',
    );
  });

  it('StopAll: starts nothing after a failure, skips what cannot run, lets running stages finish', () => {
    // a fails while b runs; c (after b) is skipped although b may still succeed.
    const p = pipeline({ stages: [stage('a'), stage('b'), stage('c', ['b']), stage('d', ['a'])] });
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'failed' }), job(p, 'b', 'g1', { state: 'running' })],
      claims: [],
      now: at(30),
    });
    expect(runActions(result)).toEqual([]);
    expect(stagePhases(result)).toEqual({ a: 'Failed', b: 'Running', c: 'Skipped', d: 'Skipped' });
    expect(stageStatus(result.status, 'c')).toMatchObject({ reason: 'RunFailed' });
    expect(stageStatus(result.status, 'd')).toMatchObject({
      reason: 'UpstreamFailed',
      message: 'upstream stage "a" did not succeed',
    });
    expect(result.status.phase).toBe('Running');
    expect(condition(result.status, 'Reconciling')?.status).toBe('True');

    const after = plan({
      pipeline: { ...p, status: result.status },
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'failed' }), job(p, 'b', 'g1', { state: 'succeeded' })],
      claims: [],
      now: at(60),
    });
    expect(runActions(after)).toEqual([]);
    expect(stagePhases(after)).toEqual({ a: 'Failed', b: 'Succeeded', c: 'Skipped', d: 'Skipped' });
    expect(after.status.phase).toBe('Failed');
    expect(after.status.progress).toBe('1/4');
    expect(eventReasons(after)).toEqual(['RunFailed']);
  });

  it('ContinueIndependent: branches not downstream of the failure go on', () => {
    const stages = [stage('a'), stage('b', ['a']), stage('e', ['b']), stage('c'), stage('d', ['c'])];
    const jobs = (p: ReturnType<typeof pipeline>): V1Job[] => [
      job(p, 'a', 'g1', { state: 'failed' }),
      job(p, 'c', 'g1', { state: 'succeeded' }),
    ];

    const independent = pipeline({ stages, failurePolicy: 'ContinueIndependent' });
    const result = plan({ pipeline: independent, problems: [], jobs: jobs(independent), claims: [], now: at(30) });
    expect(createdStages(result)).toEqual(['d']);
    expect(stagePhases(result)).toEqual({ a: 'Failed', b: 'Skipped', e: 'Skipped', c: 'Succeeded', d: 'Running' });
    expect(stageStatus(result.status, 'e')).toMatchObject({
      reason: 'UpstreamFailed',
      message: 'upstream stage "b" did not succeed',
    });
    expect(result.status.phase).toBe('Running');

    const stopAll = pipeline({ stages });
    const stopped = plan({ pipeline: stopAll, problems: [], jobs: jobs(stopAll), claims: [], now: at(30) });
    expect(createdStages(stopped)).toEqual([]);
    expect(stageStatus(stopped.status, 'd')).toMatchObject({ phase: 'Skipped', reason: 'RunFailed' });
    expect(stopped.status.phase).toBe('Failed');
  });

  it('names every failed stage in the Stalled message', () => {
    const p = pipeline({ stages: [stage('a'), stage('b')], failurePolicy: 'ContinueIndependent' });
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'failed' }), job(p, 'b', 'g1', { state: 'failed', failed: 2 })],
      claims: [],
      now: at(30),
    });
    expect(condition(result.status, 'Stalled')?.message).toBe(
      `stage "a" failed: BackoffLimitExceeded after 1 attempt (see kubectl logs job/${jobName('etl', 'a', 'g1')}); stage "b" failed: BackoffLimitExceeded after 2 attempts (see kubectl logs job/${jobName('etl', 'b', 'g1')})`,
    );
    expect(eventReasons(result)).toEqual(['RunStarted', 'StageFailed', 'StageFailed', 'RunFailed']);
  });
});

describe('onFailure stages', () => {
  const spec = { stages: [stage('a'), stage('b', ['a'])], onFailure: [{ name: 'notify', image: 'curl' }] };

  it('run once after a failure, and the run fails when they are done', () => {
    const cluster = new FakeCluster(pipeline(spec));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'failed' });
    const failing = cluster.reconcile(at(10));
    const created = createdJobs(failing);
    expect(created).toHaveLength(1);
    expect(created[0]?.metadata?.labels).toMatchObject({
      'conveyor.dev/stage': 'notify',
      'conveyor.dev/role': 'on-failure',
    });
    expect(created[0]?.metadata?.name).toBe(jobName('etl', 'notify', 'g1'));
    expect(stagePhases(failing)).toEqual({ a: 'Failed', b: 'Skipped', notify: 'Running' });
    expect(failing.status.phase).toBe('Running');
    expect(condition(failing.status, 'Reconciling')?.status).toBe('True');
    expect(condition(failing.status, 'Stalled')).toBeUndefined();
    expect(failing.status.progress).toBe('0/2');
    expect(eventReasons(failing)).toEqual(['StageFailed']);

    // Not created again while it runs.
    expect(createdJobs(cluster.reconcile(at(15)))).toEqual([]);

    cluster.set('notify', { state: 'succeeded' }, 'on-failure');
    const failed = cluster.reconcile(at(20));
    expect(failed.actions).toEqual([]);
    expect(failed.status.phase).toBe('Failed');
    expect(stagePhases(failed)).toEqual({ a: 'Failed', b: 'Skipped', notify: 'Succeeded' });
    expect(condition(failed.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'StageFailed' });
    expect(condition(failed.status, 'Stalled')?.message).toContain('stage "a" failed');
    expect(eventReasons(failed)).toEqual(['RunFailed']);
    expect(cluster.reconcile(at(30)).actions).toEqual([]);
  });

  it('never run after success', () => {
    const cluster = new FakeCluster(pipeline(spec));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(10));
    cluster.set('b', { state: 'succeeded' });
    const done = cluster.reconcile(at(20));
    expect(done.actions).toEqual([]);
    expect(done.status.phase).toBe('Succeeded');
    expect(stagePhases(done)).toEqual({ a: 'Succeeded', b: 'Succeeded' });
    expect([...cluster.jobs.keys()].some((n) => n.includes('notify'))).toBe(false);
  });

  it('a failing onFailure stage still ends the run as Failed', () => {
    const cluster = new FakeCluster(pipeline(spec));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'failed' });
    cluster.reconcile(at(10));
    cluster.set('notify', { state: 'failed' }, 'on-failure');
    const failed = cluster.reconcile(at(20));
    expect(failed.status.phase).toBe('Failed');
    expect(stagePhases(failed)).toMatchObject({ notify: 'Failed' });
    expect(condition(failed.status, 'Stalled')?.message).toBe(
      `stage "a" failed: BackoffLimitExceeded after 1 attempt (see kubectl logs job/${jobName('etl', 'a', 'g1')})`,
    );
  });
});

describe('the run deadline (activeDeadlineSeconds)', () => {
  const spec = { stages: [stage('a'), stage('b', ['a'])], activeDeadlineSeconds: 60 };

  it('asks to be planned again when the deadline comes', () => {
    const p = pipeline(spec);
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'running' })],
      claims: [],
      now: at(20),
    });
    expect(result.requeueAfterMs).toBe(40_000);
  });

  it('past it, stops running Jobs, fails the run and then runs onFailure', () => {
    const p = pipeline({ ...spec, onFailure: [{ name: 'alert' }] });
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'running' })],
      claims: [],
      now: at(61),
    });
    expect(deletedJobs(result)).toEqual([jobName('etl', 'a', 'g1')]);
    expect(stageStatus(result.status, 'a')).toMatchObject({
      phase: 'Failed',
      reason: 'RunDeadlineExceeded',
      message: 'run exceeded activeDeadlineSeconds (60s)',
    });
    expect(stageStatus(result.status, 'b')).toMatchObject({ phase: 'Skipped' });
    expect(createdStages(result)).toEqual(['alert']);
    expect(result.requeueAfterMs).toBeUndefined();

    // The deleted Job may linger (being deleted): memory keeps the verdict, no second delete.
    const lingering = job(p, 'a', 'g1', { state: 'running' });
    lingering.metadata = { ...lingering.metadata, deletionTimestamp: at(62) };
    const next = plan({
      pipeline: { ...p, status: result.status },
      problems: [],
      jobs: [lingering, job(p, 'alert', 'g1', { state: 'succeeded' }, { role: 'on-failure', created: at(61) })],
      claims: [],
      now: at(80),
    });
    expect(next.actions).toEqual([]);
    expect(next.status.phase).toBe('Failed');
    expect(condition(next.status, 'Stalled')).toMatchObject({ reason: 'RunDeadlineExceeded' });
    expect(condition(next.status, 'Stalled')?.message).toBe(
      'stage "a" failed: RunDeadlineExceeded after 1 attempt (run exceeded activeDeadlineSeconds (60s))',
    );
  });

  it('measures from the run start in status when no Job exists yet', () => {
    const p = pipeline(spec, {
      status: {
        observedGeneration: 1,
        lastRun: { id: 'g1', trigger: 'create', phase: 'Running', startTime: '2025-01-01T00:00:00Z', stages: [] },
      },
    });
    const result = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: at(120) });
    expect(result.status.phase).toBe('Failed');
    expect(createdJobs(result)).toEqual([]);
    expect(stagePhases(result)).toEqual({ a: 'Skipped', b: 'Skipped' });
    expect(condition(result.status, 'Stalled')).toMatchObject({
      reason: 'RunDeadlineExceeded',
      message: 'run exceeded activeDeadlineSeconds (60s) before stage "a" could start',
    });
  });
});

describe('superseding runs', () => {
  it('a new generation cancels the active run and starts its own', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])] }));
    cluster.reconcile(at(0));
    cluster.edit((spec) => {
      spec.stages.push(stage('c'));
    });
    const result = cluster.reconcile(at(10));

    expect(deletedJobs(result)).toEqual([jobName('etl', 'a', 'g1')]);
    expect(result.actions.find((a) => a.kind === 'deleteJob')).toMatchObject({ reason: 'superseded by run g2' });
    expect(
      createdJobs(result)
        .map((j) => j.metadata?.name)
        .sort(),
    ).toEqual([jobName('etl', 'a', 'g2'), jobName('etl', 'c', 'g2')]);
    expect(run(result.status)).toMatchObject({ id: 'g2', trigger: 'change', phase: 'Running', generation: 2 });
    expect(result.status.observedGeneration).toBe(2);
    expect(result.status.runs?.map((r) => [r.id, r.phase])).toEqual([
      ['g2', 'Running'],
      ['g1', 'Cancelled'],
    ]);
    expect(result.status.runs?.[1]).toMatchObject({
      message: 'superseded by run g2',
      completionTime: '2025-01-01T00:00:10Z',
    });
    expect(eventReasons(result)).toEqual(['RunCancelled', 'RunStarted']);
    expect(condition(result.status, 'Ready')?.observedGeneration).toBe(2);
  });

  it('a new generation after a finished run keeps that run as it was', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(20));
    cluster.edit((spec) => {
      spec.stages[0]!.image = 'busybox:2';
    });
    const result = cluster.reconcile(at(30));
    expect(deletedJobs(result)).toEqual([]);
    expect(result.status.runs?.map((r) => [r.id, r.phase])).toEqual([
      ['g2', 'Running'],
      ['g1', 'Succeeded'],
    ]);
    expect(eventReasons(result)).toEqual(['RunStarted']);
  });

  it('run-requested starts a manual run once; the previous run stays in runs[]', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(20));
    cluster.annotate('conveyor.dev/run-requested', '2025-01-01T00:01:00Z');
    const manual = cluster.reconcile(at(60));
    const id = manualRunId(requestSeed('2025-01-01T00:01:00Z', 0));

    expect(run(manual.status)).toMatchObject({ id, trigger: 'manual', phase: 'Running' });
    expect(manual.status.lastRunRequest).toBe('2025-01-01T00:01:00Z');
    expect(createdJobs(manual).map((j) => j.metadata?.name)).toEqual([jobName('etl', 'a', id)]);
    expect(createdJobs(manual)[0]?.metadata?.annotations?.['conveyor.dev/trigger']).toBe('manual');
    expect(deletedJobs(manual)).toEqual([]);
    expect(manual.status.runs?.map((r) => [r.id, r.phase])).toEqual([
      [id, 'Running'],
      ['g1', 'Succeeded'],
    ]);
    expect(eventReasons(manual)).toEqual(['RunStarted']);

    // The same request is not a new run.
    const again = cluster.reconcile(at(61));
    expect(run(again.status).id).toBe(id);
    expect(again.events).toEqual([]);
    expect(createdJobs(again)).toEqual([]);

    // A new request while it runs supersedes it.
    cluster.annotate('conveyor.dev/run-requested', 'second');
    const second = cluster.reconcile(at(70));
    expect(run(second.status).id).toBe(manualRunId(requestSeed('second', 1)));
    expect(deletedJobs(second)).toEqual([jobName('etl', 'a', id)]);
    expect(second.status.runs?.map((r) => r.phase)).toEqual(['Running', 'Cancelled', 'Succeeded']);
  });

  it('an empty run-requested annotation starts nothing', () => {
    const p = pipeline(
      { stages: [stage('a')] },
      {
        annotations: { 'conveyor.dev/run-requested': '  ' },
        status: {
          observedGeneration: 1,
          phase: 'Succeeded',
          lastRun: { id: 'g1', trigger: 'create', phase: 'Succeeded' },
        },
      },
    );
    const result = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: at(5) });
    expect(result.actions).toEqual([]);
    expect(run(result.status).id).toBe('g1');
    expect(result.events).toEqual([]);
  });

  it('a request arriving with a spec change is satisfied by the change run', () => {
    const p = pipeline(
      { stages: [stage('a')] },
      {
        generation: 2,
        annotations: { 'conveyor.dev/run-requested': 'now' },
        status: {
          observedGeneration: 1,
          phase: 'Succeeded',
          lastRun: { id: 'g1', trigger: 'create', phase: 'Succeeded' },
        },
      },
    );
    const result = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: at(5) });
    expect(run(result.status)).toMatchObject({ id: 'g2', trigger: 'change' });
    expect(result.status.lastRunRequest).toBe('now');
  });
});

describe('an invalid spec', () => {
  const problems = [
    { path: 'spec.stages[1].dependsOn[0]', message: 'unknown stage "x"' },
    { path: 'spec.schedule', message: 'not a cron expression' },
  ];

  it('creates nothing and is Stalled with the problems listed', () => {
    const p = pipeline({ stages: [stage('a'), stage('b', ['x'])] });
    const result = plan({ pipeline: p, problems, jobs: [], claims: [], now: T0 });
    const message = 'spec.stages[1].dependsOn[0]: unknown stage "x"; spec.schedule: not a cron expression';
    expect(result.actions).toEqual([]);
    expect(result.status).toEqual({
      observedGeneration: 1,
      phase: 'Invalid',
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'InvalidSpec',
          message,
          lastTransitionTime: '2025-01-01T00:00:00Z',
          observedGeneration: 1,
        },
        {
          type: 'Stalled',
          status: 'True',
          reason: 'InvalidSpec',
          message,
          lastTransitionTime: '2025-01-01T00:00:00Z',
          observedGeneration: 1,
        },
      ],
    });
    expect(result.events).toEqual([{ type: 'Warning', reason: 'InvalidSpec', message: `invalid spec: ${message}` }]);

    const again = plan({ pipeline: { ...p, status: result.status }, problems, jobs: [], claims: [], now: at(9) });
    expect(again.events).toEqual([]);
    expect(again.status).toEqual(result.status);
  });

  it('trims a long list of problems', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({
      path: `spec.stages[${i}].name`,
      message: 'must be a DNS-1123 label',
    }));
    const result = plan({ pipeline: pipeline({ stages: [] }), problems: many, jobs: [], claims: [], now: T0 });
    expect(condition(result.status, 'Stalled')?.message.length).toBeLessThanOrEqual(1000);
  });

  it('cancels the run in flight of an earlier generation', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])] }));
    cluster.reconcile(at(0));
    cluster.edit((spec) => {
      spec.stages[1]!.dependsOn = ['x'];
    });
    cluster.problems = problems;
    const result = cluster.reconcile(at(10));
    expect(deletedJobs(result)).toEqual([jobName('etl', 'a', 'g1')]);
    expect(createdJobs(result)).toEqual([]);
    expect(result.status.phase).toBe('Invalid');
    expect(result.status.observedGeneration).toBe(2);
    expect(run(result.status)).toMatchObject({
      id: 'g1',
      phase: 'Cancelled',
      message: 'cancelled: generation 2 is invalid',
    });
    expect(stagePhases(result)).toEqual({ a: 'Failed', b: 'Skipped' });
    expect(condition(result.status, 'Reconciling')).toBeUndefined();
    expect(eventReasons(result)).toEqual(['RunCancelled', 'InvalidSpec']);

    // Fixed in the next generation: a change run starts.
    cluster.edit((spec) => {
      spec.stages[1]!.dependsOn = ['a'];
    });
    cluster.problems = [];
    const fixed = cluster.reconcile(at(20));
    expect(run(fixed.status)).toMatchObject({ id: 'g3', trigger: 'change', phase: 'Running' });
    expect(condition(fixed.status, 'Stalled')).toBeUndefined();
    expect(fixed.status.runs?.map((r) => [r.id, r.phase])).toEqual([
      ['g3', 'Running'],
      ['g1', 'Cancelled'],
    ]);
  });
});

describe('run history', () => {
  const p = pipeline({ stages: [stage('a')], staging: { size: '1Gi' } }, { generation: 5 });
  const oldRun = (id: string, created: Date) => job(p, 'a', id, { state: 'succeeded' }, { created });
  const claimOf = (id: string, created: Date) => ({
    metadata: {
      name: `etl-${id}-staging`,
      creationTimestamp: created,
      labels: { 'conveyor.dev/pipeline': 'etl', 'conveyor.dev/run': id },
    },
  });
  const status: PipelineStatus = {
    observedGeneration: 5,
    lastRun: { id: 'g5', trigger: 'change', phase: 'Running', startTime: '2025-01-01T01:00:00Z' },
  };

  it('keeps the newest runHistoryLimit finished runs (default 3) besides the current one', () => {
    const jobs = [
      oldRun('g1', at(0)),
      oldRun('g2', at(100)),
      oldRun('g3', at(200)),
      oldRun('g4', at(300)),
      job(p, 'a', 'g5', { state: 'running' }, { created: at(3600) }),
    ];
    const claims = [claimOf('g1', at(0)), claimOf('g4', at(300)), claimOf('g5', at(3600))];
    const result = plan({ pipeline: { ...p, status }, problems: [], jobs, claims, now: at(3700) });
    expect(runActions(result)).toEqual([
      { kind: 'deleteJob', name: jobName('etl', 'a', 'g1'), reason: 'run g1: run history limit (3) exceeded' },
      { kind: 'deleteClaim', name: 'etl-g1-staging', reason: 'run g1: run history limit (3) exceeded' },
    ]);
  });

  it('honours a smaller limit, and 0 keeps only the current run', () => {
    const jobs = [oldRun('g2', at(100)), oldRun('g3', at(200)), oldRun('g4', at(300))];
    const one = plan({
      pipeline: { ...p, spec: { ...p.spec, runHistoryLimit: 1 }, status },
      problems: [],
      jobs,
      claims: [],
      now: at(3700),
    });
    expect(deletedJobs(one)).toEqual([jobName('etl', 'a', 'g2'), jobName('etl', 'a', 'g3')]);
    const none = plan({
      pipeline: { ...p, spec: { ...p.spec, runHistoryLimit: 0 }, status },
      problems: [],
      jobs,
      claims: [],
      now: at(3700),
    });
    expect(deletedJobs(none)).toEqual([
      jobName('etl', 'a', 'g2'),
      jobName('etl', 'a', 'g3'),
      jobName('etl', 'a', 'g4'),
    ]);
  });

  it('bounds runs[] to 10 finished summaries besides the active run, newest first', () => {
    const runs = Array.from({ length: 10 }, (_, i) => ({
      id: `g${4 - i}`,
      trigger: 'change' as const,
      phase: 'Succeeded' as const,
    }));
    const result = plan({
      pipeline: {
        ...p,
        status: {
          ...status,
          lastRun: { id: 'g4', trigger: 'change', phase: 'Succeeded' },
          observedGeneration: 4,
          runs,
        },
      },
      problems: [],
      jobs: [],
      claims: [],
      now: at(3700),
    });
    expect(result.status.runs).toHaveLength(11);
    expect(result.status.runs?.[0]).toMatchObject({ id: 'g5', phase: 'Running' });
    expect(result.status.runs?.[1]?.id).toBe('g4');
    expect(result.status.runs?.filter((r) => r.phase === 'Succeeded')).toHaveLength(10);
  });
});

describe('staging', () => {
  it('creates the run claim before, and in the same plan as, the first Jobs', () => {
    const p = pipeline({ stages: [stage('a'), stage('b')], staging: { size: '2Gi', mountPath: '/data' } });
    const result = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: T0 });
    expect(runActions(result).map((a) => a.kind)).toEqual(['createClaim', 'createJob', 'createJob']);
    const first = runActions(result)[0];
    expect(first?.kind === 'createClaim' && first.claim.metadata?.name).toBe('etl-g1-staging');
    for (const j of createdJobs(result)) {
      expect(j.spec?.template.spec?.volumes).toEqual([
        { name: 'conveyor-staging', persistentVolumeClaim: { claimName: 'etl-g1-staging' } },
      ]);
    }
  });

  it('does not create the claim again once it exists, nor after the run ends', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])], staging: { size: '2Gi' } }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    expect(cluster.reconcile(at(10)).actions.map((a) => a.kind)).toEqual(['createJob']);
    cluster.set('b', { state: 'succeeded' });
    cluster.claims.clear();
    expect(cluster.reconcile(at(20)).actions).toEqual([]);
  });
});

describe('crash recovery', () => {
  it('status lost but Jobs exist: the same run is adopted, nothing is created twice', () => {
    const p = pipeline({ stages: diamond() });
    const jobs = [
      job(p, 'a', 'g1', { state: 'succeeded' }),
      job(p, 'b', 'g1', { state: 'running' }, { created: at(11) }),
    ];
    const result = plan({ pipeline: p, problems: [], jobs, claims: [], now: at(30) });
    expect(createdStages(result)).toEqual(['c']);
    expect(run(result.status)).toMatchObject({ id: 'g1', startTime: '2025-01-01T00:00:00Z' });
    expect(stagePhases(result)).toEqual({ a: 'Succeeded', b: 'Running', c: 'Running', d: 'Pending' });
  });

  it('a stale status (written before the last creates) converges without duplicates', () => {
    const p = pipeline({ stages: diamond() });
    const cluster = new FakeCluster(p);
    cluster.reconcile(at(0));
    const stale = cluster.pipeline.status;
    cluster.set('a', { state: 'succeeded' });
    cluster.reconcile(at(10)); // creates b and c
    cluster.pipeline = { ...cluster.pipeline, status: stale }; // ...but that status write was lost
    const result = cluster.reconcile(at(20));
    expect(createdJobs(result)).toEqual([]);
    expect(stagePhases(result)).toEqual({ a: 'Succeeded', b: 'Running', c: 'Running', d: 'Pending' });
    expect(eventReasons(result)).toEqual([]);
  });

  it('a Job just created and missing from a lagging cache is left to arrive (an expectation)', () => {
    const p = pipeline({ stages: [stage('a')] });
    const first = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: T0 });
    const pendingJobs = new Set([jobName('etl', 'a', 'g1')]);
    const second = plan({
      pipeline: { ...p, status: first.status },
      problems: [],
      jobs: [],
      claims: [],
      pendingJobs,
      now: at(1),
    });
    expect(createdJobs(second)).toEqual([]);
    expect(second.status).toEqual(first.status);
    expect(second.events).toEqual([]);
  });

  it('status lost after a manual run: that run is adopted, not a new one', () => {
    const p = pipeline({ stages: [stage('a')] }, { annotations: { 'conveyor.dev/run-requested': 'x' } });
    const id = manualRunId(requestSeed('x', 0));
    const jobs = [job(p, 'a', id, { state: 'succeeded' }, { trigger: 'manual', created: at(100) })];
    const result = plan({ pipeline: p, problems: [], jobs, claims: [], now: at(200) });
    expect(result.actions).toEqual([]);
    expect(run(result.status)).toMatchObject({ id, trigger: 'manual', phase: 'Succeeded' });
    expect(result.status.lastRunRequest).toBe('x');
  });

  it('a Job whose stage memory already ended does not move the stage back', () => {
    const p = pipeline({ stages: [stage('a'), stage('b', ['a'])] });
    const status: PipelineStatus = {
      observedGeneration: 1,
      lastRun: {
        id: 'g1',
        trigger: 'create',
        phase: 'Running',
        startTime: '2025-01-01T00:00:00Z',
        stages: [
          { name: 'a', phase: 'Succeeded', job: jobName('etl', 'a', 'g1'), attempts: 1 },
          { name: 'b', phase: 'Pending' },
        ],
      },
    };
    // A stale cache still shows a running.
    const result = plan({
      pipeline: { ...p, status },
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'running' })],
      claims: [],
      now: at(5),
    });
    expect(stagePhases(result)).toMatchObject({ a: 'Succeeded', b: 'Running' });
    expect(createdStages(result)).toEqual(['b']);
    expect(deletedJobs(result)).toEqual([]);
  });
});

describe('events', () => {
  it('are emitted on transitions only', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('a'), stage('b')], failurePolicy: 'ContinueIndependent' }),
    );
    expect(eventReasons(cluster.reconcile(at(0)))).toEqual(['RunStarted']);
    expect(eventReasons(cluster.reconcile(at(1)))).toEqual([]);
    cluster.set('a', { state: 'failed' });
    const failed = cluster.reconcile(at(2));
    expect(failed.events).toEqual([
      {
        type: 'Warning',
        reason: 'StageFailed',
        message: `run g1: stage "a" failed: BackoffLimitExceeded after 1 attempt (see kubectl logs job/${jobName('etl', 'a', 'g1')})`,
      },
    ]);
    expect(eventReasons(cluster.reconcile(at(3)))).toEqual([]);
    cluster.set('b', { state: 'succeeded' });
    const done = cluster.reconcile(at(4));
    expect(done.events).toEqual([
      {
        type: 'Warning',
        reason: 'RunFailed',
        message: `run g1 failed: stage "a" failed: BackoffLimitExceeded after 1 attempt (see kubectl logs job/${jobName('etl', 'a', 'g1')})`,
      },
    ]);
    expect(eventReasons(cluster.reconcile(at(5)))).toEqual([]);
  });
});

describe('status size', () => {
  it('a 200-stage pipeline with every stage Succeeded stays well under 100 KB', () => {
    const stages = Array.from({ length: 200 }, (_, i) =>
      stage(
        `stage-number-${String(i).padStart(3, '0')}-transform`,
        i === 0 ? undefined : [`stage-number-${String(i - 1).padStart(3, '0')}-transform`],
      ),
    );
    const p = pipeline({ stages }, { name: 'a-rather-long-pipeline-name-for-a-data-warehouse-load' });
    const jobs = stages.map((s, i) => job(p, s.name, 'g1', { state: 'succeeded', failed: 2 }, { created: at(i * 60) }));
    const runs = Array.from({ length: 12 }, (_, i) => ({
      id: `g${i + 100}`,
      trigger: 'change' as const,
      phase: 'Failed' as const,
      startTime: '2025-01-01T00:00:00Z',
      completionTime: '2025-01-01T01:00:00Z',
      message: 'x'.repeat(1000),
    }));
    const result = plan({ pipeline: { ...p, status: { runs } }, problems: [], jobs, claims: [], now: at(200 * 60) });
    expect(result.status.phase).toBe('Succeeded');
    expect(result.status.progress).toBe('200/200');
    expect(JSON.stringify(result.status).length).toBeLessThan(100_000);
  });
});

describe('odd input never throws', () => {
  it('ignores Jobs without labels, of unknown stages and of other owners', () => {
    const p = pipeline({ stages: [stage('a')] });
    const unlabelled: V1Job = { metadata: { name: 'mystery' } };
    const noMetadata: V1Job = {};
    const unknownStage = job(p, 'removed', 'g1', { state: 'running' });
    const foreign = job(p, 'a', 'g1', { state: 'succeeded' });
    foreign.metadata!.ownerReferences = [
      { apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', name: 'etl', uid: 'old-uid', controller: true },
    ];
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [unlabelled, noMetadata, unknownStage, foreign],
      claims: [],
      now: T0,
    });
    expect(createdStages(result)).toEqual(['a']);
    expect(deletedJobs(result)).toEqual([]);
    expect(stagePhases(result)).toEqual({ a: 'Running' });
  });

  it('copes with missing status fields, metadata and odd timestamps', () => {
    const p = pipeline({ stages: [stage('a')] }, { status: { conditions: [], runs: [] } });
    const stringy = job(p, 'a', 'g1', { state: 'succeeded' });
    stringy.metadata!.creationTimestamp = '2025-01-01T00:00:00Z' as unknown as Date;
    stringy.status = { ...stringy.status, completionTime: 'not a date' as unknown as Date };
    const result = plan({ pipeline: p, problems: [], jobs: [stringy], claims: [], now: T0 });
    expect(result.status.phase).toBe('Succeeded');

    const bare = {
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: undefined,
      spec: undefined,
    } as unknown as Parameters<typeof plan>[0]['pipeline'];
    expect(() => plan({ pipeline: bare, problems: [], jobs: [], claims: [], now: T0 })).not.toThrow();
    expect(() =>
      plan({ pipeline: bare, problems: [{ path: '', message: 'bad' }], jobs: [], claims: [], now: T0 }),
    ).not.toThrow();
  });

  it('leaves a Job of a removed stage of the current run alone', () => {
    const p = pipeline(
      { stages: [stage('a')] },
      { status: { observedGeneration: 1, lastRun: { id: 'g1', trigger: 'create', phase: 'Running' } } },
    );
    const result = plan({
      pipeline: p,
      problems: [],
      jobs: [job(p, 'a', 'g1', { state: 'running' }), job(p, 'gone', 'g1', { state: 'running' })],
      claims: [],
      now: T0,
    });
    expect(runActions(result)).toEqual([]);
    expect(stagePhases(result)).toEqual({ a: 'Running' });
  });

  it('handles a long pipeline name end to end', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('a'), stage('b', ['a'])] }, { name: `p${'x'.repeat(120)}` }),
    );
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(at(10)))).toEqual(['b']);
    for (const j of cluster.jobs.values()) expect(j.metadata?.name?.length).toBeLessThanOrEqual(63);
  });
});
