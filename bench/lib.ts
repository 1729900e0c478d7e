// What every benchmark scenario shares: the cluster and its clients, namespaces that are deleted
// (and waited for) when the scenario ends, the operator as a separate process with its debug
// endpoints, a watch that timestamps Jobs, and the figures read from the operator's /metrics.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { clusterScript } from '../hack/cluster-script.ts';
import { describeUsage, snapshot, usageBetween, type Snapshot } from './conditions.ts';
import { applyCrd, waitEstablished } from '../src/kube/crd.ts';
import { ConveyorKubeConfig } from '../src/kube/kubeconfig.ts';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const log = (m: string): void =>
  void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const sortNum = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
export const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
/** "p50 / p95 / p99" of a sample, in whole ms (or `digits` decimals). */
export function pcts(xs: number[], digits = 0): string {
  const s = sortNum(xs);
  return [50, 95, 99].map((p) => percentile(s, p).toFixed(digits)).join(' / ');
}

export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Answers of an overloaded API server worth another try (a 504 may still have created the object). */
const TRANSIENT = new Set([429, 500, 503, 504]);

/**
 * A create that survives a busy API server: retried up to 5 times on 429/5xx with a growing pause;
 * AlreadyExists on a retry means the timed-out attempt went through. `what` names it in the log.
 */
export async function createRetrying(what: string, create: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return;
    } catch (err) {
      const code = (err as { code?: number }).code ?? 0;
      if (attempt > 1 && code === 409) return;
      if (!TRANSIENT.has(code) || attempt === 5) throw err;
      log(`create ${what}: HTTP ${code}, retrying (attempt ${attempt + 1} of 5)`);
      await sleep(1000 * attempt);
    }
  }
}

export type Clients = {
  kubeconfig: string;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
  apps: k8s.AppsV1Api;
};

/** The shared local cluster (never restarted here), the CRD, and clients set up as the operator's. */
export async function connect(): Promise<Clients> {
  const status = clusterScript(['status']);
  if (/not running/.test(status))
    throw new Error('the local cluster is not running (npm run cluster:status); the bench does not start it');
  const kubeconfig = clusterScript(['kubeconfig']);
  const kc = new ConveyorKubeConfig();
  kc.loadFromFile(kubeconfig);
  const crd = parse(readFileSync(`${root}/crds/conveyor.dev_pipelines.yaml`, 'utf8')) as k8s.V1CustomResourceDefinition;
  await applyCrd(kc, crd, 'conveyor-bench');
  await waitEstablished(kc, crd.metadata?.name ?? '');
  return {
    kubeconfig,
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    apps: kc.makeApiClient(k8s.AppsV1Api),
  };
}

/** Every namespace any scenario of this process created and has not deleted yet. */
const live = new Set<string>();
/** Every operator process this bench started and has not stopped yet: stopped on failure too. */
const liveOperators = new Set<ChildProcess>();
let interrupted = false;

function killOperators(): void {
  for (const child of liveOperators) if (child.exitCode === null) child.kill('SIGKILL');
}

/** Interrupted (Ctrl-C, SIGTERM): ask the API server to delete what is left, then exit. */
function deleteOnInterrupt(core: k8s.CoreV1Api): void {
  const handler = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    log(
      `${signal}: stopping ${liveOperators.size} operator(s), deleting ${[...live].join(', ') || 'nothing'} (not waiting) and exiting`,
    );
    killOperators();
    void Promise.allSettled([...live].map((name) => core.deleteNamespace({ name }))).then(() => process.exit(130));
  };
  process.once('SIGINT', () => handler('SIGINT'));
  process.once('SIGTERM', () => handler('SIGTERM'));
}

/** Namespaces this run created: all are deleted, and waited for, by cleanup(). */
export class Namespaces {
  private readonly created: string[] = [];
  private readonly core: k8s.CoreV1Api;
  private readonly batch: k8s.BatchV1Api | undefined;
  private readonly suffix = Math.random().toString(36).slice(2, 7);

