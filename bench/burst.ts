// --scenario burst: N pipelines of M stages created at once (default 200 × 5, the bench's original
// workload). In the same run, a plain client first creates the same N Pipelines and N Jobs (one
// of each per pipeline, 16 pipelines in flight as the bench creates them for the operator), in a
// namespace no operator watches: the first wave is measured like with like, from the first create
// to the last root Job, and the operator's cost is what it adds to the plain client's time.
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import type * as k8s from '@kubernetes/client-node';
import {
  withCluster, cpuSecondsOf, diffCounts, header, JobWatch, log, mean, pcts, pool, reconcileRows, reconcileStatsOf,
  requestRows, requestsOf, rssOf, sleep, stagesOf, startOperator, timingsOf, type Clients,
} from './lib.ts';

export type BurstOptions = { pipelines: number; stages: number; workers: number; shape: 'chain' | 'wide'; command: string; publish: (report: string) => void };
const IN_FLIGHT = 16;

const pipelineBody = (name: string, stages: Record<string, unknown>[]) => ({ apiVersion: `${GROUP}/${VERSION}`, kind: 'Pipeline', metadata: { name }, spec: { stages } });

function plainJob(name: string): k8s.V1Job {
  return { metadata: { name }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'stage', image: 'busybox:1.36', command: ['true'] }] } } } };
}

/** The plain client: Pipeline i then Job i, IN_FLIGHT at once. Seconds from first create to last. */
async function plainClient(c: Clients, namespace: string, o: BurstOptions): Promise<number> {
  const stages = stagesOf(o.stages, o.shape);
  const start = performance.now();
  await pool(Array.from({ length: o.pipelines }, (_, i) => i), IN_FLIGHT, async (i) => {
    await c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body: pipelineBody(`raw-${i}`, stages) });
    await c.batch.createNamespacedJob({ namespace, body: plainJob(`raw-${i}`) });
  });
  return (performance.now() - start) / 1000;
}

async function waitAllSucceeded(c: Clients, namespace: string, o: BurstOptions, watch: JobWatch, start: number): Promise<void> {
  for (let i = 0; ; i++) {
    const list = (await c.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })) as { items: { status?: { phase?: string } }[] };
    const done = list.items.filter((p) => p.status?.phase === 'Succeeded').length;
    if (done === o.pipelines) return;
    if (i % 10 === 0) log(`${done}/${o.pipelines} pipelines succeeded, ${watch.created.size}/${o.pipelines * o.stages} Jobs`);
    if (performance.now() - start > 30 * 60_000) throw new Error(`timed out with ${done}/${o.pipelines} pipelines succeeded`);
    await sleep(1000);
  }
}

export async function burst(o: BurstOptions): Promise<void> {
  await withCluster(o.publish, async (c, ns) => {
    log(`plain client: ${o.pipelines} Pipelines and ${o.pipelines} Jobs, ${IN_FLIGHT} in flight`);
    const rawNs = await ns.create('raw');
    const plainSeconds = await plainClient(c, rawNs, o);
    log(`plain client: ${plainSeconds.toFixed(1)} s`);
    await ns.delete(rawNs);

    const opNs = await ns.create('burst');
    const op = await startOperator(c, [opNs], o.workers);
    const watch = new JobWatch(c, opNs);
    await watch.start();
    const stages = stagesOf(o.stages, o.shape);
    const before = await requestsOf(op.port);
    await timingsOf(op.port);
    const cpuBefore = cpuSecondsOf(op.process.pid!);
    log(`operator: ${o.pipelines} pipelines × ${o.stages} stages (${o.shape})`);
    const start = performance.now();
    const createdAt = new Map<string, number>();
    await pool(Array.from({ length: o.pipelines }, (_, i) => i), IN_FLIGHT, async (i) => {
      await c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: opNs, plural: PLURAL, body: pipelineBody(`bench-${i}`, stages) });
      createdAt.set(`bench-${i}`, performance.now());
    });
    const createSeconds = (performance.now() - start) / 1000;
    await waitAllSucceeded(c, opNs, o, watch, start);
    const wall = (performance.now() - start) / 1000;
    const requests = diffCounts(await requestsOf(op.port), before);
    const reconciles = await reconcileStatsOf(op.port);
    const timings = await timingsOf(op.port);
    const peakRss = rssOf(op.process.pid!);
    const cpuSeconds = cpuSecondsOf(op.process.pid!) - cpuBefore;
    await op.stop();
    await watch.stop();

    const roots = watch.rootSeen();
    const firstWave = (Math.max(...roots.values()) - start) / 1000;
    const startLatencies = [...roots].map(([p, t]) => t - (createdAt.get(p) ?? NaN)).filter(Number.isFinite);
    const handoffs = watch.handoffs();
    const opHandoff = timings.samples.handoffMs.filter((h) => h.by === 'job').map((h) => h.ms);
    const opStart = timings.samples.handoffMs.filter((h) => h.by === 'pipeline').map((h) => h.ms);
    const total = o.pipelines * o.stages;
    const report = `${header('Benchmark: burst', o.command, `${o.pipelines} pipelines × ${o.stages} stages (${o.shape === 'chain' ? 's0 → s1 → … in a chain' : 'all stages independent'}), all created at once; pods finish at once; operator with ${o.workers} workers`)}
| figure | value |
|---|---|
| wall time, first create → all ${o.pipelines} pipelines Succeeded | ${wall.toFixed(1)} s |
| **first wave**: first Pipeline create → last root Job seen, operator | ${firstWave.toFixed(1)} s |
| first wave, plain client creating the same ${o.pipelines} Pipelines and ${o.pipelines} Jobs (${IN_FLIGHT} in flight) | ${plainSeconds.toFixed(1)} s |
| **what the operator adds to the plain client's time** | ${(((firstWave - plainSeconds) / plainSeconds) * 100).toFixed(0)} % |
| creating the ${o.pipelines} Pipelines alone (${IN_FLIGHT} in flight) | ${createSeconds.toFixed(1)} s |
| first Job after its Pipeline was created, p50 / p95 / p99 (seen by the bench) | ${pcts(startLatencies)} ms |
| … operator's share: Pipeline event → Job create sent, p50 / p95 / p99 | ${pcts(opStart)} ms |
| stage hand-off p50 / p95 / p99 (${handoffs.length}; upstream seen Complete → downstream seen, by the bench) | ${pcts(handoffs)} ms |
| … operator's share: Job event → next Job create sent, p50 / p95 / p99 (${opHandoff.length}) | ${pcts(opHandoff, 1)} ms |
| queue wait (watch event → reconcile starts) p50 / p95 / p99, mean | ${pcts(timings.samples.queueWaitMs, 1)} ms, ${mean(timings.samples.queueWaitMs).toFixed(1)} ms |
| reconciles | ${reconciles.count} (${(reconciles.count / total).toFixed(2)} per stage) |
${reconcileRows(timings.samples.reconciles)}
${requestRows(requests, total)}
| operator peak RSS (VmHWM) | ${peakRss.toFixed(0)} MiB |
| operator CPU time (user + system) | ${cpuSeconds.toFixed(1)} s (${((cpuSeconds / wall) * 100).toFixed(0)} % of one core over the wall time) |

The bench's hand-off (one watch in the bench process sees the upstream Job Complete and the
downstream Job appear) includes the watch deliveries to the operator and back and the create
request; the operator's share is measured inside it, from the watch event that woke the Pipeline
to the create request being sent (src/controller/timings.ts). The rest is the cluster's.
`;
    return report;
  });
}
