// Lifecycle events as OpenLineage RunEvents (spec 2-0-2, openlineage.io/spec/2-0-2/OpenLineage.json).
// No JavaScript client exists, so the events are written to the spec here and every event the
// tests produce is validated against the official schemas (test/schemas/openlineage).
//
// Jobs, as OpenLineage's naming conventions describe for schedulers (a DAG and its tasks, as
// Airflow's integration names them): the job namespace is the operator's --openlineage-namespace
// (default `conveyor`); the pipeline is the job `<k8s-namespace>.<pipeline>` and each stage the
// job `<k8s-namespace>.<pipeline>.<stage>`, its runs children of the pipeline run (parent facet).
//
// Runs: the pipeline run is one OpenLineage run — START when it starts, one of COMPLETE / FAIL /
// ABORT (cancelled) when it ends. Each stage attempt is one run: START when its Job starts, FAIL
// when the Job made another attempt, and for the last attempt COMPLETE / FAIL from the outcome, or
// ABORT when the run was cancelled while the stage ran. A stage served from the cache ran nothing
// and reads and writes nothing: it has no lineage event (the run that computed the result had).
// Run ids are name-based UUIDs (ids.ts) of (pipeline uid, run[, stage, attempt]).
import { VERSION } from '../version.ts';
import type { DatasetSpec, Pipeline, RunSummary } from '../api/types.ts';
import { describeFailure } from '../plan/run/run.ts';
import { substitute, templateVariables } from '../plan/values/substitute.ts';
import { nameBasedUuid } from './ids.ts';
import {
  RETRIED,
  RUN_CANCELLED,
  RUN_FAILED,
  RUN_STARTED,
  RUN_SUCCEEDED,
  STAGE_FAILED,
  STAGE_STARTED,
  STAGE_SUCCEEDED,
  lifecycleEvents,
  runsOf,
  type LifecycleEvent,
  type LifecycleType,
  type StageData,
} from './lifecycle.ts';

/** Conveyor's repository: OpenLineage's producer is a URI naming the code that wrote the event. */
export const CONVEYOR_REPOSITORY = 'https://github.com/example/conveyor';
export const PRODUCER = `${CONVEYOR_REPOSITORY}/tree/v${VERSION}`;
export const DEFAULT_LINEAGE_NAMESPACE = 'conveyor';
export const RUN_EVENT_SCHEMA = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
export const FACET_SCHEMAS = {
  parent: 'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet',
  nominalTime: 'https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
} as const;
/** The errorMessage facet requires a language; the stage's container may be written in any. */
export const ERROR_LANGUAGE = 'unknown';

export type LineageOptions = { namespace: string };
export type LineageEventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';
type Facet = { _producer: string; _schemaURL: string; [field: string]: unknown };
export type LineageDataset = { namespace: string; name: string; facets?: Record<string, Facet> };
export type LineageRunEvent = {
  eventType: LineageEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: { runId: string; facets: Record<string, Facet> };
  job: { namespace: string; name: string; facets: Record<string, Facet> };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
};

const EVENT_TYPE: Partial<Record<LifecycleType, LineageEventType>> = {
  [RUN_STARTED]: 'START',
  [RUN_SUCCEEDED]: 'COMPLETE',
  [RUN_FAILED]: 'FAIL',
  [RUN_CANCELLED]: 'ABORT',
  [STAGE_STARTED]: 'START',
  [STAGE_SUCCEEDED]: 'COMPLETE',
  [STAGE_FAILED]: 'FAIL',
};

/** Every RunEvent the Pipeline's status shows, in the order of lifecycleEvents. */
export function lineageEvents(pipeline: Pipeline, options: LineageOptions): LineageRunEvent[] {
  const runs = new Map(runsOf(pipeline).map((run) => [run.id, run]));
  return lifecycleEvents(pipeline).flatMap((event) => {
    const lineage = toLineageEvent(pipeline, event, options, runs.get(event.run));
    return lineage ? [lineage] : [];
  });
}