  constructor(core: k8s.CoreV1Api, batch?: k8s.BatchV1Api) {
    this.core = core;
    this.batch = batch;
    deleteOnInterrupt(core);
  }

  /** A new namespace `bench-<what>-<random>`, once its default ServiceAccount exists. */
  async create(what: string): Promise<string> {
    const name = `bench-${what}-${this.suffix}`;
    await this.core.createNamespace({ body: { metadata: { name, labels: { 'conveyor-bench': 'yes' } } } });
    this.created.push(name);
    live.add(name);
    for (let i = 0; i < 120; i++) {
      if (
        await this.core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(
          () => true,
          () => false,
        )
      )
        break;
      await sleep(250);
    }
    return name;
  }

  async delete(name: string, timeoutMs = 15 * 60_000): Promise<void> {
    log(`deleting namespace ${name}`);
    await this.emptyFast(name);
    await this.core.deleteNamespace({ name }).catch(() => undefined);
    const start = performance.now();
    while (performance.now() - start < timeoutMs) {
      if (
        await this.core.readNamespace({ name }).then(
          () => false,
          () => true,
        )
      ) {
        this.created.splice(this.created.indexOf(name), 1);
        live.delete(name);
        log(`namespace ${name} gone after ${((performance.now() - start) / 1000).toFixed(0)} s`);
        return;
      }
      await sleep(1000);
    }
    log(`namespace ${name} still terminating after ${timeoutMs / 1000} s; the namespace controller finishes it`);
  }

