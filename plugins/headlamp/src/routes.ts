// The plugin's routes and sidebar entry name, in one place for index.tsx and the links.
export const SIDEBAR_ENTRY = 'conveyor-pipelines';
export const LIST_ROUTE = { name: 'conveyor-pipelines', path: '/conveyor/pipelines' };
export const DETAIL_ROUTE = { name: 'conveyor-pipeline', path: '/conveyor/pipelines/:namespace/:name' };
