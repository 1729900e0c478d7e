// Scheduled pipelines: CronJobs per root stage, ticks adopted into runs, run-level concurrency,
// manual runs, schedule status. The FakeCluster plays the CronJob controller (tick, createJobFrom).
import { describe, expect, it } from 'vitest';
import type { V1CronJob } from '@kubernetes/client-node';
import type { PipelineSpec, PipelineStatus, RunStatus } from '../../../src/api/types.ts';
import { plan, type Action, type Plan } from '../../../src/plan/planner.ts';
import { cronJobName, jobName, manualRunId, scheduledRunId } from '../../../src/plan/names.ts';
import { requestSeed } from '../../../src/plan/select/select.ts';
import {
  FakeCluster,
  at,
  condition,
  createdJobs,
  deletedJobs,
  eventReasons,
  pipeline,
  stage,
  stagePhases,
  runActions,
} from './fixtures.ts';

const HOUR = 3600;
/** Ticks are on the hour: tick n is at T0 + n hours. */
const tick = (n: number): Date => at(n * HOUR);
const runAt = (n: number): string => scheduledRunId(tick(n));
const stages = () => [stage('extract'), stage('events'), stage('load', ['extract', 'events'])];
const scheduledSpec = (extra: Partial<PipelineSpec> = {}): PipelineSpec => ({
  stages: stages(),
  schedule: '0 * * * *',
  ...extra,
});

/** A scheduled pipeline whose CronJobs exist. */
function scheduled(extra: Partial<PipelineSpec> = {}): FakeCluster {
  const cluster = new FakeCluster(pipeline(scheduledSpec(extra)));
  cluster.reconcile(at(0));
  return cluster;
}

const lastRun = (s: PipelineStatus): RunStatus => {
  if (!s.lastRun) throw new Error('no lastRun');
  return s.lastRun;
};
const appliedCronJobs = (result: Plan): V1CronJob[] =>
  result.actions.flatMap((a) => (a.kind === 'applyCronJob' ? [a.cronJob] : []));
const started = (result: Plan): Extract<Action, { kind: 'startJob' }>[] =>
  result.actions.flatMap((a) => (a.kind === 'startJob' ? [a] : []));
const startedJobs = (result: Plan): string[] =>
  started(result)
    .map((a) => a.name)
    .sort();
const runPhases = (s: PipelineStatus) => (s.runs ?? []).map((r) => [r.id, r.phase]);

