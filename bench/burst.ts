// --scenario burst: N pipelines of M stages created at once (default 200 × 5, the bench's original
// workload). In the same run, a plain client first creates the same N Pipelines and N Jobs (one
// of each per pipeline, 16 pipelines in flight as the bench creates them for the operator), in a
// namespace no operator watches: the first wave is measured like with like, from the first create
// to the last root Job, and the operator's cost is what it adds to the plain client's time.
// --mix KxS adds K pipelines of S independent stages to the same burst (e.g. 10x200: the
// reconcile rows then give a 5-stage and a 200-stage pipeline side by side); --shards K runs K
// shard processes (bench/fleet.ts).
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import type * as k8s from '@kubernetes/client-node';
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
  fleetReconciles,
  fleetRequests,
  fleetRequestsSince,
  fleetTimings,
  fleetUsage,
  startFleet,
  stopFleet,
  usageRows,
  type Fleet,
  type Requests,
} from './fleet.ts';

/** A group of identical pipelines in the burst. */
export type Group = { pipelines: number; stages: number; shape: 'chain' | 'wide'; prefix: string };
export type BurstOptions = {
  pipelines: number;
  stages: number;
  workers: number;
  shape: 'chain' | 'wide';
  shards: number;
  /** Extra pipelines in the same burst (--mix), always `wide`. */
  mix?: { pipelines: number; stages: number };
  command: string;
  publish: (report: string) => void;
};
const IN_FLIGHT = 16;

const pipelineBody = (name: string, stages: Record<string, unknown>[], labels: Record<string, string> = {}) => ({
  apiVersion: `${GROUP}/${VERSION}`,
  kind: 'Pipeline',
  metadata: { name, labels },
  spec: { stages },
});

function plainJob(name: string): k8s.V1Job {
  return {
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: { restartPolicy: 'Never', containers: [{ name: 'stage', image: 'busybox:1.36', command: ['true'] }] },
      },
    },
  };
}

export function groupsOf(o: BurstOptions): Group[] {
  const main: Group = { pipelines: o.pipelines, stages: o.stages, shape: o.shape, prefix: 'bench' };
  return o.mix ? [main, { ...o.mix, shape: 'wide', prefix: 'mix' }] : [main];
}

/** Every pipeline of the burst, in creation order: the mix is spread evenly among the main group. */
function pipelinesOf(groups: Group[]): { name: string; group: Group }[] {
  const all = groups.flatMap((g) =>
    Array.from({ length: g.pipelines }, (_, i) => ({
      name: `${g.prefix}-${i}`,
      group: g,
      at: (i + 0.5) / g.pipelines,
    })),
  );
  return all.sort((a, b) => a.at - b.at).map(({ name, group }) => ({ name, group }));
}

/** The plain client: Pipeline i then Job i, IN_FLIGHT at once. Seconds from first create to last. */
async function plainClient(c: Clients, namespace: string, groups: Group[]): Promise<number> {
  const items = pipelinesOf(groups);
  const start = performance.now();
  await pool(items, IN_FLIGHT, async ({ name, group }) => {
    const body = pipelineBody(`raw-${name}`, stagesOf(group.stages, group.shape));
    await createRetrying(`Pipeline raw-${name}`, () =>
      c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body }),
    );
    await createRetrying(`Job raw-${name}`, () =>
      c.batch.createNamespacedJob({ namespace, body: plainJob(`raw-${name}`) }),
    );
  });
  return (performance.now() - start) / 1000;
}

async function waitAllSucceeded(
  c: Clients,
  namespace: string,
  pipelines: number,
  jobs: number,
  watch: JobWatch,
  start: number,
): Promise<void> {
  for (let i = 0; ; i++) {
    // A list the busy API server fails is asked again next second (the timeout below still holds).
    const list = (await c.custom
      .listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })
      .catch((err: unknown) => {
        log(`listing Pipelines: ${String(err).split('\n')[0]}; asking again`);
        return { items: [] };
      })) as { items: { status?: { phase?: string } }[] };
    const done = list.items.filter((p) => p.status?.phase === 'Succeeded').length;
    if (done === pipelines) return;
    if (i % 10 === 0) log(`${done}/${pipelines} pipelines succeeded, ${watch.created.size}/${jobs} Jobs`);
    if (performance.now() - start > 30 * 60_000)
      throw new Error(`timed out with ${done}/${pipelines} pipelines succeeded`);
    await sleep(1000);
  }
}

type Measured = {
  wall: number;
  createSeconds: number;
  start: number;
  createdAt: Map<string, number>;
  requests: Requests;
  reconciles: number;
  samples: Awaited<ReturnType<typeof fleetTimings>>;
  usage: ReturnType<typeof fleetUsage>;
};

