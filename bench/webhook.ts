// --scenario webhook: the webhook receiver under load on loopback. N Pipelines (default 100) with
// an hmac webhook; --good signed deliveries (default 1,000, spread evenly over the Pipelines, each
// with its own `seq` param) interleaved with --bad hostile ones (default 10,000: wrong and missing
// signatures, unknown paths, GET, a text body, bad params, and a few bodies over 1 MiB), sent by
// --concurrency clients at once (default 32). A good delivery answered 429 or 503 is sent again
// after its Retry-After, as a sender would. Asserts that every good delivery became exactly one
// run (one Job with its seq) and every bad one got its status code; reports deliveries/s, the
// time from a good delivery's first send to its run's Job being seen by a watch, and the
// operator's RSS before and after.
import { createHmac } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import type { Pipeline } from '../src/api/types.ts';
import { webhookPath } from '../src/webhook/path.ts';
import {
  createRetrying,
  header,
  log,
  memoryOf,
  pcts,
  pool,
  rssOf,
  sleep,
  stagesOf,
  startOperator,
  withCluster,
  type Clients,
} from './lib.ts';

export type WebhookBenchOptions = {
  pipelines: number;
  good: number;
  bad: number;
  concurrency: number;
  workers: number;
  command: string;
  publish: (report: string) => void;
};

const TOKEN = 'bench-webhook-token';
const sign = (body: string) => `sha256=${createHmac('sha256', TOKEN).update(body).digest('hex')}`;

type Delivery =
  | { kind: 'good'; path: string; seq: string; body: string }
  | {
      kind: 'bad';
      what: string;
      path: string;
      method: string;
      headers: Record<string, string>;
      body?: string;
      expect: number;
    };

/** The hostile kinds, in turn; every 100th bad delivery is a body over 1 MiB. */
function badDelivery(i: number, path: string): Delivery {
  const body = JSON.stringify({ seq: `bad-${i}` });
  const json = { 'content-type': 'application/json' };
  if (i % 100 === 99) {
    const big = JSON.stringify({ seq: 'x'.repeat(1024 * 1024) });
    return {
      kind: 'bad',
      what: 'too large',
      path,
      method: 'POST',
      headers: { ...json, 'x-signature': sign(big) },
      body: big,
      expect: 413,
    };
  }
  const kinds: Delivery[] = [
    {
      kind: 'bad',
      what: 'wrong signature',
      path,
      method: 'POST',
      headers: { ...json, 'x-signature': sign(`${body} `) },
      body,
      expect: 403,
    },
    { kind: 'bad', what: 'no signature', path, method: 'POST', headers: json, body, expect: 401 },
    {
      kind: 'bad',
      what: 'unknown path',
      path: `/hook/${i.toString(16).padStart(64, 'f')}`,
      method: 'POST',
      headers: { ...json, 'x-signature': sign(body) },
      body,
      expect: 404,
    },
    { kind: 'bad', what: 'GET', path, method: 'GET', headers: {}, expect: 405 },
    {
      kind: 'bad',
      what: 'text body',
      path,
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-signature': sign(body) },
      body,
      expect: 415,
    },
    {
      kind: 'bad',
      what: 'bad params',
      path,
      method: 'POST',
      headers: { ...json, 'x-signature': sign('{}') },
      body: '{}',
      expect: 422,
    },
  ];
  return kinds[i % kinds.length]!;
}

async function createPipelines(c: Clients, namespace: string, count: number): Promise<string[]> {
  await c.core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'hook' }, stringData: { token: TOKEN } },
  });
  const names = Array.from({ length: count }, (_, i) => `wh-${i}`);
  await pool(names, 16, (name) =>
    createRetrying(name, () =>
      c.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'Pipeline',
          metadata: { name },
          spec: {
            params: [{ name: 'seq', default: '' }],
            concurrencyPolicy: 'Allow',
            runHistoryLimit: 100,
            triggers: {
              webhook: { type: 'hmac', secretRef: { name: 'hook' }, params: [{ name: 'seq', from: '/seq' }] },
            },
            stages: stagesOf(1, 'chain'),
          },
        },
      }),
    ),
  );
  return names;
}

