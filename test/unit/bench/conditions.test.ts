// bench/conditions.ts: what else used the machine during a run, from two /proc snapshots (no
// cluster; the snapshots are built by hand) and the header's verdict, quiet or shared.
import { describe, expect, it } from 'vitest';
import { cpus } from 'node:os';
import { describeUsage, snapshot, usageBetween, type Snapshot } from '../../../bench/conditions.ts';

const snap = (
  atSeconds: number,
  busySeconds: number,
  load: number,
  processes: [number, string, number][],
): Snapshot => ({
  at: atSeconds * 1000,
  load: [load, load, load],
  busySeconds,
  processes: new Map(processes.map(([pid, comm, seconds]) => [pid, { comm, seconds }])),
});

describe('run conditions', () => {
  it('splits CPU seconds into the bench, the cluster, other Node processes and the rest', () => {
    const from = snap(0, 1000, 0.2, [
      [1, 'MainThread', 5],
      [2, 'kube-apiserver', 100],
      [3, 'etcd', 50],
      [4, 'node', 10],
      [9, 'MainThread', 3],
    ]);
    const to = snap(100, 1150, 0.4, [
      [1, 'MainThread', 15], // the bench: +10
      [2, 'kube-apiserver', 160], // +60
      [3, 'etcd', 70], // +20
      [4, 'node', 25], // another Node process: +15
      [5, 'kube-controller', 5], // started during the run: counts whole
      [9, 'sh', 2], // pid reused by another program: counts whole, not as a difference
      [7, 'MainThread', 30], // an operator of the bench, started during the run
    ]);
    const u = usageBetween(from, to, new Set([1, 7]));
    expect(u.seconds).toBe(100);
    expect(u.busySeconds).toBe(150);
    expect(u.ours).toBe(40);
    expect(Object.fromEntries(u.cluster)).toEqual({ 'kube-apiserver': 60, etcd: 20, 'kube-controller-manager': 5 });
    expect(u.otherNode).toBe(15);
    // 150 busy − (40 + 85 + 15) grouped: what exited or is not grouped (the kernel, shells).
    expect(u.rest).toBe(10);
  });

  it("counts the bench's operators that were stopped before the report as the bench's, from their last reading", () => {
    const from = snap(0, 0, 0, [[7, 'MainThread', 2]]);
    const to = snap(10, 20, 0, [[1, 'MainThread', 5]]); // operators 7 and 8 have exited
    const u = usageBetween(
      from,
      to,
      new Set([1, 7, 8]),
      new Map([
        [7, 6],
        [8, 3],
      ]),
    );
    expect(u.ours).toBe(5 + (6 - 2) + 3);
    expect(u.rest).toBe(20 - 12);
  });

  it('never reports a negative rest when the groups exceed the machine counter', () => {
    const u = usageBetween(snap(0, 0, 0, []), snap(10, 5, 0, [[2, 'etcd', 8]]), new Set());
    expect(u.rest).toBe(0);
  });

  const cores = cpus().length;
  it.each([
    // [others' CPU seconds over 100 s, load at the start, verdict]
    [0, 0.1, /a \*\*quiet\*\* run/],
    [0.04 * 100 * cores, 0.1, /a \*\*quiet\*\* run/],
    [0.06 * 100 * cores, 0.1, /a \*\*shared\*\* run: other processes used 6 % of the machine/],
    // A high load at the start (a previous run's tail) does not make a run shared: CPU decides.
    [0, cores * 2, /a \*\*quiet\*\* run/],
  ])('others using %d s with a load of %d at the start: %s', (others, load, verdict) => {
    const u = usageBetween(
      snap(0, 0, load, []),
      snap(100, others + 20, 0.5, [
        [1, 'MainThread', 20],
        [5, 'node', others],
      ]),
      new Set([1]),
    );
    expect(describeUsage(u)).toMatch(verdict);
  });

  it('reads this machine (/proc) and names the load averages and this process', () => {
    const from = snapshot();
    const to = snapshot();
    expect(to.processes.get(process.pid)).toBeDefined();
    const text = describeUsage(usageBetween(from, to, new Set([process.pid])));
    expect(text).toMatch(
      /^Conditions \(measured from \/proc over the run's \d+ s on \d+ cores\): load average [\d.]+ \/ [\d.]+ \/ [\d.]+ at the start/,
    );
  });
});