  /**
   * Left to itself, a namespace of 5,000 finished Jobs takes ~10 minutes to go on 2 cores: the
   * garbage collector deletes each Job's pod with a request of its own. Pods first, in one
   * collection delete (grace 0: the kwok node confirms nothing), then the Jobs in one more; the
   * garbage collector then finds no dependents. Best effort: the namespace deletion that follows
   * removes whatever this left.
   */
  private async emptyFast(namespace: string): Promise<void> {
    if (!this.batch) return;
    const started = performance.now();
    await this.core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    await this.batch
      .deleteCollectionNamespacedJob({ namespace, propagationPolicy: 'Background' })
      .catch(() => undefined);
    log(
      `pods and Jobs of ${namespace} deleted as collections in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }

  async cleanup(): Promise<void> {
    for (const name of [...this.created]) await this.delete(name);
  }
}

/**
 * Connects, runs a scenario with namespaces of its own, publishes its report, then deletes the
 * namespaces and waits until they are gone (failed runs included): the report comes first, as
 * deleting 50,000 Jobs takes minutes.
 */
export async function withCluster(
  publish: (report: string) => void,
  scenario: (c: Clients, ns: Namespaces) => Promise<string>,
): Promise<void> {
  const c = await connect();
  const ns = new Namespaces(c.core, c.batch);
  compileOnce(); // before the conditions' first reading: tsc and esbuild are not the run's
  runStart = snapshot();
  try {
    publish(await scenario(c, ns));
  } catch (err) {
    // Said now: deleting the namespaces can take minutes before main reports the failure.
    log(
      `the scenario failed (${err instanceof Error ? err.message : String(err)}); stopping operators and deleting namespaces`,
    );
    throw err;
  } finally {
    if (liveOperators.size > 0) log(`stopping ${liveOperators.size} operator(s) the scenario left running`);
    killOperators();
    await ns.cleanup();
  }
}

export type Operator = { process: ChildProcess; port: number; spawnedAt: number; stop: () => Promise<void> };

let entry: string | undefined;
/**
 * The operator built as the image builds it: tsc, then dist/main.js bundled by esbuild with the
 * Dockerfile's flags (the .ts sources would add the type stripper's memory). BENCH_UNBUNDLED=1
 * runs the tsc output as it is (before the bundle; to measure it).
 */
function compileOnce(): string {
  if (entry) return entry;
  execFileSync(`${root}/node_modules/.bin/tsc`, ['-p', `${root}/tsconfig.json`, '--outDir', `${root}/bench/.dist`], {
    stdio: 'inherit',
  });
  if (process.env.BENCH_UNBUNDLED === '1') return (entry = 'bench/.dist/main.js');
  const banner =
    "import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);";
  // operator.js bundled too: its import cost, without starting it (bench/idle.ts).
  for (const name of ['main', 'operator']) {
    execFileSync(
      `${root}/node_modules/.bin/esbuild`,
      [
        `bench/.dist/${name}.js`,
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--minify-whitespace',
        '--minify-syntax',
        `--banner:js=${banner}`,
        `--outfile=bench/.dist/${name}.bundle.mjs`,
        '--log-level=warning',
      ],
      { cwd: root, stdio: 'inherit' },
    );
  }
  return (entry = 'bench/.dist/main.bundle.mjs');
}

/**
 * Starts the operator on `namespaces` with its debug endpoints and waits until /readyz answers
 * (or, with `waitReady: false`, only until its health port does). BENCH_NODE_ARGS passes flags to
 * its node (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof); the environment passes through (e.g.
 * MALLOC_ARENA_MAX).
 */
export async function startOperator(
  c: Clients,
  namespaces: string[],
  workers: number,
  opts: { waitReady?: boolean; env?: Record<string, string>; args?: string[] } = {},
): Promise<Operator> {
  const main = compileOnce();
  const port = 18000 + Math.floor(Math.random() * 1000);
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // MALLOC_ARENA_MAX=2 as the image sets it (Dockerfile); the environment may override it.
  const env: NodeJS.ProcessEnv = { MALLOC_ARENA_MAX: '2', ...process.env, CONVEYOR_DEBUG_ENDPOINTS: '1', ...opts.env };
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      main,
      '--kubeconfig',
      c.kubeconfig,
      '--namespaces',
      namespaces.join(','),
      '--health-port',
      String(port),
      '--log-level',
      'warn',
      '--workers',
      String(workers),
      ...(opts.args ?? []),
    ],
    { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  liveOperators.add(child);
  operatorPids.add(child.pid!);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      liveOperators.delete(child);
      resolve();
    }),
  );
  const path = opts.waitReady === false ? '/healthz' : '/readyz';
  for (let i = 0; i < 1200; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}${path}`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (child.exitCode !== null) throw new Error(`the operator exited with ${child.exitCode}`);
    await sleep(100);
  }
  return {
    process: child,
    port,
    spawnedAt,
    stop: async () => {
      if (child.exitCode === null) {
        // Its last CPU reading, for the report's conditions: /proc forgets it once it exits.
        try {
          stoppedOperatorCpu.set(child.pid!, cpuSecondsOf(child.pid!));
        } catch {
          // already gone
        }
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}

/** Timestamps (this process's clock) of each Job's first sighting and its Complete condition. */
export class JobWatch {
  readonly created = new Map<string, number>();
  readonly completed = new Map<string, number>();
  readonly meta = new Map<string, { pipeline: string; stage: string }>();
  private readonly informer: k8s.Informer<k8s.V1Job>;
  /** Whether a pipeline's stages form a chain s0 → s1 → … (only those have hand-offs). */
  private readonly chained: (pipeline: string) => boolean;
  private stopped = false;

  constructor(c: Clients, namespace: string, chained: (pipeline: string) => boolean = () => true) {
    this.chained = chained;
    this.informer = k8s.makeInformer<k8s.V1Job>(c.kc, `/apis/batch/v1/namespaces/${namespace}/jobs`, () =>
      c.batch.listNamespacedJob({ namespace }),
    );
    const seen = (j: k8s.V1Job): void => {
      const name = j.metadata?.name ?? '';
      const now = performance.now();
      if (!this.created.has(name)) this.created.set(name, now);
      if (!this.meta.has(name))
        this.meta.set(name, {
          pipeline: j.metadata?.labels?.['conveyor.dev/pipeline'] ?? '',
          stage: j.metadata?.labels?.['conveyor.dev/stage'] ?? '',
        });
      if (
        !this.completed.has(name) &&
        j.status?.conditions?.some((cond) => cond.type === 'Complete' && cond.status === 'True')
      )
        this.completed.set(name, now);
    };
    this.informer.on('add', seen);
    this.informer.on('update', seen);
    // client-node's informer stops on an error (a busy API server's 504, a dropped watch): start
    // it again from the last resourceVersion, or the bench would stop seeing Jobs.
    this.informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      log(`Job watch: ${String(err)}; restarting it`);
      setTimeout(() => {
        if (!this.stopped) void this.informer.start().catch(() => undefined);
      }, 1000);
    });
  }

  start(): Promise<void> {
    this.stopped = false;
    return this.informer.start();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return this.informer.stop();
  }

  /** Root Jobs (stage s0) by pipeline: when each was first seen. */
  rootSeen(): Map<string, number> {
    const roots = new Map<string, number>();
    for (const [name, m] of this.meta) if (m.stage === 's0') roots.set(m.pipeline, this.created.get(name)!);
    return roots;
  }

  /**
   * Hand-offs in a chain s0 → s1 → …: upstream seen Complete → downstream seen created, same
   * pipeline, both on this watch (one clock). `from`/`to` keep those whose upstream completed then.
   */
  handoffs(from = -Infinity, to = Infinity): number[] {
    const byKey = new Map<string, string>();
    for (const [name, m] of this.meta) byKey.set(`${m.pipeline}/${m.stage}`, name);
    const out: number[] = [];
    for (const [name, m] of this.meta) {
      const i = Number(m.stage.slice(1));
      if (!(i > 0) || !this.chained(m.pipeline)) continue;
      const up = byKey.get(`${m.pipeline}/s${i - 1}`);
      const upDone = up ? this.completed.get(up) : undefined;
      const downSeen = this.created.get(name);
      if (upDone !== undefined && downSeen !== undefined && upDone >= from && upDone < to) out.push(downSeen - upDone);
    }
    return out;
  }
}

/** The operator's request counts by "VERB resource" (conveyor_api_requests_total). */
export async function requestsOf(port: number): Promise<Map<string, number>> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^conveyor_api_requests_total\{([^}]*)\} (\d+(?:\.\d+)?)$/gm)) {
    const verb = /verb="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
    const resource = /resource="([^"]*)"/.exec(m[1]!)?.[1] ?? '';
    counts.set(`${verb} ${resource}`, Number(m[2]));
  }
  return counts;
}