describe('the CronJobs of a scheduled pipeline', () => {
  const spec = scheduledSpec({ timeZone: 'Europe/Berlin', startingDeadlineSeconds: 300, runHistoryLimit: 2 });

  it('are one per root stage: schedule, time zone, deadline, Allow, small history, owner, labels', () => {
    const result = plan({ pipeline: pipeline(spec), problems: [], jobs: [], claims: [], now: at(0) });
    const cronJobs = appliedCronJobs(result);
    expect(cronJobs.map((c) => c.metadata?.name)).toEqual([
      cronJobName('etl', 'extract'),
      cronJobName('etl', 'events'),
    ]);
    expect(createdJobs(result)).toEqual([]);
    const [extract] = cronJobs;
    const labels = {
      'app.kubernetes.io/managed-by': 'conveyor',
      'conveyor.dev/pipeline': 'etl',
      'conveyor.dev/stage': 'extract',
      'conveyor.dev/role': 'stage',
    };
    expect(extract?.metadata).toMatchObject({
      namespace: 'data',
      labels,
      ownerReferences: [
        {
          apiVersion: 'conveyor.dev/v1alpha1',
          kind: 'Pipeline',
          name: 'etl',
          uid: 'uid-1',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    });
    expect(extract?.spec).toMatchObject({
      schedule: '0 * * * *',
      timeZone: 'Europe/Berlin',
      startingDeadlineSeconds: 300,
      suspend: false,
      concurrencyPolicy: 'Allow',
      successfulJobsHistoryLimit: 5,
      failedJobsHistoryLimit: 5,
    });
    const template = extract?.spec?.jobTemplate;
    expect(template?.metadata?.labels).toEqual(labels);
    expect(template?.metadata?.annotations).toMatchObject({
      'conveyor.dev/trigger': 'schedule',
      'conveyor.dev/generation': '1',
    });
    expect(template?.spec?.suspend).toBe(true);
    expect(template?.spec?.template.metadata?.labels).toEqual(labels);
    expect(template?.spec?.template.spec?.containers[0]?.env).toContainEqual({
      name: 'CONVEYOR_RUN',
      valueFrom: { fieldRef: { fieldPath: "metadata.labels['conveyor.dev/run']" } },
    });
  });

  it('hands an object-store staging prefix to the template through $(CONVEYOR_RUN)', () => {
    const p = pipeline(scheduledSpec({ staging: { uri: 's3://bucket/etl/' } }));
    const [extract] = appliedCronJobs(plan({ pipeline: p, problems: [], jobs: [], claims: [], now: at(0) }));
    const env = extract?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.env ?? [];
    const names = env.map((e) => e.name);
    expect(env).toContainEqual({ name: 'CONVEYOR_STAGING', value: 's3://bucket/etl/$(CONVEYOR_RUN)/' });
    expect(names.indexOf('CONVEYOR_RUN')).toBeLessThan(names.indexOf('CONVEYOR_STAGING'));
  });

  it('status: Scheduled with the next tick, Reconciling only while the CronJobs are applied', () => {
    const cluster = new FakeCluster(pipeline(scheduledSpec()));
    const first = cluster.reconcile(at(0));
    expect(first.status).toMatchObject({
      observedGeneration: 1,
      phase: 'Scheduled',
      nextScheduleTime: '2025-01-01T01:00:00Z',
    });
    expect(first.status.lastRun).toBeUndefined();
    expect(condition(first.status, 'Reconciling')).toMatchObject({ status: 'True', reason: 'CronJobsUpdating' });
    expect(first.requeueAfterMs).toBe(HOUR * 1000);

    const second = cluster.reconcile(at(10));
    expect(second.actions).toEqual([]);
    expect(second.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'Scheduled'],
    ]);
    expect(condition(second.status, 'Ready')?.message).toBe('next run at 2025-01-01T01:00:00Z');
    expect(second.requeueAfterMs).toBe((HOUR - 10) * 1000);
    expect(second.events).toEqual([]);
  });

  it('suspend: true suspends them; the pipeline is Suspended and has no next tick', () => {
    const cluster = scheduled();
    cluster.edit((s) => {
      s.suspend = true;
    });
    const result = cluster.reconcile(at(60));
    expect(appliedCronJobs(result).map((c) => c.spec?.suspend)).toEqual([true, true]);
    const idle = cluster.reconcile(at(61));
    expect(idle.status.phase).toBe('Suspended');
    expect(idle.status.nextScheduleTime).toBeUndefined();
    expect(idle.requeueAfterMs).toBeUndefined();
    expect(condition(idle.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Suspended' });
    // The suspended CronJobs make no Jobs.
    expect(cluster.tick(tick(1))).toEqual([]);
  });

  it('are applied again on a spec change, which starts no run and leaves the run in flight alone', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(tick(1));
    const runId = runAt(1);
    expect(cluster.reconcile(at(HOUR + 5)).actions).toEqual([]); // up to date: nothing applied
    cluster.edit((s) => {
      s.stages[0]!.image = 'busybox:2';
    });
    const changed = cluster.reconcile(at(HOUR + 10));
    expect(changed.actions.map((a) => a.kind)).toEqual(['applyCronJob', 'applyCronJob']);
    expect(appliedCronJobs(changed)[0]?.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image).toBe('busybox:2');
    expect(lastRun(changed.status)).toMatchObject({ id: runId, phase: 'Running' });
    expect(changed.status.observedGeneration).toBe(2);
    expect(changed.events).toEqual([]);
    expect(cluster.reconcile(at(HOUR + 11)).actions).toEqual([]);
  });

  it('a CronJob changed by hand is put back', () => {
    const cluster = scheduled();
    cluster.cronJobs.get(cronJobName('etl', 'events'))!.spec!.suspend = true;
    const result = cluster.reconcile(at(5));
    expect(appliedCronJobs(result).map((c) => [c.metadata?.name, c.spec?.suspend])).toEqual([
      [cronJobName('etl', 'events'), false],
    ]);
  });

  it('removing the schedule deletes them and the pipeline runs like a one-shot one', () => {
    const cluster = scheduled();
    cluster.edit((s) => {
      delete s.schedule;
    });
    const result = cluster.reconcile(at(60));
    expect(result.actions.filter((a) => a.kind === 'deleteCronJob')).toEqual([
      { kind: 'deleteCronJob', name: cronJobName('etl', 'extract'), reason: 'spec.schedule was removed' },
      { kind: 'deleteCronJob', name: cronJobName('etl', 'events'), reason: 'spec.schedule was removed' },
    ]);
    expect(
      createdJobs(result)
        .map((j) => j.metadata?.name)
        .sort(),
    ).toEqual([jobName('etl', 'events', 'g2'), jobName('etl', 'extract', 'g2')]);
    expect(result.status).toMatchObject({ phase: 'Running', lastRun: { id: 'g2', trigger: 'change' } });
    expect(result.status.nextScheduleTime).toBeUndefined();
    expect(cluster.cronJobs.size).toBe(0);
  });

  it('an invalid spec leaves the CronJobs alone and deletes the ticks they make meanwhile', () => {
    const cluster = scheduled();
    cluster.edit((s) => {
      s.stages[2]!.dependsOn = ['ghost'];
    });
    cluster.problems = [{ path: 'spec.stages[2].dependsOn[0]', message: 'unknown stage "ghost"' }];
    cluster.reconcile(at(60));
    cluster.tick(tick(1));
    const result = cluster.reconcile(at(HOUR + 1));
    expect(result.actions).toEqual([
      {
        kind: 'deleteJob',
        name: `${cronJobName('etl', 'extract')}-28928220`,
        reason: 'cancelled: generation 2 is invalid',
      },
      {
        kind: 'deleteJob',
        name: `${cronJobName('etl', 'events')}-28928220`,
        reason: 'cancelled: generation 2 is invalid',
      },
    ]);
    expect(result.status.phase).toBe('Invalid');
    expect(result.status.nextScheduleTime).toBeUndefined();
    expect(cluster.cronJobs.size).toBe(2);
  });

  it('a stage that stops being a root loses its CronJob', () => {
    const cluster = scheduled();
    cluster.edit((s) => {
      s.stages[1]!.dependsOn = ['extract'];
    });
    const result = cluster.reconcile(at(60));
    expect(
      result.actions.filter((a) => a.kind === 'deleteCronJob').map((a) => a.kind === 'deleteCronJob' && a.name),
    ).toEqual([cronJobName('etl', 'events')]);
    expect(appliedCronJobs(result).map((c) => c.metadata?.name)).toEqual([cronJobName('etl', 'extract')]);
  });
});

describe('ticks become runs', () => {
  it('the Jobs of every root for one tick form one run, started by un-suspending them', () => {
    const cluster = scheduled();
    const jobs = cluster.tick(tick(1));
    expect(jobs.map((j) => j.spec?.suspend)).toEqual([true, true]);
    const result = cluster.reconcile(at(HOUR + 2));
    const runId = runAt(1);
    expect(runId).toBe('s1735693200');
    expect(startedJobs(result)).toEqual([
      `${cronJobName('etl', 'events')}-28928220`,
      `${cronJobName('etl', 'extract')}-28928220`,
    ]);
    // The tick's values go on the pod template too: CONVEYOR_LOGICAL_TIME etc. read them there.
    const annotations = {
      'conveyor.dev/trigger': 'schedule',
      'conveyor.dev/run-start-time': '2025-01-01T01:00:02Z',
      'conveyor.dev/logical-time': '2025-01-01T01:00:00Z',
      'conveyor.dev/logical-date': '2025-01-01',
      'conveyor.dev/interval-start': '2025-01-01T00:00:00Z',
      'conveyor.dev/interval-end': '2025-01-01T01:00:00Z',
    };
    expect(started(result)[0]).toEqual({
      kind: 'startJob',
      name: `${cronJobName('etl', 'extract')}-28928220`,
      runId,
      patch: {
        metadata: {
          labels: { 'conveyor.dev/run': runId },
          annotations,
        },
        spec: {
          suspend: false,
          template: {
            metadata: {
              labels: { 'conveyor.dev/run': runId },
              annotations,
            },
          },
        },
      },
    });
    expect(createdJobs(result)).toEqual([]);
    expect(lastRun(result.status)).toMatchObject({
      id: runId,
      trigger: 'schedule',
      phase: 'Running',
      startTime: '2025-01-01T01:00:02Z',
    });
    expect(lastRun(result.status).stages).toEqual([
      { name: 'extract', phase: 'Running', job: `${cronJobName('etl', 'extract')}-28928220`, attempts: 1 },
      { name: 'events', phase: 'Running', job: `${cronJobName('etl', 'events')}-28928220`, attempts: 1 },
      { name: 'load', phase: 'Pending' },
    ]);
    expect(result.status).toMatchObject({
      phase: 'Running',
      progress: '0/3',
      lastScheduleTime: '2025-01-01T01:00:00Z',
      nextScheduleTime: '2025-01-01T02:00:00Z',
    });
    // A scheduled run is routine: Ready stays True and nothing is Reconciling.
    expect(result.status.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True']]);
    expect(eventReasons(result)).toEqual(['RunStarted']);

    // The patched Jobs carry the run on the Job and on the pod template.
    const extract = cluster.jobs.get(`${cronJobName('etl', 'extract')}-28928220`);
    expect(extract?.spec?.suspend).toBe(false);
    expect(extract?.metadata?.labels?.['conveyor.dev/run']).toBe(runId);
    expect(extract?.spec?.template.metadata?.labels?.['conveyor.dev/run']).toBe(runId);
    expect(cluster.reconcile(at(HOUR + 3)).actions).toEqual([]);
  });

  it('downstream stages are plain Jobs of the run, and the run ends with the pipeline Scheduled again', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    const runId = runAt(1);
    cluster.setIn(runId, 'extract', { state: 'succeeded' });
    cluster.setIn(runId, 'events', { state: 'succeeded' });
    const next = cluster.reconcile(at(HOUR + 30));
    expect(createdJobs(next).map((j) => j.metadata?.name)).toEqual([jobName('etl', 'load', runId)]);
    expect(createdJobs(next)[0]?.metadata?.ownerReferences?.[0]?.kind).toBe('Pipeline');
    cluster.setIn(runId, 'load', { state: 'succeeded' });
    const done = cluster.reconcile(at(HOUR + 60));
    expect(done.status).toMatchObject({
      phase: 'Scheduled',
      progress: '3/3',
      lastRun: { id: runId, phase: 'Succeeded' },
    });
    expect(done.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([['Ready', 'True', 'Scheduled']]);
    expect(eventReasons(done)).toEqual(['RunSucceeded']);
  });

  it('a root Job that arrives late joins the run of its tick', () => {
    const cluster = scheduled();
    cluster.tick(tick(1), [cronJobName('etl', 'extract')]);
    const first = cluster.reconcile(at(HOUR + 1));
    expect(startedJobs(first)).toEqual([`${cronJobName('etl', 'extract')}-28928220`]);
    expect(createdJobs(first)).toEqual([]);
    expect(stagePhases(first)).toEqual({ extract: 'Running', events: 'Pending', load: 'Pending' });
    expect(first.requeueAfterMs).toBe(59_000); // when Conveyor stops waiting for the events CronJob

    cluster.tick(tick(1), [cronJobName('etl', 'events')]);
    const joined = cluster.reconcile(at(HOUR + 20));
    expect(started(joined).map((a) => [a.name, a.runId])).toEqual([
      [`${cronJobName('etl', 'events')}-28928220`, runAt(1)],
    ]);
    expect(lastRun(joined.status).id).toBe(runAt(1));
    expect(stagePhases(joined)).toEqual({ extract: 'Running', events: 'Running', load: 'Pending' });
    expect(joined.events).toEqual([]);
  });

  it('a root whose CronJob never delivers is created by Conveyor; a Job arriving after that is deleted', () => {
    const cluster = scheduled();
    cluster.tick(tick(1), [cronJobName('etl', 'extract')]);
    cluster.reconcile(at(HOUR + 1));
    const late = cluster.reconcile(at(HOUR + 61));
    expect(createdJobs(late).map((j) => j.metadata?.name)).toEqual([jobName('etl', 'events', runAt(1))]);
    cluster.tick(tick(1), [cronJobName('etl', 'events')]);
    const duplicate = cluster.reconcile(at(HOUR + 70));
    expect(duplicate.actions).toEqual([
      {
        kind: 'deleteJob',
        name: `${cronJobName('etl', 'events')}-28928220`,
        reason: `run ${runAt(1)}: stage "events" already has Job ${jobName('etl', 'events', runAt(1))}`,
      },
    ]);
    expect(cluster.jobsOf('events').map((j) => j.metadata?.name)).toEqual([jobName('etl', 'events', runAt(1))]);
  });

  it('a root Job of a run that already ended is deleted unstarted', () => {
    const cluster = scheduled({ stages: [stage('extract'), stage('events')] });
    cluster.tick(tick(1), [cronJobName('etl', 'extract')]);
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'failed' });
    const failed = cluster.reconcile(at(HOUR + 20));
    expect(lastRun(failed.status)).toMatchObject({ phase: 'Failed' });
    expect(stagePhases(failed)).toEqual({ extract: 'Failed', events: 'Skipped' });
    cluster.tick(tick(1), [cronJobName('etl', 'events')]);
    const result = cluster.reconcile(at(HOUR + 30));
    expect(result.actions).toEqual([
      {
        kind: 'deleteJob',
        name: `${cronJobName('etl', 'events')}-28928220`,
        reason: `run ${runAt(1)} has already ended`,
      },
    ]);
  });

  it('late adoption: a tick created while Conveyor was down is started when it comes back', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    // Conveyor was down from before the tick until 20 minutes after it.
    const result = cluster.reconcile(at(HOUR + 1200));
    expect(startedJobs(result)).toEqual([
      `${cronJobName('etl', 'events')}-28928220`,
      `${cronJobName('etl', 'extract')}-28928220`,
    ]);
    expect(lastRun(result.status)).toMatchObject({
      id: runAt(1),
      trigger: 'schedule',
      startTime: '2025-01-01T01:20:00Z',
    });
    expect(result.status.lastScheduleTime).toBe('2025-01-01T01:00:00Z');
  });

  it('late adoption past startingDeadlineSeconds skips the tick', () => {
    const cluster = scheduled({ startingDeadlineSeconds: 300 });
    cluster.tick(tick(1));
    const result = cluster.reconcile(at(HOUR + 1200));
    expect(started(result)).toEqual([]);
    expect(deletedJobs(result)).toEqual([
      `${cronJobName('etl', 'events')}-28928220`,
      `${cronJobName('etl', 'extract')}-28928220`,
    ]);
    expect(result.status.runs).toEqual([
      {
        id: runAt(1),
        trigger: 'schedule',
        phase: 'Skipped',
        generation: 1,
        completionTime: '2025-01-01T01:20:00Z',
        message: 'skipped: missed its starting deadline (startingDeadlineSeconds=300)',
      },
    ]);
    expect(result.events).toEqual([
      {
        type: 'Warning',
        reason: 'RunSkipped',
        message: `run ${runAt(1)} skipped: missed its starting deadline (startingDeadlineSeconds=300)`,
      },
    ]);
    expect(result.status.phase).toBe('Scheduled');
  });

  it('a tick found while suspended is skipped', () => {
    const cluster = scheduled();
    cluster.tick(tick(1)); // created just before the CronJobs were suspended
    cluster.edit((s) => {
      s.suspend = true;
    });
    const result = cluster.reconcile(at(HOUR + 5));
    expect(started(result)).toEqual([]);
    expect(result.status.runs?.[0]).toMatchObject({
      id: runAt(1),
      phase: 'Skipped',
      message: 'skipped: the pipeline is suspended',
    });
    expect(result.status.phase).toBe('Suspended');
  });

  it('status lost while a scheduled run is in flight: the run is adopted, nothing is started twice', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.pipeline = { ...cluster.pipeline, status: {} };
    const result = cluster.reconcile(at(HOUR + 30));
    expect(started(result)).toEqual([]);
    expect(createdJobs(result)).toEqual([]);
    expect(lastRun(result.status)).toMatchObject({
      id: runAt(1),
      trigger: 'schedule',
      phase: 'Running',
      startTime: '2025-01-01T01:00:01Z',
    });
    expect(stagePhases(result)).toEqual({ extract: 'Succeeded', events: 'Running', load: 'Pending' });
  });

  it('a status write that did not land, and roots that finished meanwhile: the run still goes on', () => {
    const cluster = scheduled();
    const before = cluster.pipeline.status;
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.pipeline = { ...cluster.pipeline, status: before }; // the write was lost
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.setIn(runAt(1), 'events', { state: 'succeeded' });
    const result = cluster.reconcile(at(HOUR + 30));
    expect(createdJobs(result).map((j) => j.metadata?.name)).toEqual([jobName('etl', 'load', runAt(1))]);
    expect(lastRun(result.status)).toMatchObject({ id: runAt(1), phase: 'Running', startTime: '2025-01-01T01:00:01Z' });
  });

  it('a run adopted that way is lastRun when it is newer than the one status remembers', () => {
    const cluster = scheduled({ stages: [stage('extract')] });
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.reconcile(at(HOUR + 20));
    const before = cluster.pipeline.status;
    cluster.tick(tick(2));
    cluster.reconcile(at(2 * HOUR + 1));
    cluster.pipeline = { ...cluster.pipeline, status: before }; // the write was lost
    const result = cluster.reconcile(at(2 * HOUR + 2));
    expect(result.actions).toEqual([]);
    expect(lastRun(result.status)).toMatchObject({ id: runAt(2), phase: 'Running' });
    expect(runPhases(result.status)).toEqual([
      [runAt(2), 'Running'],
      [runAt(1), 'Succeeded'],
    ]);
  });

  it('ignores Jobs of CronJobs it was not given (another Pipeline of the same name)', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    const result = plan({
      pipeline: cluster.pipeline,
      problems: [],
      jobs: [...cluster.jobs.values()],
      claims: [],
      cronJobs: [],
      now: at(HOUR + 1),
    });
    expect(started(result)).toEqual([]);
    expect(deletedJobs(result)).toEqual([]);
  });
});

