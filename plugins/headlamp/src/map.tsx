// Pipelines and their Jobs on Headlamp's map: a node per Pipeline, a node per Job that carries a
// Conveyor label linking it to a listed Pipeline, and an edge Pipeline → Job. Nodes are keyed by
// uid, as Headlamp's own sources key them, so a Job shown by Headlamp's Jobs source is one node.
import { Icon } from '@iconify/react';
import { K8s } from '@kinvolk/headlamp-plugin/lib';
import type { GraphSource } from '@kinvolk/headlamp-plugin/lib/components/resourceMap/graph/graphModel';
import { useMemo } from 'react';
import { LABEL_PIPELINE } from '../../../src/api/labels.ts';
import { PIPELINE_ICON } from './icon.ts';
import { linkedJobs, mapEdges } from './model.ts';
import { PipelineClass } from './pipeline-class.ts';

function usePipelineGraph() {
  const [pipelines] = PipelineClass.useList();
  const [jobs] = K8s.ResourceClasses.Job.useList({ labelSelector: LABEL_PIPELINE });
  return useMemo(() => {
    if (!pipelines || !jobs) return null;
    const shownJobs = linkedJobs(pipelines, jobs);
    return {
      nodes: [
        ...pipelines.map((p) => ({ id: p.metadata.uid, kubeObject: p, weight: 1000 })),
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
