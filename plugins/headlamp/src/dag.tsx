// The Pipeline's DAG as SVG, laid out as the Console lays it out and coloured by the latest run.
// The layout is kept while the spec (uid + generation) is the same; a status change only recolours.
import { useMemo } from 'react';
import { edgePath } from '../../../src/console/ui/model/layout.ts';
import { colourDag, dagLayout, type Pipeline } from './model.ts';

const clip = (t: string, width: number): string => {
  const max = Math.floor(width / 7);
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
};

export function DagView(props: { pipeline: Pipeline }) {
  const p = props.pipeline;
  const geometry = useMemo(() => dagLayout(p), [p.metadata.uid, p.metadata.generation]);
  const dag = colourDag(p, geometry);
  const failTop = Math.min(...dag.nodes.filter((n) => n.kind === 'onFailure').map((n) => n.y));
  return (
    <svg
      className="conveyor-dag"
      role="img"
      aria-label={`DAG of ${p.metadata.name}`}
      width={dag.width}
      height={dag.height}
      viewBox={`0 0 ${dag.width} ${dag.height}`}
      style={{ maxWidth: '100%', height: 'auto' }}
    >
      <defs>
        <marker
          id="conveyor-dag-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto"
        >
          <path d="M0,0 L10,5 L0,10 z" fill="#94a3b8" />
        </marker>
      </defs>
      <g fill="none" stroke="#94a3b8" strokeWidth={1.5}>
        {dag.edges.map((e) => (
          <path key={`${e.from}>${e.to}`} d={edgePath(e.points)} markerEnd="url(#conveyor-dag-arrow)" />
        ))}
      </g>
      {Number.isFinite(failTop) ? (
        <text x={16} y={failTop - 8} fontSize={12} fill="#b91c1c">
          on failure
        </text>
      ) : null}
      {dag.nodes.map((n) => (
        <g key={n.id} className="conveyor-dag-node" data-stage={n.id} data-phase={n.phase} data-kind={n.kind}>
          <title>{`${n.label} (${n.phase})`}</title>
          <rect
            x={n.x}
            y={n.y}
            width={n.w}
            height={n.h}
            rx={6}
            fill={n.fill}
            stroke={n.kind === 'onFailure' ? '#b91c1c' : '#64748b'}
            strokeDasharray={n.kind === 'onFailure' ? '4 3' : n.kind === 'group' ? '8 3' : undefined}
          />
          <text x={n.x + n.w / 2} y={n.y + n.h / 2 + 4} textAnchor="middle" fontSize={12} fill={n.text}>
            {clip(n.label, n.w)}
          </text>
        </g>
      ))}
    </svg>
  );
}
