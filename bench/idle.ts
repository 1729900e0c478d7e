// --scenario idle-scale: the operator's memory and cold restart with N Pipelines (default 10,000)
// whose runs finished, and their N × M Jobs (default 5 stages: 50,000), all in its caches.
//
// The objects are made directly, so neither the Job controller nor kwok bounds the scenario: the
// real operator first runs one template Pipeline to Succeeded; the bench then copies it N − 1
// times — the Pipeline with the template's status written through the status subresource, its
// ControllerRevision, and its M Jobs with the template's labels, annotations and owner reference
// (to the copy's uid), each with spec.managedBy set to a bench value so the Job controller leaves
// it alone, and the template Job's finished status (Complete, SuccessCriteriaMet, times) written
// through the Jobs' status subresource. To the operator they are the same as Pipelines it ran.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type * as k8s from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import {
  withCluster,
  header,
  log,
  memoryOf,
  pcts,
  pool,
  root,
  rssOf,
  sleep,
  stagesOf,
  startOperator,
  timingsOf,
  requestsOf,
  requestRows,
  reconcileRows,
  type Clients,
  type Memory,
  type Timings,
} from './lib.ts';

export type IdleOptions = {
  pipelines: number;
  stages: number;
  workers: number;
  command: string;
  publish: (report: string) => void;
};
const TEMPLATE = 'idle-t';
/** Pipelines copied at once (each sends its status, revision and Jobs in parallel). */
const IN_FLIGHT = 24;
/** Labels the API server generates on a Job's pod template from the Job's uid: never copied. */
const GENERATED_LABELS = [
  'controller-uid',
  'batch.kubernetes.io/controller-uid',
  'job-name',
  'batch.kubernetes.io/job-name',
];

type Template = {
  pipeline: Record<string, unknown> & { spec: unknown; status: unknown; metadata: { uid: string } };
  jobs: k8s.V1Job[];
  revisions: k8s.V1ControllerRevision[];
};

async function runTemplate(c: Clients, namespace: string, stages: number, workers: number): Promise<Template> {
  const op = await startOperator(c, [namespace], workers);
  await c.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'Pipeline',
      metadata: { name: TEMPLATE },
      spec: { stages: stagesOf(stages, 'chain') },
    },
  });
  let pipeline: Template['pipeline'] | undefined;
  for (let i = 0; i < 600; i++) {
    pipeline = (await c.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name: TEMPLATE,
    })) as Template['pipeline'];
    if ((pipeline.status as { phase?: string } | undefined)?.phase === 'Succeeded') break;
    await finishJobs(c, namespace);
    await sleep(500);
  }
  await op.stop();
  const jobs = (await c.batch.listNamespacedJob({ namespace })).items;
  const revisions = (await c.apps.listNamespacedControllerRevision({ namespace })).items;
  if (jobs.length !== stages) throw new Error(`template: expected ${stages} Jobs, found ${jobs.length}`);
  return { pipeline: pipeline!, jobs, revisions };
}

/**
 * Marks the template's Jobs finished through the status subresource as soon as the operator
 * creates them, as the Job controller would (SuccessCriteriaMet, then Complete): on a busy
 * cluster the Job controller and kwok took minutes per pod, and the template's Jobs only need to
 * look finished. The Job controller leaves a finished Job alone.
 */
async function finishJobs(c: Clients, namespace: string): Promise<void> {
  for (const job of (await c.batch.listNamespacedJob({ namespace })).items) {
    if (job.status?.succeeded === 1) continue;
    const now = new Date();
    const condition = (type: string) => ({
      type,
      status: 'True',
      reason: 'CompletionsReached',
      message: 'Reached expected number of succeeded pods',
      lastTransitionTime: now,
      lastProbeTime: now,
    });
    const status: k8s.V1JobStatus = {
      startTime: job.status?.startTime ?? now,
      completionTime: now,
      succeeded: 1,
      conditions: [condition('SuccessCriteriaMet'), condition('Complete')],
    };
    await c.batch
      .replaceNamespacedJobStatus({ name: job.metadata!.name!, namespace, body: { ...job, status } })
      .catch(() => undefined);
  }
}

/** The template's JSON with its name and uid replaced by a copy's. */
function copyOf<T>(value: T, name: string, uid: string, templateUid: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll(TEMPLATE, name).replaceAll(templateUid, uid)) as T;
}

