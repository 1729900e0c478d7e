// TypeScript types of the Pipeline API, derived from the one schema in src/api/schema.ts.
// The names and optionality are a contract the planner, the controller and the CLI build on.
import type { Static } from '@sinclair/typebox';
import type {
  BackfillStatusSchema,
  CacheEntrySchema,
  ChainTriggerSchema,
  ConditionSchema,
  DatasetSchema,
  OnFailureStageSchema,
  NotifySchema,
  ParamSchema,
  PipelineSpecSchema,
  PipelineStatusSchema,
  RunStatusSchema,
  RunSummarySchema,
  StageCacheSchema,
  StageDefaultsSchema,
  StageSchema,
  StageStatusSchema,
  StagingSchema,
  WebhookDeliverySchema,
  WebhookStatusSchema,
  WebhookTriggerSchema,
} from './schema.ts';
import type { API_VERSION, KIND } from './constants.ts';

export type { PodTemplateOverlay } from './schema.ts';

export type StageSpec = Static<typeof StageSchema>;
/** The onFailure schema keeps dependsOn only to refuse it (see schema.ts); the type has none. */
export type OnFailureStageSpec = Omit<Static<typeof OnFailureStageSchema>, 'dependsOn'>;
export type StageDefaults = Static<typeof StageDefaultsSchema>;
export type StagingSpec = Static<typeof StagingSchema>;
export type ChainTrigger = Static<typeof ChainTriggerSchema>;
export type WebhookTrigger = Static<typeof WebhookTriggerSchema>;
export type PipelineSpec = Static<typeof PipelineSpecSchema>;
export type ParamSpec = Static<typeof ParamSchema>;
export type StageCache = Static<typeof StageCacheSchema>;
export type CacheEntry = Static<typeof CacheEntrySchema>;
export type BackfillStatus = Static<typeof BackfillStatusSchema>;
export type WebhookStatus = Static<typeof WebhookStatusSchema>;
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;
export type DatasetSpec = Static<typeof DatasetSchema>;
export type NotifySpec = Static<typeof NotifySchema>;

export type Condition = Static<typeof ConditionSchema>;
export type StageStatus = Static<typeof StageStatusSchema>;
export type StagePhase = StageStatus['phase'];
export type RunStatus = Static<typeof RunStatusSchema>;
export type RunSummary = Static<typeof RunSummarySchema>;
export type RunPhase = RunStatus['phase'];
export type RunTrigger = RunStatus['trigger'];
export type PipelineStatus = Static<typeof PipelineStatusSchema>;
export type PipelinePhase = NonNullable<PipelineStatus['phase']>;

/** ObjectMeta as it arrives from YAML (strings) or from client-node (Dates). */
export type PipelineMetadata = {
  name?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string | Date;
  deletionTimestamp?: string | Date;
  [k: string]: unknown;
};

export type Pipeline = {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: PipelineMetadata;
  spec: PipelineSpec;
  status?: PipelineStatus;
};