/** Creates the burst for the fleet and waits until every pipeline Succeeded. */
async function runBurst(
  c: Clients,
  namespace: string,
  fleet: Fleet,
  groups: Group[],
  watch: JobWatch,
): Promise<Measured> {
  const items = pipelinesOf(groups);
  const jobs = groups.reduce((n, g) => n + g.pipelines * g.stages, 0);
  const before = await fleetRequests(fleet);
  await fleetTimings(fleet);
  const cpuBefore = fleetUsage(fleet).cpuSeconds;
  const start = performance.now();
  const createdAt = new Map<string, number>();
  await pool(
    items.map((item, i) => ({ ...item, labels: fleet.labelsOf(i) })),
    IN_FLIGHT,
    async ({ name, group, labels }) => {
      const body = pipelineBody(name, stagesOf(group.stages, group.shape), labels);
      await createRetrying(`Pipeline ${name}`, () =>
        c.custom.createNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL, body }),
      );
      createdAt.set(name, performance.now());
    },
  );
  const createSeconds = (performance.now() - start) / 1000;
  await waitAllSucceeded(c, namespace, items.length, jobs, watch, start);
  const wall = (performance.now() - start) / 1000;
  const requests = await fleetRequestsSince(fleet, before);
  return {
    wall,
    createSeconds,
    start,
    createdAt,
    requests,
    reconciles: await fleetReconciles(fleet),
    samples: await fleetTimings(fleet),
    usage: fleetUsage(fleet, cpuBefore),
  };
}

const describeGroup = (g: Group) =>
  `${g.pipelines} pipelines × ${g.stages} stages (${g.shape === 'chain' ? 's0 → s1 → … in a chain' : 'all stages independent'})`;

function report(
  o: BurstOptions,
  groups: Group[],
  fleet: Fleet,
  m: Measured,
  plainSeconds: number,
  watch: JobWatch,
): string {
  const pipelines = groups.reduce((n, g) => n + g.pipelines, 0);
  const total = groups.reduce((n, g) => n + g.pipelines * g.stages, 0);
  const roots = watch.rootSeen();
  const firstWave = (Math.max(...roots.values()) - m.start) / 1000;
  const startLatencies = [...roots].map(([p, t]) => t - (m.createdAt.get(p) ?? NaN)).filter(Number.isFinite);
  const handoffs = watch.handoffs();
  const opHandoff = m.samples.handoffMs.filter((h) => h.by === 'job').map((h) => h.ms);
  const opStart = m.samples.handoffMs.filter((h) => h.by === 'pipeline').map((h) => h.ms);
  return `${header('Benchmark: burst', o.command, `${groups.map(describeGroup).join(' and ')}, all created at once; pods finish at once; ${fleetDescription(fleet, o.workers)}`)}
| figure | value |
|---|---|
| wall time, first create → all ${pipelines} pipelines Succeeded | ${m.wall.toFixed(1)} s |
| **first wave**: first Pipeline create → last root Job seen, operator | ${firstWave.toFixed(1)} s |
| first wave, plain client creating the same ${pipelines} Pipelines and ${pipelines} Jobs (${IN_FLIGHT} in flight) | ${plainSeconds.toFixed(1)} s |
| **what the operator adds to the plain client's time** | ${(((firstWave - plainSeconds) / plainSeconds) * 100).toFixed(0)} % |
| creating the ${pipelines} Pipelines alone (${IN_FLIGHT} in flight) | ${m.createSeconds.toFixed(1)} s |
| first Job after its Pipeline was created, p50 / p95 / p99 (seen by the bench) | ${pcts(startLatencies)} ms |
| … operator's share: Pipeline event → Job create sent, p50 / p95 / p99 | ${pcts(opStart)} ms |
| stage hand-off p50 / p95 / p99 (${handoffs.length}; upstream seen Complete → downstream seen, by the bench; chains only) | ${pcts(handoffs)} ms |
| … operator's share: Job event → next Job create sent, p50 / p95 / p99 (${opHandoff.length}) | ${pcts(opHandoff, 1)} ms |
| queue wait (watch event → reconcile starts) p50 / p95 / p99, mean | ${pcts(m.samples.queueWaitMs, 1)} ms, ${mean(m.samples.queueWaitMs).toFixed(1)} ms |
| reconciles | ${m.reconciles} (${(m.reconciles / total).toFixed(2)} per stage) |
${reconcileRows(m.samples.reconciles)}
${requestRows(m.requests.total, total)}
${usageRows(fleet, m.usage, m.requests, m.wall, 'over the wall time')}

The bench's hand-off (one watch in the bench process sees the upstream Job Complete and the
downstream Job appear) includes the watch deliveries to the operator and back and the create
request; the operator's share is measured inside it, from the watch event that woke the Pipeline
to the create request being sent (src/controller/runtime/timings.ts). The rest is the cluster's.
`;
}

/** Runs one burst and publishes its report; returns its wall time in seconds (for --pipelines A,B). */
export async function burst(o: BurstOptions): Promise<number> {
  let wall = NaN;
  const groups = groupsOf(o);
  await withCluster(o.publish, async (c, ns) => {
    log(
      `plain client: ${groups.map(describeGroup).join(' and ')}: one Pipeline and one Job each, ${IN_FLIGHT} in flight`,
    );
    const rawNs = await ns.create('raw');
    const plainSeconds = await plainClient(c, rawNs, groups);
    log(`plain client: ${plainSeconds.toFixed(1)} s`);
    await ns.delete(rawNs);

    const opNs = await ns.create('burst');
    const fleet = await startFleet(c, [opNs], o.workers, o.shards);
    const watch = new JobWatch(c, opNs, (pipeline) => !pipeline.startsWith('mix-') && o.shape === 'chain');
    await watch.start();
    log(`operator: ${groups.map(describeGroup).join(' and ')}; ${fleetDescription(fleet, o.workers)}`);
    try {
      const m = await runBurst(c, opNs, fleet, groups, watch);
      wall = m.wall;
      return report(o, groups, fleet, m, plainSeconds, watch);
    } finally {
      await stopFleet(fleet);
      await watch.stop();
    }
  });
  return wall;
}
