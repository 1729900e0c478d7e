// Wide fan-outs collapse into one group node so a 1→150→1 pipeline stays readable: stages with
// the same upstream and the same downstream stages are interchangeable in the drawing, and more
// than `threshold` of them side by side are drawn as one node ("150 stages: s001…s150"). Pure
// logic (no DOM), shared by the view and the unit tests.

export type GraphStage = { name: string; dependsOn: string[] };
export type StageGroup = { id: string; members: string[]; label: string };
export type GroupedGraph = {
  /** Stages with each collapsed group replaced by one stage named by the group's id. */
  stages: GraphStage[];
  groups: StageGroup[];
};

export const DEFAULT_GROUP_THRESHOLD = 12;
export const GROUP_PREFIX = 'group:';

/** Stages by their dependencies and dependents ("siblings"), in spec order. */
function siblingSets(stages: GraphStage[]): string[][] {
  const dependents = new Map<string, string[]>(stages.map((s) => [s.name, []]));
  for (const s of stages) for (const d of s.dependsOn) dependents.get(d)?.push(s.name);
  const byKey = new Map<string, string[]>();
  for (const s of stages) {
    const key = `${[...s.dependsOn].sort().join(',')}|${[...(dependents.get(s.name) ?? [])].sort().join(',')}`;
    const bucket = byKey.get(key);
    if (bucket) bucket.push(s.name);
    else byKey.set(key, [s.name]);
  }
  return [...byKey.values()];
}

export function groupLabel(members: string[]): string {
  return `${members.length} stages: ${members[0]}…${members[members.length - 1]}`;
}

/**
 * Collapses sibling sets larger than `threshold` unless their group id is in `expanded`.
 * A group's id is GROUP_PREFIX + its first member, stable while the spec is.
 */
export function groupStages(
  stages: GraphStage[],
  threshold = DEFAULT_GROUP_THRESHOLD,
  expanded: ReadonlySet<string> = new Set(),
): GroupedGraph {
  const groupOf = new Map<string, string>();
  const groups: StageGroup[] = [];
  for (const members of siblingSets(stages)) {
    const id = `${GROUP_PREFIX}${members[0]}`;
    if (members.length <= threshold || expanded.has(id)) continue;
    groups.push({ id, members, label: groupLabel(members) });
    for (const m of members) groupOf.set(m, id);
  }
  const emitted = new Set<string>();
  const out: GraphStage[] = [];
  for (const s of stages) {
    const name = groupOf.get(s.name) ?? s.name;
    if (emitted.has(name)) continue;
    emitted.add(name);
    // Members of a group share their dependencies, so the first member speaks for all.
    const dependsOn = [...new Set(s.dependsOn.map((d) => groupOf.get(d) ?? d))];
    out.push({ name, dependsOn });
  }
  return { stages: out, groups };
}

/** How many members of a group are in each phase, e.g. { Succeeded: 140, Running: 10 }. */
export function phaseCounts(members: string[], phaseOf: (stage: string) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of members) {
    const p = phaseOf(m);
    counts[p] = (counts[p] ?? 0) + 1;
  }
  return counts;
}

/** The phase that best sums up a group: any failure, else any running, else the common one. */
export function groupPhase(counts: Record<string, number>): string {
  for (const p of ['Failed', 'Running', 'Pending']) if (counts[p]) return p;
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries[0]?.[0] ?? 'Pending';
}
