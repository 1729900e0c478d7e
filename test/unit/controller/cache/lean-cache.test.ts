// The operator's lean caches: Jobs slimmed to the fields the planner reads, lists read in pages,
// and API requests classified by verb and resource (writes apart from reads and watches).
import { describe, expect, it } from 'vitest';
import type { KubernetesListObject, V1Job } from '@kubernetes/client-node';
import { slimJob, slimPipeline } from '../../../../src/controller/cache/drop-unread-fields.ts';
import { listInPages, withoutManagedFields, type ListPage } from '../../../../src/kube/informer.ts';
import { classifyRequest } from '../../../../src/kube/request-counter.ts';
import { readJob, isSuspendedJob } from '../../../../src/plan/observed.ts';

const fullJob = (): V1Job => ({
  metadata: {
    name: 'p-s0',
    namespace: 'data',
    labels: { 'conveyor.dev/stage': 's0' },
    annotations: { a: 'b' },
    ownerReferences: [{ apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', name: 'p', uid: 'u', controller: true }],
  },
  spec: {
    suspend: true,
    activeDeadlineSeconds: 30,
    backoffLimit: 0,
    template: {
      metadata: { labels: { x: 'y' } },
      spec: {
        restartPolicy: 'Never',
        containers: [
          { name: 'stage', image: 'busybox', command: ['true'], env: [{ name: 'A', value: 'x'.repeat(1000) }] },
        ],
      },
    },
  },
  status: {
    failed: 1,
    ready: 0,
    terminating: 0,
    uncountedTerminatedPods: {},
    startTime: new Date('2025-12-31T23:59:00Z'),
    conditions: [
      {
        type: 'FailureTarget',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'x',
        lastProbeTime: new Date('2026-01-01T00:00:00Z'),
        lastTransitionTime: new Date('2026-01-01T00:00:00Z'),
      },
      {
        type: 'Failed',
        status: 'True',
        reason: 'DeadlineExceeded',
        message: 'Job was active longer than specified deadline',
        lastProbeTime: new Date('2026-01-01T00:00:00Z'),
        lastTransitionTime: new Date('2026-01-01T00:00:00Z'),
      },
    ],
  },
});

describe('slimJob', () => {
  it('keeps metadata, suspend and activeDeadlineSeconds, counts, times and the Complete/Failed conditions', () => {
    const job = fullJob();
    slimJob(job);
    expect(job.spec).toEqual({ suspend: true, activeDeadlineSeconds: 30 });
    expect(job.metadata).toEqual(fullJob().metadata);
    expect(job.status).toEqual({
      failed: 1,
      startTime: new Date('2025-12-31T23:59:00Z'),
      conditions: [
        {
          type: 'Failed',
          status: 'True',
          reason: 'DeadlineExceeded',
          message: 'Job was active longer than specified deadline',
          lastTransitionTime: new Date('2026-01-01T00:00:00Z'),
        },
      ],
    });
  });

  it('the planner reads a slimmed Job exactly as the full one', () => {
    const complete: V1Job['status'] = {
      succeeded: 1,
      startTime: new Date('2026-01-01T00:00:00Z'),
      completionTime: new Date('2026-01-01T00:00:09Z'),
      conditions: [
        { type: 'SuccessCriteriaMet', status: 'True' },
        { type: 'Complete', status: 'True', lastTransitionTime: new Date('2026-01-01T00:00:10Z') },
      ],
    };
    const cases: V1Job[] = [
      fullJob(),
      { ...fullJob(), status: {} },
      { ...fullJob(), spec: { ...fullJob().spec!, suspend: false }, status: { active: 1 } },
      { ...fullJob(), spec: { ...fullJob().spec!, suspend: false }, status: complete },
      {
        ...fullJob(),
        spec: { ...fullJob().spec!, suspend: false },
        status: { ...complete, completionTime: undefined },
      },
    ];
    for (const job of cases) {
      const slim = structuredClone(job);
      slimJob(slim);
      expect(readJob(slim)).toEqual(readJob(job));
      expect(isSuspendedJob(slim)).toBe(isSuspendedJob(job));
      // The same Job as the server's JSON (lists and watches since json-list.ts): string
      // timestamps, read the same as client-node's Date objects.
      const json = JSON.parse(JSON.stringify(job)) as V1Job;
      expect(typeof (json.status?.startTime ?? '')).toBe('string');
      slimJob(json);
      expect(readJob(json)).toEqual(readJob(job));
      expect(isSuspendedJob(json)).toBe(isSuspendedJob(job));
    }
  });

  it('is idempotent, and leaves a Job without a spec alone', () => {
    const job = fullJob();
    slimJob(job);
    const once = structuredClone(job);
    slimJob(job);
    expect(job).toEqual(once);
    const bare: V1Job = { metadata: { name: 'x' } };
    slimJob(bare);
    expect(bare).toEqual({ metadata: { name: 'x' } });
  });
});

describe('slimPipeline', () => {
  const LAST = 'kubectl.kubernetes.io/last-applied-configuration';
  const cases: {
    title: string;
    annotations: Record<string, string> | undefined;
    want: Record<string, string> | undefined;
  }[] = [
    {
      title: 'drops the last-applied copy, keeps the rest',
      annotations: { [LAST]: '{"spec":{}}', 'conveyor.dev/run-requested': 'A' },
      want: { 'conveyor.dev/run-requested': 'A' },
    },
    { title: 'leaves a Pipeline without it alone', annotations: { a: 'b' }, want: { a: 'b' } },
    { title: 'and one without annotations', annotations: undefined, want: undefined },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const p = {
        metadata: { name: 'p', ...(c.annotations ? { annotations: { ...c.annotations } } : {}) },
        spec: { stages: [] },
      };
      slimPipeline(p);
      slimPipeline(p);
      expect(p.metadata.annotations).toEqual(c.want);
      expect(p.spec).toEqual({ stages: [] });
    });
  }
});

