// The DAG's geometry, computed by dagre (layered layout, left to right). Runs in a Web Worker
// (layout-worker.ts) so a 200-stage layout never blocks the page; pure, so unit tests call it
// directly. onFailure stages have no edges: they are set apart in a row under the graph.
import dagre from '@dagrejs/dagre';

export type NodeKind = 'stage' | 'group' | 'onFailure';
export type LayoutStage = { name: string; dependsOn: string[]; kind: NodeKind };
export type LayoutRequest = { key: string; stages: LayoutStage[]; groups: { id: string; members: string[] }[] };
export type LayoutNode = { id: string; x: number; y: number; w: number; h: number; kind: NodeKind };
export type LayoutEdge = { from: string; to: string; points: { x: number; y: number }[] };
export type LayoutResult = { key: string; nodes: LayoutNode[]; edges: LayoutEdge[]; width: number; height: number };

const SIZE: Record<NodeKind, { w: number; h: number }> = {
  stage: { w: 168, h: 36 },
  group: { w: 232, h: 56 },
  onFailure: { w: 168, h: 36 },
};
const MARGIN = 16;
const GAP = 24;

/** x, y of a node are its top-left corner (as an SVG rect wants them). */
function graphNodes(stages: LayoutStage[]): {
  nodes: LayoutNode[];
  edges: LayoutEdge[];
  width: number;
  height: number;
} {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 56, marginx: MARGIN, marginy: MARGIN });
  g.setDefaultEdgeLabel(() => ({}));
  const names = new Set(stages.map((s) => s.name));
  for (const s of stages) g.setNode(s.name, { width: SIZE[s.kind].w, height: SIZE[s.kind].h });
  for (const s of stages) for (const d of s.dependsOn) if (names.has(d)) g.setEdge(d, s.name);
  dagre.layout(g);
  const nodes = stages.map((s) => {
    const n = g.node(s.name);
    return { id: s.name, x: n.x - n.width / 2, y: n.y - n.height / 2, w: n.width, h: n.height, kind: s.kind };
  });
  const edges = g.edges().map((e: { v: string; w: string }) => ({
    from: e.v,
    to: e.w,
    points: (g.edge(e).points ?? []).map((p: { x: number; y: number }) => ({ x: p.x, y: p.y })),
  }));
  const label = g.graph();
  return { nodes, edges, width: label.width ?? 0, height: label.height ?? 0 };
}

/** onFailure stages in a row (wrapping at the graph's width) under the graph. */
function failureRow(stages: LayoutStage[], top: number, width: number): LayoutNode[] {
  const { w, h } = SIZE.onFailure;
  const perRow = Math.max(1, Math.floor((Math.max(width, w + 2 * MARGIN) - 2 * MARGIN + GAP) / (w + GAP)));
  return stages.map((s, i) => ({
    id: s.name,
    kind: s.kind,
    w,
    h,
    x: MARGIN + (i % perRow) * (w + GAP),
    y: top + Math.floor(i / perRow) * (h + GAP),
  }));
}

export function computeLayout(req: LayoutRequest): LayoutResult {
  const main = req.stages.filter((s) => s.kind !== 'onFailure');
  const apart = req.stages.filter((s) => s.kind === 'onFailure');
  const graph = main.length > 0 ? graphNodes(main) : { nodes: [], edges: [], width: 2 * MARGIN, height: MARGIN };
  // Room above the row for its "on failure" caption.
  const rowTop = graph.height + 2 * GAP;
  const extra = failureRow(apart, rowTop, graph.width);
  const bottom = extra.reduce((m, n) => Math.max(m, n.y + n.h + MARGIN), graph.height);
  const right = extra.reduce((m, n) => Math.max(m, n.x + n.w + MARGIN), graph.width);
  return { key: req.key, nodes: [...graph.nodes, ...extra], edges: graph.edges, width: right, height: bottom };
}

/** An edge's polyline as an SVG path ("M x,y L x,y …"). */
export function edgePath(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}
