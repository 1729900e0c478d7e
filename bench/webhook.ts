// --scenario webhook: the webhook receiver under load on loopback. N Pipelines (default 100) with
// an hmac webhook; --good signed deliveries (default 1,000, spread evenly over the Pipelines, each
// with its own `seq` param) interleaved with --bad hostile ones (default 10,000: wrong and missing
// signatures, unknown paths, GET, a text body, bad params, and a few bodies over 1 MiB), sent by
// --concurrency clients at once (default 32). A delivery answered 429 or 503 is sent again after
// its Retry-After, as a sender would (the traffic is test/e2e/support/webhook-traffic.ts, shared
// with the bounded e2e load test). Asserts that every good delivery became exactly one
// run (one Job with its seq) and every bad one got its status code; reports deliveries/s, the
// time from a good delivery's first send to its run's Job being seen by a watch, and the
// operator's RSS before and after.
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
import {
  countedBetween,
  deliveriesFor,
  expectedBadOutcomes,
  goodSeqs,
  outcomesOf,
  sendDeliveries,
} from '../test/e2e/support/webhook-traffic.ts';

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
    const deliveries = deliveriesFor(TOKEN, paths, { good: o.good, bad: o.bad });
    const started = performance.now();
    const counted = await outcomesOf(op.port);
    const sent = await sendDeliveries(`http://127.0.0.1:${port}`, TOKEN, deliveries, {
      concurrency: o.concurrency,
      goodConcurrency: Math.min(o.pipelines, 100),
    });
    const sendSeconds = (performance.now() - started) / 1000;
    log(`sent ${deliveries.length} deliveries in ${sendSeconds.toFixed(1)} s; waiting for ${o.good} runs`);
    for (let i = 0; i < 1200 && runs.seen.size < o.good; i++) await sleep(500);
    const allSeconds = (performance.now() - started) / 1000;
    const rssAfter = rssOf(op.process.pid!, 'VmRSS');
    const peak = rssOf(op.process.pid!, 'VmHWM');
    const memAfter = await memoryOf(op.port);
    // Every hostile delivery counted under its outcome (too-large ones whose client saw the close too).
    const countedAfter = await outcomesOf(op.port);
    const miscounted = [...expectedBadOutcomes(deliveries)]
      .filter(([k, n]) => countedBetween(counted, countedAfter, k) !== n)
      .map(([k, n]) => `${k}: ${countedBetween(counted, countedAfter, k)} counted, ${n} sent`);
    // Exactly one run per good delivery: one Job per seq (one stage), and as many runs in status.
    const runsInStatus = (await listPipelines(c, namespace)).reduce((n, p) => n + (p.status?.runs?.length ?? 0), 0);
    const seqs = goodSeqs(deliveries);
    const missing = seqs.filter((s) => !runs.jobs.has(s));
    const doubled = seqs.filter((s) => (runs.jobs.get(s)?.length ?? 0) > 1);
    const strays = [...runs.jobs.keys()].filter((s) => !s.startsWith('g'));
    await runs.informer.stop();
    await op.stop();
    const latencies = seqs.flatMap((s) => {
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
      `| 429/503 answers, sent again after their Retry-After | ${(sent.retried.get(429) ?? 0) + (sent.retried.get(503) ?? 0)} |`,
      `| operator RSS before / after / peak | ${rssBefore.toFixed(0)} / ${rssAfter.toFixed(0)} / ${peak.toFixed(0)} MiB |`,
      `| JS heap used after a full GC, before / after | ${memBefore.heapUsedMiB.toFixed(0)} / ${memAfter.heapUsedMiB.toFixed(0)} MiB |`,
      '',
      `Answers: ${[...sent.answers].map(([k, n]) => `${k} × ${n}`).join(', ')}.`,
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