function jobBody(job: k8s.V1Job): k8s.V1Job {
  const { name, namespace, labels, annotations, ownerReferences } = job.metadata ?? {};
  const spec = { ...job.spec!, managedBy: 'bench.conveyor.dev/idle-scale' } as k8s.V1JobSpec;
  delete spec.selector;
  const templateLabels = { ...(spec.template.metadata?.labels ?? {}) };
  for (const l of GENERATED_LABELS) delete templateLabels[l];
  spec.template = { ...spec.template, metadata: { ...spec.template.metadata, labels: templateLabels } };
  return { metadata: { name, namespace, labels, annotations, ownerReferences }, spec };
}

async function copyPipeline(c: Clients, namespace: string, t: Template, i: number): Promise<void> {
  const name = `idle-${i}`;
  const created = (await c.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Pipeline', metadata: { name }, spec: t.pipeline.spec },
  })) as Template['pipeline'];
  const uid = created.metadata.uid;
  const copy = <T>(v: T): T => copyOf(v, name, uid, t.pipeline.metadata.uid);
  const revision = async (r: k8s.V1ControllerRevision) => {
    const { name: rName, labels, annotations, ownerReferences } = copy(r.metadata ?? {});
    await c.apps.createNamespacedControllerRevision({
      namespace,
      body: { metadata: { name: rName, labels, annotations, ownerReferences }, data: r.data, revision: r.revision },
    });
  };
  const job = async (j: k8s.V1Job) => {
    const made = await c.batch.createNamespacedJob({ namespace, body: jobBody(copy(j)) });
    await c.batch.replaceNamespacedJobStatus({
      name: made.metadata!.name!,
      namespace,
      body: { ...made, status: j.status },
    });
  };
  await Promise.all([
    c.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name,
      body: { ...created, status: copy(t.pipeline.status) },
    }),
    ...t.revisions.map(revision),
    ...t.jobs.map(job),
  ]);
}

/**
 * What loading costs (RSS/heap MiB after a GC, and ms): node alone → after importing client-node
 * → after importing the operator's modules (tsc output); and node alone → the bundled operator.
 */
function importCost(): { unbundled: string; bundled: string } {
  const probe = (imports: string[]) =>
    `const m=()=>{gc();const u=process.memoryUsage();return [u.rss,u.heapUsed].map(x=>(x/2**20).toFixed(0)).join('/')};const out=[m()];` +
    imports
      .map(
        (i) =>
          `{const t=performance.now();await import('${i}');out.push(m()+' MiB in '+(performance.now()-t).toFixed(0)+' ms')}`,
      )
      .join('') +
    `console.log(out.join(' → '))`;
  const run = (imports: string[]) =>
    execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', probe(imports)], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  return {
    unbundled: run(['@kubernetes/client-node', './bench/.dist/operator.js']),
    bundled: run(['./bench/.dist/operator.bundle.mjs']),
  };
}

/** Cold restart: process start → every Pipeline reconciled once, polling the operator's own clock. */
async function coldRestart(c: Clients, namespace: string, o: IdleOptions) {
  const op = await startOperator(c, [namespace], o.workers, { waitReady: false });
  const reconciles: Timings['samples']['reconciles'] = [];
  let t: Timings;
  for (;;) {
    t = await timingsOf(op.port);
    reconciles.push(...t.samples.reconciles);
    if (t.keys >= o.pipelines) break;
    if (performance.now() - op.spawnedAt > 10 * 60_000)
      throw new Error(`cold restart: ${t.keys}/${o.pipelines} reconciled after 10 minutes`);
    await sleep(200);
  }
  const peakDuringRestart = rssOf(op.process.pid!);
  await sleep(15_000);
  const requests = await requestsOf(op.port);
  const idleRss = rssOf(op.process.pid!, 'VmRSS');
  const afterGc = await memoryOf(op.port);
  const rollup = rollupOf(op.process.pid!);
  return { op, t, reconciles, peakDuringRestart, requests, idleRss, afterGc, rollup };
}

/**
 * Where the RSS is, from /proc/PID/smaps_rollup (MiB): anonymous memory (the JS heap, malloc'd
 * buffers and what the allocator keeps after frees) against file-backed pages (node's binary
 * and libraries). RSS minus the JS heap minus file-backed is native memory outside V8.
 */
