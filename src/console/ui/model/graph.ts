// A Pipeline as the graph both the Console and the Headlamp plugin draw: every stage of the spec,
// wide fan-outs as group nodes, onFailure stages apart, keyed by uid + generation (+ expanded
// groups) so a layout is computed once per spec. Pure: no DOM, no framework.
import type { Pipeline } from '../../protocol.ts';
import { groupStages, type StageGroup } from './grouping.ts';
import type { LayoutRequest } from './layout.ts';

export type PipelineGraph = { req: LayoutRequest; groups: StageGroup[] };

export function pipelineGraph(p: Pipeline, expanded: ReadonlySet<string> = new Set()): PipelineGraph {
  const graph = groupStages(
    p.spec.stages.map((s) => ({ name: s.name, dependsOn: s.dependsOn ?? [] })),
    undefined,
    expanded,
  );
  const groupIds = new Set(graph.groups.map((g) => g.id));
  const stages = [
    ...graph.stages.map((s) => ({ ...s, kind: groupIds.has(s.name) ? ('group' as const) : ('stage' as const) })),
    ...(p.spec.onFailure ?? []).map((s) => ({ name: s.name, dependsOn: [], kind: 'onFailure' as const })),
  ];
  const key = `${p.metadata.uid ?? p.metadata.name}:${p.metadata.generation ?? 0}:${[...expanded].sort().join(',')}`;
  return {
    req: { key, stages, groups: graph.groups.map((g) => ({ id: g.id, members: g.members })) },
    groups: graph.groups,
  };
}

export type Progress = { done: number; total: number; percent: number };

/** status.progress ("3/5": finished stages of the latest run) as numbers; undefined when absent or unreadable. */
export function parseProgress(progress: string | undefined): Progress | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(progress ?? '');
  if (!m) return undefined;
  const done = Number(m[1]);
  const total = Number(m[2]);
  return { done, total, percent: total > 0 ? Math.round((done / total) * 100) : 0 };
}

/** The Pipeline's phase as the overview shows it: Pending until the operator has written one. */
export function pipelinePhase(p: Pipeline): string {
  return p.status?.phase ?? 'Pending';
}