async function listPipelines(c: Clients, namespace: string): Promise<Pipeline[]> {
  const list = (await c.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
  })) as { items: Pipeline[] };
  return list.items;
}

/** Each Job's run seq (its conveyor.dev/params annotation) and when the watch first saw it. */
function watchRuns(
  c: Clients,
  namespace: string,
): { seen: Map<string, number>; jobs: Map<string, string[]>; informer: k8s.Informer<k8s.V1Job> } {
  const seen = new Map<string, number>();
  const jobs = new Map<string, string[]>();
  const informer = k8s.makeInformer<k8s.V1Job>(c.kc, `/apis/batch/v1/namespaces/${namespace}/jobs`, () =>
    c.batch.listNamespacedJob({ namespace }),
  );
  informer.on('add', (j) => {
    const now = performance.now();
    const seq = (JSON.parse(j.metadata?.annotations?.['conveyor.dev/params'] ?? '{}') as { seq?: string }).seq ?? '';
    if (!seen.has(seq)) seen.set(seq, now);
    jobs.set(seq, [...(jobs.get(seq) ?? []), j.metadata?.name ?? '']);
  });
  informer.on('error', () => setTimeout(() => void informer.start().catch(() => undefined), 1000));
  return { seen, jobs, informer };
}

type Sent = {
  firstSentAt: Map<string, number>;
  retries: number;
  wrong: string[];
  statuses: Map<string, number>;
  badSeconds: number;
};

/**
 * Good and bad deliveries from separate pools of clients (independent senders: a good one waiting
 * for its Pipeline's previous request does not hold up the hostile traffic), each bounded.
 * A too-large body may see its connection closed before its 413 arrives (the receiver answers and
 * closes without reading the rest): counted as such, and checked against the operator's metric.
 */
