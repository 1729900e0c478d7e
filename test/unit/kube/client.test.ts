// The API clients' transport: every call has a deadline, so a hung API server cannot block a
// reconcile forever. Real HTTP on 127.0.0.1, real client-node clients; no Kubernetes needed.
import { describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { answerBy, makeApiClient, makeApis } from '../../../src/kube/client.ts';
import { classifyApiError } from '../../../src/kube/errors.ts';
import { kubeConfigFor, serve } from './local-server.ts';

const emptyJobList = JSON.stringify({
  apiVersion: 'batch/v1',
  kind: 'JobList',
  metadata: { resourceVersion: '1' },
  items: [],
});

describe('API request deadline', () => {
  it('a call to a server that never answers rejects with a timeout, classified retry', async () => {
    const seen: string[] = [];
    const server = await serve((req) => {
      seen.push(`${req.method} ${req.url}`);
      // Never answers: the request hangs like one to a wedged API server.
    });
    const apis = makeApis(kubeConfigFor(server), { requestTimeoutMs: 200 });

    const failure = await apis.batch.readNamespacedJob({ name: 'load', namespace: 'etl' }).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(seen).toEqual(['GET /apis/batch/v1/namespaces/etl/jobs/load']);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).name).toBe('TimeoutError');
    expect((failure as Error).message).toBe(
      `GET ${server}/apis/batch/v1/namespaces/etl/jobs/load: no response within 0.2 s`,
    );
    expect(classifyApiError(failure)).toEqual({ verdict: 'retry', message: (failure as Error).message });
  });

  it('also ends a call whose answer starts and then stalls mid-body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(emptyJobList.slice(0, 20)); // and nothing more
    });
    const apis = makeApis(kubeConfigFor(server), { requestTimeoutMs: 200 });
    const failure = await apis.batch.listNamespacedJob({ namespace: 'etl' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failure as Error | undefined)?.name).toBe('TimeoutError');
    expect(classifyApiError(failure).verdict).toBe('retry');
  });

  it('leaves a call that is answered in time alone, on every client', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (req.url?.startsWith('/apis/batch/')) res.end(emptyJobList);
      else if (req.url?.startsWith('/api/v1/'))
        res.end(JSON.stringify({ apiVersion: 'v1', kind: 'EventList', metadata: {}, items: [] }));
      else
        res.end(JSON.stringify({ apiVersion: 'conveyor.dev/v1alpha1', kind: 'PipelineList', metadata: {}, items: [] }));
    });
    const apis = makeApis(kubeConfigFor(server), { requestTimeoutMs: 2_000 });
    await expect(apis.batch.listNamespacedJob({ namespace: 'etl' })).resolves.toMatchObject({ items: [] });
    await expect(apis.core.listNamespacedEvent({ namespace: 'etl' })).resolves.toMatchObject({ items: [] });
    await expect(
      apis.custom.listNamespacedCustomObject({
        group: 'conveyor.dev',
        version: 'v1alpha1',
        namespace: 'etl',
        plural: 'pipelines',
      }),
    ).resolves.toMatchObject({ items: [] });
    await expect(apis.apps.listNamespacedControllerRevision({ namespace: 'etl' })).resolves.toMatchObject({
      items: [],
    });
  });

  it('gives each call its own deadline: one slow call does not cut the next', async () => {
    let calls = 0;
    const server = await serve((_req, res) => {
      calls++;
      if (calls === 1) return; // the first hangs
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(emptyJobList);
      }, 100);
    });
    const apis = makeApis(kubeConfigFor(server), { requestTimeoutMs: 300 });
    await expect(apis.batch.listNamespacedJob({ namespace: 'etl' })).rejects.toMatchObject({ name: 'TimeoutError' });
    await expect(apis.batch.listNamespacedJob({ namespace: 'etl' })).resolves.toMatchObject({ items: [] });
  });

  it('a watch on the same KubeConfig is long-lived: no deadline cuts it', async () => {
    const server = await serve((req, res) => {
      if (!req.url?.includes('watch=true')) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      // The first event comes well after the API calls' deadline.
      setTimeout(
        () => res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'Job', metadata: { name: 'late' } } })}\n`),
        600,
      );
    });
    const kc = kubeConfigFor(server);
    makeApis(kc, { requestTimeoutMs: 100 });
    const events: string[] = [];
    const ended: unknown[] = [];
    const watch = await new k8s.Watch(kc).watch(
      '/apis/batch/v1/jobs',
      {},
      (type, obj: { metadata?: { name?: string } }) => events.push(`${type} ${obj.metadata?.name}`),
      (err) => ended.push(err),
    );
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect(events).toEqual(['ADDED late']);
    expect(ended).toEqual([]);
    watch.abort();
  });
});

describe('makeApiClient', () => {
  it('refuses a deadline that is not a positive number of milliseconds a Node timer can hold', () => {
    const kc = kubeConfigFor('http://127.0.0.1:1');
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31]) {
      expect(() => makeApiClient(kc, k8s.BatchV1Api, { requestTimeoutMs: bad })).toThrow(RangeError);
    }
    expect(makeApiClient(kc, k8s.BatchV1Api)).toBeInstanceOf(k8s.BatchV1Api);
  });
});

describe('answerBy (a per-call deadline)', () => {
  const neverAnswers = (): Promise<string> => serve(() => {});

  it('ends a call at its own deadline, long before the client would', async () => {
    const server = await neverAnswers();
    const batch = makeApiClient(kubeConfigFor(server), k8s.BatchV1Api); // the client's 30 s
    const failure = await batch.readNamespacedJob({ name: 'load', namespace: 'etl' }, answerBy(Date.now() + 200)).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failure as Error | undefined)?.name).toBe('TimeoutError');
    expect(classifyApiError(failure).verdict).toBe('retry');
  });

  it('keeps the client deadline when its own is later', async () => {
    const server = await neverAnswers();
    const batch = makeApiClient(kubeConfigFor(server), k8s.BatchV1Api, { requestTimeoutMs: 200 });
    await expect(
      batch.readNamespacedJob({ name: 'load', namespace: 'etl' }, answerBy(Date.now() + 60_000)),
    ).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('call-time options', () => {
  it('a patch with its own Content-Type header still has the client deadline (CLI annotate, CRD apply)', async () => {
    const seen: string[] = [];
    const server = await serve((req) => {
      seen.push(`${req.method} ${req.headers['content-type']}`);
    });
    const custom = makeApiClient(kubeConfigFor(server), k8s.CustomObjectsApi, { requestTimeoutMs: 200 });
    const patch = custom.patchNamespacedCustomObject(
      {
        group: 'conveyor.dev',
        version: 'v1alpha1',
        namespace: 'etl',
        plural: 'pipelines',
        name: 'nightly',
        body: { metadata: { annotations: { a: 'b' } } },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await expect(patch).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(seen).toEqual(['PATCH application/merge-patch+json']);
  });
});
