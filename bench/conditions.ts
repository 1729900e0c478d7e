// What else ran on the machine during a benchmark, read from /proc, so a report says whether its
// run was quiet instead of assuming it was shared: the load average at start and end, and the CPU
// seconds the whole machine, the cluster's processes, the bench with its operators, and everything
// else used between the two readings.
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Process names (comm, cut to 15 characters by the kernel) of the local cluster's processes. */
const CLUSTER = new Map<string, string>([
  ['kube-apiserver', 'kube-apiserver'],
  ['etcd', 'etcd'],
  ['kube-controller', 'kube-controller-manager'],
  ['kube-scheduler', 'kube-scheduler'],
  ['kwok-controller', 'kwok'],
]);
/** Node's main thread renames itself (Node ≥ 22), so both names are Node processes. */
const NODE = new Set(['node', 'MainThread']);

type ProcessCpu = { comm: string; seconds: number };
export type Snapshot = { at: number; load: number[]; busySeconds: number; processes: Map<number, ProcessCpu> };

/** Busy CPU seconds of the whole machine since boot (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / 100;
}

function processCpu(pid: number): ProcessCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { comm, seconds: (Number(fields[11]) + Number(fields[12])) / 100 };
  } catch {
    return undefined; // exited between the listing and the read
  }
}

export function snapshot(): Snapshot {
  const processes = new Map<number, ProcessCpu>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cpu = processCpu(Number(entry));
    if (cpu) processes.set(Number(entry), cpu);
  }
  return { at: performance.now(), load: loadavg(), busySeconds: machineBusySeconds(), processes };
}

export type Usage = {
  seconds: number;
  busySeconds: number;
  loadStart: number[];
  loadEnd: number[];
  cluster: Map<string, number>;
  ours: number;
  otherNode: number;
  rest: number;
};

/**
 * CPU seconds per group between two snapshots. `ours` are this bench's pids (itself and its
 * operators); `oursExited` the CPU seconds of those that exited, read as they were stopped. A
 * process that started after `from` counts whole; another one that exited before `to` is missed
 * by the per-process groups but not by the machine's busy time, so `rest` is what the machine
 * used minus the groups (never below 0).
 */
export function usageBetween(
  from: Snapshot,
  to: Snapshot,
  ours: Set<number>,
  oursExited = new Map<number, number>(),
): Usage {
  const cluster = new Map<string, number>();
  let [oursSeconds, otherNode] = [0, 0];
  for (const [pid, seconds] of oursExited)
    if (!to.processes.has(pid)) oursSeconds += seconds - (from.processes.get(pid)?.seconds ?? 0);
  for (const [pid, now] of to.processes) {
    const before = from.processes.get(pid);
    const used = now.seconds - (before?.comm === now.comm ? before.seconds : 0);
    const name = CLUSTER.get(now.comm);
    if (ours.has(pid)) oursSeconds += used;
    else if (name) cluster.set(name, (cluster.get(name) ?? 0) + used);
    else if (NODE.has(now.comm)) otherNode += used;
  }
  const busySeconds = to.busySeconds - from.busySeconds;
  const grouped = oursSeconds + otherNode + [...cluster.values()].reduce((a, b) => a + b, 0);
  return {
    seconds: (to.at - from.at) / 1000,
    busySeconds,
    loadStart: from.load,
    loadEnd: to.load,
    cluster,
    ours: oursSeconds,
    otherNode,
    rest: Math.max(0, busySeconds - grouped),
  };
}

/** Below this share of the machine, what else ran is called quiet (a few % is the kernel and shells). */
const QUIET_SHARE = 0.05;

/** The report's "Conditions" paragraph: measured, and whether the run was quiet or shared. */
export function describeUsage(u: Usage): string {
  const cores = cpus().length;
  const capacity = u.seconds * cores;
  const pct = (s: number) => `${((s / capacity) * 100).toFixed(0)} %`;
  const others = u.otherNode + u.rest;
  const cluster = [...u.cluster]
    .sort(([, a], [, b]) => b - a)
    .map(([name, s]) => `${name} ${s.toFixed(0)} s`)
    .join(', ');
  // The CPU others used decides, not the load average: right after a previous run (its namespaces
  // still being deleted) the 1-minute load is high for a minute although nothing else runs.
  const verdict =
    others / capacity < QUIET_SHARE
      ? 'a **quiet** run: nothing outside the bench and the cluster used more than 5 % of the machine'
      : `a **shared** run: other processes used ${pct(others)} of the machine (other Node processes ${u.otherNode.toFixed(0)} s, the rest ${u.rest.toFixed(0)} s), so absolute times are noisy: compare the ratios measured in one run`;
  return `Conditions (measured from /proc over the run's ${u.seconds.toFixed(0)} s on ${cores} cores): load average ${u.loadStart.map((l) => l.toFixed(2)).join(' / ')} at the start, ${u.loadEnd.map((l) => l.toFixed(2)).join(' / ')} at the end (1 / 5 / 15 min); machine busy ${pct(u.busySeconds)}; the bench and its operators ${u.ours.toFixed(0)} s of CPU; the cluster ${cluster || 'not found in /proc'}; ${verdict}.`;
}
