// The local control plane behaves like a real cluster for what Conveyor relies on: the Job,
// CronJob and garbage-collector controllers run, and KWOK drives pod outcomes from annotations.
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, jobCondition, onKwok, testNamespace, waitFor, type Clients } from './support/kube.ts';

const c: Clients = clients();
let ns: { name: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  ns = await testNamespace(c, 'smoke');
});
afterAll(async () => {
  await ns?.cleanup();
});

function job(
  name: string,
  opts: { annotations?: Record<string, string>; backoffLimit?: number; command?: string[] } = {},
): k8s.V1Job {
  return {
    metadata: { name },
    spec: {
      backoffLimit: opts.backoffLimit ?? 0,
      template: {
        metadata: { annotations: opts.annotations ?? {} },
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'main', image: 'busybox:1.36', command: opts.command ?? ['true'] }],
        },
      },
    },
  };
}

async function readJob(name: string): Promise<k8s.V1Job> {
  return c.batch.readNamespacedJob({ name, namespace: ns.name });
}

describe.concurrent('local cluster smoke', () => {
  it('runs a one-pod Job to Complete', async () => {
    await c.batch.createNamespacedJob({ namespace: ns.name, body: job('ok') });
    const done = await waitFor('Job ok Complete', 60_000, async () => {
      const j = await readJob('ok');
      return jobCondition(j, 'Complete') ? j : undefined;
    });
    expect(done.status?.succeeded).toBe(1);
    expect(jobCondition(done, 'Failed')).toBe(false);
  });

  it('fails a Job whose pod carries the fail annotation, with the chosen exit code, after backoffLimit', async () => {
    await c.batch.createNamespacedJob({
      namespace: ns.name,
      body: job('fails', {
        backoffLimit: 1,
        annotations: { 'kwok.conveyor.dev/fail-exit-code': '3' },
        command: ['sh', '-c', 'exit 3'],
      }),
    });
    const failed = await waitFor('Job fails Failed', 90_000, async () => {
      const j = await readJob('fails');
      return jobCondition(j, 'Failed') ? j : undefined;
    });
    // backoffLimit 1 means two pods in all, both failed.
    expect(failed.status?.failed).toBe(2);
    expect(failed.status?.conditions?.find((x) => x.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
    const pods = await c.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=fails' });
    expect(pods.items.length).toBe(2);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Failed');
      expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    }
  });

  it('keeps a pod with the duration annotation running at least that long', async () => {
    const seconds = 5;
    await c.batch.createNamespacedJob({
      namespace: ns.name,
      body: job('slow', {
        annotations: { 'kwok.conveyor.dev/run-duration': `${seconds}s` },
        command: ['sleep', String(seconds)],
      }),
    });
    // While the duration has not passed, the pod is Running and the Job not finished.
    const running = await waitFor('pod of slow Running', 60_000, async () => {
      const pods = await c.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=slow' });
      const pod = pods.items[0];
      return pod?.status?.phase === 'Running' ? pod : undefined;
    });
    expect(jobCondition(await readJob('slow'), 'Complete')).toBe(false);
    const done = await waitFor('Job slow Complete', 60_000, async () => {
      const j = await readJob('slow');
      return jobCondition(j, 'Complete') ? j : undefined;
    });
    const pods = await c.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'job-name=slow' });
    const terminated = pods.items[0]?.status?.containerStatuses?.[0]?.state?.terminated;
    const started = new Date(String(running.status?.containerStatuses?.[0]?.state?.running?.startedAt)).getTime();
    const finished = new Date(String(terminated?.finishedAt)).getTime();
    // Timestamps have one-second resolution: allow for rounding on both ends.
    expect(finished - started).toBeGreaterThanOrEqual((seconds - 1) * 1000);
    expect(done.status?.succeeded).toBe(1);
  });

  it('creates a Job from a CronJob scheduled every minute within 90 seconds', async () => {
    await c.batch.createNamespacedCronJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'every-minute' },
        spec: { schedule: '* * * * *', jobTemplate: { spec: job('unused').spec } },
      },
    });
    const created = await waitFor(
      'a Job owned by CronJob every-minute',
      90_000,
      async () => {
        const jobs = await c.batch.listNamespacedJob({ namespace: ns.name });
        return jobs.items.find((j) =>
          j.metadata?.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === 'every-minute'),
        );
      },
      1000,
    );
    expect(created.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBeTruthy();
  });

  it('deletes a Job when its owner is deleted (garbage collector)', async () => {
    const owner = await c.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'owner' } } });
    const body = job('owned');
    body.metadata!.ownerReferences = [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, blockOwnerDeletion: true },
    ];
    await c.batch.createNamespacedJob({ namespace: ns.name, body });
    await readJob('owned');
    await c.core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
    await waitFor('Job owned to be garbage-collected', 60_000, async () => {
      const jobs = await c.batch.listNamespacedJob({ namespace: ns.name });
      return !jobs.items.some((j) => j.metadata?.name === 'owned');
    });
  });

  it.runIf(onKwok())('has two Ready fake nodes', async () => {
    const nodes = await c.core.listNode();
    const ready = nodes.items.filter((n) =>
      n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
    );
    expect(ready.length).toBeGreaterThanOrEqual(2);
  });
});
