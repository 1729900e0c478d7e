// The Pipelines list, across every namespace the user may list: name, namespace, phase, progress
// of the latest run, last run (id, outcome, when) and next scheduled run.
import { Link, SectionBox, SimpleTable } from '@kinvolk/headlamp-plugin/lib/CommonComponents';
import { pipelineRow, type Pipeline, type PipelineRow } from './model.ts';
import { PhaseChip } from './phase-chip.tsx';
import { PipelineClass } from './pipeline-class.ts';
import { DETAIL_ROUTE } from './routes.ts';

function NameLink(props: { row: PipelineRow }) {
  const { row } = props;
  return (
    <Link routeName={DETAIL_ROUTE.name} params={{ namespace: row.namespace, name: row.name }}>
      {row.name}
    </Link>
  );
}

function LastRun(props: { row: PipelineRow }) {
  const { row } = props;
  if (!row.lastRunPhase) return <span>{row.lastRun}</span>;
  return (
    <span data-last-run-phase={row.lastRunPhase} style={{ display: 'inline-flex', gap: 6, alignItems: 'center' }}>
      <PhaseChip phase={row.lastRunPhase} />
      <span>{row.lastRun}</span>
    </span>
  );
}

export function PipelineList() {
  const [items, error] = PipelineClass.useList();
  const now = Date.now();
  const rows = (items ?? []).map((p) => pipelineRow(p.jsonData as Pipeline, now));
  return (
    <SectionBox title="Pipelines">
      <div data-conveyor-list={items === null ? 'loading' : 'loaded'}>
        <SimpleTable
          data={rows}
          errorMessage={error ? `Could not list Pipelines: ${error.message}` : null}
          emptyMessage="No Pipelines (or none you may list)."
          columns={[
            { label: 'Name', getter: (row: PipelineRow) => <NameLink row={row} /> },
            { label: 'Namespace', getter: (row: PipelineRow) => row.namespace },
            { label: 'Phase', getter: (row: PipelineRow) => <PhaseChip phase={row.phase} /> },
            { label: 'Progress', getter: (row: PipelineRow) => row.progress },
            { label: 'Last run', getter: (row: PipelineRow) => <LastRun row={row} /> },
            { label: 'Next run', getter: (row: PipelineRow) => row.nextRun },
          ]}
        />
      </div>
    </SectionBox>
  );
}
