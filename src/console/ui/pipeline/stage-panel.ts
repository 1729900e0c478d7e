// The side panel of the selected stage in the selected run: its Job, attempts, times (in UTC, as
// everywhere in the Console), reason and message, the datasets it reads and writes (as declared
// in the spec, templates unreplaced), the Events about it, and its logs. The exit
// code lives on the pod, which the Console does not read: the panel says to look in the logs.
import { html } from 'htm/preact';
import { useNow } from '../shared/clock.ts';
import type { EventSummary } from '../../protocol.ts';
import type { ConsoleStore } from '../shared/store-types.ts';
import { Logs } from './logs.ts';
import { cachedIn, phaseIn, type RunView, type StageView } from '../model/runs.ts';
import { phaseColour, phaseTextColour } from '../model/phases.ts';
import { cachedWords } from '../model/cached-stages.ts';
import { between, utcTime } from '../shared/time.ts';
import type { DatasetSpec } from '../../../api/types.ts';
import type { StageDatasets } from './triggers-model.ts';

export type StagePanelProps = {
  store: ConsoleStore;
  namespace: string;
  name: string;
  run: RunView;
  stage: string;
  events: EventSummary[];
  /** What the stage declares it reads and writes (spec inputs/outputs); none: no Reads/Writes lists. */
  datasets?: StageDatasets;
  /** Selects another run (a cached stage links to the run that computed it). */
  onSelectRun?: (run: string) => void;
};

/** Events about the stage's Jobs in this run, and Pipeline events that name the stage. */
export function stageEvents(events: EventSummary[], run: RunView, stage: string, pipeline: string): EventSummary[] {
  const jobs = new Set(run.jobs.filter((j) => j.stage === stage).map((j) => j.name));
  const job = run.stages.get(stage)?.job;
  if (job) jobs.add(job);
  const quoted = `"${stage}"`;
  return events.filter(
    (e) =>
      (e.involved.kind === 'Job' && jobs.has(e.involved.name)) ||
      (e.involved.kind === 'Pipeline' &&
        e.involved.name === pipeline &&
        e.message.includes(run.id) &&
        e.message.includes(quoted)),
  );
}

type Fact = [label: string, value: string | number];

/** The facts table's rows as [label, value], unknown values left out; times in UTC. */
export function stageFacts(s: StageView | undefined, phase: string, cached: boolean, now = Date.now()): Fact[] {
  const rows: [string, string | number | undefined][] = [
    ['Job', s?.job ?? (cached ? 'none in this run: served from the cache' : '(none yet)')],
    ['Attempts', s?.attempts],
    ['Started', utcTime(s?.startTime)],
    ['Finished', utcTime(s?.completionTime)],
    [s?.completionTime ? 'Took' : 'Running for', between(s?.startTime, s?.completionTime, now)],
    ['Reason', s?.reason],
    ['Message', s?.message],
  ];
  if (phase === 'Failed') rows.push(['Exit code', 'not known here (it is on the pod): see logs']);
  return rows.filter((row): row is Fact => row[1] !== undefined && row[1] !== '');
}

function Facts(props: { s: StageView | undefined; phase: string; cached: boolean }) {
  // "Running for" keeps counting between store changes while the stage runs.
  const now = useNow(props.s?.completionTime || !props.s?.startTime ? 3_600_000 : 1000);
  const rows = stageFacts(props.s, props.phase, props.cached, now);
  return html`<table class="stage-facts"><tbody>
    ${rows.map(([label, value]) => html`<tr key=${label} data-fact=${label}><th>${label}</th><td>${value}</td></tr>`)}
  </tbody></table>`;
}

/** "Cached: result of run g1", the source run a link to it: the stage did not run here. */
function CachedNote(props: { from: string; onSelectRun?: (run: string) => void }) {
  const { from, onSelectRun } = props;
  const link =
    from && onSelectRun
      ? html` <button class="link" data-role="cached-source" onClick=${() => onSelectRun(from)}>Show run ${from}</button>`
      : null;
  return html`<p class="cached-note" data-role="cached" data-cached-from=${from}>
    <b>${cachedWords(from)}</b>. This stage did not run in this run: no Job, no logs of its own.${link}</p>`;
}

/** One list of datasets: the namespace (where it lives) muted, the name in monospace, as written in the spec. */
function DatasetList(props: { role: 'reads' | 'writes'; datasets: DatasetSpec[] }) {
  if (props.datasets.length === 0) return html`<p class="muted" data-role=${props.role}>None declared.</p>`;
  return html`<ul class="datasets" data-role=${props.role}>${props.datasets.map(
    (d) => html`<li key=${`${d.namespace} ${d.name}`} data-namespace=${d.namespace} data-name=${d.name}>
      <span class="dataset-namespace">${d.namespace}</span> <code class="dataset-name">${d.name}</code>
    </li>`,
  )}</ul>`;
}

/** The stage's phase in its colour; a cached stage pale and dashed (style.css), as in the DAG. */
function PhaseBadge(props: { phase: string; cached: boolean }) {
  if (props.cached) return html`<span class="stage-phase cached" data-role="phase">${props.phase} · Cached</span>`;
  const colours = { background: phaseColour(props.phase), color: phaseTextColour(props.phase) };
  return html`<span class="stage-phase" data-role="phase" style=${colours}>${props.phase}</span>`;
}

export function StagePanel(props: StagePanelProps) {
  const { run, stage } = props;
  const s = run.stages.get(stage);
  const phase = phaseIn(run, stage);
  const cachedFrom = cachedIn(run, stage);
  const cached = cachedFrom !== undefined;
  const events = stageEvents(props.events, run, stage, props.name);
  const running = phase === 'Running' || phase === 'Pending';
  const started = Boolean(s?.job || run.jobs.some((j) => j.stage === stage));
  return html`<aside class="stage-panel" data-stage=${stage} data-phase=${phase} data-cached=${cachedFrom}>
    <h3>${stage} <${PhaseBadge} phase=${phase} cached=${cached} /></h3>
    <p class="stage-run">run ${run.id}</p>
    ${cached ? html`<${CachedNote} from=${cachedFrom} onSelectRun=${props.onSelectRun} />` : null}
    <${Facts} s=${s} phase=${phase} cached=${cached} />
    ${
      props.datasets
        ? html`<h4>Reads</h4><${DatasetList} role="reads" datasets=${props.datasets.reads} />
          <h4>Writes</h4><${DatasetList} role="writes" datasets=${props.datasets.writes} />`
        : null
    }
    <h4>Events</h4>
    ${events.length === 0 ? html`<p class="no-events">No events.</p>` : html`<ul class="stage-events">${events.map((e) => html`<li key=${e.uid} data-type=${e.type}><b>${e.reason}</b> ${e.message}${e.count > 1 ? ` (×${e.count})` : ''}</li>`)}</ul>`}
    <h4>Logs</h4>
    ${
      started
        ? html`<${Logs} key=${`${run.id}/${stage}/${running}`} url=${props.store.logsUrl(props.namespace, props.name, stage, run.id, running)} follow=${running} />`
        : html`<p class="logs-message">${cached ? `Served from the cache: see the logs of run ${cachedFrom || 'that computed it'}.` : 'The stage has not started in this run: no logs.'}</p>`
    }
  </aside>`;
}
