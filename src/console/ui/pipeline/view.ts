// The pipeline view (#/p/NAMESPACE/NAME): header, triggers, actions, run selector, the DAG coloured by the
// selected run, the runs × stages grid, the selected run's timeline and the selected stage's panel.
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import type { Pipeline } from '../../protocol.ts';
import { topologicalOrder } from '../../../plan/run/dag.ts';
import type { ConsoleStore } from '../shared/store-types.ts';
import { Actions } from './actions.ts';
import { Dag } from './dag.ts';
import { RunGrid } from './grid.ts';
import { Header } from './header.ts';
import { cachedIn, isActive, phaseIn, runsOf, type RunView } from '../model/runs.ts';
import { RunFacts } from './run-details.ts';
import { utcTime } from '../shared/time.ts';
import { StagePanel } from './stage-panel.ts';
import { Timeline } from './timeline.ts';
import { stageDatasets } from './triggers-model.ts';
import { Triggers } from './triggers.ts';
import { useStoreVersion } from '../shared/use-store.ts';
import { useNow } from '../shared/clock.ts';

export type PipelineViewProps = { store: ConsoleStore; namespace: string; name: string };

/** Stages in dependency order, then the onFailure stages. */
function stageOrder(p: Pipeline): string[] {
  return [...topologicalOrder(p.spec.stages).map((s) => s.name), ...(p.spec.onFailure ?? []).map((s) => s.name)];
}

function RunSelector(props: { runs: RunView[]; selected?: string; onSelect: (run: string) => void }) {
  if (props.runs.length === 0) return html`<p class="no-runs">No runs yet.</p>`;
  return html`<label class="run-selector">Run <select value=${props.selected} onChange=${(e: Event) => props.onSelect((e.target as HTMLSelectElement).value)}>
    ${props.runs.map((r, i) => html`<option key=${r.id} value=${r.id}>${r.id}${r.logicalTime ? ` @ ${utcTime(r.logicalTime)}` : ''} — ${r.phase ?? 'history'}${r.trigger ? ` (${r.trigger})` : ''}${i === 0 ? ' · latest' : ''}</option>`)}
  </select></label>`;
}

/** The timeline of a run in flight grows with the clock, not only when the store changes. */
function LiveTimeline(props: { run?: RunView; stages: string[]; onSelect: (stage: string) => void }) {
  const now = useNow(props.run && isActive(props.run) ? 1000 : 3_600_000);
  return html`<${Timeline} run=${props.run} stages=${props.stages} onSelect=${props.onSelect} now=${now} />`;
}

export function PipelineView(props: PipelineViewProps) {
  const { store, namespace, name } = props;
  useStoreVersion(store);
  // null = follow the latest run as new runs start; a string = the run the user picked.
  const [pickedRun, setPickedRun] = useState<string | null>(null);
  const [stage, setStage] = useState<string | undefined>(undefined);
  const p = store.pipeline(namespace, name);
  const jobs = store.jobsOf(namespace, name);
  const events = store.eventsOf(namespace, name);
  const runs = useMemo(() => (p ? runsOf(p, jobs, events) : []), [p, jobs, events]);
  if (!p)
    return html`<section class="pipeline-view"><p>Pipeline ${namespace}/${name} is not there (or not visible to you). <a href="#/">All pipelines</a></p></section>`;
  const run = runs.find((r) => r.id === pickedRun) ?? runs[0];
  const order = stageOrder(p);
  const select = (runId: string, stageName?: string) => {
    setPickedRun(runId === runs[0]?.id ? null : runId);
    if (stageName) setStage(stageName);
  };
  return html`<section class="pipeline-view" data-pipeline=${`${namespace}/${name}`} data-run=${run?.id ?? ''}>
    <p><a href="#/">← All pipelines</a></p>
    <${Header} pipeline=${p} />
    <${Triggers} pipeline=${p} runIds=${new Set(runs.map((r) => r.id))} onSelectRun=${(r: string) => select(r)} />
    <${Actions} store=${store} pipeline=${p} selected=${run} runs=${runs} />
    <${RunSelector} runs=${runs} selected=${run?.id} onSelect=${(r: string) => select(r)} />
    <${RunFacts} run=${run} />
    <div class="pipeline-main">
      <div class="pipeline-main-column">
        <${Dag} pipeline=${p} phaseOf=${(s: string) => phaseIn(run, s)} cachedFrom=${(s: string) => cachedIn(run, s)} selected=${stage} onSelect=${setStage} />
        <h3>Runs</h3>
        <${RunGrid} runs=${runs} stages=${order} selectedRun=${run?.id} selectedStage=${stage} onSelect=${select} />
        <h3>Timeline${run ? ` of ${run.id}` : ''}</h3>
        <${LiveTimeline} run=${run} stages=${order} onSelect=${setStage} />
      </div>
      ${run && stage ? html`<${StagePanel} store=${store} namespace=${namespace} name=${name} run=${run} stage=${stage} datasets=${stageDatasets(p, stage)} events=${events} onSelectRun=${(r: string) => select(r, stage)} />` : null}
    </div>
  </section>`;
}
