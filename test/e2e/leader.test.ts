// Two operator processes with leader election: one acts; when the leader is killed, the other
// takes over the Lease and finishes the run, and no stage ever gets a second Job.
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import { createPipeline, installCrd, pipeline, runsFor, stageJobs, waitForPipeline } from './support/pipelines.ts';

const c: Clients = clients();
const LEASE_SECONDS = 6;
let ns: { name: string; cleanup: () => Promise<void> };
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  await installCrd(c);
  ns = await testNamespace(c, 'leader');
});
afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop()));
  await ns?.cleanup();
});

async function holder(): Promise<string | undefined> {
  const lease = await c.kc
    .makeApiClient((await import('@kubernetes/client-node')).CoordinationV1Api)
    .readNamespacedLease({ name: 'conveyor-e2e-leader', namespace: ns.name });
  return lease.spec?.holderIdentity ?? undefined;
}

describe('leader election', () => {
  it('hands over to the standby when the leader dies, without duplicate Jobs', async () => {
    const args = [
      '--leader-elect',
      '--leader-election-namespace',
      ns.name,
      '--leader-election-id',
      'conveyor-e2e-leader',
      '--lease-duration-seconds',
      String(LEASE_SECONDS),
      '--namespaces',
      ns.name,
    ];
    const first = await startOperatorProcess('leader-a', args, { POD_NAME: 'replica-a' });
    operators.push(first);
    await waitFor('replica-a to hold the lease', 30_000, async () => (await holder())?.startsWith('replica-a'));
    const second = await startOperatorProcess('leader-b', args, { POD_NAME: 'replica-b' });
    operators.push(second);

    const stages = Array.from({ length: 6 }, (_, i) => ({
      name: `s${i}`,
      image: 'busybox:1.36',
      command: ['sleep', '2'],
      podTemplate: runsFor(2),
      ...(i > 0 ? { dependsOn: [`s${i - 1}`] } : {}),
    }));
    await createPipeline(c, ns.name, pipeline('relay', { stages }));
    await waitFor('stage s1 Job', 60_000, async () =>
      (await stageJobs(c, ns.name, 'relay')).some((j) => j.metadata?.labels?.['conveyor.dev/stage'] === 's1'),
    );
    // Only the leader acts: the standby logs no created Job.
    expect(await holder()).toMatch(/^replica-a/);

    await first.kill();
    await waitFor('replica-b to take the lease over', LEASE_SECONDS * 3 * 1000, async () =>
      (await holder())?.startsWith('replica-b'),
    );
    const done = await waitForPipeline(
      c,
      ns.name,
      'relay',
      'phase Succeeded',
      (p) => p.status?.phase === 'Succeeded',
      120_000,
    );
    expect(done.status?.progress).toBe('6/6');
    const jobs = await stageJobs(c, ns.name, 'relay');
    const perStage = new Map<string, k8s.V1Job[]>();
    for (const j of jobs) {
      const s = j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
      perStage.set(s, [...(perStage.get(s) ?? []), j]);
    }
    for (const s of stages) expect(perStage.get(s.name)?.length, `jobs of ${s.name}`).toBe(1);
  });
});
