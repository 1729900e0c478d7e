// The pipeline's DAG as SVG: every stage of the spec (pending ones included), wide fan-outs as
// group nodes, onFailure stages apart; coloured by each stage's phase in the selected run. The
// layout comes from the worker, keyed by uid + generation, so status changes only recolour.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Pipeline } from '../../protocol.ts';
import { groupPhase, phaseCounts, type StageGroup } from '../model/grouping.ts';
import { pipelineGraph } from '../model/graph.ts';
import { edgePath, type LayoutRequest, type LayoutResult, type LayoutNode } from '../model/layout.ts';
import { cachedLayout, layoutsRequested, requestLayout } from './layout-client.ts';
import { CACHED_COLOUR, CACHED_STROKE, phaseColour, phaseTextColour } from '../model/phases.ts';
import { PanZoom } from './pan-zoom.ts';
import { cachedWords } from '../model/cached-stages.ts';

export type DagProps = {
  pipeline: Pipeline;
  phaseOf: (stage: string) => string;
  /** The run a stage's result came from when it was served from the cache in this run. */
  cachedFrom?: (stage: string) => string | undefined;
  selected?: string;
  onSelect: (stage: string) => void;
};

function useLayout(req: LayoutRequest): { layout?: LayoutResult; error?: string } {
  const [state, setState] = useState<{ layout?: LayoutResult; error?: string }>({ layout: cachedLayout(req.key) });
  useEffect(() => {
    let live = true;
    if (state.layout?.key !== req.key) setState({ layout: cachedLayout(req.key) });
    requestLayout(req).then(
      (layout) => live && setState({ layout }),
      (err: Error) => live && setState({ error: err.message }),
    );
    return () => {
      live = false;
    };
  }, [req.key]);
  return state;
}

function nodeLabel(n: LayoutNode, group: StageGroup | undefined, counts: Record<string, number> | undefined): string[] {
  if (!group || !counts) return [n.id];
  return [
    group.label,
    Object.entries(counts)
      .map(([phase, k]) => `${k} ${phase}`)
      .join(' · '),
  ];
}

type NodeProps = {
  n: LayoutNode;
  phase: string;
  lines: string[];
  selected: boolean;
  onClick: () => void;
  groupSize?: number;
  cachedFrom?: string;
};

/** Fill and border of a node: a cached stage is pale and dashed, never the green of one that ran. */
function nodeLook(props: NodeProps): { fill: string; stroke: string; dash?: string } {
  const { n, phase, selected } = props;
  if (props.cachedFrom !== undefined)
    return { fill: CACHED_COLOUR, stroke: selected ? '#0f172a' : CACHED_STROKE, dash: '3 2' };
  const stroke = selected ? '#0f172a' : n.kind === 'onFailure' ? '#b91c1c' : '#64748b';
  return {
    fill: phaseColour(phase),
    stroke,
    dash: n.kind === 'onFailure' ? '4 3' : n.kind === 'group' ? '8 3' : undefined,
  };
}

function Node(props: NodeProps) {
  const { n, phase, selected } = props;
  const cached = props.cachedFrom !== undefined;
  const lines = cached
    ? [props.lines[0]!, props.cachedFrom ? `cached · run ${props.cachedFrom}` : 'cached']
    : props.lines;
  const look = nodeLook(props);
  const lineY = (i: number) => n.y + n.h / 2 + (i - (lines.length - 1) / 2) * 15 + 4;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') props.onClick();
  };
  return html`<g class="dag-node" data-stage=${n.id} data-phase=${phase} data-kind=${n.kind} data-members=${props.groupSize} data-cached=${props.cachedFrom}
      role="button" tabindex="0" aria-label=${`${lines[0]}: ${cached ? cachedWords(props.cachedFrom) : phase}`} onClick=${props.onClick} onKeyDown=${onKey}>
    <title>${lines[0]} (${cached ? `${phase}, ${cachedWords(props.cachedFrom)}: it did not run in this run` : phase})</title>
    <rect x=${n.x} y=${n.y} width=${n.w} height=${n.h} rx="6" fill=${look.fill}
      stroke=${look.stroke} stroke-width=${selected ? 3 : cached ? 1.5 : 1} stroke-dasharray=${look.dash} />
    ${lines.map((t, i) => html`<text x=${n.x + n.w / 2} y=${lineY(i)} text-anchor="middle" font-size=${i === 0 ? 12 : 11} fill=${cached ? CACHED_STROKE : phaseTextColour(phase)}>${clip(t, n.w)}</text>`)}
  </g>`;
}

const clip = (t: string, width: number): string => {
  const max = Math.floor(width / 7);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

export function Dag(props: DagProps) {
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const { req, groups } = useMemo(
    () => pipelineGraph(props.pipeline, expanded),
    [props.pipeline.metadata.uid, props.pipeline.metadata.generation, expanded],
  );
  const { layout, error } = useLayout(req);
  if (error) return html`<p class="dag-error">Could not lay out the graph: ${error}</p>`;
  if (!layout || layout.key !== req.key) return html`<p class="dag-loading">Laying out ${req.stages.length} nodes…</p>`;
  const byId = new Map(groups.map((g) => [g.id, g]));
  const toggle = (id: string) => setExpanded(new Set([...expanded, id]));
  const failTop = Math.min(...layout.nodes.filter((n) => n.kind === 'onFailure').map((n) => n.y));
  const regroup =
    expanded.size > 0
      ? html`<button class="dag-regroup" onClick=${() => setExpanded(new Set())}>Group wide fan-outs again</button>`
      : null;
  return html`${regroup}<${PanZoom} width=${layout.width} height=${layout.height} layoutKey=${layout.key} layouts=${layoutsRequested()}>
    <g class="dag-edges" fill="none" stroke="#94a3b8" stroke-width="1.5">
      ${layout.edges.map((e) => html`<path key=${`${e.from}>${e.to}`} d=${edgePath(e.points)} marker-end="url(#dag-arrow)" />`)}
    </g>
    ${Number.isFinite(failTop) ? html`<text x="16" y=${failTop - 8} font-size="12" fill="#b91c1c">on failure</text>` : null}
    ${layout.nodes.map((n) => {
      const group = byId.get(n.id);
      const counts = group ? phaseCounts(group.members, props.phaseOf) : undefined;
      const phase = counts ? groupPhase(counts) : props.phaseOf(n.id);
      const onClick = group ? () => toggle(n.id) : () => props.onSelect(n.id);
      const cachedFrom = group ? undefined : props.cachedFrom?.(n.id);
      return html`<${Node} key=${n.id} n=${n} phase=${phase} lines=${nodeLabel(n, group, counts)} selected=${props.selected === n.id} onClick=${onClick} groupSize=${group?.members.length} cachedFrom=${cachedFrom} />`;
    })}
  <//>`;
}
