// Scheduling and triggers end to end: CronJobs tick every minute on the real CronJob controller.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline } from '../../src/api/types.ts';
import { cronJobName } from '../../src/plan/names.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  failsWith,
  getPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  reconciledSince,
  runsFor,
  stageJobs,
  waitForPipeline,
  stage,
} from './support/pipelines.ts';

const exec = promisify(execFile);
const c: Clients = clients();
// One namespace per test, made up front, so this file's operator watches only its own.
const suite = operatorSuite(
  c,
  'scheduling',
  ['sched', 'forbid', 'replace', 'allow', 'fromcron', 'clirun', 'retry', 'chain', 'cycle'],
  () => installCrd(c),
);
beforeAll(suite.setUp);
afterAll(suite.tearDown);
const ns = async (prefix: string): Promise<string> => suite.ns(prefix);

const EVERY_MINUTE = '*/1 * * * *';
const runsOf = (p: Pipeline, trigger?: string) =>
  (p.status?.runs ?? []).filter((r) => !trigger || r.trigger === trigger);
const conveyor = (args: string[]) =>
  exec(process.execPath, ['bin/conveyor.js', ...args, '--kubeconfig', inject('kubeconfig')]);
const jobsByRun = (jobs: k8s.V1Job[]): Map<string, k8s.V1Job[]> => {
  const m = new Map<string, k8s.V1Job[]>();
  for (const j of jobs) {
    const run = j.metadata?.labels?.['conveyor.dev/run'] ?? '?';
    m.set(run, [...(m.get(run) ?? []), j]);
  }
  return m;
};
const completeAt = (j: k8s.V1Job): number =>
  new Date(
    String(j.status?.conditions?.find((x) => x.type === 'Complete' && x.status === 'True')?.lastTransitionTime),
  ).getTime();

describe.concurrent('scheduled pipelines', () => {
  it('runs both roots of a tick as one run, and the downstream stage after both', async () => {
    const n = await ns('sched');
    await createPipeline(
      c,
      n,
      pipeline('ticks', {
        schedule: EVERY_MINUTE,
        stages: [
          stage('pull-a'),
          stage('pull-b', { podTemplate: runsFor(2) }),
          stage('merge', { dependsOn: ['pull-a', 'pull-b'] }),
        ],
      }),
    );
    // One CronJob per root stage; the downstream stage is a plain Job.
    const cronJobs = await waitFor('CronJobs of the two roots', 30_000, async () => {
      const list = await c.batch.listNamespacedCronJob({ namespace: n });
      return list.items.length >= 2 ? list.items : undefined;
    });
    expect(cronJobs.map((cj) => cj.metadata?.name).sort()).toEqual(
      [cronJobName('ticks', 'pull-a'), cronJobName('ticks', 'pull-b')].sort(),
    );
    expect(cronJobs.every((cj) => cj.spec?.jobTemplate.spec?.suspend === true)).toBe(true);
    const p = await waitForPipeline(
      c,
      n,
      'ticks',
      'two scheduled runs Succeeded',
      (x) => runsOf(x, 'schedule').filter((r) => r.phase === 'Succeeded').length >= 2,
      230_000,
    );
    expect(p.status?.nextScheduleTime).toBeTruthy();
    expect(p.status?.lastScheduleTime).toBeTruthy();
    const byRun = jobsByRun(await stageJobs(c, n, 'ticks'));
    for (const r of runsOf(p, 'schedule').filter((x) => x.phase === 'Succeeded')) {
      const jobs = byRun.get(r.id) ?? [];
      const stageOf = (s: string) => jobs.filter((j) => j.metadata?.labels?.['conveyor.dev/stage'] === s);
      expect(stageOf('pull-a').length, `pull-a in run ${r.id}`).toBe(1);
      expect(stageOf('pull-b').length, `pull-b in run ${r.id}`).toBe(1);
      expect(stageOf('merge').length, `merge in run ${r.id}`).toBe(1);
      const mergeCreated = new Date(String(stageOf('merge')[0]!.metadata?.creationTimestamp)).getTime();
      expect(mergeCreated).toBeGreaterThanOrEqual(
        Math.max(completeAt(stageOf('pull-a')[0]!), completeAt(stageOf('pull-b')[0]!)),
      );
    }
  }, 250_000);

  it('Forbid skips a tick while a run is still active, with an Event and a status note', async () => {
    const n = await ns('forbid');
    await createPipeline(
      c,
      n,
      pipeline('slow', {
        schedule: EVERY_MINUTE,
        concurrencyPolicy: 'Forbid',
        stages: [stage('long', { podTemplate: runsFor(75), command: ['sleep', '75'] })],
      }),
    );
    const p = await waitForPipeline(
      c,
      n,
      'slow',
      'a Skipped run',
      (x) => runsOf(x).some((r) => r.phase === 'Skipped'),
      170_000,
    );
    expect(runsOf(p).filter((r) => r.phase === 'Running').length).toBeLessThanOrEqual(1);
    const skipped = runsOf(p).find((r) => r.phase === 'Skipped');
    expect(skipped?.message).toContain('Forbid');
    // Events are recorded after the status write (and the skipped tick's Jobs' deletion): wait for it.
    await waitFor('a RunSkipped Event', 30_000, async () => {
      const events = await c.core.listNamespacedEvent({ namespace: n, fieldSelector: 'involvedObject.name=slow' });
      return events.items.some((e) => e.reason === 'RunSkipped');
    });
    // Never two runs' stage Jobs active at once.
    const active = (await stageJobs(c, n, 'slow')).filter((j) => (j.status?.active ?? 0) > 0);
    expect(active.length).toBeLessThanOrEqual(1);
  }, 180_000);

  it('Replace cancels the older run when the next tick comes', async () => {
    const n = await ns('replace');
    await createPipeline(
      c,
      n,
      pipeline('swap', {
        schedule: EVERY_MINUTE,
        concurrencyPolicy: 'Replace',
        stages: [stage('long', { podTemplate: runsFor(75), command: ['sleep', '75'] })],
      }),
    );
    const p = await waitForPipeline(
      c,
      n,
      'swap',
      'a Cancelled run',
      (x) => runsOf(x).some((r) => r.phase === 'Cancelled'),
      170_000,
    );
    expect(runsOf(p).find((r) => r.phase === 'Cancelled')?.message).toContain('replaced by run');
  }, 180_000);

  it('Allow lets runs overlap', async () => {
    const n = await ns('allow');
    await createPipeline(
      c,
      n,
      pipeline('overlap', {
        schedule: EVERY_MINUTE,
        concurrencyPolicy: 'Allow',
        stages: [stage('long', { podTemplate: runsFor(75), command: ['sleep', '75'] })],
      }),
    );
    await waitFor(
      'two stage Jobs of different runs active at once',
      170_000,
      async () => {
        const active = (await stageJobs(c, n, 'overlap')).filter((j) => (j.status?.active ?? 0) > 0 || j.status?.ready);
        return new Set(active.map((j) => j.metadata?.labels?.['conveyor.dev/run'])).size >= 2;
      },
      1000,
    );
  }, 180_000);
});