async function send(base: string, deliveries: Delivery[], concurrency: number, goodConcurrency: number): Promise<Sent> {
  const out: Sent = { firstSentAt: new Map(), retries: 0, wrong: [], statuses: new Map(), badSeconds: 0 };
  const tally = (k: string) => out.statuses.set(k, (out.statuses.get(k) ?? 0) + 1);
  const bad = async (d: Extract<Delivery, { kind: 'bad' }>) => {
    const init = { method: d.method, headers: d.headers, ...(d.body !== undefined ? { body: d.body } : {}) };
    const status = await fetch(`${base}${d.path}`, init).then(
      async (res) => (await res.text(), res.status),
      () => -1,
    );
    tally(`${d.what} → ${status === -1 ? 'connection closed' : status}`);
    if (status !== d.expect && !(status === -1 && d.expect === 413))
      out.wrong.push(`${d.what}: ${status}, expected ${d.expect}`);
  };
  const good = async (d: Extract<Delivery, { kind: 'good' }>) => {
    out.firstSentAt.set(d.seq, performance.now());
    for (;;) {
      const res = await fetch(`${base}${d.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-signature': sign(d.body) },
        body: d.body,
      });
      await res.text();
      if (res.status === 202 || res.status === 200) {
        tally(`good → ${res.status}`);
        return;
      }
      if (res.status !== 429 && res.status !== 503) {
        out.wrong.push(`good ${d.seq}: ${res.status}`);
        return;
      }
      out.retries++;
      await sleep(Math.min(10, Number(res.headers.get('retry-after') ?? 1)) * 1000);
    }
  };
  await Promise.all([
    (async () => {
      const started = performance.now();
      await pool(
        deliveries.filter((d) => d.kind === 'bad'),
        concurrency,
        bad,
      );
      out.badSeconds = (performance.now() - started) / 1000;
    })(),
    pool(
      deliveries.filter((d) => d.kind === 'good'),
      goodConcurrency,
      good,
    ),
  ]);
  return out;
}

/** The outcome label each expected status code is counted under. */
const OUTCOME_OF: Record<number, string> = {
  401: 'bad_signature',
  403: 'bad_signature',
  404: 'unknown_path',
  405: 'bad_method',
  413: 'too_large',
  415: 'bad_content_type',
  422: 'bad_params',
};

/** conveyor_webhook_deliveries_total by outcome, from the operator's /metrics. */
async function outcomesOf(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return new Map(
    [...text.matchAll(/^conveyor_webhook_deliveries_total\{outcome="([a-z_]+)"\} (\d+)$/gm)].map((m) => [
      m[1] ?? '',
      Number(m[2]),
    ]),
  );
}

/** Good deliveries spread evenly among the bad ones, round-robin over the Pipelines. */
function deliveriesFor(paths: string[], good: number, bad: number): Delivery[] {
  const out: Delivery[] = [];
  const every = Math.max(1, Math.floor((good + bad) / Math.max(1, good)));
  let g = 0;
  let b = 0;
  while (g < good || b < bad) {
    if (g < good && (out.length % every === 0 || b >= bad)) {
      const seq = `g${g}`;
      out.push({ kind: 'good', path: paths[g % paths.length]!, seq, body: JSON.stringify({ seq }) });
      g++;
    } else {
      out.push(badDelivery(b, paths[b % paths.length]!));
      b++;
    }
  }
  return out;
}

export async function webhookBench(o: WebhookBenchOptions): Promise<void> {
  await withCluster(o.publish, async (c, ns) => {
    const namespace = await ns.create('webhook');
    const names = await createPipelines(c, namespace, o.pipelines);
    const port = 19000 + Math.floor(Math.random() * 1000);
    const unlimited = '100000:100000';
    const op = await startOperator(c, [namespace], o.workers, {
      args: [
        '--webhook-address',
        `127.0.0.1:${port}`,
        '--webhook-rate-limit',
        unlimited,
        '--webhook-pipeline-rate-limit',
        unlimited,
      ],
    });
    const paths = names.map((n) => webhookPath(TOKEN, n, namespace));
    const want = new Set(paths);
    for (let i = 0; i < 600; i++) {
      const got = (await listPipelines(c, namespace)).filter((p) => want.has(p.status?.webhook?.path ?? ''));
      if (got.length === names.length) break;
      await sleep(1000);
    }
    log(`${names.length} pipelines report their webhook path`);
    const runs = watchRuns(c, namespace);
    await runs.informer.start();
    const rssBefore = rssOf(op.process.pid!, 'VmRSS');
    const memBefore = await memoryOf(op.port);
    const deliveries = deliveriesFor(paths, o.good, o.bad);
    const started = performance.now();
    const counted = await outcomesOf(op.port);
    const sent = await send(`http://127.0.0.1:${port}`, deliveries, o.concurrency, Math.min(o.pipelines, 100));
    const sendSeconds = (performance.now() - started) / 1000;
    log(`sent ${deliveries.length} deliveries in ${sendSeconds.toFixed(1)} s; waiting for ${o.good} runs`);
    for (let i = 0; i < 1200 && runs.seen.size < o.good; i++) await sleep(500);
    const allSeconds = (performance.now() - started) / 1000;
    const rssAfter = rssOf(op.process.pid!, 'VmRSS');
    const peak = rssOf(op.process.pid!, 'VmHWM');
    const memAfter = await memoryOf(op.port);
    // Every hostile delivery counted under its outcome (too-large ones whose client saw the close too).
    const countedAfter = await outcomesOf(op.port);
    const expected = new Map<string, number>();
    for (const d of deliveries)
      if (d.kind === 'bad') expected.set(OUTCOME_OF[d.expect]!, (expected.get(OUTCOME_OF[d.expect]!) ?? 0) + 1);
    const miscounted = [...expected]
      .filter(([k, n]) => (countedAfter.get(k) ?? 0) - (counted.get(k) ?? 0) !== n)
      .map(([k, n]) => `${k}: ${(countedAfter.get(k) ?? 0) - (counted.get(k) ?? 0)} counted, ${n} sent`);
    // Exactly one run per good delivery: one Job per seq (one stage), and as many runs in status.
    const runsInStatus = (await listPipelines(c, namespace)).reduce((n, p) => n + (p.status?.runs?.length ?? 0), 0);
    const goodSeqs = deliveries.flatMap((d) => (d.kind === 'good' ? [d.seq] : []));
    const missing = goodSeqs.filter((s) => !runs.jobs.has(s));
    const doubled = goodSeqs.filter((s) => (runs.jobs.get(s)?.length ?? 0) > 1);
    const strays = [...runs.jobs.keys()].filter((s) => !s.startsWith('g'));
    await runs.informer.stop();
    await op.stop();
    const latencies = goodSeqs.flatMap((s) => {
      const at = runs.seen.get(s);
      const from = sent.firstSentAt.get(s);
      return at !== undefined && from !== undefined ? [at - from] : [];
    });
    const verdict =
      miscounted.length === 0 &&
      missing.length === 0 &&
      doubled.length === 0 &&
      strays.length === 0 &&
      sent.wrong.length === 0 &&
      runsInStatus === o.good;
    const lines = [
      header(
        'Webhook receiver under load',
        o.command,
        `${o.pipelines} Pipelines (hmac webhook, one stage), ${o.good} signed deliveries + ${o.bad} hostile ones, ${o.concurrency} clients on loopback; rate limits raised to ${unlimited} so the receiver, not the bucket, is measured`,
      ),
      '| figure | value |',
      '|---|---|',
      `| every good delivery became exactly one run | ${verdict ? 'yes' : 'NO'} (${runs.jobs.size - strays.length} runs with a good seq, ${runsInStatus} in status; missing ${missing.length}, doubled ${doubled.length}, from bad deliveries ${strays.length}) |`,
      `| bad deliveries answered with their expected code | ${o.bad - sent.wrong.filter((w) => !w.startsWith('good')).length} of ${o.bad} |`,
      `| hostile deliveries/s (${o.bad} by ${o.concurrency} clients, alongside the good ones) | ${(o.bad / sent.badSeconds).toFixed(0)} |`,
      `| deliveries/s (all ${deliveries.length}, until the last was answered) | ${(deliveries.length / sendSeconds).toFixed(0)} |`,
      `| hostile deliveries counted under their outcome (conveyor_webhook_deliveries_total) | ${miscounted.length === 0 ? 'all' : miscounted.join('; ')} |`,
      `| good deliveries/s (until the last run's Job was seen) | ${(o.good / allSeconds).toFixed(1)} |`,
      `| good delivery → its run's Job seen, p50 / p95 / p99 | ${pcts(latencies)} ms |`,
      `| 429/503 answers to good deliveries, sent again | ${sent.retries} |`,
      `| operator RSS before / after / peak | ${rssBefore.toFixed(0)} / ${rssAfter.toFixed(0)} / ${peak.toFixed(0)} MiB |`,
      `| JS heap used after a full GC, before / after | ${memBefore.heapUsedMiB.toFixed(0)} / ${memAfter.heapUsedMiB.toFixed(0)} MiB |`,
      '',
      `Answers: ${[...sent.statuses].map(([k, n]) => `${k} × ${n}`).join(', ')}.`,
      ...(sent.wrong.length ? [`Unexpected: ${sent.wrong.slice(0, 10).join('; ')}`] : []),
    ];
    const report = lines.join('\n');
    if (!verdict) {
      process.stdout.write(`${report}\n`);
      throw new Error(
        `not every good delivery became exactly one run (missing ${missing.slice(0, 5).join(',')}, doubled ${doubled.slice(0, 5).join(',')})`,
      );
    }
    return report;
  });
}
