// Pipelines and their Jobs on Headlamp's map: a node per Pipeline, a node per Job that carries a
// Conveyor label linking it to a listed Pipeline, and an edge Pipeline → Job. Nodes are keyed by
// uid, as Headlamp's own sources key them, so a Job shown by Headlamp's Jobs source is one node.
import { Icon } from '@iconify/react';
import { K8s } from '@kinvolk/headlamp-plugin/lib';
import { Link } from '@kinvolk/headlamp-plugin/lib/CommonComponents';
import type { GraphNode, GraphSource } from '@kinvolk/headlamp-plugin/lib/components/resourceMap/graph/graphModel';
import { useMemo } from 'react';
import { LABEL_PIPELINE } from '../../../src/api/labels.ts';
import { DagView } from './dag.tsx';
import { Facts } from './detail.tsx';
import { PIPELINE_ICON } from './icon.ts';
import { linkedJobs, mapEdges, type Pipeline } from './model.ts';
import { PipelineClass } from './pipeline-class.ts';
import { DETAIL_ROUTE } from './routes.ts';

/** The panel a Pipeline's node opens on the map: its facts and DAG, and a link to its page. */
function PipelineMapDetails(props: { node: GraphNode }) {
  const p = props.node.kubeObject?.jsonData as Pipeline | undefined;
  if (!p) return null;
  return (
    <div data-conveyor-map-details={`${p.metadata.namespace}/${p.metadata.name}`}>
      <h2>
        <Link
          routeName={DETAIL_ROUTE.name}
          params={{ namespace: p.metadata.namespace ?? '', name: p.metadata.name ?? '' }}
        >
          Pipeline {p.metadata.name}
        </Link>
      </h2>
      <Facts pipeline={p} />
      <DagView pipeline={p} />
    </div>
  );
}

function usePipelineGraph() {
  const [pipelines] = PipelineClass.useList();
  const [jobs] = K8s.ResourceClasses.Job.useList({ labelSelector: LABEL_PIPELINE });
  return useMemo(() => {
    if (!pipelines || !jobs) return null;
    const shownJobs = linkedJobs(pipelines, jobs);
    return {
      nodes: [
        ...pipelines.map((p) => ({
          id: p.metadata.uid,
          kubeObject: p,
          weight: 1000,
          detailsComponent: PipelineMapDetails,
        })),
        ...shownJobs.map((j) => ({ id: j.metadata.uid, kubeObject: j })),
      ],
      edges: mapEdges(pipelines, shownJobs),
    };
  }, [pipelines, jobs]);
}

export const pipelineMapSource: GraphSource = {
  id: 'conveyor-pipelines',
  label: 'Conveyor Pipelines',
  icon: <Icon icon={PIPELINE_ICON} width="100%" height="100%" />,
  useData: usePipelineGraph,
};
