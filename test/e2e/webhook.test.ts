// Webhook triggers end to end (issue 19 §1): the operator runs with --webhook-address on a free
// loopback port; deliveries are signed here as GitHub, an hmac sender and a bucket's notifier
// would sign them. A delivery starts a run with the mapped params; the same delivery again starts
// nothing; each hostile input gets its bare status code, is counted, and creates nothing. "Nothing"
// is proved, never waited for: a good delivery sent afterwards makes exactly one more run.
import { randomUUID } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, RunSummary } from '../../src/api/types.ts';
import { clients, type Clients } from './support/kube.ts';
import { freePort, operatorSuite } from './support/operator.ts';
import { installCrd, pipeline, stage, waitForPipeline } from './support/pipelines.ts';
import { createHooked, githubPush, postDelivery, type Sent, sign, tokenSecret } from './support/webhook.ts';
import { outcomesOf } from './support/webhook-traffic.ts';

const c: Clients = clients();
const webhookPort = await freePort();
const suite = operatorSuite(c, 'webhook', ['github', 'hostile', 'bucket'], () => installCrd(c), [
  '--webhook-address',
  `127.0.0.1:${webhookPort}`,
]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const base = `http://127.0.0.1:${webhookPort}`;
const secret = (namespace: string, name: string, token: string) => tokenSecret(c, namespace, name, token);
const hooked = (namespace: string, p: Pipeline, token: string) => createHooked(c, namespace, p, token);
const post = (path: string, body: string, headers: Record<string, string>, method = 'POST'): Promise<Sent> =>
  postDelivery(base, path, body, headers, method);

/** The runs deliveries started (a Pipeline without a schedule also runs once when created). */
const runsOf = (p: Pipeline): RunSummary[] => (p.status?.runs ?? []).filter((r) => r.trigger === 'webhook');

/** Waits until the Pipeline has `n` runs, then returns them. */
async function runs(namespace: string, name: string, n: number): Promise<RunSummary[]> {
  const p = await waitForPipeline(c, namespace, name, `${n} runs`, (x) => runsOf(x).length >= n);
  return runsOf(p);
}
const commits = (list: RunSummary[]) => list.map((r) => r.params?.commit).sort();

const deliveries = (): Promise<Map<string, number>> => outcomesOf(suite.operator().port);

const PARAMS = [
  { name: 'commit', default: '' },
  { name: 'table', default: 'orders', enum: ['orders', 'users'] },
];

describe.concurrent('webhook triggers', () => {
  it('a signed GitHub push starts a run with the mapped params; the same delivery again starts nothing', async () => {
    const n = suite.ns('github');
    const token = `gh-${randomUUID()}`;
    await secret(n, 'gh', token);
    const path = await hooked(
      n,
      pipeline('on-push', {
        params: PARAMS,
        concurrencyPolicy: 'Allow',
        runHistoryLimit: 10,
        triggers: {
          webhook: {
            type: 'github',
            secretRef: { name: 'gh' },
            events: ['push'],
            filter: [{ field: '/ref', equals: 'refs/heads/main' }],
            params: [{ name: 'commit', from: '/head_commit/id' }],
          },
        },
        stages: [stage('build')],
      }),
      token,
    );
    const push = (id: string, commit: string) =>
      githubPush(base, path, token, id, { ref: 'refs/heads/main', head_commit: { id: commit } });
    const first = await push('d-1', 'abc123');
    expect(first.status).toBe(202);
    expect(JSON.parse(first.body)).toEqual({ pipeline: `${n}/on-push`, delivery: 'd-1', request: 'webhook:d-1' });
    const [run1] = await runs(n, 'on-push', 1);
    expect(run1).toMatchObject({ trigger: 'webhook', params: { commit: 'abc123', table: 'orders' } });

    // GitHub's "Redeliver": the same id, the same body.
    expect((await push('d-1', 'abc123')).status).toBe(200);
    // The proof that it started nothing: a new delivery makes the second run, and there are two.
    expect((await push('d-2', 'def456')).status).toBe(202);
    const all = await runs(n, 'on-push', 2);
    expect(all).toHaveLength(2);
    expect(commits(all)).toEqual(['abc123', 'def456']);
    expect(all.every((r) => r.trigger === 'webhook')).toBe(true);
    const p = await waitForPipeline(
      c,
      n,
      'on-push',
      'both deliveries recorded',
      (x) => (x.status?.webhook?.deliveries ?? []).length >= 2,
    );
    expect(p.status?.webhook?.deliveries?.map((d) => [d.id, d.outcome])).toEqual([
      ['d-2', 'Started'],
      ['d-1', 'Started'],
    ]);
    expect(runsOf(p)).toHaveLength(2);
  });

  it('each hostile input is answered with its status code, counted, and creates nothing', async () => {
    const n = suite.ns('hostile');
    const token = `hm-${randomUUID()}`;
    await secret(n, 'hm', token);
    const path = await hooked(
      n,
      pipeline('guarded', {
        params: PARAMS,
        concurrencyPolicy: 'Allow',
        runHistoryLimit: 10,
        triggers: {
          webhook: {
            type: 'hmac',
            secretRef: { name: 'hm' },
            params: [
              { name: 'commit', from: '/commit' },
              { name: 'table', from: '/table' },
            ],
          },
        },
        stages: [stage('load')],
      }),
      token,
    );
    const good = (commit: string, table = 'users') => JSON.stringify({ commit, table });
    const signed = (body: string) => ({ 'x-signature': sign(token, body) });
    const before = await deliveries();
    expect((await post(path, good('c1'), signed(good('c1')))).status).toBe(202);
    await runs(n, 'guarded', 1);

    const huge = JSON.stringify({ commit: 'x'.repeat(1024 * 1024), table: 'users' });
    const cases: [string, Promise<Sent>, number, string][] = [
      [
        'wrong signature',
        post(path, good('c2'), { 'x-signature': sign('not-the-token', good('c2')) }),
        403,
        'bad_signature',
      ],
      ['missing signature', post(path, good('c3'), {}), 401, 'bad_signature'],
      ['replayed delivery', post(path, good('c1'), signed(good('c1'))), 200, 'duplicate'],
      ['body over 1 MiB', post(path, huge, signed(huge)), 413, 'too_large'],
      ['a mapped param missing', post(path, '{"table":"users"}', signed('{"table":"users"}')), 422, 'bad_params'],
      ['a param outside its enum', post(path, good('c4', 'bogus'), signed(good('c4', 'bogus'))), 422, 'bad_params'],
      ['wrong method', post(path, '', {}, 'GET'), 405, 'bad_method'],
      [
        'wrong content type',
        post(path, good('c5'), { ...signed(good('c5')), 'content-type': 'text/plain' }),
        415,
        'bad_content_type',
      ],
      ['unknown path', post(`/hook/${'0'.repeat(64)}`, good('c6'), signed(good('c6'))), 404, 'unknown_path'],
    ];
    for (const [what, sent, status] of cases) expect((await sent).status, what).toBe(status);

    // Nothing was created: one more good delivery makes exactly one more run, the second.
    expect((await post(path, good('c7', 'orders'), signed(good('c7', 'orders')))).status).toBe(202);
    const all = await runs(n, 'guarded', 2);
    expect(commits(all)).toEqual(['c1', 'c7']);

    const after = await deliveries();
    const delta = (o: string) => (after.get(o) ?? 0) - (before.get(o) ?? 0);
    const expected = new Map<string, number>([['accepted', 2]]);
    for (const [, , , outcome] of cases) expected.set(outcome, (expected.get(outcome) ?? 0) + 1);
    // Other tests of this file run alongside: at least these, and exactly these where only this test sends.
    for (const [outcome, count] of expected) expect(delta(outcome), outcome).toBeGreaterThanOrEqual(count);
    for (const outcome of [
      'bad_signature',
      'too_large',
      'bad_params',
      'bad_method',
      'bad_content_type',
      'unknown_path',
    ])
      expect(delta(outcome), outcome).toBe(expected.get(outcome));

    // The refusals on a known Pipeline are Warning Events on it (one per outcome per minute).
    const events = (await c.core.listNamespacedEvent({ namespace: n, fieldSelector: 'involvedObject.name=guarded' }))
      .items;
    const refused = events.filter((e: k8s.CoreV1Event) => e.reason === 'WebhookRefused').map((e) => e.message ?? '');
    for (const outcome of ['bad_signature', 'too_large', 'bad_params', 'bad_content_type'])
      expect(
        refused.some((m) => m.includes(`: ${outcome}:`)),
        outcome,
      ).toBe(true);
    expect(refused.filter((m) => m.includes(': bad_signature:'))).toHaveLength(1);
  });

  it('a bucket notification starts a run for the object that landed', async () => {
    const n = suite.ns('bucket');
    const token = `s3-${randomUUID()}`;
    await secret(n, 'minio', token);
    const path = await hooked(
      n,
      pipeline('on-file', {
        params: [{ name: 'bucket' }, { name: 'key' }],
        triggers: {
          webhook: {
            type: 'hmac',
            secretRef: { name: 'minio' },
            bucketNotification: { bucketParam: 'bucket', keyParam: 'key', prefix: 'raw/orders/', suffix: '.csv' },
          },
        },
        stages: [stage('load')],
      }),
      token,
    );
    const record = (key: string) => ({
      eventName: 's3:ObjectCreated:Put',
      s3: { bucket: { name: 'raw' }, object: { key } },
    });
    const body = JSON.stringify({ Records: [record('raw/tmp/ignored.csv'), record('raw/orders/2026-12-06+eu.csv')] });
    const sent = await post(path, body, { 'x-signature': sign(token, body) });
    expect(sent.status).toBe(202);
    const [run] = await runs(n, 'on-file', 1);
    expect(run).toMatchObject({ trigger: 'webhook', params: { bucket: 'raw', key: 'raw/orders/2026-12-06 eu.csv' } });
  });
});
