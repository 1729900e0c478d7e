// One Pipeline as a row of the overview table: phase, name, namespace, progress, last run, next
// run, schedule and the outcome of its recent runs as small squares (newest first).
import { html } from 'htm/preact';
import type { Pipeline, RunSummary } from '../../../api/types.ts';
import { phaseOf } from './filter.ts';
import { parseProgress } from '../model/graph.ts';
import { phaseSymbol } from '../model/phases.ts';
import { relative, utcTime } from '../shared/time.ts';

export function PhaseBadge(props: { phase: string }) {
  return html`<span class="badge" data-phase=${props.phase}><span aria-hidden="true">${phaseSymbol(props.phase)}</span> ${props.phase}</span>`;
}

function Progress(props: { progress: string | undefined; phase: string }) {
  const progress = parseProgress(props.progress);
  if (!progress) return html`<span class="muted">—</span>`;
  return html`<span class="progress" data-phase=${props.phase} title=${`${props.progress} stages finished`}>
    <span class="progress-bar"><span class="progress-fill" style=${{ width: `${progress.percent}%` }}></span></span>
    <span class="progress-text">${props.progress}</span>
  </span>`;
}

function runTitle(r: RunSummary): string {
  const when = r.startTime ? `, started ${utcTime(r.startTime)}` : '';
  const logical = r.logicalTime ? `, logical time ${utcTime(r.logicalTime)}` : '';
  return `${r.id}: ${r.phase} (${r.trigger}${when}${logical})${r.message ? ` — ${r.message}` : ''}`;
}

function RecentRuns(props: { runs: RunSummary[] | undefined }) {
  const runs = props.runs ?? [];
  if (runs.length === 0) return html`<span class="muted">no runs yet</span>`;
  return html`<span class="runs" aria-label="recent runs, newest first">
    ${runs.map((r) => html`<span key=${r.id} class="run-square" data-phase=${r.phase} title=${runTitle(r)}></span>`)}
  </span>`;
}

function LastRun(props: { pipeline: Pipeline; now: number }) {
  const run = props.pipeline.status?.lastRun;
  if (!run) return html`<span class="muted">—</span>`;
  const at = run.completionTime ?? run.startTime;
  return html`<span class="last-run" title=${runTitle(run)}>
    <code class="run-id">${run.id}</code>
    <span class="muted">${run.trigger}${at ? ` · ${relative(at, props.now)}` : ''}</span>
  </span>`;
}

function NextRun(props: { pipeline: Pipeline; now: number }) {
  const p = props.pipeline;
  if (!p.spec.schedule) return html`<span class="muted">—</span>`;
  if (p.spec.suspend) return html`<span class="muted">suspended</span>`;
  const next = p.status?.nextScheduleTime;
  if (!next) return html`<span class="muted">—</span>`;
  return html`<span title=${utcTime(next)}>${relative(next, props.now)}</span>`;
}

export function pipelineHref(p: Pipeline): string {
  return `#/p/${encodeURIComponent(p.metadata.namespace ?? '')}/${encodeURIComponent(p.metadata.name ?? '')}`;
}

export function OverviewRow(props: { pipeline: Pipeline; now: number }) {
  const p = props.pipeline;
  const href = pipelineHref(p);
  const schedule = p.spec.schedule ? `${p.spec.schedule}${p.spec.timeZone ? ` (${p.spec.timeZone})` : ''}` : '';
  return html`<tr class="row" data-overview-row=${`${p.metadata.namespace}/${p.metadata.name}`} onClick=${() => (location.hash = href)}>
    <td><${PhaseBadge} phase=${phaseOf(p)} /></td>
    <td class="name"><a href=${href} onClick=${(e: Event) => e.stopPropagation()}>${p.metadata.name}</a></td>
    <td class="namespace">${p.metadata.namespace}</td>
    <td><${Progress} progress=${p.status?.progress} phase=${p.status?.lastRun?.phase ?? ''} /></td>
    <td><${LastRun} pipeline=${p} now=${props.now} /></td>
    <td><${NextRun} pipeline=${p} now=${props.now} /></td>
    <td>${schedule ? html`<code>${schedule}</code>` : html`<span class="muted">on change</span>`}</td>
    <td><${RecentRuns} runs=${p.status?.runs} /></td>
  </tr>`;
}
