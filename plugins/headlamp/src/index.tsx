// Conveyor inside Headlamp: a "Pipelines" sidebar entry, the Pipelines list and a Pipeline's
// detail (DAG, stage table, run / retry / cancel), and Pipelines with their Jobs on the map.
import { registerMapSource, registerRoute, registerSidebarEntry } from '@kinvolk/headlamp-plugin/lib';
import { PipelineDetail } from './detail.tsx';
import { PIPELINE_ICON } from './icon.ts';
import { PipelineList } from './list.tsx';
import { pipelineMapSource } from './map.tsx';
import { DETAIL_ROUTE, LIST_ROUTE, SIDEBAR_ENTRY } from './routes.ts';

registerSidebarEntry({
  parent: null,
  name: SIDEBAR_ENTRY,
  label: 'Pipelines',
  url: LIST_ROUTE.path,
  icon: PIPELINE_ICON,
});

registerRoute({
  path: LIST_ROUTE.path,
  sidebar: SIDEBAR_ENTRY,
  name: LIST_ROUTE.name,
  exact: true,
  component: () => <PipelineList />,
});

registerRoute({
  path: DETAIL_ROUTE.path,
  sidebar: SIDEBAR_ENTRY,
  name: DETAIL_ROUTE.name,
  exact: true,
  component: () => <PipelineDetail />,
});

registerMapSource(pipelineMapSource);
