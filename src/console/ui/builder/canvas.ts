// The drawing: stages as boxes on a canvas, dependsOn as arrows. A palette kind dropped on the
// canvas (HTML5 drag and drop) adds a stage there; dragging a box's output handle (pointer
// events) onto another box makes that box depend on it; dragging a box moves it; clicking an
// arrow removes that dependency.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { NODE_HEIGHT, NODE_WIDTH, type Point } from './layout.ts';
import { STAGE_KINDS, type StageDoc, type StageKind } from './model.ts';

export const KIND_MIME = 'application/x-conveyor-stage-kind';

export type CanvasProps = {
  stages: StageDoc[];
  edges: { from: string; to: string }[];
  positions: ReadonlyMap<string, Point>;
  problemsByStage: ReadonlyMap<number, string[]>;
  selected: number | undefined;
  onDropKind: (kind: StageKind, at: Point) => void;
  onConnect: (from: string, to: string) => void;
  onDisconnect: (from: string, to: string) => void;
  onMove: (name: string, at: Point) => void;
  onSelect: (index: number | undefined) => void;
};

/** Stage kinds to drag onto the canvas; a click (or Enter) adds one too, for keyboards. */
export function Palette(props: { onAdd: (kind: StageKind) => void }) {
  const start = (kind: StageKind) => (e: DragEvent) => {
    e.dataTransfer?.setData(KIND_MIME, kind);
    if (e.dataTransfer) e.dataTransfer.effectAllowed = 'copy';
  };
  return html`<div data-testid="builder-palette" role="list" aria-label="Stage kinds: drag one onto the canvas" class="builder-palette">
    ${STAGE_KINDS.map(
      (
        kind,
      ) => html`<button type="button" role="listitem" draggable="true" data-testid=${`builder-palette-${kind}`} onDragStart=${start(kind)} onClick=${() => props.onAdd(kind)}
        title=${`Drag onto the canvas, or click to add a ${kind} stage`} class="palette-kind">${kind}</button>`,
    )}
  </div>`;
}

type Wire = { from: string; start: Point; end: Point };

function localPoint(el: HTMLElement, e: { clientX: number; clientY: number }): Point {
  const rect = el.getBoundingClientRect();
  return { x: e.clientX - rect.left + el.scrollLeft, y: e.clientY - rect.top + el.scrollTop };
}

function stageUnder(e: PointerEvent): string | undefined {
  return (document.elementFromPoint(e.clientX, e.clientY)?.closest('[data-stage]') as HTMLElement | null)?.dataset
    .stage;
}

function Arrow(props: { from: Point; to: Point; onClick?: () => void; edge?: { from: string; to: string } }) {
  const { from, to } = props;
  const mid = (from.x + to.x) / 2;
  const d = `M${from.x},${from.y} C${mid},${from.y} ${mid},${to.y} ${to.x},${to.y}`;
  return html`<path d=${d} fill="none" stroke="var(--muted)" stroke-width="2" marker-end="url(#builder-arrow)"
    data-testid=${props.edge ? 'builder-edge' : 'builder-wire'} data-from=${props.edge?.from} data-to=${props.edge?.to}
    class=${props.onClick ? 'builder-arrow clickable' : 'builder-arrow'} onClick=${props.onClick}><title>${props.edge ? `${props.edge.to} depends on ${props.edge.from} (click to remove)` : ''}</title></path>`;
}

