// Webhooks on every replica (issue 19 §1): two operator processes with --leader-elect, each with its
// own --webhook-address, as the chart's Service routes deliveries to any ready pod. The standby
// reconciles nothing, yet a delivery it receives starts exactly one run (the leader's watch sees
// the run request it wrote); a redelivery of it to the leader starts nothing, and two deliveries
// at once, one per replica, start one run each. "Nothing" is proved by the runs a later delivery
// makes, never waited for.
import { createHmac } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, RunSummary } from '../../src/api/types.ts';
import { webhookPath } from '../../src/webhook/path.ts';
import { clients, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { freePort, startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import { createPipeline, installCrd, pipeline, stage, waitForPipeline } from './support/pipelines.ts';

const c: Clients = clients();
const LEASE = 'conveyor-e2e-webhook-standby';
let ns: { name: string; cleanup: () => Promise<void> };
const operators: OperatorProcess[] = [];

beforeAll(async () => {
  await installCrd(c);
  ns = await testNamespace(c, 'webhook-standby');
});
afterAll(async () => {
  await Promise.all(operators.map((o) => o.stop()));
  await ns?.cleanup();
});

async function holder(): Promise<string | undefined> {
  const lease = await c.kc
    .makeApiClient(k8s.CoordinationV1Api)
    .readNamespacedLease({ name: LEASE, namespace: ns.name });
  return lease.spec?.holderIdentity ?? undefined;
}

/** An operator replica with leader election and a receiver on a port of its own. */
async function replica(name: string): Promise<{ process: OperatorProcess; base: string }> {
  const webhookPort = await freePort();
  const args = [
    '--leader-elect',
    '--leader-election-namespace',
    ns.name,
    '--leader-election-id',
    LEASE,
    '--lease-duration-seconds',
    '6',
    '--namespaces',
    ns.name,
    '--webhook-address',
    `127.0.0.1:${webhookPort}`,
  ];
  const process = await startOperatorProcess(`webhook-standby-${name}`, args, { POD_NAME: name });
  operators.push(process);
  return { process, base: `http://127.0.0.1:${webhookPort}` };
}

const sign = (token: string, body: string) => `sha256=${createHmac('sha256', token).update(body).digest('hex')}`;
const webhookRuns = (p: Pipeline): RunSummary[] => (p.status?.runs ?? []).filter((r) => r.trigger === 'webhook');

describe('webhooks on a standby replica', () => {
  it('a delivery to the standby starts exactly one run; replicas never start one twice or lose one', async () => {
    const leader = await replica('replica-a');
    await waitFor('replica-a to hold the lease', 30_000, async () => (await holder())?.startsWith('replica-a'));
    const standby = await replica('replica-b');
    // Ready (the helper waited for /readyz) means its receiver's cache is synced: an unknown path is
    // 404 at once, not 503.
    const unknown = await fetch(`${standby.base}/hook/${'0'.repeat(64)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);

    const token = 'standby-token-0123456789';
    await c.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'gh' }, stringData: { token } },
    });
    await createPipeline(
      c,
      ns.name,
      pipeline('on-push', {
        params: [{ name: 'commit', default: '' }],
        concurrencyPolicy: 'Allow',
        runHistoryLimit: 10,
        triggers: {
          webhook: {
            type: 'github',
            secretRef: { name: 'gh' },
            events: ['push'],
            params: [{ name: 'commit', from: '/head_commit/id' }],
          },
        },
        stages: [stage('build')],
      }),
    );
    const path = webhookPath(token, 'on-push', ns.name);
    await waitForPipeline(c, ns.name, 'on-push', 'status.webhook.path', (p) => p.status?.webhook?.path === path);
    // The standby knows the path once its own cache and Secret read have it: a wrong content type is
    // then refused for what it is (415), where an unknown path is 404 and an unsynced cache 503.
    await waitFor('the standby to know the path', 30_000, async () => {
      const res = await fetch(`${standby.base}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
      return res.status === 415;
    });

    const push = async (base: string, id: string, commit: string): Promise<number> => {
      const body = JSON.stringify({ ref: 'refs/heads/main', head_commit: { id: commit } });
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': sign(token, body),
          'x-github-event': 'push',
          'x-github-delivery': id,
        },
        body,
      });
      return res.status;
    };
    const runs = async (n: number, what: string): Promise<Pipeline> =>
      waitForPipeline(c, ns.name, 'on-push', what, (p) => webhookRuns(p).length >= n);

    expect(await push(standby.base, 'd-1', 'c1')).toBe(202);
    const first = await runs(1, 'the run the standby asked for');
    expect(first.status?.lastRun).toMatchObject({ trigger: 'webhook', params: { commit: 'c1' } });
    expect(first.status?.lastRunRequest).toBe('webhook:d-1');

    // The same delivery again, at the leader this time (a sender retrying on another pod): nothing new.
    expect(await push(leader.base, 'd-1', 'c1')).toBe(200);
    // The proof: the next delivery, at the leader, makes exactly one more run.
    expect(await push(leader.base, 'd-2', 'c2')).toBe(202);
    const second = await runs(2, 'the run the leader asked for');
    expect(
      webhookRuns(second)
        .map((r) => r.params?.commit)
        .sort(),
    ).toEqual(['c1', 'c2']);
    expect(second.status?.lastRun).toMatchObject({ trigger: 'webhook', params: { commit: 'c2' } });

    // Two deliveries at once, one per replica: both are written (one after the other: the second
    // waits until the planner handled the first), and each starts its run.
    const both = await Promise.all([push(leader.base, 'd-3', 'c3'), push(standby.base, 'd-4', 'c4')]);
    expect(both).toEqual([202, 202]);
    const all = await waitForPipeline(c, ns.name, 'on-push', 'four deliveries recorded', (p) =>
      ['d-1', 'd-2', 'd-3', 'd-4'].every((id) => p.status?.webhook?.deliveries?.some((d) => d.id === id)),
    );
    expect(
      webhookRuns(all)
        .map((r) => r.params?.commit)
        .sort(),
    ).toEqual(['c1', 'c2', 'c3', 'c4']);
    expect(all.status?.webhook?.deliveries?.map((d) => d.outcome)).toEqual(Array(4).fill('Started'));
    // The standby stayed a standby throughout: it served deliveries without leading.
    expect(await holder()).toMatch(/^replica-a/);
  });
});