describe('run-level concurrency', () => {
  /** Run of tick 1 going on (roots running), tick 2's Jobs just created. */
  function overlapping(policy?: 'Allow' | 'Forbid' | 'Replace'): { cluster: FakeCluster; second: Plan } {
    const cluster = scheduled(policy ? { concurrencyPolicy: policy } : {});
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.tick(tick(2));
    return { cluster, second: cluster.reconcile(at(2 * HOUR + 1)) };
  }

  it('Forbid (the default) skips a tick while a run is active: Jobs deleted, Event, runs[] entry', () => {
    const { cluster, second } = overlapping();
    const message = `skipped: run ${runAt(1)} still active (concurrencyPolicy Forbid)`;
    expect(started(second)).toEqual([]);
    expect(second.actions).toEqual([
      { kind: 'deleteJob', name: `${cronJobName('etl', 'extract')}-28928280`, reason: message },
      { kind: 'deleteJob', name: `${cronJobName('etl', 'events')}-28928280`, reason: message },
    ]);
    expect(second.events).toEqual([{ type: 'Warning', reason: 'RunSkipped', message: `run ${runAt(2)} ${message}` }]);
    expect(lastRun(second.status).id).toBe(runAt(1));
    expect(second.status.runs?.[0]).toEqual({
      id: runAt(2),
      trigger: 'schedule',
      phase: 'Skipped',
      generation: 1,
      completionTime: '2025-01-01T02:00:01Z',
      message,
    });
    expect(runPhases(second.status)).toEqual([
      [runAt(2), 'Skipped'],
      [runAt(1), 'Running'],
    ]);
    const again = cluster.reconcile(at(2 * HOUR + 2));
    expect(again.actions).toEqual([]);
    expect(again.events).toEqual([]);
  });

  it('Forbid: a tick arriving as the active run ends starts', () => {
    const cluster = scheduled({ stages: [stage('extract')] });
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.tick(tick(2));
    const result = cluster.reconcile(at(2 * HOUR + 1));
    expect(startedJobs(result)).toEqual([`${cronJobName('etl', 'extract')}-28928280`]);
    expect(runPhases(result.status)).toEqual([
      [runAt(2), 'Running'],
      [runAt(1), 'Succeeded'],
    ]);
    expect(eventReasons(result)).toEqual(['RunStarted', 'RunSucceeded']);
  });

  it('Replace cancels the active run and starts the new one', () => {
    const { second } = overlapping('Replace');
    const message = `replaced by run ${runAt(2)}`;
    expect(startedJobs(second)).toEqual([
      `${cronJobName('etl', 'events')}-28928280`,
      `${cronJobName('etl', 'extract')}-28928280`,
    ]);
    expect(deletedJobs(second)).toEqual([
      `${cronJobName('etl', 'events')}-28928220`,
      `${cronJobName('etl', 'extract')}-28928220`,
    ]);
    expect(second.actions.find((a) => a.kind === 'deleteJob')).toMatchObject({ reason: message });
    expect(lastRun(second.status)).toMatchObject({ id: runAt(2), phase: 'Running' });
    expect(second.status.runs?.[1]).toMatchObject({
      id: runAt(1),
      phase: 'Cancelled',
      message,
      completionTime: '2025-01-01T02:00:01Z',
    });
    expect(eventReasons(second)).toEqual(['RunCancelled', 'RunStarted']);
  });

  it('Allow lets runs overlap; each progresses on its own, lastRun is the newest', () => {
    const { cluster, second } = overlapping('Allow');
    expect(startedJobs(second)).toEqual([
      `${cronJobName('etl', 'events')}-28928280`,
      `${cronJobName('etl', 'extract')}-28928280`,
    ]);
    expect(deletedJobs(second)).toEqual([]);
    expect(lastRun(second.status).id).toBe(runAt(2));
    expect(runPhases(second.status)).toEqual([
      [runAt(2), 'Running'],
      [runAt(1), 'Running'],
    ]);

    // The older run moves on although status details only the newest.
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.setIn(runAt(1), 'events', { state: 'succeeded' });
    const older = cluster.reconcile(at(2 * HOUR + 30));
    expect(createdJobs(older).map((j) => j.metadata?.name)).toEqual([jobName('etl', 'load', runAt(1))]);
    expect(older.status.progress).toBe('0/3'); // of lastRun
    cluster.setIn(runAt(1), 'load', { state: 'succeeded' });
    const olderDone = cluster.reconcile(at(2 * HOUR + 60));
    expect(runPhases(olderDone.status)).toEqual([
      [runAt(2), 'Running'],
      [runAt(1), 'Succeeded'],
    ]);
    expect(olderDone.events).toEqual([
      { type: 'Normal', reason: 'RunSucceeded', message: `run ${runAt(1)} succeeded` },
    ]);
    expect(olderDone.status.phase).toBe('Running');

    cluster.setIn(runAt(2), 'extract', { state: 'succeeded' });
    cluster.setIn(runAt(2), 'events', { state: 'succeeded' });
    expect(createdJobs(cluster.reconcile(at(2 * HOUR + 90))).map((j) => j.metadata?.name)).toEqual([
      jobName('etl', 'load', runAt(2)),
    ]);
  });
});