function rollupOf(pid: number): { rssMiB: number; anonymousMiB: number; fileMiB: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
  const rssMiB = kb('Rss');
  const anonymousMiB = kb('Anonymous');
  return { rssMiB, anonymousMiB, fileMiB: rssMiB - anonymousMiB };
}

export async function idleScale(o: IdleOptions): Promise<void> {
  await withCluster(o.publish, async (c, ns) => {
    const namespace = await ns.create('idle');
    const empty = await startOperator(c, [namespace], o.workers);
    await sleep(5000);
    const emptyMemory = await memoryOf(empty.port);
    await empty.stop();
    const imports = importCost();
    log('template pipeline');
    const template = await runTemplate(c, namespace, o.stages, o.workers);
    log(`copying it ${o.pipelines - 1} times (${IN_FLIGHT} pipelines in flight)`);
    const copyStart = performance.now();
    let done = 0;
    await pool(
      Array.from({ length: o.pipelines - 1 }, (_, i) => i),
      IN_FLIGHT,
      async (i) => {
        await copyPipeline(c, namespace, template, i);
        if (++done % 500 === 0)
          log(`${done}/${o.pipelines - 1} copied (${((performance.now() - copyStart) / 1000).toFixed(0)} s)`);
      },
    );
    log('cold restart');
    const r = await coldRestart(c, namespace, o);
    await r.op.stop();
    const created = r.requests.get('POST jobs') ?? 0;
    const mem = (m: Memory) =>
      `RSS ${m.rssMiB.toFixed(0)} MiB, JS heap used ${m.heapUsedMiB.toFixed(0)} MiB (heap total ${m.heapTotalMiB.toFixed(0)}, external ${m.externalMiB.toFixed(0)}, array buffers ${m.arrayBuffersMiB.toFixed(0)})`;
    return `${header('Benchmark: idle-scale', o.command, `${o.pipelines} Pipelines of ${o.stages} stages whose runs finished, ${o.pipelines * o.stages} Jobs and ${o.pipelines * template.revisions.length} ControllerRevisions, made as described in bench/README.md; operator with ${o.workers} workers, MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX ?? '2 (as the image)'}${process.env.BENCH_UNBUNDLED === '1' ? ', unbundled (tsc output)' : ', bundled as in the image'}`)}
| figure | value |
|---|---|
| **cold restart**: operator process start → every one of the ${o.pipelines} Pipelines reconciled once | ${(r.t.lastFirstReconcileMs / 1000).toFixed(1)} s |
| … of which: process start → caches synced (lists of Pipelines, Jobs, revisions in parallel; Jobs in pages of 2,000, Pipelines and revisions of 1,000) | ${((r.t.syncedAtMs ?? NaN) / 1000).toFixed(1)} s |
| Jobs created by the restarted operator (0 = none twice) | ${created} |
| reconcile wall time during the restart p50 / p95 / p99 | ${pcts(
      r.reconciles.map((x) => x.wallMs),
      1,
    )} ms |
${reconcileRows(r.reconciles)}
| **idle operator, all in its caches** (15 s after the restart; VmRSS) | ${r.idleRss.toFixed(0)} MiB |
| … after a full GC | ${mem(r.afterGc)} |
| … where the RSS is (smaps_rollup after the GC): anonymous / file-backed; anonymous outside the JS heap | ${r.rollup.anonymousMiB.toFixed(0)} / ${r.rollup.fileMiB.toFixed(0)} MiB; ${(r.rollup.anonymousMiB - r.afterGc.heapTotalMiB).toFixed(0)} MiB |
| peak RSS during the restart (VmHWM) | ${r.peakDuringRestart.toFixed(0)} MiB |
| idle operator with no Pipelines, after a full GC | ${mem(emptyMemory)} |
| loading (RSS/heap MiB after a GC): node alone → + @kubernetes/client-node → + the operator's modules (tsc output) | ${imports.unbundled} |
| loading the operator bundled as in the image (RSS/heap MiB after a GC): node alone → bundle | ${imports.bundled} |
${requestRows(r.requests, o.pipelines, 'Pipeline')}
`;
  });
}
