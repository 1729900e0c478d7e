// One Pipeline: its facts, the actions the user may take, the DAG coloured by the latest run and
// the stage table of that run (stage, phase, attempts, started, finished, message).
import { Link, NameValueTable, SectionBox, SimpleTable } from '@kinvolk/headlamp-plugin/lib/CommonComponents';
import { useParams } from 'react-router-dom';
import { PipelineActions } from './actions.tsx';
import { DagView } from './dag.tsx';
import { latestRun, pipelineRow, stageRows, type Pipeline, type StageRow } from './model.ts';
import { PhaseChip } from './phase-chip.tsx';
import { PipelineClass } from './pipeline-class.ts';
import { LIST_ROUTE } from './routes.ts';

export function Facts(props: { pipeline: Pipeline }) {
  const row = pipelineRow(props.pipeline, Date.now());
  const run = latestRun(props.pipeline);
  return (
    <NameValueTable
      rows={[
        { name: 'Namespace', value: row.namespace },
        { name: 'Phase', value: <PhaseChip phase={row.phase} /> },
        { name: 'Latest run', value: run ? `${run.id} (${run.trigger ?? 'unknown trigger'})` : 'no runs yet' },
        { name: 'Progress', value: row.progress },
        { name: 'Last run', value: row.lastRunPhase ? `${row.lastRun} · ${row.lastRunPhase}` : row.lastRun },
        { name: 'Next run', value: row.nextRun },
      ]}
    />
  );
}

function StageTable(props: { pipeline: Pipeline }) {
  return (
    <div className="conveyor-stages">
      <SimpleTable
        data={stageRows(props.pipeline)}
        columns={[
          { label: 'Stage', getter: (s: StageRow) => <span data-stage-row={s.stage}>{s.stage}</span> },
          { label: 'Phase', getter: (s: StageRow) => <PhaseChip phase={s.phase} /> },
          { label: 'Attempts', getter: (s: StageRow) => s.attempts },
          { label: 'Started', getter: (s: StageRow) => s.started },
          { label: 'Finished', getter: (s: StageRow) => s.finished },
          { label: 'Message', getter: (s: StageRow) => s.message },
        ]}
      />
    </div>
  );
}

export function PipelineDetail() {
  const { namespace, name } = useParams<{ namespace: string; name: string }>();
  const [item, error] = PipelineClass.useGet(name, namespace);
  const title = `Pipeline ${namespace}/${name}`;
  if (error) return <SectionBox title={title}>Could not read the Pipeline: {error.message}</SectionBox>;
  if (!item) return <SectionBox title={title}>Loading…</SectionBox>;
  const p = item.jsonData as Pipeline;
  return (
    <div data-conveyor-pipeline={`${namespace}/${name}`} data-latest-run={latestRun(p)?.id ?? ''}>
      <Link routeName={LIST_ROUTE.name}>← All Pipelines</Link>
      <SectionBox title={title}>
        <Facts pipeline={p} />
        <PipelineActions pipeline={p} />
      </SectionBox>
      <SectionBox title="DAG (latest run)">
        <DagView pipeline={p} />
      </SectionBox>
      <SectionBox title="Stages (latest run)">
        <StageTable pipeline={p} />
      </SectionBox>
    </div>
  );
}