describe('run-level concurrency, more', () => {
  it('Allow: the newest run stays lastRun when it ends before an older one', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow', stages: [stage('extract')] });
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.tick(tick(2));
    cluster.reconcile(at(2 * HOUR + 1));
    cluster.setIn(runAt(2), 'extract', { state: 'succeeded' });
    const newestDone = cluster.reconcile(at(2 * HOUR + 30));
    expect(lastRun(newestDone.status)).toMatchObject({ id: runAt(2), phase: 'Succeeded' });
    expect(newestDone.status.phase).toBe('Running'); // the older run still goes on
    expect(runPhases(newestDone.status)).toEqual([
      [runAt(2), 'Succeeded'],
      [runAt(1), 'Running'],
    ]);
    cluster.setIn(runAt(1), 'extract', { state: 'failed' });
    const olderDone = cluster.reconcile(at(2 * HOUR + 40));
    expect(lastRun(olderDone.status).id).toBe(runAt(2));
    expect(olderDone.status.phase).toBe('Scheduled');
    expect(eventReasons(olderDone)).toEqual(['RunFailed']);
    // The latest run succeeded: an older run's failure does not make the pipeline Stalled.
    expect(olderDone.status.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True']]);
  });

  it('Replace: of several ticks found at once only the newest starts', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Replace', stages: [stage('extract')] });
    cluster.tick(tick(1));
    cluster.tick(tick(2));
    const result = cluster.reconcile(at(2 * HOUR + 5));
    expect(startedJobs(result)).toEqual([`${cronJobName('etl', 'extract')}-28928280`]);
    expect(deletedJobs(result)).toEqual([`${cronJobName('etl', 'extract')}-28928220`]);
    expect(runPhases(result.status)).toEqual([
      [runAt(2), 'Running'],
      [runAt(1), 'Skipped'],
    ]);
    expect(result.status.runs?.[1]?.message).toBe(`skipped: replaced by run ${runAt(2)}`);
  });
});