describe('withoutManagedFields', () => {
  it('copies every other field of the metadata, in order, and leaves the original as it was', () => {
    const managedFields = [{ manager: 'kubectl', operation: 'Update' }];
    const metadata = {
      name: 'j',
      namespace: 'n',
      uid: 'u',
      labels: { a: 'b' },
      managedFields,
      annotations: { c: 'd' },
    };
    const kept = withoutManagedFields(metadata);
    expect(Object.keys(kept)).toEqual(['name', 'namespace', 'uid', 'labels', 'annotations']);
    expect(kept.labels).toBe(metadata.labels);
    expect(metadata.managedFields).toBe(managedFields);
  });
});

describe('listInPages', () => {
  const pages = (n: number, size: number) => {
    const calls: ListPage[] = [];
    const list = async (page?: ListPage): Promise<KubernetesListObject<V1Job>> => {
      calls.push(page!);
      const start = page?._continue ? Number(page._continue) : 0;
      const items = Array.from(
        { length: Math.min(size, n - start) },
        (_, i) => ({ metadata: { name: `j${start + i}` }, spec: { template: {} } }) as V1Job,
      );
      const next = start + size < n ? String(start + size) : undefined;
      return {
        apiVersion: 'v1',
        kind: 'List',
        metadata: { resourceVersion: `rv-${start}`, ...(next ? { _continue: next } : {}) },
        items,
      };
    };
    return { list, calls };
  };

  const cases = [
    { title: 'one short page', n: 3, size: 5, want: 1 },
    { title: 'exactly one full page', n: 5, size: 5, want: 1 },
    { title: 'several pages, the last partial', n: 12, size: 5, want: 3 },
    { title: 'empty', n: 0, size: 5, want: 1 },
  ];
  for (const c of cases) {
    it(`${c.title}: every item once, slimmed, the last page's resourceVersion`, async () => {
      const { list, calls } = pages(c.n, c.size);
      const slimmed: string[] = [];
      const result = await listInPages(list, (j) => (slimmed.push(j.metadata!.name!), j), c.size);
      expect(calls.length).toBe(c.want);
      expect(calls.every((p) => p.limit === c.size)).toBe(true);
      expect(result.items.map((j) => j.metadata?.name)).toEqual(Array.from({ length: c.n }, (_, i) => `j${i}`));
      expect(slimmed).toEqual(result.items.map((j) => j.metadata?.name));
      expect(result.metadata?.resourceVersion).toBe(`rv-${(c.want - 1) * c.size}`);
      expect(result.metadata?._continue).toBeUndefined();
    });
  }

  it("a custom objects list (the server's JSON: metadata.continue) is read to its last page", async () => {
    const calls: (string | undefined)[] = [];
    const list = async (page?: ListPage): Promise<KubernetesListObject<V1Job>> => {
      calls.push(page?._continue);
      const next = page?._continue ? undefined : 'token-2';
      return {
        apiVersion: 'v1',
        kind: 'List',
        metadata: { resourceVersion: '9', ...(next ? { continue: next } : {}) } as never,
        items: [{ metadata: { name: next ? 'a' : 'b' } }],
      };
    };
    const result = await listInPages(list, (j) => j, 1);
    expect(calls).toEqual([undefined, 'token-2']);
    expect(result.items.map((j) => j.metadata?.name)).toEqual(['a', 'b']);
  });

  it('a list that ignores the page is read in one request', async () => {
    let calls = 0;
    const result = await listInPages(
      async () => (
        calls++,
        { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'a' } }] }
      ),
      (j) => j,
    );
    expect(calls).toBe(1);
    expect(result.items).toHaveLength(1);
  });
});

describe('classifyRequest', () => {
  const base = 'https://127.0.0.1:6443';
  const cases: [string, string, string, string][] = [
    ['POST', '/apis/batch/v1/namespaces/data/jobs', 'POST', 'jobs'],
    ['PUT', '/apis/conveyor.dev/v1alpha1/namespaces/data/pipelines/p/status', 'PUT', 'pipelines/status'],
    ['POST', '/api/v1/namespaces/data/events', 'POST', 'events'],
    ['GET', '/apis/batch/v1/namespaces/data/jobs?labelSelector=a%3Db&watch=true&resourceVersion=5', 'WATCH', 'jobs'],
    ['GET', '/apis/batch/v1/jobs?labelSelector=a&limit=500', 'GET', 'jobs'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/conveyor', 'PUT', 'leases'],
    ['DELETE', '/api/v1/namespaces/data', 'DELETE', 'namespaces'],
    ['GET', '/version', 'GET', 'other'],
    ['patch', '/apis/batch/v1/namespaces/data/jobs/p-s0', 'PATCH', 'jobs'],
  ];
  for (const [method, path, verb, resource] of cases) {
    it(`${method} ${path} → ${verb} ${resource}`, () => {
      expect(classifyRequest(method, `${base}${path}`)).toEqual({ verb, resource });
    });
  }
});
