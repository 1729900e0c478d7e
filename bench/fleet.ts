// One operator, or K shards of it (--shards K): each shard is an operator process started with
// --shard-key shard-<i> (docs/operations.md, "Shards"), and pipeline i carries the label of shard i mod K. The
// fleet reads the figures of all its processes as one (requests summed, timing samples joined)
// and its CPU and peak RSS per process and in all.
import {
  cpuSecondsOf,
  diffCounts,
  reconcileStatsOf,
  requestsOf,
  rssOf,
  startOperator,
  timingsOf,
  type Clients,
  type Operator,
  type Timings,
} from './lib.ts';

export const SHARD_LABEL = 'sharding.conveyor.dev/key';

export type Fleet = {
  /** 0 for one operator without --shard-key (the default shard); else the number of shards. */
  shards: number;
  operators: Operator[];
  /** The labels pipeline i gets: its shard's key, or none without shards. */
  labelsOf: (i: number) => Record<string, string>;
};

const keyOf = (i: number) => `shard-${i}`;

export async function startFleet(c: Clients, namespaces: string[], workers: number, shards: number): Promise<Fleet> {
  if (shards === 0) return { shards, operators: [await startOperator(c, namespaces, workers)], labelsOf: () => ({}) };
  const operators = await Promise.all(
    Array.from({ length: shards }, (_, i) =>
      startOperator(c, namespaces, workers, { args: ['--shard-key', keyOf(i)] }),
    ),
  );
  return { shards, operators, labelsOf: (i) => ({ [SHARD_LABEL]: keyOf(i % shards) }) };
}

/** Reads one operator's endpoint; a failure names the process and whether it exited. */
async function ask<T>(f: Fleet, i: number, read: (port: number) => Promise<T>): Promise<T> {
  const op = f.operators[i]!;
  try {
    return await read(op.port);
  } catch (err) {
    const { exitCode, signalCode, pid } = op.process;
    const state = exitCode !== null || signalCode !== null ? `exited (${signalCode ?? `code ${exitCode}`})` : 'running';
    throw new Error(
      `operator ${f.shards === 0 ? '' : `${keyOf(i)} `}(pid ${pid}, ${state}) did not answer on port ${op.port}: ${String(err)}`,
    );
  }
}

export async function stopFleet(f: Fleet): Promise<void> {
  await Promise.all(f.operators.map((op) => op.stop()));
}

/** Request counts by "VERB resource": summed over the operators, and each operator's. */
export type Requests = { total: Map<string, number>; perShard: Map<string, number>[] };

function summed(perShard: Map<string, number>[]): Requests {
  const total = new Map<string, number>();
  for (const counts of perShard) for (const [k, n] of counts) total.set(k, (total.get(k) ?? 0) + n);
  return { total, perShard };
}

export async function fleetRequests(f: Fleet): Promise<Requests> {
  const perShard: Map<string, number>[] = [];
  for (let i = 0; i < f.operators.length; i++) perShard.push(await ask(f, i, requestsOf));
  return summed(perShard);
}

export async function fleetRequestsSince(f: Fleet, before: Requests): Promise<Requests> {
  const now = await fleetRequests(f);
  return summed(now.perShard.map((counts, i) => diffCounts(counts, before.perShard[i] ?? new Map())));
}

/** Every operator's timing samples since the previous call, joined. */
export async function fleetTimings(f: Fleet): Promise<Timings['samples']> {
  const all: Timings['samples'] = { queueWaitMs: [], handoffMs: [], reconciles: [] };
  for (let i = 0; i < f.operators.length; i++) {
    const s = (await ask(f, i, timingsOf)).samples;
    all.queueWaitMs.push(...s.queueWaitMs);
    all.handoffMs.push(...s.handoffMs);
    all.reconciles.push(...s.reconciles);
  }
  return all;
}

export async function fleetReconciles(f: Fleet): Promise<number> {
  let count = 0;
  for (let i = 0; i < f.operators.length; i++) count += (await ask(f, i, reconcileStatsOf)).count;
  return count;
}

export type ProcessUsage = { cpuSeconds: number[]; peakRssMiB: number[] };

/** CPU seconds used since `before` (undefined: since start) and peak RSS, per process. */
export function fleetUsage(f: Fleet, before?: number[]): ProcessUsage {
  return {
    cpuSeconds: f.operators.map((op, i) => cpuSecondsOf(op.process.pid!) - (before?.[i] ?? 0)),
    peakRssMiB: f.operators.map((op) => rssOf(op.process.pid!)),
  };
}

/** Report rows: CPU and peak RSS in all, and per shard (with the Jobs each created) when there are several processes. */
export function usageRows(f: Fleet, u: ProcessUsage, requests: Requests, seconds: number, over: string): string {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const cpu = sum(u.cpuSeconds);
  const what =
    f.shards === 0
      ? 'operator'
      : f.shards === 1
        ? 'the one shard process (shard-0)'
        : `${f.shards} shard processes, summed`;
  const rows = [
    `| ${what}: peak RSS (VmHWM) | ${sum(u.peakRssMiB).toFixed(0)} MiB |`,
    `| ${what}: CPU time (user + system) ${over} | ${cpu.toFixed(1)} s (${((cpu / seconds) * 100).toFixed(0)} % of one core) |`,
  ];
  if (f.shards > 1) {
    const per = f.operators
      .map(
        (_, i) =>
          `${keyOf(i)} ${u.cpuSeconds[i]!.toFixed(1)} s / ${u.peakRssMiB[i]!.toFixed(0)} MiB / ${requests.perShard[i]?.get('POST jobs') ?? 0}`,
      )
      .join('; ');
    rows.push(`| per shard: CPU / peak RSS / Jobs created | ${per} |`);
  }
  return rows.join('\n');
}

export const fleetDescription = (f: Fleet, workers: number): string =>
  f.shards === 0
    ? `one operator with ${workers} workers`
    : f.shards === 1
      ? `one shard operator process (--shard-key shard-0, every pipeline labelled ${SHARD_LABEL}=shard-0) with ${workers} workers`
      : `${f.shards} shard operator processes (--shard-key shard-0 … shard-${f.shards - 1}, pipelines labelled ${SHARD_LABEL} round-robin), each with ${workers} workers`;
