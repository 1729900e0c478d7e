// Names of the Pipeline API, used across the operator, the CLI and the generators.
export const GROUP = 'conveyor.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = 'conveyor.dev/v1alpha1';
export const KIND = 'Pipeline';
export const PLURAL = 'pipelines';
export const DEFAULT_MOUNT_PATH = '/staging';
export const DEFAULT_RUN_HISTORY_LIMIT = 3;
export const MAX_STAGES = 200;

// Names and limits of the CRD itself (generated into crds/ by src/api/generate.ts).
export const SINGULAR = 'pipeline';
export const LIST_KIND = 'PipelineList';
export const SHORT_NAMES = ['pl'];
export const CATEGORIES = ['conveyor'];
export const CRD_NAME = `${PLURAL}.${GROUP}`;
export const MAX_ON_FAILURE_STAGES = 20;
/** A DNS-1123 label, as Kubernetes allows; Job and CronJob names built from it are shortened with a hash. */
export const MAX_STAGE_NAME_LENGTH = 63;
/** metadata.name: Conveyor puts it into label values (≤ 63) and object names. */
export const MAX_PIPELINE_NAME_LENGTH = 63;
/** All of one run's parameters together, names and values (see MAX_PARAM_VALUE_LENGTH in schema.ts). */
export const MAX_PARAMS_LENGTH = 4096;