describe.concurrent('manual runs, retry and chaining', () => {
  it('adopts kubectl create job --from=cronjob as a manual run of the whole pipeline', async () => {
    const n = await ns('fromcron');
    await createPipeline(
      c,
      n,
      pipeline('yearly', {
        schedule: '0 0 1 1 *',
        stages: [stage('extract'), stage('load', { dependsOn: ['extract'] })],
      }),
    );
    await waitFor(
      'CronJob yearly-extract',
      30_000,
      async () => (await c.batch.listNamespacedCronJob({ namespace: n })).items.length > 0,
    );
    await exec(inject('kubectl'), [
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      n,
      'create',
      'job',
      `--from=cronjob/${cronJobName('yearly', 'extract')}`,
      'by-hand',
    ]);
    const p = await waitForPipeline(
      c,
      n,
      'yearly',
      'a manual run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'manual' && x.status?.lastRun?.phase === 'Succeeded',
    );
    expect(p.status?.lastRun?.stages?.map((s) => s.phase)).toEqual(['Succeeded', 'Succeeded']);
  });

  it('starts a manual run with conveyor run', async () => {
    const n = await ns('clirun');
    await createPipeline(
      c,
      n,
      pipeline('nightly', { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', stages: [stage('one')] }),
    );
    await waitForPipeline(c, n, 'nightly', 'phase Scheduled', (x) => x.status?.phase === 'Scheduled');
    const { stdout } = await conveyor(['run', 'nightly', '-n', n]);
    expect(stdout).toContain('run requested');
    const p = await waitForPipeline(
      c,
      n,
      'nightly',
      'a manual run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'manual' && x.status?.lastRun?.phase === 'Succeeded',
    );
    expect(p.status?.phase).toBe('Scheduled');
  });

  it('retries only the failed and skipped stages, and succeeds once the failure is removed', async () => {
    const n = await ns('retry');
    // Scheduled far ahead, so a spec change starts no run by itself: only the retry does.
    await createPipeline(
      c,
      n,
      pipeline('flaky', {
        schedule: '0 0 1 1 *',
        stages: [
          stage('extract'),
          stage('transform', { dependsOn: ['extract'], podTemplate: failsWith(2), command: ['sh', '-c', 'exit 2'] }),
          stage('load', { dependsOn: ['transform'] }),
        ],
      }),
    );
    await waitForPipeline(c, n, 'flaky', 'phase Scheduled', (x) => x.status?.phase === 'Scheduled');
    await conveyor(['run', 'flaky', '-n', n]);
    const failed = await waitForPipeline(
      c,
      n,
      'flaky',
      'the manual run Failed',
      (x) => x.status?.lastRun?.trigger === 'manual' && x.status?.lastRun?.phase === 'Failed',
    );
    const failedRun = failed.status!.lastRun!.id;
    // Remove the failure, then retry.
    const current = await getPipeline(c, n, 'flaky');
    const stages = current.spec.stages.map((s) =>
      s.name === 'transform' ? { ...s, podTemplate: undefined, command: ['sh', '-c', 'echo fixed'] } : s,
    );
    await mergePatchPipeline(c, n, 'flaky', { spec: { stages } });
    await conveyor(['retry', 'flaky', '-n', n]);
    const p = await waitForPipeline(
      c,
      n,
      'flaky',
      'the retry run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'retry' && x.status?.lastRun?.phase === 'Succeeded',
    );
    const stagesOfRetry = new Map(p.status?.lastRun?.stages?.map((s) => [s.name, s]));
    expect(stagesOfRetry.get('extract')?.reason).toBe('FromRun');
    expect(stagesOfRetry.get('extract')?.message).toContain(failedRun);
    const jobs = await stageJobs(c, n, 'flaky');
    const count = (s: string) => jobs.filter((j) => j.metadata?.labels?.['conveyor.dev/stage'] === s).length;
    expect(count('extract')).toBe(1);
    expect(count('transform')).toBe(2);
    expect(count('load')).toBe(1);
    // The same request again starts nothing new: not even on a reconcile after it was handled.
    await reconciledSince(c, n, 'flaky');
    expect((await stageJobs(c, n, 'flaky')).length).toBe(jobs.length);
  });

  it('starts a chained pipeline after its upstream succeeds, and not after it fails', async () => {
    const n = await ns('chain');
    await createPipeline(
      c,
      n,
      pipeline('load-ok', { triggers: { after: [{ pipeline: 'ingest-ok' }] }, stages: [stage('load')] }),
    );
    await createPipeline(
      c,
      n,
      pipeline('load-bad', { triggers: { after: [{ pipeline: 'ingest-bad' }] }, stages: [stage('load')] }),
    );
    // A chained pipeline starts no run of its own: it waits for its upstream.
    for (const name of ['load-ok', 'load-bad']) {
      const waiting = await waitForPipeline(c, n, name, `${name} waiting`, (x) => x.status?.phase === 'Scheduled');
      expect(waiting.status?.lastRun).toBeUndefined();
    }
    await createPipeline(c, n, pipeline('ingest-ok', { stages: [stage('pull', { podTemplate: runsFor(2) })] }));
    await createPipeline(
      c,
      n,
      pipeline('ingest-bad', {
        stages: [
          stage('pull', {
            podTemplate: {
              metadata: {
                annotations: { 'kwok.conveyor.dev/run-duration': '2s', 'kwok.conveyor.dev/fail-exit-code': '1' },
              },
            },
            command: ['sh', '-c', 'sleep 2; exit 1'],
          }),
        ],
      }),
    );
    const ok = await waitForPipeline(
      c,
      n,
      'load-ok',
      'a chain run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'chain' && x.status?.lastRun?.phase === 'Succeeded',
    );
    expect(ok.status?.lastTriggers?.[0]?.pipeline).toBe('ingest-ok');
    await waitForPipeline(c, n, 'ingest-bad', 'ingest-bad Failed', (x) => x.status?.phase === 'Failed');
    // A reconcile of load-bad after the watch delivered ingest-bad's failure (one Pipeline watch,
    // in order): a chain run would have started by then.
    const bad = await reconciledSince(c, n, 'load-bad');
    expect(runsOf(bad, 'chain')).toEqual([]);
    expect(bad.status?.lastRun?.trigger).not.toBe('chain');
  });

  it('reports a trigger cycle between pipelines instead of looping', async () => {
    const n = await ns('cycle');
    await createPipeline(c, n, pipeline('ping', { triggers: { after: [{ pipeline: 'pong' }] }, stages: [stage('x')] }));
    await createPipeline(c, n, pipeline('pong', { triggers: { after: [{ pipeline: 'ping' }] }, stages: [stage('x')] }));
    const p = await waitForPipeline(c, n, 'ping', 'ping Invalid', (x) => x.status?.phase === 'Invalid');
    expect(p.status?.conditions?.find((x) => x.type === 'Stalled')?.message).toContain('trigger cycle');
  });
});
