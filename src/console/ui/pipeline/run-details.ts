// The selected run at a glance, under the run selector: its id, phase and trigger, the logical
// time it processed (the interval on hover and spelled out), its parameter values as chips,
// --no-cache and the backfill it belongs to. Times in UTC, as `conveyor describe` prints them.
import { html } from 'htm/preact';
import type { RunView } from '../model/runs.ts';
import { intervalText, paramChips } from './describe-run.ts';
import { utcTime } from '../shared/time.ts';

/** "@ 2026-11-03 02:00Z" next to a run id, the interval in its title; nothing for a run without one. */
export function LogicalTime(props: { run: RunView }) {
  const { run } = props;
  if (!run.logicalTime) return null;
  const interval = intervalText(run.intervalStart, run.intervalEnd);
  return html`<time class="logical-time" data-role="logical-time" datetime=${run.logicalTime}
    title=${`logical time ${run.logicalTime}${interval ? `; data interval ${interval}` : ''}`}>@ ${utcTime(run.logicalTime)}</time>`;
}

function Chips(props: { run: RunView }) {
  const { run } = props;
  const params = paramChips(run.params);
  return html`<span class="run-chips">
    ${params.map((p) => html`<code key=${p} class="chip" data-role="param" data-param=${p.slice(0, p.indexOf('='))}>${p}</code>`)}
    ${run.noCache ? html`<span class="chip chip-warn" data-role="no-cache" title="this run ignored cached stage results (--no-cache)">no cache</span>` : null}
    ${run.backfill ? html`<span class="chip" data-role="backfill-of" title="a run of this backfill">backfill ${run.backfill}</span>` : null}
  </span>`;
}

export function RunFacts(props: { run?: RunView }) {
  const { run } = props;
  if (!run) return null;
  const interval = intervalText(run.intervalStart, run.intervalEnd);
  return html`<div class="run-facts" data-run=${run.id}>
    <b class="run-id">${run.id}</b> <${LogicalTime} run=${run} />
    <span class="muted">${[run.trigger, run.phase].filter(Boolean).join(' · ')}</span>
    ${interval ? html`<span class="run-interval" data-role="interval">interval ${interval}</span>` : null}
    <${Chips} run=${run} />
  </div>`;
}
