// --scenario steady: N pipelines active at once, each a chain of M stages whose pods run for a
// duration drawn uniformly from [min, max] seconds (kwok's run-duration annotation on the stage's
// pod template). Once every pipeline's first Job exists and a warm-up has passed, a fixed window
// is measured: hand-offs whose upstream finished inside it (bench's watch, and the operator's own
// share from its timings), queue wait, and API writes per stage finished in the window.
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import {
  withCluster, cpuSecondsOf, diffCounts, header, JobWatch, log, mean, pcts, pool, reconcileRows, requestRows, requestsOf,
  rssOf, sleep, stagesOf, startOperator, timingsOf,
} from './lib.ts';

export type SteadyOptions = { pipelines: number; stages: number; workers: number; minSeconds: number; maxSeconds: number; windowSeconds: number; warmupSeconds: number; command: string; publish: (report: string) => void };

export async function steady(o: SteadyOptions): Promise<void> {
  await withCluster(o.publish, async (c, ns) => {
    const namespace = await ns.create('steady');
    const op = await startOperator(c, [namespace], o.workers);
    const watch = new JobWatch(c, namespace);
    await watch.start();
    const duration = () => o.minSeconds + Math.floor(Math.random() * (o.maxSeconds - o.minSeconds + 1));
    log(`operator: ${o.pipelines} pipelines × ${o.stages} stages of ${o.minSeconds}–${o.maxSeconds} s`);
    await pool(Array.from({ length: o.pipelines }, (_, i) => i), 16, (i) =>
      c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Pipeline', metadata: { name: `steady-${i}` }, spec: { stages: stagesOf(o.stages, 'chain', duration) } } }),
    );
    for (let i = 0; watch.rootSeen().size < o.pipelines; i++) {
      if (i % 10 === 0) log(`${watch.rootSeen().size}/${o.pipelines} pipelines started`);
      if (i > 1200) throw new Error('not every pipeline started within 10 minutes');
      await sleep(500);
    }
    log(`all started; warming up ${o.warmupSeconds} s`);
    await sleep(o.warmupSeconds * 1000);
    await timingsOf(op.port);
    const before = await requestsOf(op.port);
    const cpuBefore = cpuSecondsOf(op.process.pid!);
    const from = performance.now();
    log(`measuring ${o.windowSeconds} s`);
    await sleep(o.windowSeconds * 1000);
    const to = performance.now();
    const requests = diffCounts(await requestsOf(op.port), before);
    const timings = await timingsOf(op.port);
    const cpuSeconds = cpuSecondsOf(op.process.pid!) - cpuBefore;
    const peakRss = rssOf(op.process.pid!);
    await op.stop();
    await watch.stop();

    const finished = [...watch.completed.values()].filter((t) => t >= from && t < to).length;
    const handoffs = watch.handoffs(from, to);
    const opHandoff = timings.samples.handoffMs.filter((h) => h.by === 'job').map((h) => h.ms);
    return `${header('Benchmark: steady', o.command, `${o.pipelines} pipelines × ${o.stages} stages in a chain, each pod running ${o.minSeconds}–${o.maxSeconds} s (uniform); measured over ${o.windowSeconds} s after every pipeline started and ${o.warmupSeconds} s of warm-up; operator with ${o.workers} workers`)}
| figure | value |
|---|---|
| stages finished in the window | ${finished} (${(finished / o.windowSeconds).toFixed(1)} /s) |
| stage hand-off p50 / p95 / p99 (${handoffs.length}; upstream seen Complete → downstream seen, by the bench) | ${pcts(handoffs)} ms |
| **operator's share of the hand-off**: Job event → next Job create sent, p50 / p95 / p99 (${opHandoff.length}) | ${pcts(opHandoff, 1)} ms |
| cluster's share (bench hand-off minus operator's share, medians) | ${(pcts(handoffs).split(' / ').map(Number)[0]! - Number(pcts(opHandoff, 1).split(' / ')[0])).toFixed(0)} ms |
| queue wait (watch event → reconcile starts) p50 / p95 / p99, mean | ${pcts(timings.samples.queueWaitMs, 1)} ms, ${mean(timings.samples.queueWaitMs).toFixed(1)} ms |
${reconcileRows(timings.samples.reconciles)}
${requestRows(requests, Math.max(1, finished))}
| operator CPU in the window | ${cpuSeconds.toFixed(1)} s (${((cpuSeconds / o.windowSeconds) * 100).toFixed(0)} % of one core) |
| operator peak RSS (VmHWM) | ${peakRss.toFixed(0)} MiB |

Writes per stage divide the operator's requests in the window by the stages that finished in it.
`;
  });
}
