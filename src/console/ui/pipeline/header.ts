// The pipeline's header: phase, progress, a backfill's progress, and its conditions as sentences
// (the schedule and the other triggers: triggers.ts).
import { html } from 'htm/preact';
import type { Pipeline } from '../../protocol.ts';
import { phaseColour, phaseTextColour } from '../model/phases.ts';
import { conditionSentence } from './conditions.ts';
import { backfillLine } from './describe-run.ts';

export function Header(props: { pipeline: Pipeline }) {
  const p = props.pipeline;
  const phase = p.status?.phase ?? 'Pending';
  // Ready=True says nothing a green phase does not; the other conditions explain the state.
  const conditions = (p.status?.conditions ?? []).filter(
    (c) =>
      !(c.type === 'Ready' && c.status === 'True') &&
      !(c.type === 'Ready' && (p.status?.conditions ?? []).some((o) => o.type !== 'Ready' && o.status === 'True')),
  );
  return html`<header class="pipeline-header">
    <h2>${p.metadata.namespace}/${p.metadata.name}
      <span class="pipeline-phase" data-role="pipeline-phase" data-phase=${phase}
        style=${{ background: phaseColour(phase === 'Scheduled' ? 'Succeeded' : phase), color: phaseTextColour(phase) }}>${phase}</span>
      ${p.status?.progress ? html` <small>${p.status.progress} stages</small>` : null}
    </h2>
    ${p.status?.backfill ? html`<p class="backfill" data-role="backfill" data-phase=${p.status.backfill.phase}>${backfillLine(p.status.backfill)}</p>` : null}
    ${conditions.map((c) => html`<p key=${c.type} class="condition" data-condition=${c.type} data-status=${c.status}>${conditionSentence(c)}</p>`)}
  </header>`;
}
