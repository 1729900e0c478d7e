// An SVG canvas with wheel zoom and drag pan. The drawing keeps its own coordinates (the rects'
// attributes are layout coordinates); only the inner group's transform changes.
import { html } from 'htm/preact';
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';

type View = { x: number; y: number; scale: number };
const MIN_SCALE = 0.1;
const MAX_SCALE = 4;

/** layoutKey and layouts are shown as data attributes: which layout is drawn, and how many were made. */
export function PanZoom(props: {
  width: number;
  height: number;
  layoutKey?: string;
  layouts?: number;
  children?: ComponentChildren;
}) {
  const [view, setView] = useState<View>({ x: 0, y: 0, scale: 1 });
  const drag = useRef<{ x: number; y: number } | undefined>(undefined);
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * (e.deltaY < 0 ? 1.1 : 1 / 1.1)));
    const box = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    // Zoom about the pointer: the point under it stays put.
    setView({ scale, x: px - ((px - view.x) * scale) / view.scale, y: py - ((py - view.y) * scale) / view.scale });
  };
  const onDown = (e: PointerEvent) => {
    drag.current = { x: e.clientX - view.x, y: e.clientY - view.y };
  };
  const onMove = (e: PointerEvent) => {
    if (drag.current && e.buttons === 1)
      setView({ ...view, x: e.clientX - drag.current.x, y: e.clientY - drag.current.y });
  };
  const onUp = () => {
    drag.current = undefined;
  };
  const shownHeight = Math.min(props.height, 640);
  return html`<svg class="dag" data-width=${props.width} data-height=${props.height} data-layout-key=${props.layoutKey} data-layouts=${props.layouts} width="100%" height=${shownHeight}
      viewBox=${`0 0 ${props.width} ${shownHeight}`} preserveAspectRatio="xMinYMin meet"
      onWheel=${onWheel} onPointerDown=${onDown} onPointerMove=${onMove} onPointerUp=${onUp} onPointerLeave=${onUp}
      style=${{ maxWidth: `${props.width}px` }}>
    <defs><marker id="dag-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
      <path d="M0,0 L10,5 L0,10 z" fill="#94a3b8" /></marker></defs>
    <g transform=${`translate(${view.x},${view.y}) scale(${view.scale})`}>${props.children}</g>
  </svg>`;
}
