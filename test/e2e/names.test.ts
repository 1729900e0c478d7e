// Names end to end (issue 9, findings 1 and 10): pipelines whose hyphen-joined names are the same
// get their own Jobs and CronJobs, an object someone else made under a wanted name is never
// adopted, and a dotted Pipeline name (`etl.nightly`) is mapped back from its objects.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline, PipelineSpec } from '../../src/api/types.ts';
import { cronJobName, jobName } from '../../src/plan/names.ts';
import { clients, jobCondition, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import { createPipeline, getPipeline, installCrd, pipeline, stage, waitForPipeline } from './support/pipelines.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';

const exec = promisify(execFile);
const kubectl = (args: string[]) => exec(inject('kubectl'), ['--kubeconfig', inject('kubeconfig'), ...args]);
const c: Clients = clients();
const suite = operatorSuite(c, 'names', ['collide', 'cronclash', 'foreign', 'foreigncron', 'recreate', 'dotted'], () =>
  installCrd(c),
);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const ANN_PIPELINE_NAME = 'conveyor.dev/pipeline-name';
/** The pair of issue 9: both read `ingest-events-load` when joined with hyphens. */
const PAIR: ReadonlyArray<{ name: string; stage: string }> = [
  { name: 'ingest', stage: 'events-load' },
  { name: 'ingest-events', stage: 'load' },
];
const FAR_AHEAD = '0 0 1 1 *';

const controllerUid = (o: k8s.KubernetesObject | undefined): string | undefined =>
  o?.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
const seconds = (v: unknown): number => new Date(String(v)).getTime() / 1000;
const runs = (p: Pipeline) => [...(p.status?.runs ?? []), ...(p.status?.lastRun ? [p.status.lastRun] : [])];
const succeededRun = (p: Pipeline, trigger: string) =>
  runs(p).find((r) => r.trigger === trigger && r.phase === 'Succeeded');

async function createPair(n: string, spec: (stageName: string) => PipelineSpec): Promise<Pipeline[]> {
  return Promise.all(PAIR.map((x) => createPipeline(c, n, pipeline(x.name, spec(x.stage)))));
}

describe.concurrent('names', () => {
  it('two one-shot pipelines whose names join to the same text each run their own Job', async () => {
    const n = suite.ns('collide');
    const created = await createPair(n, (s) => ({ stages: [stage(s)] }));
    for (const [i, x] of PAIR.entries()) {
      const p = await waitForPipeline(c, n, x.name, 'phase Succeeded', (y) => y.status?.phase === 'Succeeded');
      const want = jobName(x.name, x.stage, 'g1');
      expect(p.status?.lastRun?.stages?.[0]).toMatchObject({ name: x.stage, phase: 'Succeeded', job: want });
      const job = await c.batch.readNamespacedJob({ name: want, namespace: n });
      expect(controllerUid(job), `owner of ${want}`).toBe(created[i]!.metadata.uid);
      expect(job.metadata?.annotations?.[ANN_PIPELINE_NAME]).toBe(x.name);
      expect(jobCondition(job, 'Complete')).toBe(true);
    }
    expect(jobName('ingest', 'events-load', 'g1')).not.toBe(jobName('ingest-events', 'load', 'g1'));
    expect((await c.batch.listNamespacedJob({ namespace: n })).items).toHaveLength(2);
  });

  it('two scheduled pipelines whose names join to the same text keep their own CronJob and template', async () => {
    const n = suite.ns('cronclash');
    const created = await createPair(n, (s) => ({ schedule: FAR_AHEAD, stages: [stage(s)] }));
    for (const x of PAIR)
      await waitForPipeline(c, n, x.name, 'phase Scheduled', (y) => y.status?.phase === 'Scheduled');
    const list = (await c.batch.listNamespacedCronJob({ namespace: n })).items;
    expect(list.map((cj) => cj.metadata?.name).sort()).toEqual(PAIR.map((x) => cronJobName(x.name, x.stage)).sort());
    for (const [i, x] of PAIR.entries()) {
      const cronJob = list.find((cj) => cj.metadata?.name === cronJobName(x.name, x.stage))!;
      expect(controllerUid(cronJob), `owner of ${cronJob.metadata?.name}`).toBe(created[i]!.metadata.uid);
      // Applied once and never overwritten by the other pipeline's apply.
      expect(cronJob.metadata?.generation).toBe(1);
      const template = cronJob.spec?.jobTemplate;
      expect(template?.metadata?.annotations?.[ANN_PIPELINE_NAME]).toBe(x.name);
      expect(template?.metadata?.labels).toMatchObject({
        'conveyor.dev/pipeline': x.name,
        'conveyor.dev/stage': x.stage,
      });
      const env = template?.spec?.template.spec?.containers[0]?.env ?? [];
      expect(env.find((e) => e.name === 'CONVEYOR_PIPELINE')?.value).toBe(x.name);
      expect(env.find((e) => e.name === 'CONVEYOR_STAGE')?.value).toBe(x.stage);
    }
    // A run of each CronJob is a run of its own pipeline.
    for (const x of PAIR)
      await kubectl(['-n', n, 'create', 'job', `--from=cronjob/${cronJobName(x.name, x.stage)}`, `by-hand-${x.name}`]);
    for (const x of PAIR) {
      const p = await waitForPipeline(
        c,
        n,
        x.name,
        'a manual run Succeeded',
        (y) => succeededRun(y, 'manual') !== undefined,
      );
      const byHand = await c.batch.readNamespacedJob({ name: `by-hand-${x.name}`, namespace: n });
      expect(byHand.metadata?.labels).toMatchObject({
        'conveyor.dev/run': succeededRun(p, 'manual')?.id,
        'conveyor.dev/stage': x.stage,
      });
      expect(byHand.metadata?.annotations?.[ANN_PIPELINE_NAME]).toBe(x.name);
      expect(controllerUid(byHand)).toBe(
        list.find((cj) => cj.metadata?.name === cronJobName(x.name, x.stage))?.metadata?.uid,
      );
      expect(jobCondition(byHand, 'Complete')).toBe(true);
    }
  });

  it('a Job someone else created under the wanted name fails the stage, naming it and its owner, and is left alone', async () => {
    const n = suite.ns('foreign');
    const taken = jobName('ingest', 'load', 'g1');
    // Suspended: it never runs, so nothing about it changes unless someone adopts it.
    await c.batch.createNamespacedJob({
      namespace: n,
      body: {
        metadata: { name: taken, labels: { team: 'other' } },
        spec: {
          suspend: true,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: 'busybox:1.36' }] } },
        },
      },
    });
    const before = await c.batch.readNamespacedJob({ name: taken, namespace: n });
    await createPipeline(c, n, pipeline('ingest', { stages: [stage('load')] }));
    const p = await waitForPipeline(
      c,
      n,
      'ingest',
      'stage load Failed',
      (y) => y.status?.lastRun?.stages?.[0]?.phase === 'Failed',
      60_000,
    );
    const failed = p.status?.lastRun?.stages?.[0];
    expect(failed?.message).toContain(`Job ${taken} already exists and has no owner`);
    expect(failed?.message).toContain('does not adopt');
    const stalled = p.status?.conditions?.find((x) => x.type === 'Stalled');
    expect(stalled?.status).toBe('True');
    expect(stalled?.message).toContain(taken);
    const after = await c.batch.readNamespacedJob({ name: taken, namespace: n });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after.metadata?.ownerReferences).toBeUndefined();
  });

  it('a CronJob someone else created under the wanted name stalls the pipeline and is not overwritten', async () => {
    const n = suite.ns('foreigncron');
    const taken = cronJobName('nightly', 'extract');
    await c.batch.createNamespacedCronJob({
      namespace: n,
      body: {
        metadata: { name: taken },
        spec: {
          schedule: FAR_AHEAD,
          suspend: true,
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'theirs', image: 'busybox:1.36' }] } },
            },
          },
        },
      },
    });
    const before = await c.batch.readNamespacedCronJob({ name: taken, namespace: n });
    await createPipeline(c, n, pipeline('nightly', { schedule: '0 3 * * *', stages: [stage('extract')] }));
    const p = await waitForPipeline(
      c,
      n,
      'nightly',
      'Stalled naming the CronJob',
      (y) =>
        (y.status?.conditions ?? []).some(
          (x) => x.type === 'Stalled' && x.status === 'True' && x.message.includes(taken),
        ),
      60_000,
    );
    expect(p.status?.conditions?.find((x) => x.type === 'Stalled')?.message).toContain(
      `CronJob ${taken} already exists and has no owner`,
    );
    const after = await c.batch.readNamespacedCronJob({ name: taken, namespace: n });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(after.spec?.jobTemplate.spec?.template.spec?.containers.map((x) => x.name)).toEqual(['theirs']);
  });

  it('a Pipeline deleted and created again waits for the old Job to go instead of failing or adopting it', async () => {
    const n = suite.ns('recreate');
    const spec: PipelineSpec = { stages: [stage('load')] };
    const name = jobName('again', 'load', 'g1');
    const first = await createPipeline(c, n, pipeline('again', spec));
    await waitForPipeline(c, n, 'again', 'the first incarnation Succeeded', (y) => y.status?.phase === 'Succeeded');
    // A finalizer holds the old Job after the garbage collector deletes it, so the new Pipeline
    // (same name, same run id g1, same Job name) certainly meets it.
    const hold = (finalizers: string[] | null) =>
      c.batch.patchNamespacedJob(
        { name, namespace: n, body: { metadata: { finalizers } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
    await hold(['conveyor.dev/e2e-hold']);
    await c.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: n,
      plural: PLURAL,
      name: 'again',
    });
    const second = await createPipeline(c, n, pipeline('again', spec));
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    const log = suite.operator().logFile;
    await waitFor('the operator to wait for the old Job', 30_000, async () =>
      readFileSync(log, 'utf8').includes(
        `Job ${name} still belongs to an earlier Pipeline again (uid ${first.metadata.uid})`,
      ),
    );
    expect((await getPipeline(c, n, 'again')).status?.lastRun?.stages?.[0]?.phase).not.toBe('Failed');
    await hold(null);
    const p = await waitForPipeline(
      c,
      n,
      'again',
      'the second incarnation Succeeded',
      (y) => ['Succeeded', 'Failed'].includes(y.status?.phase ?? ''),
      90_000,
    );
    expect(p.status?.phase, JSON.stringify(p.status?.lastRun)).toBe('Succeeded');
    const job = await c.batch.readNamespacedJob({ name, namespace: n });
    expect(controllerUid(job)).toBe(second.metadata.uid);
  });

  it('a dotted scheduled pipeline runs a tick end to end, and a kubectl create job --from run', async () => {
    const n = suite.ns('dotted');
    const name = 'etl.nightly';
    await createPipeline(
      c,
      n,
      pipeline(name, {
        schedule: '*/1 * * * *',
        stages: [stage('extract'), stage('load', { dependsOn: ['extract'] })],
      }),
    );
    const ticked = await waitForPipeline(
      c,
      n,
      name,
      'a scheduled run Succeeded',
      (y) => succeededRun(y, 'schedule') !== undefined,
      150_000,
    );
    const tick = succeededRun(ticked, 'schedule')!;
    const jobsOf = async (run: string) => {
      const list = await c.batch.listNamespacedJob({
        namespace: n,
        labelSelector: `conveyor.dev/pipeline=${name},conveyor.dev/run=${run}`,
      });
      const byStage = (s: string) => list.items.find((j) => j.metadata?.labels?.['conveyor.dev/stage'] === s)!;
      return { extract: byStage('extract'), load: byStage('load') };
    };
    const scheduled = await jobsOf(tick.id);
    expect(scheduled.extract.metadata?.annotations?.[ANN_PIPELINE_NAME]).toBe(name);
    expect(scheduled.load.metadata?.name).toBe(jobName(name, 'load', tick.id));
    // Woken by the root Job's own events, not by the next minute's requeue: each step is prompt.
    expectPrompt(scheduled.extract);
    const extractDone = seconds(scheduled.extract.status?.completionTime);
    expect(seconds(scheduled.load.metadata?.creationTimestamp)).toBeGreaterThanOrEqual(extractDone - 1);
    expect(seconds(scheduled.load.metadata?.creationTimestamp) - extractDone).toBeLessThan(20);

    // The CronJob's name as a user finds it: by label, since it carries a hash.
    const { stdout } = await kubectl([
      '-n',
      n,
      'get',
      'cronjob',
      '-l',
      `conveyor.dev/pipeline=${name},conveyor.dev/stage=extract`,
      '-o',
      'name',
    ]);
    expect(stdout.trim()).toBe(`cronjob.batch/${cronJobName(name, 'extract')}`);
    await kubectl(['-n', n, 'create', 'job', `--from=${stdout.trim()}`, 'by-hand']);
    const manual = await waitForPipeline(
      c,
      n,
      name,
      'the manual run Succeeded',
      (y) => succeededRun(y, 'manual') !== undefined,
      60_000,
    );
    const byHand = await c.batch.readNamespacedJob({ name: 'by-hand', namespace: n });
    expect(byHand.metadata?.annotations?.[ANN_PIPELINE_NAME]).toBe(name);
    expectPrompt(byHand);
    const load = (await jobsOf(succeededRun(manual, 'manual')!.id)).load;
    expect(jobCondition(load, 'Complete')).toBe(true);
    expect((await getPipeline(c, n, name)).status?.phase).toMatch(/Scheduled|Running/);
  }, 180_000);
});

/** A Job the CronJob controller or kubectl created suspended was started within 20 s. */
function expectPrompt(job: k8s.V1Job): void {
  const created = seconds(job.metadata?.creationTimestamp);
  const started = seconds(job.status?.startTime);
  expect(started - created, `${job.metadata?.name} started ${started - created} s after it was created`).toBeLessThan(
    20,
  );
}