export function diffCounts(after: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) > 0) out.set(k, v - (before.get(k) ?? 0));
  return out;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Table rows: writes by kind, then reads and watches, each per stage and in all. */
export function requestRows(counts: Map<string, number>, stages: number, unit = 'stage'): string {
  const rows: string[] = [];
  const per = (n: number) => `${(n / stages).toFixed(2)} per ${unit} (${n})`;
  let writes = 0;
  let others = 0;
  for (const [key, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) {
    const isWrite = WRITES.has(key.split(' ')[0] ?? '');
    if (isWrite) writes += n;
    else others += n;
    rows.push(`| ${isWrite ? 'write' : 'read/watch'}: ${key} | ${per(n)} |`);
  }
  rows.unshift(
    `| **API writes** (creates, patches, status writes, events, deletes) | **${per(writes)}** |`,
    `| API reads and watch starts | ${per(others)} |`,
  );
  return rows.join('\n');
}

export async function reconcileStatsOf(port: number): Promise<{ count: number; sum: number }> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    count: value('conveyor_reconcile_duration_seconds_count'),
    sum: value('conveyor_reconcile_duration_seconds_sum'),
  };
}

export type Timings = {
  keys: number;
  lastFirstReconcileMs: number;
  syncedAtMs?: number;
  samples: {
    queueWaitMs: number[];
    handoffMs: { by: string; ms: number }[];
    reconciles: { stages: number; planMs: number; wallMs: number }[];
  };
};

/** The operator's timing samples since the previous call (src/controller/runtime/timings.ts). */
export async function timingsOf(port: number): Promise<Timings> {
  return (await fetch(`http://127.0.0.1:${port}/debug/timings`).then((r) => r.json())) as Timings;
}

