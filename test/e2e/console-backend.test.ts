// The Console's Kubernetes backend against the real cluster, with the operator running: what a
// user sees (snapshot, then changes), what RBAC lets them do (a view-only and an edit user made
// with test/e2e/support/rbac.ts), stage logs served by KWOK from the cluster's pod-logs file, and
// the API server's verdict on a Pipeline document.
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import type { ConsoleBackend } from '../../src/console/server/backend.ts';
import { createKubeBackend } from '../../src/console/server/kube-backend.ts';
import { LogsRefused, STAGE_CONTAINER, streamPodLog } from '../../src/kube/logs.ts';
import type { StreamMessage } from '../../src/console/protocol.ts';
import { clients, kubeConfig, onKwok, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  getPipeline,
  installCrd,
  pipeline,
  runsFor,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';
import { kubeconfigFor } from './support/rbac.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'console-backend', ['console'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const backends: ConsoleBackend[] = [];
let ns = '';
let viewKc = '';
let editKc = '';

beforeAll(async () => {
  await suite.setUp();
  ns = suite.ns('console');
  [viewKc, editKc] = await Promise.all([kubeconfigFor(c, ns, 'view'), kubeconfigFor(c, ns, 'edit')]);
});
afterAll(async () => {
  await Promise.all(backends.map((b) => b.stop()));
  await suite.tearDown();
});

function kubeconfigFile(path: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

async function started(kc: k8s.KubeConfig, namespaces: string[]): Promise<ConsoleBackend> {
  const backend = createKubeBackend(kc, { namespaces });
  backends.push(backend);
  await backend.start();
  return backend;
}

/** Collects what is written, as text. */
function collector(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { out, text: () => text };
}

/** Appends a line to every pod's log (hack/kwok-logs.yaml), in the CRI format KWOK reads. */
function appendPodLog(line: string): void {
  appendFileSync(join(dirname(inject('kubeconfig')), 'pod-logs.log'), `${new Date().toISOString()} stdout F ${line}\n`);
}

describe('console backend', () => {
  it('sends a snapshot, then a Pipeline created afterwards with its Jobs and Events', async () => {
    const backend = await started(kubeConfig(), [ns]);
    const snap = backend.snapshot();
    expect(snap.namespaces).toEqual([ns]);
    expect(snap.pipelines.map((p) => p.metadata.name)).not.toContain('flow');
    const seen: Exclude<StreamMessage, { type: 'reset' }>[] = [];
    const unsubscribe = backend.subscribe((m) => seen.push(m));
    await createPipeline(c, ns, pipeline('flow', { stages: [stage('a'), stage('b', { dependsOn: ['a'] })] }));
    await waitFor('flow, its Jobs of stages a and b and an Event about them', 60_000, async () => {
      const jobs = seen.flatMap((m) => (m.type === 'job' && m.data.object.pipeline === 'flow' ? [m.data.object] : []));
      const stages = new Set(jobs.map((j) => j.stage));
      const jobNames = new Set(jobs.map((j) => j.name));
      const events = seen.filter(
        (m) =>
          m.type === 'event' && (m.data.object.involved.name === 'flow' || jobNames.has(m.data.object.involved.name)),
      );
      const flow = seen.find((m) => m.type === 'pipeline' && m.data.object.metadata.name === 'flow');
      return flow && stages.has('a') && stages.has('b') && events.length > 0;
    });
    unsubscribe();
    const pipelineMessage = seen.find((m) => m.type === 'pipeline');
    expect(pipelineMessage?.type === 'pipeline' && pipelineMessage.data.object.metadata.managedFields).toBeUndefined();
    const job = seen.find((m) => m.type === 'job' && m.data.object.stage === 'a');
    expect(job?.type === 'job' && job.data.object).toMatchObject({
      namespace: ns,
      pipeline: 'flow',
      stage: 'a',
      role: 'stage',
    });
    await waitForPipeline(c, ns, 'flow', 'flow Succeeded', (p) => p.status?.phase === 'Succeeded');
    await waitFor(
      'the snapshot to hold flow finished',
      30_000,
      async () =>
        backend.snapshot().jobs.filter((j) => j.pipeline === 'flow' && j.finished?.type === 'Complete').length === 2,
    );
  });

  it('a view-only user may do nothing, and the API server agrees', async () => {
    await createPipeline(c, ns, pipeline('looked-at', { stages: [stage('a')] }));
    // No namespaces given and no cluster-wide list: the kubeconfig context's namespace.
    const backend = await started(kubeconfigFile(viewKc), []);
    expect(backend.snapshot().namespaces).toEqual([ns]);
    expect(backend.snapshot().user).toBe(`system:serviceaccount:${ns}:console-view`);
    await waitFor('looked-at in the view user snapshot', 30_000, async () =>
      backend.snapshot().pipelines.some((p) => p.metadata.name === 'looked-at'),
    );
    expect(await backend.access(ns)).toEqual({
      namespace: ns,
      create: false,
      run: false,
      retry: false,
      cancel: false,
      suspend: false,
      resume: false,
    });
    const answer = await backend.act(ns, 'looked-at', 'run', {});
    expect(answer).toEqual({
      status: 403,
      result: { ok: false, message: `you may not patch pipelines in namespace ${ns}` },
    });
    const asUser = makeCustom(viewKc);
    await expect(
      asUser.patchNamespacedCustomObject(
        {
          group: 'conveyor.dev',
          version: 'v1alpha1',
          namespace: ns,
          plural: 'pipelines',
          name: 'looked-at',
          body: { spec: { suspend: true } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    ).rejects.toMatchObject({ code: 403 });
    const applied = await backend.apply(stringify(pipeline('sneaked-in', { stages: [stage('a')] })));
    expect(applied).toEqual({
      status: 403,
      result: { ok: false, message: `you may not create pipelines in namespace ${ns}` },
    });
    await expect(getPipeline(c, ns, 'sneaked-in')).rejects.toMatchObject({ code: 404 });
  });

  it('a namespace the user may not watch shows empty instead of failing the start', async () => {
    await createPipeline(c, ns, pipeline('visible', { stages: [stage('a')] }));
    const backend = await started(kubeconfigFile(viewKc), [ns, 'kube-system']);
    expect(backend.snapshot().namespaces).toEqual([ns, 'kube-system']);
    await waitFor('visible in the snapshot', 30_000, async () =>
      backend.snapshot().pipelines.some((p) => p.metadata.name === 'visible'),
    );
    expect(backend.snapshot().pipelines.every((p) => p.metadata.namespace === ns)).toBe(true);
  });

  it('an edit user may run a Pipeline, and a manual run happens', async () => {
    await createPipeline(c, ns, pipeline('on-demand', { stages: [stage('a')] }));
    await waitForPipeline(c, ns, 'on-demand', 'first run Succeeded', (p) => p.status?.phase === 'Succeeded');
    const backend = await started(kubeconfigFile(editKc), [ns]);
    expect(await backend.access(ns)).toEqual({
      namespace: ns,
      create: true,
      run: true,
      retry: true,
      cancel: true,
      suspend: true,
      resume: true,
    });
    const answer = await backend.act(ns, 'on-demand', 'run', {});
    expect(answer).toEqual({
      status: 200,
      result: { ok: true, message: `pipeline ${ns}/on-demand: a manual run was requested` },
    });
    await waitForPipeline(
      c,
      ns,
      'on-demand',
      'a manual run Succeeded',
      (p) => p.status?.lastRun?.trigger === 'manual' && p.status.lastRun.phase === 'Succeeded',
    );
    expect(await backend.act(ns, 'on-demand', 'suspend', {})).toMatchObject({ status: 200 });
    expect((await getPipeline(c, ns, 'on-demand')).spec.suspend).toBe(true);
    expect(await backend.act(ns, 'not-there', 'run', {})).toMatchObject({ status: 404, result: { ok: false } });
  });

  it.skipIf(!onKwok())(
    'follows a running stage log from the KWOK log file until the pod ends; CLI logs print it',
    async () => {
      const marker = `console-e2e-${process.pid}-${Date.now()}`;
      await createPipeline(c, ns, pipeline('talk', { stages: [stage('speak', { podTemplate: runsFor(6) })] }));
      const running = await waitForPipeline(
        c,
        ns,
        'talk',
        'speak running',
        (p) => p.status?.lastRun?.stages?.some((s) => s.name === 'speak' && s.phase === 'Running') === true,
      );
      const run = running.status?.lastRun?.id ?? '';
      const backend = await started(kubeConfig(), [ns]);
      appendPodLog(`${marker} before`);
      const { out, text } = collector();
      let cannedOn: string | undefined;
      const done = backend.logs(ns, 'talk', 'speak', run, true, out, (node) => (cannedOn = node));
      await waitFor('the first line', 20_000, async () => text().includes(`${marker} before`));
      appendPodLog(`${marker} while following`);
      await waitFor('the line written while following', 20_000, async () =>
        text().includes(`${marker} while following`),
      );
      expect(await done).toEqual({ status: 200 });
      // KWOK serves every pod that one file: the backend says the lines are canned, on the pod's node.
      const job = running.status?.lastRun?.stages?.find((s) => s.name === 'speak')?.job ?? '';
      const pods = await c.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job}` });
      expect(cannedOn).toBeTruthy();
      expect(cannedOn).toBe(pods.items[0]?.spec?.nodeName);
      await waitForPipeline(c, ns, 'talk', 'talk Succeeded', (p) => p.status?.phase === 'Succeeded');
      const cli = await promisify(execFile)(process.execPath, [
        `${root}/bin/conveyor.js`,
        'logs',
        'talk',
        'speak',
        '-n',
        ns,
        '--kubeconfig',
        inject('kubeconfig'),
      ]);
      expect(cli.stdout).toContain(`${marker} while following`);
    },
  );

  it('a log the API server refuses rejects with the server message, not the HTTP code', async () => {
    const pod = await c.core.createNamespacedPod({
      namespace: ns,
      body: { metadata: { name: 'not-a-stage' }, spec: { containers: [{ name: 'other', image: 'busybox:1.36' }] } },
    });
    const target = { namespace: ns, pod: pod.metadata?.name ?? '', container: STAGE_CONTAINER };
    const refusal = await streamPodLog(c.kc, c.core, target, { follow: false }, collector().out).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(LogsRefused);
    expect(refusal).toMatchObject({ status: 400 });
    expect((refusal as LogsRefused).message).toMatch(/container stage is not valid for pod not-a-stage/);
  });

  it('the logs of a stage whose pods are gone say so; a stage without a Job too', async () => {
    await createPipeline(c, ns, pipeline('pruned', { stages: [stage('a')] }));
    const done = await waitForPipeline(c, ns, 'pruned', 'pruned Succeeded', (p) => p.status?.phase === 'Succeeded');
    const run = done.status?.lastRun?.id ?? '';
    const job = done.status?.lastRun?.stages?.[0]?.job ?? '';
    const backend = await started(kubeConfig(), [ns]);
    await waitFor('the Job in the cache', 30_000, async () => backend.snapshot().jobs.some((j) => j.name === job));
    await c.core.deleteCollectionNamespacedPod({
      namespace: ns,
      labelSelector: `job-name=${job}`,
      gracePeriodSeconds: 0,
    });
    await waitFor(
      'the pods gone',
      30_000,
      async () =>
        (await c.core.listNamespacedPod({ namespace: ns, labelSelector: `job-name=${job}` })).items.length === 0,
    );
    const gone = `the pods of Job ${job} are gone — deleted with the Job or by its TTL; their logs went with them`;
    expect(await backend.logs(ns, 'pruned', 'a', run, false, collector().out)).toEqual({ status: 404, message: gone });
    await c.batch.deleteNamespacedJob({ namespace: ns, name: job, propagationPolicy: 'Background' });
    await waitFor('the Job out of the cache', 30_000, async () => !backend.snapshot().jobs.some((j) => j.name === job));
    expect(await backend.logs(ns, 'pruned', 'a', run, false, collector().out)).toEqual({ status: 404, message: gone });
    expect(await backend.logs(ns, 'pruned', 'b', run, false, collector().out)).toEqual({
      status: 404,
      message: `stage b has no Job in run ${run}`,
    });
  });

  it('a dry run answers with the API server CEL message, or the operator cycle check; apply as an editor', async () => {
    const backend = await started(kubeconfigFile(editKc), [ns]);
    const unknown = pipeline('unknown-dep', { stages: [stage('a', { dependsOn: ['ghost'] })] });
    const answer = await backend.dryRun(stringify(unknown));
    expect(answer.status).toBe(422);
    expect(answer.result.ok).toBe(false);
    expect(answer.result.message).toContain('unknown stage "ghost"');
    const cycle = pipeline('cycle', { stages: [stage('a', { dependsOn: ['b'] }), stage('b', { dependsOn: ['a'] })] });
    const cyclic = await backend.dryRun(stringify({ ...cycle, metadata: { ...cycle.metadata, namespace: ns } }));
    expect(cyclic.status).toBe(422);
    expect(cyclic.result.message).toMatch(
      /^the API server accepts Pipeline .*\/cycle \(dry run\), but the operator would refuse it: .*cycle/,
    );
    expect(await backend.dryRun('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n')).toMatchObject({
      status: 422,
      result: { ok: false },
    });
    const good = pipeline('applied', { stages: [stage('a')] });
    expect(await backend.dryRun(stringify(good))).toEqual({
      status: 200,
      result: { ok: true, message: `the API server accepts Pipeline ${ns}/applied (dry run)` },
    });
    await expect(getPipeline(c, ns, 'applied')).rejects.toMatchObject({ code: 404 });
    expect(await backend.apply(stringify(good))).toEqual({
      status: 200,
      result: { ok: true, message: `Pipeline ${ns}/applied applied` },
    });
    const stored = await getPipeline(c, ns, 'applied');
    expect((stored.metadata as k8s.V1ObjectMeta).managedFields?.map((f) => f.manager)).toContain('conveyor-console');
    // Existing now: the dry run checks it as the update an apply would make.
    expect(await backend.dryRun(stringify(good))).toMatchObject({ status: 200, result: { ok: true } });
  });
});

function makeCustom(path: string): k8s.CustomObjectsApi {
  return kubeconfigFile(path).makeApiClient(k8s.CustomObjectsApi);
}
