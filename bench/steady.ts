// --scenario steady: N pipelines active at once, each a chain of M stages whose pods run for a
// duration drawn uniformly from [min, max] seconds (kwok's run-duration annotation on the stage's
// pod template). Once every pipeline's first Job exists and a warm-up has passed, a fixed window
// is measured: hand-offs whose upstream finished inside it (bench's watch, and the operator's own
// share from its timings), queue wait, and API writes per stage finished in the window.
// --shards K runs K shard processes (bench/fleet.ts).
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import {
  createRetrying,
  withCluster,
  header,
  JobWatch,
  log,
  mean,
  pcts,
  pool,
  reconcileRows,
  requestRows,
  sleep,
  stagesOf,
  type Clients,
} from './lib.ts';
import {
  fleetDescription,
  fleetRequests,
  fleetRequestsSince,
  fleetTimings,
  fleetUsage,
  startFleet,
  stopFleet,
  usageRows,
  type Fleet,
} from './fleet.ts';

export type SteadyOptions = {
  pipelines: number;
  stages: number;
  workers: number;
  shards: number;
  minSeconds: number;
  maxSeconds: number;
  windowSeconds: number;
  warmupSeconds: number;
  command: string;
  publish: (report: string) => void;
};

async function createAndStart(
  c: Clients,
  namespace: string,
  fleet: Fleet,
  watch: JobWatch,
  o: SteadyOptions,
): Promise<void> {
  const duration = () => o.minSeconds + Math.floor(Math.random() * (o.maxSeconds - o.minSeconds + 1));
  log(
    `operator: ${o.pipelines} pipelines × ${o.stages} stages of ${o.minSeconds}–${o.maxSeconds} s; ${fleetDescription(fleet, o.workers)}`,
  );
  await pool(
    Array.from({ length: o.pipelines }, (_, i) => i),
    16,
    (i) => {
      const body = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: 'Pipeline',
        metadata: { name: `steady-${i}`, labels: fleet.labelsOf(i) },
        spec: { stages: stagesOf(o.stages, 'chain', duration) },
      };
      return createRetrying(`Pipeline steady-${i}`, () =>
        c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body }),
      );
    },
  );
  for (let i = 0; watch.rootSeen().size < o.pipelines; i++) {
    if (i % 10 === 0) log(`${watch.rootSeen().size}/${o.pipelines} pipelines started`);
    if (i > 1200)
      throw new Error(`only ${watch.rootSeen().size} of ${o.pipelines} pipelines started within 10 minutes`);
    await sleep(500);
  }
}

async function measureWindow(fleet: Fleet, watch: JobWatch, o: SteadyOptions): Promise<string> {
  await fleetTimings(fleet);
  const before = await fleetRequests(fleet);
  const cpuBefore = fleetUsage(fleet).cpuSeconds;
  const from = performance.now();
  log(`measuring ${o.windowSeconds} s`);
  // The window is the measurement itself: what happens in it is what the report counts.
  await sleep(o.windowSeconds * 1000);
  const to = performance.now();
  const requests = await fleetRequestsSince(fleet, before);
  const samples = await fleetTimings(fleet);
  const usage = fleetUsage(fleet, cpuBefore);

  const finished = [...watch.completed.values()].filter((t) => t >= from && t < to).length;
  const lastStage = `s${o.stages - 1}`;
  const done = [...watch.meta].filter(
    ([name, m]) => m.stage === lastStage && (watch.completed.get(name) ?? Infinity) < to,
  ).length;
  const handoffs = watch.handoffs(from, to);
  const opHandoff = samples.handoffMs.filter((h) => h.by === 'job').map((h) => h.ms);
  const median = (text: string) => Number(text.split(' / ')[0]);
  return `${header('Benchmark: steady', o.command, `${o.pipelines} pipelines × ${o.stages} stages in a chain, each pod running ${o.minSeconds}–${o.maxSeconds} s (uniform); measured over ${o.windowSeconds} s after every pipeline started and ${o.warmupSeconds} s of warm-up; ${fleetDescription(fleet, o.workers)}`)}
| figure | value |
|---|---|
| stages finished in the window | ${finished} (${(finished / o.windowSeconds).toFixed(1)} /s) |
| pipelines active through the window (not finished before its end) | ${o.pipelines - done} of ${o.pipelines} |
| stage hand-off p50 / p95 / p99 (${handoffs.length}; upstream seen Complete → downstream seen, by the bench) | ${pcts(handoffs)} ms |
| **operator's share of the hand-off**: Job event → next Job create sent, p50 / p95 / p99 (${opHandoff.length}) | ${pcts(opHandoff, 1)} ms |
| cluster's share (bench hand-off minus operator's share, medians) | ${(median(pcts(handoffs)) - median(pcts(opHandoff, 1))).toFixed(0)} ms |
| queue wait (watch event → reconcile starts) p50 / p95 / p99, mean | ${pcts(samples.queueWaitMs, 1)} ms, ${mean(samples.queueWaitMs).toFixed(1)} ms |
${reconcileRows(samples.reconciles)}
${requestRows(requests.total, Math.max(1, finished))}
${usageRows(fleet, usage, requests, o.windowSeconds, 'in the window')}

Writes per stage divide the operator's requests in the window by the stages that finished in it.
Pipelines that finish all their stages before the window ends stay finished: with short chains,
fewer pipelines are active late in the window (the default --stages outlasts the start,
--warmup and --window even at --min seconds a stage).
`;
}

export async function steady(o: SteadyOptions): Promise<void> {
  await withCluster(o.publish, async (c, ns) => {
    const namespace = await ns.create('steady');
    const fleet = await startFleet(c, [namespace], o.workers, o.shards);
    const watch = new JobWatch(c, namespace);
    await watch.start();
    try {
      await createAndStart(c, namespace, fleet, watch, o);
      log(`all started; warming up ${o.warmupSeconds} s`);
      await sleep(o.warmupSeconds * 1000);
      return await measureWindow(fleet, watch, o);
    } finally {
      await stopFleet(fleet);
      await watch.stop();
    }
  });
}
