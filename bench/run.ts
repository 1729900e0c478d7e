// `npm run bench`: N pipelines of M chained stages on the local cluster, run by the real operator
// process. Reports stage hand-off latency (upstream Job seen Complete → downstream Job seen
// created, both observed by one watch in this process, so clocks agree), Jobs created per second
// against a raw ceiling measured in the same run (a plain client creating the same number of
// Jobs as fast as it can), API requests per stage (counted by the operator) and the operator's
// peak RSS. Writes bench/RESULTS.md. Options: --pipelines N --stages M (defaults 200 × 5),
// --workers W (the operator's --workers, default 16 as in the operator). `--console` runs the
// Console scenario instead (bench/console.ts: first render and status updates with 1,000
// Pipelines; --pipelines N --updates U), writing bench/RESULTS-console.md.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { clusterScript } from '../hack/cluster-script.ts';
import { parse } from 'yaml';
import type { Pipeline, StageSpec } from '../src/api/types.ts';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import { applyCrd, waitEstablished } from '../src/kube/crd.ts';
import { ConveyorKubeConfig } from '../src/kube/kubeconfig.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { pipelines: { type: 'string' }, stages: { type: 'string', default: process.env.BENCH_STAGES ?? '5' }, workers: { type: 'string', default: process.env.BENCH_WORKERS ?? '16' }, out: { type: 'string' }, console: { type: 'boolean', default: false }, updates: { type: 'string', default: '100' } } });
const P = Number(values.pipelines ?? process.env.BENCH_PIPELINES ?? '200');
const M = Number(values.stages);
const WORKERS = Number(values.workers);
const RAW_CONCURRENCY = 32;
const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cluster = (cmd: string): string => clusterScript([cmd]);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

function plainJob(name: string): k8s.V1Job {
  return { metadata: { name }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'stage', image: 'busybox:1.36', command: ['true'] }] } } } };
}

async function freshNamespace(core: k8s.CoreV1Api, name: string): Promise<void> {
  await core.deleteNamespace({ name }).catch(() => undefined);
  for (let i = 0; i < 600; i++) {
    if (await core.readNamespace({ name }).then(() => false, () => true)) break;
    await sleep(500);
  }
  await core.createNamespace({ body: { metadata: { name } } });
  for (let i = 0; i < 120; i++) {
    if (await core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true, () => false)) return;
    await sleep(250);
  }
}