export type Memory = {
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
  arrayBuffersMiB: number;
};

/** The operator's memory after a full GC (/debug/memory). */
export async function memoryOf(port: number): Promise<Memory> {
  const m = (await fetch(`http://127.0.0.1:${port}/debug/memory`).then((r) => r.json())) as {
    memory: NodeJS.MemoryUsage;
  };
  const mib = (n: number) => n / 2 ** 20;
  return {
    rssMiB: mib(m.memory.rss),
    heapUsedMiB: mib(m.memory.heapUsed),
    heapTotalMiB: mib(m.memory.heapTotal),
    externalMiB: mib(m.memory.external),
    arrayBuffersMiB: mib(m.memory.arrayBuffers),
  };
}

/** User + system CPU time of a process, from /proc (clock ticks of 1/100 s on Linux). */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmHWM (peak) or VmRSS of a process, in MiB. */
export function rssOf(pid: number, which: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${which}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024;
}

/** When the current scenario started (withCluster), every operator pid of this process, and the CPU seconds of those stopped. */
let runStart: Snapshot | undefined;
const operatorPids = new Set<number>();
const stoppedOperatorCpu = new Map<number, number>();

/** What else used the machine since the scenario started (bench/conditions.ts). */
function conditions(): string {
  if (!runStart) return 'Conditions: not measured (the scenario ran outside withCluster).';
  return describeUsage(usageBetween(runStart, snapshot(), new Set([process.pid, ...operatorPids]), stoppedOperatorCpu));
}

/** The lines every report starts with: what ran, where, and what else used the machine meanwhile. */
export function header(title: string, command: string, workload: string): string {
  const versions = readFileSync(`${root}/hack/versions.env`, 'utf8')
    .match(/^[A-Z_]+=.*$/gm)
    ?.join(', ');
  return `# ${title}

Written by \`${command}\` (bench/run.ts) on ${new Date().toISOString()}.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ${versions}.
Cluster: the local KWOK cluster (real API server, etcd and controllers on the same cores; pods finish when their kwok run-duration ends).
${conditions()}
Workload: ${workload}.
`;
}

/** Reconcile figures from the operator's samples: wall and plan (CPU) time, mean and p99, by stage count. */
export function reconcileRows(samples: Timings['samples']['reconciles']): string {
  const byStages = new Map<number, { planMs: number[]; wallMs: number[] }>();
  for (const s of samples) {
    if (!s.stages) continue;
    let e = byStages.get(s.stages);
    if (!e) byStages.set(s.stages, (e = { planMs: [], wallMs: [] }));
    e.planMs.push(s.planMs);
    e.wallMs.push(s.wallMs);
  }
  const rows: string[] = [];
  for (const [stages, e] of [...byStages].sort(([a], [b]) => a - b)) {
    const p99 = (xs: number[]) => percentile(sortNum(xs), 99);
    rows.push(
      `| reconcile of a ${stages}-stage pipeline (${e.wallMs.length}): gather + plan (CPU) mean / p99 | ${mean(e.planMs).toFixed(2)} / ${p99(e.planMs).toFixed(2)} ms |`,
    );
    rows.push(
      `| reconcile of a ${stages}-stage pipeline: wall time (API calls included) mean / p99 | ${mean(e.wallMs).toFixed(1)} / ${p99(e.wallMs).toFixed(1)} ms |`,
    );
  }
  return rows.join('\n');
}

/** Stages s0 → s1 → … (a chain), or all roots (`wide`); each pod runs `duration()` (kwok). */
export function stagesOf(count: number, shape: 'chain' | 'wide', duration?: () => number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `s${i}`,
    image: 'busybox:1.36',
    command: ['true'],
    ...(shape === 'chain' && i > 0 ? { dependsOn: [`s${i - 1}`] } : {}),
    ...(duration
      ? { podTemplate: { metadata: { annotations: { 'kwok.conveyor.dev/run-duration': `${duration()}s` } } } }
      : {}),
  }));
}