/** The RunEvent of one lifecycle event; undefined for a cached stage (nothing ran). */
export function toLineageEvent(
  pipeline: Pipeline,
  event: LifecycleEvent,
  options: LineageOptions,
  run: RunSummary | undefined = runsOf(pipeline).find((r) => r.id === event.run),
): LineageRunEvent | undefined {
  let eventType = EVENT_TYPE[event.type];
  if (!eventType) return undefined;
  const uid = pipeline.metadata.uid ?? '';
  const pipelineJob = { namespace: options.namespace, name: pipelineJobName(pipeline) };
  const pipelineRunId = nameBasedUuid([uid, event.run]);
  const runFacets: Record<string, Facet> = { ...nominalTime(run) };
  const base = { eventTime: event.time, producer: PRODUCER, schemaURL: RUN_EVENT_SCHEMA };
  if (event.stage === undefined) {
    if (eventType === 'FAIL') runFacets.errorMessage = errorMessage(run?.message ?? `run ${event.run} failed`);
    const job = { ...pipelineJob, facets: jobType('PIPELINE') };
    return { eventType, ...base, run: { runId: pipelineRunId, facets: runFacets }, job, inputs: [], outputs: [] };
  }
  const stage = event.data as StageData;
  if (eventType === 'FAIL' && stage.reason === 'RunCancelled') eventType = 'ABORT';
  else if (eventType === 'FAIL') runFacets.errorMessage = errorMessage(stageFailure(stage));
  runFacets.parent = parentFacet(pipelineRunId, pipelineJob);
  const runId = nameBasedUuid([uid, event.run, event.stage, event.attempt ?? 1]);
  const job = { namespace: options.namespace, name: `${pipelineJob.name}.${event.stage}`, facets: jobType('STAGE') };
  const { inputs, outputs } = stageDatasets(pipeline, event.stage, run);
  return { eventType, ...base, run: { runId, facets: runFacets }, job, inputs, outputs };
}

export function pipelineJobName(pipeline: Pipeline): string {
  return `${pipeline.metadata.namespace ?? 'default'}.${pipeline.metadata.name ?? ''}`;
}

function facet(schema: string, fields: Record<string, unknown>): Facet {
  return { _producer: PRODUCER, _schemaURL: schema, ...fields };
}

function jobType(kind: 'PIPELINE' | 'STAGE'): Record<string, Facet> {
  return {
    jobType: facet(FACET_SCHEMAS.jobType, { processingType: 'BATCH', integration: 'CONVEYOR', jobType: kind }),
  };
}

/** The run's data interval (or its logical time alone) as the nominal time. */
function nominalTime(run: RunSummary | undefined): Record<string, Facet> {
  const start = run?.intervalStart ?? run?.logicalTime;
  if (!start) return {};
  const end = run?.intervalStart ? run.intervalEnd : undefined;
  const times = { nominalStartTime: start, ...(end ? { nominalEndTime: end } : {}) };
  return { nominalTime: facet(FACET_SCHEMAS.nominalTime, times) };
}

function errorMessage(message: string): Facet {
  return facet(FACET_SCHEMAS.errorMessage, { message, programmingLanguage: ERROR_LANGUAGE });
}

function stageFailure(stage: StageData): string {
  if (stage.reason === RETRIED) return `stage "${stage.name}": ${stage.message ?? 'attempt failed'}`;
  const described = describeFailure(stage);
  return stage.message && !described.includes(stage.message) ? `${described}: ${stage.message}` : described;
}

/** The pipeline run is both the parent and the root of a stage run (ParentRunFacet 1-2-0). */
function parentFacet(runId: string, job: { namespace: string; name: string }): Facet {
  return facet(FACET_SCHEMAS.parent, { run: { runId }, job, root: { run: { runId }, job } });
}

/**
 * The stage's datasets from the Pipeline's spec (a stage or an onFailure stage), `$(params.x)` and
 * `$(run.x)` replaced with the run's values.
 */
function stageDatasets(
  pipeline: Pipeline,
  name: string,
  run: RunSummary | undefined,
): { inputs: LineageDataset[]; outputs: LineageDataset[] } {
  const spec = pipeline.spec;
  const stage = [...(spec.stages ?? []), ...(spec.onFailure ?? [])].find((s) => s.name === name);
  const vars = templateVariables(run ?? {}, run?.id ?? '', spec.timeZone);
  const dataset = (d: DatasetSpec): LineageDataset => {
    const facets = datasetFacets(d.facets);
    return {
      namespace: substitute(d.namespace, vars, 'plain'),
      name: substitute(d.name, vars, 'plain'),
      ...(facets ? { facets } : {}),
    };
  };
  return { inputs: (stage?.inputs ?? []).map(dataset), outputs: (stage?.outputs ?? []).map(dataset) };
}

/** A spec's dataset facets: each an object with its _schemaURL (validate.ts refuses others); _producer defaults to Conveyor. */
function datasetFacets(facets: DatasetSpec['facets']): Record<string, Facet> | undefined {
  if (!facets || typeof facets !== 'object') return undefined;
  const kept: Record<string, Facet> = {};
  for (const [name, value] of Object.entries(facets)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    if (typeof value._schemaURL !== 'string') continue;
    kept[name] = { _producer: PRODUCER, ...value } as Facet;
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}