describe('a scheduled pipeline with a staging volume', () => {
  it("replaces a tick's suspended root Jobs by its own, which mount the run's claim", () => {
    const cluster = scheduled({ stages: [stage('extract'), stage('load', ['extract'])], staging: { size: '1Gi' } });
    cluster.tick(tick(1));
    const result = cluster.reconcile(at(HOUR + 1));
    const runId = runAt(1);
    expect(runActions(result).map((a) => a.kind)).toEqual(['createClaim', 'createJob', 'deleteJob']);
    const [job] = createdJobs(result);
    expect(job?.metadata?.name).toBe(jobName('etl', 'extract', runId));
    expect(job?.spec?.template.spec?.volumes).toEqual([
      { name: 'conveyor-staging', persistentVolumeClaim: { claimName: `etl-${runId}-staging` } },
    ]);
    expect(deletedJobs(result)).toEqual([`${cronJobName('etl', 'extract')}-28928220`]);
    expect(lastRun(result.status).stages?.[0]).toMatchObject({
      name: 'extract',
      phase: 'Running',
      job: jobName('etl', 'extract', runId),
    });
    expect(cluster.reconcile(at(HOUR + 2)).actions).toEqual([]);
  });
});

describe('manual runs of a scheduled pipeline', () => {
  it('kubectl create job --from=cronjob/... is adopted as a manual run of the whole pipeline', () => {
    const cluster = scheduled();
    const job = cluster.createJobFrom(cronJobName('etl', 'extract'), 'adhoc', at(600));
    const result = cluster.reconcile(at(601));
    const runId = manualRunId(`job:${job.metadata?.uid}`);
    expect(started(result).map((a) => [a.name, a.runId])).toEqual([['adhoc', runId]]);
    expect(started(result)[0]?.patch).toMatchObject({
      metadata: { annotations: { 'conveyor.dev/trigger': 'manual' } },
    });
    // The other root is created at once, as a plain Job of that run.
    expect(createdJobs(result).map((j) => j.metadata?.name)).toEqual([jobName('etl', 'events', runId)]);
    expect(createdJobs(result)[0]?.metadata?.annotations?.['conveyor.dev/trigger']).toBe('manual');
    expect(lastRun(result.status)).toMatchObject({ id: runId, trigger: 'manual', phase: 'Running' });
    expect(eventReasons(result)).toEqual(['RunStarted']);
    expect(cluster.reconcile(at(602)).actions).toEqual([]);
  });

  it('starts even while a tick runs under Forbid (manual runs always start)', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.createJobFrom(cronJobName('etl', 'extract'), 'adhoc', at(HOUR + 10));
    const result = cluster.reconcile(at(HOUR + 11));
    expect(started(result).map((a) => a.name)).toEqual(['adhoc']);
    expect(deletedJobs(result)).toEqual([]);
    expect(runPhases(result.status).map(([, phase]) => phase)).toEqual(['Running', 'Running']);
  });

  it('conveyor.dev/run-requested creates the roots as plain Jobs', () => {
    const cluster = scheduled();
    cluster.annotate('conveyor.dev/run-requested', 'now');
    const result = cluster.reconcile(at(300));
    const runId = manualRunId(requestSeed('now', 0));
    expect(
      createdJobs(result)
        .map((j) => j.metadata?.name)
        .sort(),
    ).toEqual([jobName('etl', 'events', runId), jobName('etl', 'extract', runId)]);
    expect(started(result)).toEqual([]);
    expect(lastRun(result.status)).toMatchObject({ id: runId, trigger: 'manual', phase: 'Running' });
    expect(result.status).toMatchObject({ phase: 'Running', lastRunRequest: 'now' });
    const again = cluster.reconcile(at(301));
    expect(createdJobs(again)).toEqual([]);
    expect(again.events).toEqual([]);
  });
});

