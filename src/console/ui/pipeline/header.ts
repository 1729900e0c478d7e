// The pipeline's header: phase, progress, schedule and next run, and its conditions as sentences.
import { html } from 'htm/preact';
import type { Pipeline } from '../../protocol.ts';
import { phaseColour, phaseTextColour } from './phases.ts';
import { conditionSentence } from './conditions.ts';
import { utcTime } from '../shared/time.ts';
import { backfillLine } from './describe-run.ts';

function scheduleLine(p: Pipeline): string {
  const s = p.spec.schedule;
  if (!s) return 'No schedule: runs on create, on change and on request.';
  const zone = p.spec.timeZone ? ` (${p.spec.timeZone})` : '';
  const next = p.status?.nextScheduleTime ? `; next run ${utcTime(p.status.nextScheduleTime)}` : '';
  const last = p.status?.lastScheduleTime ? `; last ${utcTime(p.status.lastScheduleTime)}` : '';
  return `Schedule ${s}${zone}${p.spec.suspend ? ', suspended' : ''}${next}${last}.`;
}

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
    <p class="schedule">${scheduleLine(p)}</p>
    ${p.status?.backfill ? html`<p class="backfill" data-role="backfill" data-phase=${p.status.backfill.phase}>${backfillLine(p.status.backfill)}</p>` : null}
    ${conditions.map((c) => html`<p key=${c.type} class="condition" data-condition=${c.type} data-status=${c.status}>${conditionSentence(c)}</p>`)}
  </header>`;
}
