// A Gantt chart of one run: a bar per stage from its start to its completion (to now while it
// runs), in dependency order. Stages without a start time have no bar.
import { html } from 'htm/preact';
import { cachedIn, isActive, phaseIn, type RunView } from '../model/runs.ts';
import { CACHED_COLOUR, phaseColour } from '../model/phases.ts';
import { cachedWords } from '../model/cached-stages.ts';
import { between } from '../shared/time.ts';

const ROW = 18;
const LABEL = 160;
const WIDTH = 640; // style.css caps .timeline at this width

export function Timeline(props: { run?: RunView; stages: string[]; onSelect: (stage: string) => void; now?: number }) {
  const run = props.run;
  if (!run) return null;
  const now = props.now ?? Date.now();
  const rows = props.stages
    .map((name) => ({ name, s: run.stages.get(name), phase: phaseIn(run, name), cached: cachedIn(run, name) }))
    .filter((r) => r.s?.startTime);
  if (rows.length === 0) return html`<p class="timeline-empty">No stage of run ${run.id} has started.</p>`;
  const t0 = Math.min(...rows.map((r) => Date.parse(r.s!.startTime!)));
  // A finished run spans to its last completion; one in flight, to now.
  const ends = rows.map((r) => (r.s!.completionTime ? Date.parse(r.s!.completionTime) : isActive(run) ? now : t0));
  const t1 = Math.max(t0 + 1000, ...ends);
  const scale = (WIDTH - LABEL - 8) / Math.max(1000, t1 - t0);
  const end = (r: (typeof rows)[number]) => (r.s!.completionTime ? Date.parse(r.s!.completionTime) : now);
  // Drawn on a fixed 640-wide grid and scaled to its column, so it never runs into the side panel.
  const height = rows.length * ROW + 4;
  return html`<svg class="timeline" viewBox=${`0 0 ${WIDTH} ${height}`} width="100%" preserveAspectRatio="xMinYMin meet">
    ${rows.map((r, i) => {
      const x = LABEL + (Date.parse(r.s!.startTime!) - t0) * scale;
      const w = Math.max(2, (end(r) - Date.parse(r.s!.startTime!)) * scale);
      return html`<g key=${r.name} data-stage=${r.name} data-phase=${r.phase} data-cached=${r.cached} onClick=${() => props.onSelect(r.name)}>
        <text x="0" y=${i * ROW + 13}>${r.name.length > 24 ? `${r.name.slice(0, 23)}…` : r.name}</text>
        <rect x=${x} y=${i * ROW + 3} width=${w} height=${ROW - 6} rx="2" fill=${r.cached === undefined ? phaseColour(r.phase) : CACHED_COLOUR}>
          <title>${r.name}: ${r.cached === undefined ? `${r.phase}, ${between(r.s!.startTime, r.s!.completionTime, now)}` : cachedWords(r.cached)}</title></rect>
      </g>`;
    })}
  </svg>`;
}