describe('schedule status', () => {
  const at2 = (iso: string) => new Date(iso);
  const berlin = (now: string) =>
    plan({
      pipeline: pipeline({ stages: [stage('a')], schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }),
      problems: [],
      jobs: [],
      claims: [],
      now: at2(now),
    });

  it.each([
    // Spring forward (30 March 2025, 02:00 → 03:00): 02:30 does not exist that day; CronJob skips it.
    ['the day before spring forward', '2025-03-29T12:00:00Z', '2025-03-31T00:30:00Z'],
    // Fall back (26 October 2025, 03:00 → 02:00): 02:30 comes twice, and CronJob runs at both.
    ['fall back, first 02:30 (CEST)', '2025-10-25T12:00:00Z', '2025-10-26T00:30:00Z'],
    ['fall back, second 02:30 (CET)', '2025-10-26T00:30:00Z', '2025-10-26T01:30:00Z'],
    ['after fall back', '2025-10-26T01:30:00Z', '2025-10-27T01:30:00Z'],
  ])('Europe/Berlin "30 2 * * *", %s', (_case, now, next) => {
    const result = berlin(now);
    expect(result.status.nextScheduleTime).toBe(next);
    expect(result.requeueAfterMs).toBe(at2(next).getTime() - at2(now).getTime());
  });

  it('a missed tick: lastScheduleTime hours old, nextScheduleTime is still the next future tick', () => {
    const cluster = scheduled();
    cluster.cronJobs.get(cronJobName('etl', 'extract'))!.status = { lastScheduleTime: at(2 * HOUR) };
    cluster.cronJobs.get(cronJobName('etl', 'events'))!.status = { lastScheduleTime: at(HOUR) };
    const result = cluster.reconcile(at(5 * HOUR + 1200));
    expect(result.status.lastScheduleTime).toBe('2025-01-01T02:00:00Z');
    expect(result.status.nextScheduleTime).toBe('2025-01-01T06:00:00Z');
    expect(result.requeueAfterMs).toBe(2400_000);
  });

  it('a failed run of this generation makes the scheduled pipeline Stalled until a change', () => {
    const cluster = scheduled({ stages: [stage('extract')] });
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'failed' });
    const failed = cluster.reconcile(at(HOUR + 20));
    expect(failed.status.phase).toBe('Scheduled');
    expect(condition(failed.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'StageFailed' });
    expect(condition(failed.status, 'Ready')?.message).toBe(
      `stage "extract" failed: BackoffLimitExceeded after 1 attempt (see kubectl logs job/${cronJobName('etl', 'extract')}-28928220)`,
    );
    cluster.edit((s) => {
      s.stages[0]!.image = 'fixed';
    });
    cluster.reconcile(at(HOUR + 30)); // applies the CronJobs
    const fixed = cluster.reconcile(at(HOUR + 31));
    expect(fixed.status.conditions?.map((c) => [c.type, c.status])).toEqual([['Ready', 'True']]);
  });
});