function useCanvasDrag(props: CanvasProps, canvas: { current: HTMLDivElement | null }) {
  const [wire, setWire] = useState<Wire | undefined>(undefined);
  const startWire = (name: string) => (e: PointerEvent) => {
    e.stopPropagation();
    e.preventDefault();
    const at = props.positions.get(name);
    if (!at || !canvas.current) return;
    const start = { x: at.x + NODE_WIDTH, y: at.y + NODE_HEIGHT / 2 };
    setWire({ from: name, start, end: localPoint(canvas.current, e) });
    const move = (ev: PointerEvent) =>
      canvas.current && setWire({ from: name, start, end: localPoint(canvas.current, ev) });
    const up = (ev: PointerEvent) => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      setWire(undefined);
      const target = stageUnder(ev);
      if (target !== undefined && target !== name) props.onConnect(name, target);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  const startMove = (name: string, index: number) => (e: PointerEvent) => {
    const at = props.positions.get(name);
    if (!at || !canvas.current) return;
    const grab = localPoint(canvas.current, e);
    let moved = false;
    const move = (ev: PointerEvent) => {
      if (!canvas.current) return;
      const now = localPoint(canvas.current, ev);
      moved ||= Math.abs(now.x - grab.x) + Math.abs(now.y - grab.y) > 3;
      if (moved) props.onMove(name, { x: Math.max(0, at.x + now.x - grab.x), y: Math.max(0, at.y + now.y - grab.y) });
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
      if (!moved) props.onSelect(index);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };
  return { wire, startWire, startMove };
}

function StageBox(props: {
  stage: StageDoc;
  index: number;
  at: Point;
  problems: string[];
  selected: boolean;
  onPointerDown: (e: PointerEvent) => void;
  onHandle: (e: PointerEvent) => void;
}) {
  const { stage, at, problems } = props;
  const image = typeof stage.image === 'string' ? stage.image : '';
  const look =
    problems.length > 0 ? 'builder-node has-problems' : props.selected ? 'builder-node selected' : 'builder-node';
  // Where the layout put it: the only geometry left inline (its size is layout.ts's, as the arrows').
  const box = { left: `${at.x}px`, top: `${at.y}px`, width: `${NODE_WIDTH}px`, height: `${NODE_HEIGHT}px` };
  return html`<div data-testid="builder-node" data-stage=${stage.name} data-problems=${problems.length} aria-selected=${props.selected}
      title=${problems.join('\n') || stage.name} onPointerDown=${props.onPointerDown} class=${look} style=${box}>
    <div class="builder-node-name">${stage.name || '(no name)'}</div>
    <div class="builder-node-image muted">${image || 'no image'}</div>
    ${problems.length > 0 ? html`<span class="builder-node-problems" data-testid="builder-node-problems">${problems.length}</span>` : null}
    <span data-testid="builder-handle-out" data-stage-handle=${stage.name} title="Drag to the stage that depends on this one" onPointerDown=${props.onHandle}
      class="builder-handle" style=${{ top: `${NODE_HEIGHT / 2 - 7}px` }}></span>
  </div>`;
}

export function Canvas(props: CanvasProps) {
  const canvas = useRef<HTMLDivElement>(null);
  const { wire, startWire, startMove } = useCanvasDrag(props, canvas);
  const drop = (e: DragEvent) => {
    const kind = e.dataTransfer?.getData(KIND_MIME) as StageKind | undefined;
    if (!kind || !STAGE_KINDS.includes(kind) || !canvas.current) return;
    e.preventDefault();
    const at = localPoint(canvas.current, e);
    props.onDropKind(kind, { x: Math.max(0, at.x - NODE_WIDTH / 2), y: Math.max(0, at.y - NODE_HEIGHT / 2) });
  };
  const width = Math.max(900, ...[...props.positions.values()].map((p) => p.x + NODE_WIDTH + 60));
  const height = Math.max(420, ...[...props.positions.values()].map((p) => p.y + NODE_HEIGHT + 60));
  const anchor = (name: string, side: 'out' | 'in'): Point | undefined => {
    const p = props.positions.get(name);
    return p && { x: side === 'out' ? p.x + NODE_WIDTH : p.x, y: p.y + NODE_HEIGHT / 2 };
  };
  return html`<div ref=${canvas} data-testid="builder-canvas" aria-label="Pipeline drawing: drop stage kinds here"
      onDragOver=${(e: DragEvent) => e.preventDefault()} onDrop=${drop}
      onPointerDown=${(e: PointerEvent) => e.target === canvas.current && props.onSelect(undefined)}
      class="builder-canvas">
    <svg width=${width} height=${height}>
      <defs><marker id="builder-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="var(--muted)" /></marker></defs>
      ${props.edges.map((edge) => {
        const from = anchor(edge.from, 'out');
        const to = anchor(edge.to, 'in');
        return from && to
          ? html`<${Arrow} key=${`${edge.from}->${edge.to}`} from=${from} to=${to} edge=${edge} onClick=${() => props.onDisconnect(edge.from, edge.to)} />`
          : null;
      })}
      ${wire ? html`<${Arrow} from=${wire.start} to=${wire.end} />` : null}
    </svg>
    ${props.stages.map((stage, index) => {
      const at = props.positions.get(stage.name);
      return at
        ? html`<${StageBox} key=${`${index}:${stage.name}`} stage=${stage} index=${index} at=${at} problems=${props.problemsByStage.get(index) ?? []}
        selected=${props.selected === index} onPointerDown=${startMove(stage.name, index)} onHandle=${startWire(stage.name)} />`
        : null;
    })}
    ${props.stages.length === 0 ? html`<p class="builder-canvas-hint muted">Drag a stage kind from the palette onto this canvas.</p>` : null}
  </div>`;
}
