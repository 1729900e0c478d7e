// Runs × stages over history (as Airflow's grid): one row per run, newest first; one column per
// stage in dependency order; each cell coloured by the stage's phase in that run. A click selects
// the run and the stage. Plain table cells (no per-cell listeners: one on the table).
import { html } from 'htm/preact';
import { cachedIn, phaseIn, type RunView } from '../model/runs.ts';
import { CACHED_COLOUR, phaseColour } from '../model/phases.ts';
import { LogicalTime } from './run-details.ts';
import { cachedWords } from '../model/cached-stages.ts';

export type GridProps = {
  runs: RunView[];
  stages: string[];
  selectedRun?: string;
  selectedStage?: string;
  onSelect: (run: string, stage: string | undefined) => void;
};

function onGridClick(e: MouseEvent, onSelect: GridProps['onSelect']): void {
  const cell = (e.target as HTMLElement).closest<HTMLElement>('[data-run]');
  if (cell) onSelect(cell.dataset.run!, cell.dataset.stage);
}

function Row(props: { run: RunView; stages: string[]; selected: boolean; selectedStage?: string }) {
  const { run } = props;
  return html`<tr class=${props.selected ? 'grid-run selected' : 'grid-run'}>
    <th class="run-label" data-run=${run.id} title=${`${run.trigger ?? ''} ${run.message ?? ''}`}>
      <span class="run-swatch" style=${{ background: phaseColour(run.phase) }}></span>${run.id} <${LogicalTime} run=${run} /></th>
    ${props.stages.map((s) => {
      const phase = phaseIn(run, s);
      const cached = cachedIn(run, s);
      const picked = props.selected && props.selectedStage === s;
      const classes = [cached === undefined ? '' : 'cached', picked ? 'picked' : ''].filter(Boolean).join(' ');
      return html`<td data-run=${run.id} data-stage=${s} data-phase=${phase} data-cached=${cached} class=${classes || undefined}
        title=${`${s}: ${cached === undefined ? phase : cachedWords(cached)}`}
        style=${{ background: cached === undefined ? phaseColour(phase) : CACHED_COLOUR }}></td>`;
    })}
  </tr>`;
}

export function RunGrid(props: GridProps) {
  if (props.runs.length === 0) return html`<p class="grid-empty">No runs yet.</p>`;
  return html`<div class="run-grid">
    <table onClick=${(e: MouseEvent) => onGridClick(e, props.onSelect)}>
      <thead><tr><th></th>${props.stages.map((s) => html`<th key=${s} class="stage-name" title=${s}>${s}</th>`)}</tr></thead>
      <tbody>
        ${props.runs.map((run) => html`<${Row} key=${run.id} run=${run} stages=${props.stages} selected=${run.id === props.selectedRun} selectedStage=${props.selectedStage} />`)}
      </tbody>
    </table>
  </div>`;
}
