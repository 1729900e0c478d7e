// Run parameters and logical time end to end (issue 11 items 1-2): `conveyor run --param` puts
// the values into the stage's Job (env, args) and the run's status entry; bad values are refused
// by the CLI and, set by hand, by the operator (RunRefused); a scheduled run carries its tick as
// logical time, the previous tick → tick as interval, and its CronJob-made root Job's pod reads
// them from the pod template annotations Conveyor sets when it starts the Job.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline, RunSummary } from '../../src/api/types.ts';
import { scheduledTimeOf } from '../../src/plan/names.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  stage,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';

const exec = promisify(execFile);
const c: Clients = clients();
const suite = operatorSuite(c, 'params', ['manual', 'refused', 'tick'], () => installCrd(c));
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const conveyor = (args: string[]) =>
  exec(process.execPath, ['bin/conveyor.js', ...args, '--kubeconfig', inject('kubeconfig')]);
const envOf = (job: k8s.V1Job | undefined) =>
  Object.fromEntries(
    (job?.spec?.template.spec?.containers.find((x) => x.name === 'stage')?.env ?? []).map((e) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );
const containerOf = (job: k8s.V1Job | undefined) =>
  job?.spec?.template.spec?.containers.find((x) => x.name === 'stage');
const PARAMS = [
  { name: 'table', default: 'orders', enum: ['orders', 'users'] },
  { name: 'day', default: '' },
];
const loader = stage('load', {
  command: ['sh', '-c'],
  args: ['echo load $(params.table) for $(params.day) at $(run.logicalTime)'],
  env: [{ name: 'TARGET', value: '$(params.table)-$(run.logicalDate)' }],
});

async function events(namespace: string, name: string): Promise<k8s.CoreV1Event[]> {
  return (await c.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` })).items;
}

describe.concurrent('parameters and logical time', () => {
  it('conveyor run --param passes the values to the stage and records them in the run', async () => {
    const n = suite.ns('manual');
    // Chained after a pipeline that does not exist: creating it starts no run, only requests do.
    await createPipeline(
      c,
      n,
      pipeline('etl', { params: PARAMS, triggers: { after: [{ pipeline: 'nothing' }] }, stages: [loader] }),
    );
    await waitForPipeline(c, n, 'etl', 'observed', (p) => p.status?.observedGeneration === 1);
    const { stdout } = await conveyor([
      'run',
      'etl',
      '-n',
      n,
      '--param',
      'table=users',
      '--param',
      'day=2026-03-01',
      '--at',
      '2026-03-02T06:30:00Z',
    ]);
    expect(stdout).toContain('run requested');
    const p = await waitForPipeline(
      c,
      n,
      'etl',
      'a manual run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'manual' && x.status.lastRun.phase === 'Succeeded',
    );
    const run = p.status?.lastRun;
    const values = {
      logicalTime: '2026-03-02T06:30:00Z',
      intervalStart: '2026-03-02T06:30:00Z',
      intervalEnd: '2026-03-02T06:30:00Z',
      params: { table: 'users', day: '2026-03-01' },
    };
    expect(run).toMatchObject(values);
    expect(p.status?.runs?.find((r: RunSummary) => r.id === run?.id)).toMatchObject(values);
    const job = (await stageJobs(c, n, 'etl')).find((j) => j.metadata?.labels?.['conveyor.dev/run'] === run?.id);
    expect(containerOf(job)?.args).toEqual(['echo load users for 2026-03-01 at 2026-03-02T06:30:00Z']);
    expect(envOf(job)).toMatchObject({
      CONVEYOR_PARAM_TABLE: 'users',
      CONVEYOR_PARAM_DAY: '2026-03-01',
      CONVEYOR_LOGICAL_TIME: '2026-03-02T06:30:00Z',
      CONVEYOR_LOGICAL_DATE: '2026-03-02',
      CONVEYOR_INTERVAL_START: '2026-03-02T06:30:00Z',
      CONVEYOR_INTERVAL_END: '2026-03-02T06:30:00Z',
      TARGET: 'users-2026-03-02',
    });
    expect(job?.metadata?.annotations).toMatchObject({
      'conveyor.dev/logical-time': '2026-03-02T06:30:00Z',
      'conveyor.dev/params': '{"day":"2026-03-01","table":"users"}',
    });
    const described = await conveyor(['describe', 'etl', '-n', n]);
    expect(described.stdout).toContain(
      'Logical time 2026-03-02T06:30:00Z, interval 2026-03-02T06:30:00Z → 2026-03-02T06:30:00Z',
    );
    expect(described.stdout).toContain('Params day="2026-03-01" table="users"');
  });

  it('an unknown parameter or a value outside enum is refused by the CLI and by the operator', async () => {
    const n = suite.ns('refused');
    await createPipeline(
      c,
      n,
      pipeline('etl', { params: PARAMS, triggers: { after: [{ pipeline: 'nothing' }] }, stages: [loader] }),
    );
    await waitForPipeline(c, n, 'etl', 'observed', (p) => p.status?.observedGeneration === 1);
    const refusedByCli = await conveyor(['run', 'etl', '-n', n, '--param', 'table=payments']).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(refusedByCli?.code).toBe(1);
    expect(refusedByCli?.stderr).toContain(
      'value "payments" of parameter "table" is not allowed; allowed values: "orders", "users"',
    );
    // Set by hand, past the CLI: the operator refuses it with an Event and counts it as handled.
    await mergePatchPipeline(c, n, 'etl', {
      metadata: {
        annotations: {
          'conveyor.dev/run-requested': 'by-hand',
          'conveyor.dev/run-options': JSON.stringify({ params: { tabel: 'users' } }),
        },
      },
    });
    const p = await waitForPipeline(c, n, 'etl', 'the request handled', (x) => x.status?.lastRunRequest === 'by-hand');
    expect(p.status?.lastRun).toBeUndefined();
    const refusal = await waitFor('a RunRefused Event', 30_000, async () =>
      (await events(n, 'etl')).find((e) => e.reason === 'RunRefused'),
    );
    expect(refusal.type).toBe('Warning');
    expect(refusal.message).toBe(
      'run request "by-hand" refused: unknown parameter "tabel" (declared parameters: table, day)',
    );
    expect(await stageJobs(c, n, 'etl')).toEqual([]);
  });

  it('a scheduled run carries its tick and the previous tick → tick, and its root pod reads them', async () => {
    const n = suite.ns('tick');
    await createPipeline(
      c,
      n,
      pipeline('ticks', {
        params: PARAMS,
        schedule: '* * * * *',
        stages: [loader, stage('after', { dependsOn: ['load'] })],
      }),
    );
    const p: Pipeline = await waitForPipeline(
      c,
      n,
      'ticks',
      'a scheduled run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'schedule' && x.status.lastRun.phase === 'Succeeded',
      150_000,
    );
    const run = p.status!.lastRun!;
    const tick = scheduledTimeOf(run.id)!.toISOString().replace('.000Z', 'Z');
    const previous = new Date(Date.parse(tick) - 60_000).toISOString().replace('.000Z', 'Z');
    expect(run).toMatchObject({
      logicalTime: tick,
      intervalStart: previous,
      intervalEnd: tick,
      params: { table: 'orders', day: '' },
    });
    const jobs = (await stageJobs(c, n, 'ticks')).filter((j) => j.metadata?.labels?.['conveyor.dev/run'] === run.id);
    const root = jobs.find((j) => j.metadata?.labels?.['conveyor.dev/stage'] === 'load');
    // Made by the CronJob controller for this tick, started by Conveyor with the values on its pod template.
    expect(root?.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(tick);
    const values = {
      'conveyor.dev/logical-time': tick,
      'conveyor.dev/logical-date': tick.slice(0, 10),
      'conveyor.dev/interval-start': previous,
      'conveyor.dev/interval-end': tick,
    };
    expect(root?.spec?.template.metadata?.annotations).toMatchObject(values);
    expect(envOf(root)).toMatchObject({
      CONVEYOR_LOGICAL_TIME: {
        fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['conveyor.dev/logical-time']" },
      },
      CONVEYOR_INTERVAL_START: {
        fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['conveyor.dev/interval-start']" },
      },
      CONVEYOR_INTERVAL_END: {
        fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['conveyor.dev/interval-end']" },
      },
      CONVEYOR_PARAM_TABLE: 'orders',
      TARGET: 'orders-$(CONVEYOR_LOGICAL_DATE)',
    });
    expect(containerOf(root)?.args).toEqual(['echo load orders for  at $(CONVEYOR_LOGICAL_TIME)']);
    // The pod the Job controller made from the patched template carries them.
    const pod = await waitFor('the root pod', 30_000, async () => {
      const pods = await c.core.listNamespacedPod({ namespace: n, labelSelector: `job-name=${root?.metadata?.name}` });
      return pods.items[0];
    });
    expect(pod.metadata?.annotations).toMatchObject(values);
    // A downstream stage's Job is Conveyor's own: literal values.
    const after = jobs.find((j) => j.metadata?.labels?.['conveyor.dev/stage'] === 'after');
    expect(envOf(after)).toMatchObject({
      CONVEYOR_LOGICAL_TIME: tick,
      CONVEYOR_INTERVAL_START: previous,
      CONVEYOR_INTERVAL_END: tick,
    });
  }, 180_000);
});
