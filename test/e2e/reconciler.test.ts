// The reconciler end to end: the real operator process against the real API server.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { StageSpec } from '../../src/api/types.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  condition,
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

const run = promisify(execFile);
const c: Clients = clients();
// One namespace per test, made up front, so this file's operator watches only its own.
const suite = operatorSuite(
  c,
  'reconciler',
  ['diamond', 'fail', 'contind', 'reruns', 'gc', 'wide', 'crash', 'rejected'],
  () => installCrd(c),
);
beforeAll(suite.setUp);
afterAll(suite.tearDown);
const ns = async (prefix: string): Promise<string> => suite.ns(prefix);

const time = (v: unknown): number => new Date(String(v)).getTime();
const completedAt = (j: k8s.V1Job): number =>
  time(j.status?.conditions?.find((x) => x.type === 'Complete' && x.status === 'True')?.lastTransitionTime);
const byStage = (jobs: k8s.V1Job[]): Map<string, k8s.V1Job[]> => {
  const m = new Map<string, k8s.V1Job[]>();
  for (const j of jobs) {
    const s = j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
    m.set(s, [...(m.get(s) ?? []), j]);
  }
  return m;
};

describe.concurrent('reconciler', () => {
  it('runs a diamond in dependency order and reports Ready (kubectl wait works)', async () => {
    const n = await ns('diamond');
    await createPipeline(
      c,
      n,
      pipeline('diamond', {
        stages: [
          stage('a', { podTemplate: runsFor(2) }),
          stage('b', { dependsOn: ['a'], podTemplate: runsFor(1) }),
          stage('c', { dependsOn: ['a'], podTemplate: runsFor(3) }),
          stage('d', { dependsOn: ['b', 'c'] }),
        ],
      }),
    );
    await run(inject('kubectl'), [
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      n,
      'wait',
      '--for=condition=Ready',
      'pipeline/diamond',
      '--timeout=120s',
    ]);
    const p = await getPipeline(c, n, 'diamond');
    expect(p.status?.phase).toBe('Succeeded');
    expect(p.status?.progress).toBe('4/4');
    expect(condition(p, 'Ready')?.status).toBe('True');
    expect(condition(p, 'Stalled')).toBeUndefined();
    expect(p.status?.observedGeneration).toBe(p.metadata.generation);
    expect(p.status?.lastRun?.stages?.map((s) => s.phase)).toEqual([
      'Succeeded',
      'Succeeded',
      'Succeeded',
      'Succeeded',
    ]);
    const jobs = byStage(await stageJobs(c, n, 'diamond'));
    for (const s of ['a', 'b', 'c', 'd']) expect(jobs.get(s)?.length, `jobs of ${s}`).toBe(1);
    const created = (s: string): number => time(jobs.get(s)![0]!.metadata?.creationTimestamp);
    const done = (s: string): number => completedAt(jobs.get(s)![0]!);
    // No Job exists before all its dependencies' Jobs are Complete.
    expect(created('b')).toBeGreaterThanOrEqual(done('a'));
    expect(created('c')).toBeGreaterThanOrEqual(done('a'));
    expect(created('d')).toBeGreaterThanOrEqual(Math.max(done('b'), done('c')));
    // Every stage Job is labelled, owned, and carries the CONVEYOR_* environment.
    const a = jobs.get('a')![0]!;
    expect(a.metadata?.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'conveyor',
      'conveyor.dev/pipeline': 'diamond',
      'conveyor.dev/stage': 'a',
    });
    expect(a.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pipeline', name: 'diamond', controller: true });
    const env = a.spec?.template.spec?.containers[0]?.env?.map((e) => e.name) ?? [];
    expect(env).toEqual(expect.arrayContaining(['CONVEYOR_PIPELINE', 'CONVEYOR_RUN', 'CONVEYOR_STAGE']));
  });

  it('retries a failing stage, skips downstream, runs onFailure once, and stalls naming the stage', async () => {
    const n = await ns('fail');
    await createPipeline(
      c,
      n,
      pipeline('fail', {
        stages: [
          stage('extract'),
          stage('transform', {
            dependsOn: ['extract'],
            retries: 2,
            podTemplate: failsWith(3),
            command: ['sh', '-c', 'exit 3'],
          }),
          stage('load', { dependsOn: ['transform'] }),
        ],
        onFailure: [stage('alert')],
      }),
    );
    const p = await waitForPipeline(c, n, 'fail', 'phase Failed', (x) => x.status?.phase === 'Failed', 150_000);
    const stages = new Map(p.status?.lastRun?.stages?.map((s) => [s.name, s]));
    expect(stages.get('extract')?.phase).toBe('Succeeded');
    expect(stages.get('transform')?.phase).toBe('Failed');
    expect(stages.get('transform')?.attempts).toBe(3);
    expect(stages.get('load')?.phase).toBe('Skipped');
    expect(stages.get('alert')?.phase).toBe('Succeeded');
    expect(condition(p, 'Ready')?.status).toBe('False');
    expect(condition(p, 'Stalled')?.status).toBe('True');
    expect(condition(p, 'Stalled')?.message).toContain('transform');
    const jobs = byStage(await stageJobs(c, n, 'fail'));
    expect(jobs.get('alert')?.length).toBe(1);
    expect(jobs.get('load')).toBeUndefined();
    // The onFailure stage ran once: it is not started again on later reconciles.
    await reconciledSince(c, n, 'fail');
    expect(byStage(await stageJobs(c, n, 'fail')).get('alert')?.length).toBe(1);
    const events = await c.core.listNamespacedEvent({ namespace: n, fieldSelector: 'involvedObject.name=fail' });
    expect(events.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['RunStarted', 'StageFailed', 'RunFailed']),
    );
  });

  it('lets an independent branch finish after a failure with ContinueIndependent', async () => {
    const n = await ns('contind');
    await createPipeline(
      c,
      n,
      pipeline('branches', {
        failurePolicy: 'ContinueIndependent',
        stages: [
          stage('bad', { podTemplate: failsWith(1), command: ['sh', '-c', 'exit 1'] }),
          stage('after-bad', { dependsOn: ['bad'] }),
          stage('good', { podTemplate: runsFor(3) }),
          stage('after-good', { dependsOn: ['good'] }),
        ],
      }),
    );
    const p = await waitForPipeline(c, n, 'branches', 'phase Failed', (x) => x.status?.phase === 'Failed');
    const phases = Object.fromEntries(p.status?.lastRun?.stages?.map((s) => [s.name, s.phase]) ?? []);
    expect(phases).toEqual({ bad: 'Failed', 'after-bad': 'Skipped', good: 'Succeeded', 'after-good': 'Succeeded' });
  });

  it('starts a new run on a spec change and on run-requested, keeping history in runs[]', async () => {
    const n = await ns('reruns');
    await createPipeline(c, n, pipeline('again', { stages: [stage('one')] }));
    const first = await waitForPipeline(c, n, 'again', 'first run Succeeded', (x) => x.status?.phase === 'Succeeded');
    const firstRun = first.status?.lastRun?.id;
    expect(first.status?.lastRun?.trigger).toBe('create');

    await mergePatchPipeline(c, n, 'again', { spec: { stages: [stage('one', { args: ['changed'] })] } });
    const second = await waitForPipeline(
      c,
      n,
      'again',
      'a change run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'change' && x.status?.phase === 'Succeeded',
    );
    expect(second.status?.lastRun?.id).not.toBe(firstRun);

    await mergePatchPipeline(c, n, 'again', {
      metadata: { annotations: { 'conveyor.dev/run-requested': 'please-1' } },
    });
    const third = await waitForPipeline(
      c,
      n,
      'again',
      'a manual run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'manual' && x.status?.phase === 'Succeeded',
    );
    const ids = third.status?.runs?.map((r) => r.id) ?? [];
    expect(ids).toEqual(expect.arrayContaining([firstRun, second.status?.lastRun?.id, third.status?.lastRun?.id]));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('deletes Jobs and staging claims with the Pipeline', async () => {
    const n = await ns('gc');
    await createPipeline(
      c,
      n,
      pipeline('gc', { staging: { size: '1Gi' }, stages: [stage('hold', { podTemplate: runsFor(60) })] }),
    );
    await waitFor('a Job and a claim', 60_000, async () => {
      const jobs = await stageJobs(c, n, 'gc');
      const claims = await c.core.listNamespacedPersistentVolumeClaim({
        namespace: n,
        labelSelector: 'conveyor.dev/pipeline=gc',
      });
      return jobs.length > 0 && claims.items.length > 0;
    });
    await c.custom.deleteNamespacedCustomObject({
      group: 'conveyor.dev',
      version: 'v1alpha1',
      namespace: n,
      plural: 'pipelines',
      name: 'gc',
    });
    await waitFor('Jobs and claims gone', 60_000, async () => {
      const jobs = await stageJobs(c, n, 'gc');
      const claims = await c.core.listNamespacedPersistentVolumeClaim({
        namespace: n,
        labelSelector: 'conveyor.dev/pipeline=gc',
      });
      return jobs.length === 0 && claims.items.filter((x) => !x.metadata?.deletionTimestamp).length === 0;
    });
  });

  it("fails a stage whose Job the API server rejects, with the server's message, and goes on", async () => {
    const n = await ns('rejected');
    // The podTemplate mounts a volume that does not exist: the Job is invalid however often it is sent.
    const broken = {
      spec: { containers: [{ name: 'stage', volumeMounts: [{ name: 'missing', mountPath: '/data' }] }] },
    };
    await createPipeline(
      c,
      n,
      pipeline('rejected', {
        stages: [
          stage('fine'),
          stage('broken', { dependsOn: ['fine'], podTemplate: broken }),
          stage('after', { dependsOn: ['broken'] }),
        ],
        onFailure: [stage('alert')],
      }),
    );
    const p = await waitForPipeline(c, n, 'rejected', 'phase Failed', (x) => x.status?.phase === 'Failed');
    const stages = new Map(p.status?.lastRun?.stages?.map((s) => [s.name, s]));
    expect(stages.get('fine')?.phase).toBe('Succeeded');
    expect(stages.get('broken')).toMatchObject({ phase: 'Failed', reason: 'JobRejected' });
    expect(stages.get('broken')?.message).toContain('missing');
    expect(stages.get('after')?.phase).toBe('Skipped');
    expect(stages.get('alert')?.phase).toBe('Succeeded');
    expect(condition(p, 'Stalled')?.message).toContain('stage "broken" failed: JobRejected');
  });

  it('completes a 200-stage pipeline with a status under 100 KB', async () => {
    const n = await ns('wide');
    const stages: StageSpec[] = [];
    // 20 layers of 10 stages; each stage depends on two stages of the layer before.
    for (let layer = 0; layer < 20; layer++) {
      for (let i = 0; i < 10; i++) {
        const deps = layer === 0 ? [] : [`l${layer - 1}-s${i}`, `l${layer - 1}-s${(i + 1) % 10}`];
        stages.push(stage(`l${layer}-s${i}`, deps.length ? { dependsOn: deps } : {}));
      }
    }
    await createPipeline(c, n, pipeline('wide', { stages }));
    const p = await waitForPipeline(c, n, 'wide', 'phase Succeeded', (x) => x.status?.phase === 'Succeeded', 240_000);
    expect(p.status?.progress).toBe('200/200');
    const size = JSON.stringify(p.status).length;
    expect(size).toBeLessThan(100_000);
  }, 250_000);
});

describe('operator restarts', () => {
  it('finishes a run after SIGKILL mid-run without a second Job for any stage', async () => {
    const n = await ns('crash');
    await createPipeline(
      c,
      n,
      pipeline('crash', {
        stages: [
          stage('first', { podTemplate: runsFor(3) }),
          stage('second', { dependsOn: ['first'], podTemplate: runsFor(3) }),
          stage('third', { dependsOn: ['second'] }),
        ],
      }),
    );
    await waitFor('second stage Job', 60_000, async () =>
      (await stageJobs(c, n, 'crash')).some((j) => j.metadata?.labels?.['conveyor.dev/stage'] === 'second'),
    );
    await suite.restart('reconciler-restarted');
    const p = await waitForPipeline(c, n, 'crash', 'phase Succeeded', (x) => x.status?.phase === 'Succeeded');
    expect(p.status?.progress).toBe('3/3');
    const jobs = byStage(await stageJobs(c, n, 'crash'));
    for (const s of ['first', 'second', 'third']) expect(jobs.get(s)?.length, `jobs of ${s}`).toBe(1);
  });
});