async function main(): Promise<void> {
  cluster('up');
  const kubeconfig = cluster('kubeconfig');
  // The same client setup as the operator's (one connection pool), so the raw ceiling is fair.
  const kc = new ConveyorKubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const crd = parse(readFileSync(`${root}/crds/conveyor.dev_pipelines.yaml`, 'utf8')) as k8s.V1CustomResourceDefinition;
  await applyCrd(kc, crd, 'conveyor-bench');
  await waitEstablished(kc, crd.metadata?.name ?? '');
  const total = P * M;

  // 1. The raw ceiling: a plain client creating the same number of Jobs, as fast as it can.
  log(`raw ceiling: creating ${total} Jobs with ${RAW_CONCURRENCY} in flight`);
  await freshNamespace(core, 'bench-raw');
  const names = Array.from({ length: total }, (_, i) => `raw-${i}`);
  const rawStart = performance.now();
  await pool(names, RAW_CONCURRENCY, (n) => batch.createNamespacedJob({ namespace: 'bench-raw', body: plainJob(n) }));
  const rawSeconds = (performance.now() - rawStart) / 1000;
  const rawRate = total / rawSeconds;
  log(`raw: ${rawRate.toFixed(1)} Jobs/s`);
  await core.deleteNamespace({ name: 'bench-raw' });

  // 2. The operator, as a separate process so its memory is its own, compiled as it ships (the
  // image runs dist/main.js; running the .ts sources adds the type stripper's memory).
  execFileSync(`${root}/node_modules/.bin/tsc`, ['-p', `${root}/tsconfig.json`, '--outDir', `${root}/bench/.dist`], { stdio: 'inherit' });
  await freshNamespace(core, 'bench-op');
  const port = 18000 + Math.floor(Math.random() * 1000);
  // BENCH_NODE_ARGS passes flags to the operator's node (e.g. --cpu-prof) for profiling.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const op = spawn(process.execPath, [...nodeArgs, 'bench/.dist/main.js', '--kubeconfig', kubeconfig, '--namespaces', 'bench-op', '--health-port', String(port), '--log-level', 'warn', '--workers', String(WORKERS)], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 120; i++) {
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) break;
    await sleep(500);
  }

  // 3. One watch sees every Job appear and complete.
  const created = new Map<string, number>();
  const completed = new Map<string, number>();
  const meta = new Map<string, { pipeline: string; stage: string }>();
  const informer = k8s.makeInformer<k8s.V1Job>(kc, '/apis/batch/v1/namespaces/bench-op/jobs', () => batch.listNamespacedJob({ namespace: 'bench-op' }));
  const seen = (j: k8s.V1Job): void => {
    const name = j.metadata?.name ?? '';
    const now = performance.now();
    if (!created.has(name)) created.set(name, now);
    meta.set(name, { pipeline: j.metadata?.labels?.['conveyor.dev/pipeline'] ?? '', stage: j.metadata?.labels?.['conveyor.dev/stage'] ?? '' });
    if (!completed.has(name) && j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) completed.set(name, now);
  };
  informer.on('add', seen);
  informer.on('update', seen);
  await informer.start();

  const stages: StageSpec[] = Array.from({ length: M }, (_, i) => ({ name: `s${i}`, image: 'busybox:1.36', command: ['true'], ...(i > 0 ? { dependsOn: [`s${i - 1}`] } : {}) }));
  const requestsBefore = await apiRequestsOf(port);
  log(`operator: ${P} pipelines × ${M} stages`);
  const start = performance.now();
  const pipelineCreated = new Map<string, number>();
  await pool(Array.from({ length: P }, (_, i) => i), 16, async (i) => {
    await custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'bench-op', plural: PLURAL, body: { apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', metadata: { name: `bench-${i}` }, spec: { stages } } satisfies Pipeline });
    pipelineCreated.set(`bench-${i}`, performance.now());
  });
  const createSeconds = (performance.now() - start) / 1000;
  let done = 0;
  for (let i = 0; ; i++) {
    const list = (await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: 'bench-op', plural: PLURAL })) as { items: Pipeline[] };
    done = list.items.filter((p) => p.status?.phase === 'Succeeded').length;
    if (done === P) break;
    if (i % 10 === 0) log(`${done}/${P} pipelines succeeded, ${created.size}/${total} Jobs`);
    if (performance.now() - start > 20 * 60_000) throw new Error(`timed out with ${done}/${P} pipelines succeeded`);
    await sleep(1000);
  }
  const wall = (performance.now() - start) / 1000;
  const requests = (await apiRequestsOf(port)) - requestsBefore;
  const reconciles = await reconcileStatsOf(port);
  const peakRss = peakRssOf(op.pid!);
  const cpuSeconds = cpuSecondsOf(op.pid!);
  op.kill('SIGTERM');
  await informer.stop();

  // Hand-off: downstream stage s(i) created after upstream s(i-1) completed, same pipeline.
  const byKey = new Map<string, string>();
  for (const [name, m] of meta) byKey.set(`${m.pipeline}/${m.stage}`, name);
  const handoffs: number[] = [];
  for (const [name, m] of meta) {
    const i = Number(m.stage.slice(1));
    if (i === 0) continue;
    const up = byKey.get(`${m.pipeline}/s${i - 1}`);
    const upDone = up ? completed.get(up) : undefined;
    const downSeen = created.get(name);
    if (upDone !== undefined && downSeen !== undefined) handoffs.push(downSeen - upDone);
  }
  handoffs.sort((a, b) => a - b);
  const times = [...created.values()].sort((a, b) => a - b);
  const rootTimes = [...meta].filter(([, m]) => m.stage === 's0').map(([n]) => created.get(n)!).sort((a, b) => a - b);
  const rootRate = rootTimes.length / ((rootTimes[rootTimes.length - 1]! - start) / 1000);
  // Pipeline created (its create call returned) → its root Job seen.
  const startLatencies = [...meta].filter(([, m]) => m.stage === 's0').map(([n, m]) => created.get(n)! - (pipelineCreated.get(m.pipeline) ?? NaN)).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const overallRate = times.length / ((times[times.length - 1]! - times[0]!) / 1000);

  const versions = readFileSync(`${root}/hack/versions.env`, 'utf8').match(/^[A-Z_]+=.*$/gm)?.join(', ');
  const report = `# Benchmark results

Written by \`npm run bench\` (bench/run.ts) on ${new Date().toISOString()}.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${versions}.
Cluster: the local KWOK cluster (real API server, etcd and controllers; pods finish as soon as they run).
Workload: ${P} pipelines × ${M} stages in a chain (s0 → s1 → …), all created at once; operator with ${WORKERS} workers.

| figure | value |
|---|---|
| wall time, first create → all ${P} pipelines Succeeded | ${wall.toFixed(1)} s |
| stage hand-off latency p50 / p95 / p99 (${handoffs.length} hand-offs) | ${percentile(handoffs, 50).toFixed(0)} / ${percentile(handoffs, 95).toFixed(0)} / ${percentile(handoffs, 99).toFixed(0)} ms |
| creating the ${P} Pipelines (16 creates in flight; CEL validation on each) | ${createSeconds.toFixed(1)} s |
| first Job after its Pipeline was created, p50 / p95 / p99 | ${percentile(startLatencies, 50).toFixed(0)} / ${percentile(startLatencies, 95).toFixed(0)} / ${percentile(startLatencies, 99).toFixed(0)} ms |
| Jobs created per second, first wave (${rootTimes.length} root Jobs; includes creating the Pipelines) | ${rootRate.toFixed(1)} /s |
| Jobs created per second, whole run (${times.length} Jobs) | ${overallRate.toFixed(1)} /s |
| raw ceiling: plain client, ${RAW_CONCURRENCY} creates in flight | ${rawRate.toFixed(1)} /s |
| first wave as a share of the raw ceiling | ${((rootRate / rawRate) * 100).toFixed(0)} % |
| reconciles, and their mean duration | ${reconciles.count} (${(reconciles.count / total).toFixed(2)} per stage), ${((reconciles.sum / Math.max(1, reconciles.count)) * 1000).toFixed(1)} ms |
| API requests by the operator per stage | ${(requests / total).toFixed(2)} (${requests} in all) |
| operator peak RSS (VmHWM) | ${(peakRss / 1024).toFixed(0)} MiB |
| operator CPU time (user + system) | ${cpuSeconds.toFixed(1)} s (${((cpuSeconds / wall) * 100).toFixed(0)} % of one core over the wall time) |

The hand-off includes the Job controller's and KWOK's share (the upstream Job's Complete condition
is written by the Job controller) only up to the moment this process sees it; from there it is
the operator's watch, queue, reconcile and create. Numbers vary with what else the 2 cores do.
`;
  writeFileSync(values.out ?? `${root}/bench/RESULTS.md`, report);
  process.stdout.write(report);
  process.exit(0);
}

async function apiRequestsOf(port: number): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  let sum = 0;
  for (const m of text.matchAll(/^conveyor_api_requests_total\{[^}]*\} (\d+(?:\.\d+)?)$/gm)) sum += Number(m[1]);
  return sum;
}

/** User + system CPU time of a process, from /proc (clock ticks of 1/100 s on Linux). */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function reconcileStatsOf(port: number): Promise<{ count: number; sum: number }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { count: value('conveyor_reconcile_duration_seconds_count'), sum: value('conveyor_reconcile_duration_seconds_sum') };
}

function peakRssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
}

// --console: the Console scenario instead (bench/console.ts), 1,000 Pipelines unless --pipelines.
const scenario = values.console
  ? () => import('./console.ts').then(({ consoleBench }) => consoleBench({ pipelines: Number(values.pipelines ?? 1000), updates: Number(values.updates), out: values.out ?? `${root}/bench/RESULTS-console.md` })).then(() => process.exit(0))
  : main;

scenario().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
