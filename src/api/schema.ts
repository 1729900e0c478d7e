// The Pipeline API (conveyor.dev/v1alpha1), defined once. Everything else derives from here:
//   - src/api/types.ts: the TypeScript types (Static<...>);
//   - src/api/crd.ts → crds/conveyor.dev_pipelines.yaml: the CRD's openAPIV3Schema, with the CEL
//     rules of src/api/cel.ts as x-kubernetes-validations;
//   - src/api/json-schema.ts → schema/pipeline.schema.json: the editor schema, which is also what
//     ajv checks in src/api/validate.ts (strict: unknown fields are errors).
// Run `npm run generate` after any change here; a unit test fails while crds/ or schema/ is stale.
//
// Seeing the API server's messages (a cluster of Kubernetes ≥ 1.33 with the CRD applied; the CEL
// rules use the sets library, fieldPath and transformMapEntry):
//   kubectl apply -f crds/conveyor.dev_pipelines.yaml
//   kubectl apply --dry-run=server -f test/fixtures/pipelines/bad/unknown-dependency.yaml
// prints `The Pipeline "bad" is invalid: spec.stages: Invalid value: unknown stage "ghost"`.
// Every file in test/fixtures/pipelines/bad names its messages in `# expect:` lines; those from
// the CEL rules read the same on the API server (which reports the first offender at the rule's
// fieldPath) and in `conveyor validate FILE` (every offender, at its exact path and line). The
// server stops before CEL when a field has the wrong type or enum value; it cannot check cron
// syntax, time zones or cycles, which only `conveyor validate` and the operator (phase Invalid) do.
//
// Choices: stage names are DNS-1123 labels of up to 63 characters, as Kubernetes allows (object
// names built from them are shortened with a hash, src/plan/names.ts); metadata.name a DNS-1123
// subdomain ≤ 63 (it goes into label values); a stage may depend on every other stage (dependsOn
// ≤ 199; the CEL rules fit the API server's budget for that, see cel.ts); defaults:
// concurrencyPolicy Forbid, failurePolicy StopAll, staging.mountPath /staging, runHistoryLimit 3,
// triggers.after[].phase Succeeded, suspend false.
//
// Conventions of this file:
//   - Conveyor's own objects are closed (additionalProperties: false); the CRD generator drops that
//     keyword because the API server prunes unknown fields itself (and kubectl's strict field
//     validation reports them).
//   - Embedded Kubernetes types (env items, resources, tolerations, podTemplate, ...) are open
//     objects with x-kubernetes-preserve-unknown-fields; the Job that Conveyor creates from them
//     is validated by the API server when it is created.
//   - Every list has maxItems and every string a CEL rule reads has maxLength: the CEL cost
//     estimator needs both.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type {
  V1EnvFromSource,
  V1EnvVar,
  V1ObjectMeta,
  V1PodSpec,
  V1ResourceRequirements,
  V1Toleration,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  DEFAULT_MOUNT_PATH,
  KIND,
  DEFAULT_RUN_HISTORY_LIMIT,
  MAX_ON_FAILURE_STAGES,
  MAX_PIPELINE_NAME_LENGTH,
  MAX_STAGE_NAME_LENGTH,
  MAX_STAGES,
} from './constants.ts';
import { celValidation, type CelRuleId } from './cel.ts';

// ---------------------------------------------------------------------------------------------
// Patterns and limits, exported so validate.ts can explain a failed pattern in words.

export const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** A resource.Quantity without a sign (a volume size), as Kubernetes' own OpenAPI spells it. */
export const QUANTITY =
  '^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';
/** An absolute path, as a volume mountPath must be. */
export const ABSOLUTE_PATH = '^/';

/** Fan-in of one stage: every other stage. knownDependencies fits the CEL budget for that (cel.ts). */
export const MAX_DEPENDS_ON = MAX_STAGES - 1;
export const MAX_RETRIES = 100;
export const MAX_RUN_HISTORY_LIMIT = 100;
export const MAX_CONDITIONS = 16;
/**
 * At most this many runs of one Pipeline are active at once (concurrencyPolicy Allow): each
 * active run keeps per-stage memory in status, and status must stay far below etcd's 1.5 MiB.
 */
export const MAX_ACTIVE_RUNS = 20;
/**
 * The stages of all active runs of one Pipeline together (each run counts every stage and
 * onFailure stage of its spec): each is remembered in status until its run ends. 20 runs of up
 * to 50 stages, 4 of the largest spec (220). Status stays within its bound (issue 17 case 9).
 */
export const MAX_ACTIVE_STAGES = 1000;
/** runs[] keeps the finished runs of the history plus every active run. */
export const MAX_RUNS = MAX_RUN_HISTORY_LIMIT + MAX_ACTIVE_RUNS;
/** lastRun.stages has one entry per stage and onFailure stage. */
export const MAX_STAGE_STATUSES = MAX_STAGES + MAX_ON_FAILURE_STAGES;
export const MAX_TRIGGERS = 20;
/**
 * status.lastTriggers[].ended: ids of one upstream's ended runs a chained pipeline has handled,
 * of those the upstream's status still shows (its lastRun and runs[] keep about ten finished).
 */
export const MAX_HANDLED_UPSTREAM_RUNS = 32;
/** A run id Conveyor derives is at most 13 characters; one read from another Pipeline, at most this. */
export const MAX_RUN_ID_LENGTH = 63;
const MAX_LIST = 64; // env, envFrom, tolerations, command, args, ...
const MAX_IMAGE = 1024;
const MAX_SCHEDULE = 128;
const MAX_TIME_ZONE = 64;
export const MAX_PARAMS = 50;
export const MAX_PARAM_NAME_LENGTH = 63;
/**
 * A parameter's value (a default, an enum value, a value a run gives), and all of one run's
 * parameters together, names and values: each run records its values in status (lastRun, runs[],
 * backfill), up to 32 times. 4,096 and no total let 50 parameters fill 2.35 MiB after 11 runs
 * (issue 17 case 9).
 */
export const MAX_PARAM_VALUE_LENGTH = 1024;
export { MAX_PARAMS_LENGTH } from './constants.ts';
export const MAX_CACHE_KEY_LENGTH = 512;
/** status.cache: entries kept per Pipeline, newest first (the cache's bound). */
export const MAX_CACHE_ENTRIES = 200;
/** A result's data version and a cache entry's upstream hash: 16 hex characters. */
export const DATA_VERSION_PATTERN = '^[0-9a-f]{16}$';
/** status.succeededTimes: (logical time, parameter values) of succeeded runs kept. */
export const MAX_SUCCEEDED_TIMES = 1000;
/**
 * Of the MAX_ACTIVE_RUNS, a backfill never takes the last this many: ticks, manual runs, retries
 * and chained runs always find room next to one (they follow their own concurrencyPolicy).
 */
export const RESERVED_RUN_SLOTS = 5;
/** A backfill's maxActive: at most the active runs a Pipeline may have less the reserved ones. */
export const MAX_BACKFILL_ACTIVE = MAX_ACTIVE_RUNS - RESERVED_RUN_SLOTS;
/** status.backfillIds: the ids of the last this many backfills started (a request reusing one is refused). */
export const MAX_BACKFILL_IDS = 50;
/** A status.succeededTimes entry: an RFC 3339 UTC time, and `/` and 16 hex of its parameter values' hash. */
export const SUCCEEDED_ENTRY = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z(/[0-9a-f]{16})?$';
/** A parameter name: usable in an environment variable name (CONVEYOR_PARAM_<NAME>). */
export const PARAM_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
/** A duration such as 90s, 30m, 24h, 7d or 1h30m. */
export const DURATION_PATTERN = '^([0-9]+(s|m|h|d))+$';

/**
 * Where a webhook value comes from: an RFC 6901 JSON pointer into the body (`/head_commit/id`;
 * `~1` is `/` and `~0` is `~` inside a name), or a request header (`header:X-Request-Id`).
 */
export const WEBHOOK_SOURCE_PATTERN = '^((/([^/~]|~[01])*)+|header:[A-Za-z0-9-]+)$';
export const MAX_WEBHOOK_SOURCE_LENGTH = 256;
/** A GitHub event name as X-GitHub-Event sends it: push, pull_request, workflow_run, ... */
export const GITHUB_EVENT_PATTERN = '^[a-z][a-z_]*$';
/** An S3 event name (s3:ObjectCreated:Put), `*` allowed only at the end (s3:ObjectCreated:*). */
export const BUCKET_EVENT_PATTERN = '^[^*]+\\*?$';
/** A key of a Secret's data, as Kubernetes allows it. */
export const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
export const MAX_WEBHOOK_FILTERS = 16;
export const MAX_WEBHOOK_EVENTS = 32;
export const MAX_WEBHOOK_ONE_OF = 64;
/** status.webhook.deliveries: the last this many deliveries handled, newest first. */
export const MAX_WEBHOOK_DELIVERIES = 10;
/** A delivery id (X-GitHub-Delivery, a body hash, `-<record>` per bucket record). */
export const MAX_DELIVERY_ID_LENGTH = 128;

// ---------------------------------------------------------------------------------------------
// Small builders for the shapes this file repeats.

type Options = Record<string, unknown>;

/** One of Conveyor's own objects: closed, so a typo is an error. */
function closed<P extends Record<string, TSchema>>(properties: P, options: Options = {}) {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

/** A Kubernetes type embedded as-is; the API server keeps its fields (no pruning). */
function kubernetesObject<T>(description: string, extra: Options = {}) {
  return Type.Unsafe<T>({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true, description, ...extra });
}

/** A string enum as Kubernetes wants it (`type: string` + `enum`, no anyOf/const). */
function stringEnum<const V extends readonly string[]>(values: V, options: Options = {}) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/** map[string]string (labels, nodeSelector): additionalProperties, not patternProperties. */
function stringMap(description: string) {
  return Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, description });
}

function cel(...ids: CelRuleId[]) {
  return { 'x-kubernetes-validations': ids.map(celValidation) };
}

// ---------------------------------------------------------------------------------------------
// Stages

/** podTemplate: a partial PodTemplateSpec; `spec.containers` may be left out. */
export type PodTemplateOverlay = { metadata?: V1ObjectMeta; spec?: Partial<V1PodSpec> };

const stageName = (what: string) =>
  Type.String({
    description: `Name of the ${what}: a DNS-1123 label of at most ${MAX_STAGE_NAME_LENGTH} characters, unique in the pipeline. Used in Job names and labels.`,
    minLength: 1,
    maxLength: MAX_STAGE_NAME_LENGTH,
    pattern: DNS1123_LABEL,
  });

const image = Type.String({ description: 'Container image.', minLength: 1, maxLength: MAX_IMAGE });
const env = Type.Array(
  kubernetesObject<V1EnvVar>('An EnvVar (name, value or valueFrom).', {
    required: ['name'],
    properties: { name: { type: 'string', minLength: 1 } },
  }),
  { description: 'Environment variables of the container.', maxItems: MAX_LIST },
);
const resources = kubernetesObject<V1ResourceRequirements>('ResourceRequirements (requests, limits) of the container.');
const retries = Type.Integer({
  description: 'How often a failed stage is retried (the Job backoffLimit).',
  minimum: 0,
  maximum: MAX_RETRIES,
});
const timeoutSeconds = Type.Integer({
  description: 'Deadline of one stage, all attempts included (the Job activeDeadlineSeconds).',
  minimum: 1,
});
const podTemplate = kubernetesObject<PodTemplateOverlay>(
  'A partial PodTemplateSpec (metadata, spec) merged under what Conveyor generates: the escape hatch for volumes, securityContext, annotations and the like.',
);

// ---------------------------------------------------------------------------------------------
// Datasets a stage reads and writes (OpenLineage inputs/outputs, src/notify/openlineage.ts)

export const MAX_DATASETS = 32;
export const MAX_DATASET_NAMESPACE_LENGTH = 512;
export const MAX_DATASET_NAME_LENGTH = 1024;
/** A dataset's facets as JSON: they travel in every lineage event of the stage. */
export const MAX_DATASET_FACETS_BYTES = 16 * 1024;

export const DatasetSchema = closed(
  {
    namespace: Type.String({
      description:
        'Where the dataset lives, as OpenLineage names datasource namespaces: s3://bucket, postgres://host:5432, kafka://broker:9092. $(params.x) and $(run.x) are replaced with the run’s values.',
      minLength: 1,
      maxLength: MAX_DATASET_NAMESPACE_LENGTH,
    }),
    name: Type.String({
      description:
        'The dataset within its namespace: a path (orders/2026-12-06), a table (public.orders), a topic. $(params.x) and $(run.x) are replaced with the run’s values.',
      minLength: 1,
      maxLength: MAX_DATASET_NAME_LENGTH,
    }),
    facets: Type.Optional(
      kubernetesObject<Record<string, Record<string, unknown>>>(
        `OpenLineage dataset facets, by facet name (schema, dataSource, ...): each an object with its _schemaURL; _producer defaults to Conveyor. At most ${MAX_DATASET_FACETS_BYTES} bytes as JSON.`,
      ),
    ),
  },
  { description: 'A dataset, named as OpenLineage names datasets.' },
);

const datasets = (what: 'reads' | 'writes') =>
  Type.Array(DatasetSchema, {
    description: `Datasets the stage ${what}: sent as the ${what === 'reads' ? 'inputs' : 'outputs'} of its OpenLineage events.`,
    maxItems: MAX_DATASETS,
  });

/** The fields a stage and an onFailure stage share. */
const stageFields = (what: string) => ({
  name: stageName(what),
  image: Type.Optional(image),
  command: Type.Optional(
    Type.Array(Type.String(), { description: 'Entrypoint; the image ENTRYPOINT when unset.', maxItems: MAX_LIST }),
  ),
  args: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Arguments to the entrypoint; the image CMD when unset.',
      maxItems: MAX_LIST * 4,
    }),
  ),
  env: Type.Optional(env),
  envFrom: Type.Optional(
    Type.Array(kubernetesObject<V1EnvFromSource>('An EnvFromSource (configMapRef, secretRef, prefix).'), {
      description: 'Sources of environment variables (ConfigMaps, Secrets).',
      maxItems: MAX_LIST,
    }),
  ),
  resources: Type.Optional(resources),
  workingDir: Type.Optional(Type.String({ description: 'Working directory of the container.' })),
  inputs: Type.Optional(datasets('reads')),
  outputs: Type.Optional(datasets('writes')),
});

const dependsOn = Type.Array(Type.String({ maxLength: MAX_STAGE_NAME_LENGTH }), {
  description: 'Names of the stages that must succeed before this one starts.',
  maxItems: MAX_DEPENDS_ON,
  'x-kubernetes-list-type': 'set',
});

export const StageCacheSchema = closed(
  {
    key: Type.String({
      description:
        'Cache key, a template over params and logical time, e.g. orders-$(run.intervalStart). A Succeeded result of this stage with the same key (and the same image, command, args, env, envFrom and workingDir, after defaults) within maxAge is reused instead of running the stage.',
      minLength: 1,
      maxLength: MAX_CACHE_KEY_LENGTH,
    }),
    maxAge: Type.Optional(
      Type.String({
        description: 'How long a result may be reused: a duration such as 30m, 24h or 7d. Default 24h.',
        pattern: DURATION_PATTERN,
        maxLength: 32,
      }),
    ),
  },
  { description: 'Memoization: skip the stage when an equal result is recent enough.' },
);

export const StageSchema = closed(
  {
    ...stageFields('stage'),
    dependsOn: Type.Optional(dependsOn),
    cache: Type.Optional(StageCacheSchema),
    retries: Type.Optional(retries),
    timeoutSeconds: Type.Optional(timeoutSeconds),
    podTemplate: Type.Optional(podTemplate),
  },
  { description: 'One step of the pipeline; each run creates one Job for it.', ...cel('stageSelfDependency') },
);

/**
 * An onFailure stage has no dependsOn. The field stays in the schema only so that setting it is
 * refused with a clear message; a field missing from the schema would be pruned silently.
 */
export const OnFailureStageSchema = closed(
  {
    ...stageFields('onFailure stage'),
    dependsOn: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_STAGE_NAME_LENGTH }), {
        description: 'Not allowed: onFailure stages run once, after a run failed.',
        maxItems: MAX_DEPENDS_ON,
      }),
    ),
    retries: Type.Optional(retries),
    timeoutSeconds: Type.Optional(timeoutSeconds),
    podTemplate: Type.Optional(podTemplate),
  },
  { description: 'A stage that runs once when a run fails: an alert, a cleanup.', ...cel('onFailureNoDependsOn') },
);

export const StageDefaultsSchema = closed(
  {
    image: Type.Optional(image),
    env: Type.Optional(env),
    resources: Type.Optional(resources),
    retries: Type.Optional(retries),
    timeoutSeconds: Type.Optional(timeoutSeconds),
    serviceAccountName: Type.Optional(
      Type.String({ description: 'ServiceAccount of every stage pod.', maxLength: 253, pattern: DNS1123_SUBDOMAIN }),
    ),
    nodeSelector: Type.Optional(stringMap('Node labels every stage pod must match.')),
    tolerations: Type.Optional(
      Type.Array(kubernetesObject<V1Toleration>('A Toleration.'), {
        description: 'Tolerations of every stage pod.',
        maxItems: MAX_LIST,
      }),
    ),
    imagePullSecrets: Type.Optional(
      Type.Array(closed({ name: Type.String({ description: 'Name of a Secret in the namespace.', minLength: 1 }) }), {
        description: 'Secrets for pulling the images of every stage.',
        maxItems: MAX_LIST,
      }),
    ),
    podTemplate: Type.Optional(podTemplate),
  },
  {
    description:
      'Stage fields applied to every stage (and onFailure stage) that does not set them. env is merged by name; podTemplate is merged under the stage podTemplate.',
  },
);

// ---------------------------------------------------------------------------------------------
// Pipeline-wide settings

export const StagingSchema = closed(
  {
    size: Type.Optional(
      Type.String({
        description: 'Size of the PersistentVolumeClaim created for each run, e.g. 1Gi.',
        maxLength: 64,
        pattern: QUANTITY,
      }),
    ),
    storageClassName: Type.Optional(Type.String({ description: 'StorageClass of the per-run claim.', maxLength: 253 })),
    accessModes: Type.Optional(
      Type.Array(stringEnum(['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod']), {
        description: 'Access modes of the per-run claim; ReadWriteOnce when unset (stages then share one node).',
        maxItems: 4,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    mountPath: Type.Optional(
      Type.String({
        description: 'Where the staging volume is mounted in every stage.',
        default: DEFAULT_MOUNT_PATH,
        maxLength: 4096,
        pattern: ABSOLUTE_PATH,
      }),
    ),
    uri: Type.Optional(
      Type.String({
        description: 'An object-store prefix (e.g. s3://bucket/pipelines) handed to stages; each run gets <uri>/<run>.',
        minLength: 1,
        maxLength: 2048,
      }),
    ),
  },
  {
    description:
      'The staging area shared by the stages of a run: a volume per run (size) or an object-store prefix (uri). CONVEYOR_STAGING tells a stage where it is.',
    ...cel('stagingSizeOrUri', 'stagingVolumeFields'),
  },
);

export const ChainTriggerSchema = closed(
  {
    pipeline: Type.String({
      description: 'Name of a Pipeline in the same namespace.',
      minLength: 1,
      maxLength: MAX_PIPELINE_NAME_LENGTH,
      pattern: DNS1123_SUBDOMAIN,
    }),
    phase: Type.Optional(
      stringEnum(['Succeeded', 'Failed'], {
        description: 'Which outcome of that pipeline starts a run of this one.',
        default: 'Succeeded',
      }),
    ),
  },
  { description: 'Start a run when another pipeline’s run finishes.' },
);

const webhookSource = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: MAX_WEBHOOK_SOURCE_LENGTH, pattern: WEBHOOK_SOURCE_PATTERN });
const webhookParamName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: MAX_PARAM_NAME_LENGTH, pattern: PARAM_NAME_PATTERN });

export const WebhookFilterSchema = closed(
  {
    field: webhookSource(
      'What to test: a JSON pointer into the body (/ref; with bucketNotification, into each record: /s3/object/size) or header:<Name>.',
    ),
    equals: Type.Optional(
      Type.String({ description: 'The value must be exactly this.', maxLength: MAX_PARAM_VALUE_LENGTH }),
    ),
    prefix: Type.Optional(
      Type.String({ description: 'The value must start with this.', maxLength: MAX_PARAM_VALUE_LENGTH }),
    ),
    oneOf: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_PARAM_VALUE_LENGTH }), {
        description: 'The value must be one of these.',
        minItems: 1,
        maxItems: MAX_WEBHOOK_ONE_OF,
      }),
    ),
  },
  {
    description:
      'A condition on the delivery: the value at field (a string, number or boolean, compared as text) matches exactly one of equals, prefix or oneOf.',
    ...cel('webhookFilterOneMatcher'),
  },
);

export const WebhookParamSchema = closed(
  {
    name: webhookParamName('A parameter declared in spec.params.'),
    from: webhookSource(
      'Where its value comes from: a JSON pointer into the body (/head_commit/id; with bucketNotification, into each record) or header:<Name>. A number or boolean is passed as text; an object, list or null refuses the delivery.',
    ),
  },
  { description: 'One parameter of the run, read from the delivery.' },
);

export const BucketNotificationSchema = closed(
  {
    bucketParam: Type.Optional(
      webhookParamName('A declared parameter that receives the bucket (Records[i].s3.bucket.name).'),
    ),
    keyParam: webhookParamName(
      "A declared parameter that receives the object key (Records[i].s3.object.key), URL-decoded ('+' is a space).",
    ),
    prefix: Type.Optional(
      Type.String({
        description: 'Only keys that start with this (after decoding).',
        maxLength: MAX_PARAM_VALUE_LENGTH,
      }),
    ),
    suffix: Type.Optional(
      Type.String({ description: 'Only keys that end with this (after decoding).', maxLength: MAX_PARAM_VALUE_LENGTH }),
    ),
    events: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 128, pattern: BUCKET_EVENT_PATTERN }), {
        description:
          'Only records whose eventName is one of these; a trailing * matches any end (s3:ObjectCreated:*). All when unset.',
        maxItems: MAX_WEBHOOK_EVENTS,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  {
    description:
      'The body is an S3 event notification (S3, MinIO, Ceph RGW): each of its records (at most 10) whose key and eventName match starts one run with the bucket and key as parameters.',
  },
);

export const WebhookTriggerSchema = closed(
  {
    type: stringEnum(['hmac', 'github', 'bearer'], {
      description:
        'How a delivery proves it knows the token: hmac (X-Signature: sha256=<HMAC-SHA256 of the body>), github (X-Hub-Signature-256, the same scheme, with X-GitHub-Event and X-GitHub-Delivery), bearer (Authorization: Bearer <token>).',
    }),
    secretRef: closed(
      {
        name: Type.String({
          description: 'A Secret in the Pipeline’s namespace.',
          minLength: 1,
          maxLength: 253,
          pattern: DNS1123_SUBDOMAIN,
        }),
        key: Type.Optional(
          Type.String({
            description: 'The key of the token in the Secret.',
            default: 'token',
            minLength: 1,
            maxLength: 253,
            pattern: SECRET_KEY_PATTERN,
          }),
        ),
      },
      { description: 'The Secret holding the token; the receiver path is derived from it (status.webhook.path).' },
    ),
    events: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: GITHUB_EVENT_PATTERN }), {
        description:
          'type github only: the X-GitHub-Event values that start a run (push, release, ...); others are ignored. All but ping when unset.',
        maxItems: MAX_WEBHOOK_EVENTS,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    filter: Type.Optional(
      Type.Array(WebhookFilterSchema, {
        description: 'Conditions that must all hold; otherwise the delivery is ignored (200, nothing started).',
        maxItems: MAX_WEBHOOK_FILTERS,
      }),
    ),
    params: Type.Optional(
      Type.Array(WebhookParamSchema, {
        description: 'Parameters of the run read from the delivery; the others take their defaults.',
        maxItems: MAX_PARAMS,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    bucketNotification: Type.Optional(BucketNotificationSchema),
  },
  {
    description:
      'Start a run when a signed HTTP delivery arrives (the operator’s --webhook-address receiver). Each delivery starts at most one run (one per record for bucketNotification), as `conveyor run` would.',
    ...cel('webhookEventsNeedGithub', 'webhookParamNamesDistinct'),
  },
);

export const TriggersSchema = closed(
  {
    after: Type.Optional(
      Type.Array(ChainTriggerSchema, { description: 'Run after other pipelines.', maxItems: MAX_TRIGGERS }),
    ),
    webhook: Type.Optional(WebhookTriggerSchema),
  },
  { description: 'Events that start a run, besides create, change, schedule and manual triggers.' },
);

export const ParamSchema = closed(
  {
    name: Type.String({
      description:
        'Parameter name: letters, digits and _, not starting with a digit. Stages see it as CONVEYOR_PARAM_<NAME> (upper case) and as $(params.<name>).',
      minLength: 1,
      maxLength: MAX_PARAM_NAME_LENGTH,
      pattern: PARAM_NAME_PATTERN,
    }),
    default: Type.Optional(
      Type.String({
        description: 'Value when a run does not give one; empty when unset.',
        maxLength: MAX_PARAM_VALUE_LENGTH,
      }),
    ),
    description: Type.Optional(Type.String({ description: 'What the parameter means.', maxLength: 1024 })),
    enum: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_PARAM_VALUE_LENGTH }), {
        description: 'The only values allowed; a run with another value is refused.',
        minItems: 1,
        maxItems: MAX_LIST,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  { description: 'A run parameter.', ...cel('paramEnumNeedsDefault') },
);

export const CLOUDEVENTS_SINK_PATTERN = '^https?://[^\\s]+$';
export const MAX_SINK_URL_LENGTH = 2048;

export const NotifySchema = closed(
  {
    cloudevents: Type.Optional(
      closed(
        {
          url: Type.String({
            description:
              'Where this pipeline’s run and stage lifecycle CloudEvents are POSTed: an http or https URL. It must start with one of the operator’s --cloudevents-allowed-sinks prefixes, else status.notify.message says why nothing is sent.',
            minLength: 1,
            maxLength: MAX_SINK_URL_LENGTH,
            pattern: CLOUDEVENTS_SINK_PATTERN,
          }),
          mode: Type.Optional(
            stringEnum(['structured', 'binary'], {
              description:
                'HTTP content mode: structured (the whole event as application/cloudevents+json) or binary (ce-* headers, the data as the body).',
              default: 'structured',
            }),
          ),
        },
        { description: 'A CloudEvents sink for this pipeline, besides the operator’s --cloudevents-sink.' },
      ),
    ),
  },
  { description: 'Where this pipeline’s lifecycle events go (docs/integrations.md).' },
);

export const PipelineSpecSchema = closed(
  {
    params: Type.Optional(
      Type.Array(ParamSchema, {
        description: 'Run parameters: values given per run (conveyor run --param), defaults otherwise.',
        maxItems: MAX_PARAMS,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        ...cel('uniqueParamNamesIgnoringCase', 'paramsLength'),
      }),
    ),
    stages: Type.Array(StageSchema, {
      description: 'The stages, run in dependency order (dependsOn).',
      minItems: 1,
      maxItems: MAX_STAGES,
      ...cel('uniqueStageNames'),
    }),
    defaults: Type.Optional(StageDefaultsSchema),
    onFailure: Type.Optional(
      Type.Array(OnFailureStageSchema, {
        description: 'Stages run once, in parallel, when a run fails.',
        maxItems: MAX_ON_FAILURE_STAGES,
        ...cel('uniqueOnFailureNames'),
      }),
    ),
    schedule: Type.Optional(
      Type.String({
        description:
          'Cron schedule, as a CronJob accepts it: 5 fields (minute hour day-of-month month day-of-week) or @yearly, @monthly, @weekly, @daily, @hourly. Without it a run starts on create and on every change.',
        maxLength: MAX_SCHEDULE,
        ...cel('scheduleNoTimeZone', 'scheduleShape'),
      }),
    ),
    timeZone: Type.Optional(
      Type.String({
        description:
          'IANA time zone of the schedule, e.g. Europe/Berlin; the controller manager’s zone (usually UTC) when unset.',
        minLength: 1,
        maxLength: MAX_TIME_ZONE,
      }),
    ),
    suspend: Type.Optional(Type.Boolean({ description: 'Start no new runs; running ones go on.', default: false })),
    concurrencyPolicy: Type.Optional(
      stringEnum(['Allow', 'Forbid', 'Replace'], {
        description:
          'What a new run does while another runs: Allow (both run), Forbid (the new one is skipped), Replace (the old one is cancelled).',
        default: 'Forbid',
      }),
    ),
    startingDeadlineSeconds: Type.Optional(
      Type.Integer({
        description: 'A scheduled run that cannot start within this many seconds is skipped.',
        minimum: 0,
      }),
    ),
    activeDeadlineSeconds: Type.Optional(
      Type.Integer({ description: 'Deadline of a whole run; unfinished stages then fail.', minimum: 1 }),
    ),
    failurePolicy: Type.Optional(
      stringEnum(['StopAll', 'ContinueIndependent'], {
        description:
          'After a stage fails: StopAll starts nothing new; ContinueIndependent lets branches that do not depend on the failed stage go on.',
        default: 'StopAll',
      }),
    ),
    staging: Type.Optional(StagingSchema),
    runHistoryLimit: Type.Optional(
      Type.Integer({
        description: 'How many finished runs (their Jobs and staging) are kept.',
        minimum: 0,
        maximum: MAX_RUN_HISTORY_LIMIT,
        default: DEFAULT_RUN_HISTORY_LIMIT,
      }),
    ),
    triggers: Type.Optional(TriggersSchema),
    notify: Type.Optional(NotifySchema),
  },
  {
    description: 'What the pipeline runs and when.',
    'x-kubernetes-validations': (
      [
        'knownDependencies',
        'onFailureNamesDistinct',
        'stageImage',
        'onFailureImage',
        'timeZoneNeedsSchedule',
        'startingDeadlineNeedsSchedule',
        'webhookParamsDeclared',
        'webhookBucketParamsDeclared',
      ] as const
    ).map(celValidation),
  },
);

// ---------------------------------------------------------------------------------------------
// Status (written by the operator through the status subresource)

const timestamp = (description: string) => Type.String({ description, format: 'date-time' });

export const ConditionSchema = closed(
  {
    type: Type.String({ description: 'Ready, Reconciling or Stalled (kstatus).', maxLength: 316 }),
    status: stringEnum(['True', 'False', 'Unknown']),
    reason: Type.String({ maxLength: 1024 }),
    message: Type.String({ maxLength: 32768 }),
    lastTransitionTime: timestamp('When status last changed.'),
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { description: 'A condition in the kstatus convention.' },
);

const stagePhase = stringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Skipped']);
const runPhase = stringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'Skipped']);
const runTrigger = stringEnum(['create', 'change', 'manual', 'schedule', 'retry', 'chain', 'backfill', 'webhook']);

export const StageStatusSchema = closed({
  name: Type.String(),
  phase: stagePhase,
  job: Type.Optional(Type.String({ description: 'Name of the Job of the latest attempt.' })),
  attempts: Type.Optional(Type.Integer({ minimum: 0 })),
  startTime: Type.Optional(timestamp('When the stage started.')),
  completionTime: Type.Optional(timestamp('When the stage finished.')),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  cachedFrom: Type.Optional(Type.String({ description: 'Reason Cached: the run whose result was reused.' })),
  dataVersion: Type.Optional(
    Type.String({
      description:
        'Reason Cached or FromRun: the version of the result reused (a hash of the stage, the run that computed it and when it finished); cache entries of later stages record it.',
      pattern: DATA_VERSION_PATTERN,
    }),
  ),
});

const runSummaryFields = {
  id: Type.String({ description: 'Run id, derived from what triggered it.' }),
  trigger: runTrigger,
  phase: runPhase,
  generation: Type.Optional(Type.Integer({ description: 'The spec generation the run executes.', minimum: 0 })),
  startTime: Type.Optional(timestamp('When the run started.')),
  completionTime: Type.Optional(timestamp('When the run finished.')),
  message: Type.Optional(Type.String()),
  logicalTime: Type.Optional(
    timestamp(
      'The moment the run processes data for: the schedule tick, the request time (or --at), or the upstream run’s.',
    ),
  ),
  intervalStart: Type.Optional(timestamp('Start of the data interval (the previous tick of a scheduled pipeline).')),
  intervalEnd: Type.Optional(timestamp('End of the data interval (the tick itself).')),
  params: Type.Optional(stringMap('The parameter values of the run.')),
  noCache: Type.Optional(
    Type.Boolean({ description: 'The run ignores cached stage results (conveyor run --no-cache).' }),
  ),
  backfill: Type.Optional(Type.String({ description: 'The backfill request this run belongs to.' })),
  notified: Type.Optional(
    Type.Boolean({
      description:
        'The run has finished and each of its lifecycle notifications (CloudEvents, OpenLineage) was delivered or dropped; absent while some are still to be sent (after a restart they are sent again, with the same ids).',
    }),
  ),
};

export const RunStatusSchema = closed({
  ...runSummaryFields,
  stages: Type.Optional(Type.Array(StageStatusSchema, { maxItems: MAX_STAGE_STATUSES })),
});

export const RunSummarySchema = closed({
  ...runSummaryFields,
  stages: Type.Optional(
    Type.Array(StageStatusSchema, {
      description:
        'Active runs only: what each started stage has done so far (the memory that keeps a run from redoing work).',
      maxItems: MAX_STAGE_STATUSES,
    }),
  ),
});

export const CacheEntrySchema = closed(
  {
    stage: Type.String({ description: 'The stage.' }),
    key: Type.String({ description: 'The resolved cache key.', maxLength: MAX_CACHE_KEY_LENGTH }),
    specHash: Type.String({
      description:
        'Hash of the stage’s image, command, args, env, envFrom and workingDir (after defaults) when it ran.',
    }),
    run: Type.String({ description: 'The run that produced the result.' }),
    time: timestamp('When the stage succeeded.'),
    upstream: Type.Optional(
      Type.String({
        description:
          'Hash of the versions of the results its dependencies had when it ran; absent for a stage without dependencies. A run reuses the entry only if its dependencies have the same.',
        pattern: DATA_VERSION_PATTERN,
      }),
    ),
  },
  { description: 'A Succeeded stage result that later runs may reuse.' },
);

export const BackfillStatusSchema = closed(
  {
    request: Type.String({ description: 'The handled backfill request (its id).' }),
    requestedAt: Type.Optional(timestamp('When the request says it was made (its requestedAt); part of its run ids.')),
    from: timestamp('First tick (inclusive).'),
    to: timestamp('End of the range (exclusive).'),
    maxActive: Type.Integer({ minimum: 1, description: 'At most this many backfill runs at once.' }),
    rerun: Type.Optional(Type.Boolean({ description: 'Ticks that already succeeded run again.' })),
    params: Type.Optional(stringMap('Parameter values of every backfill run.')),
    phase: stringEnum(['Running', 'Succeeded', 'Failed', 'Cancelled']),
    total: Type.Integer({ minimum: 0, description: 'Ticks in the range.' }),
    next: Type.Integer({ minimum: 0, description: 'Index of the next tick to start (ticks start oldest first).' }),
    done: Type.Integer({ minimum: 0, description: 'Ticks finished (succeeded, failed or skipped as already done).' }),
    failed: Type.Optional(Type.Integer({ minimum: 0, description: 'Ticks whose run failed.' })),
    skipped: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Ticks skipped because a run already succeeded for them.' }),
    ),
    running: Type.Optional(
      Type.Array(Type.String(), { description: 'Ids of the backfill runs in flight.', maxItems: MAX_ACTIVE_RUNS }),
    ),
    progress: Type.Optional(Type.String({ description: 'e.g. 3/7 ticks done, 2 running.' })),
    message: Type.Optional(Type.String()),
    startTime: Type.Optional(timestamp('When the backfill started.')),
    completionTime: Type.Optional(timestamp('When the backfill finished.')),
  },
  { description: 'The latest backfill request and its progress.' },
);

export const WebhookDeliverySchema = closed(
  {
    id: Type.String({
      description: 'The delivery id: X-GitHub-Delivery, or a hash of the body; -<i> per bucket record.',
      maxLength: MAX_DELIVERY_ID_LENGTH,
    }),
    time: timestamp('When the operator handled it.'),
    outcome: stringEnum(['Started', 'Refused'], {
      description: 'Started: a run was asked for (run); Refused: its parameters were refused (message).',
    }),
    run: Type.Optional(Type.String({ description: 'The run it started.', maxLength: MAX_RUN_ID_LENGTH })),
    message: Type.Optional(Type.String({ description: 'Why it was refused.', maxLength: 1024 })),
  },
  { description: 'A webhook delivery the planner handled.' },
);

export const WebhookStatusSchema = closed(
  {
    path: Type.Optional(
      Type.String({
        description:
          'Where the receiver takes this Pipeline’s deliveries: /hook/<sha256 of token, name and namespace>. Absent when it does not receive them (message says why).',
        maxLength: 80,
      }),
    ),
    message: Type.Optional(
      Type.String({ description: 'Why deliveries are not received, when they are not.', maxLength: 1024 }),
    ),
    deliveries: Type.Optional(
      Type.Array(WebhookDeliverySchema, {
        description: `The last ${MAX_WEBHOOK_DELIVERIES} deliveries that asked for a run, newest first.`,
        maxItems: MAX_WEBHOOK_DELIVERIES,
      }),
    ),
  },
  { description: 'The webhook trigger: where it receives, and what its last deliveries did.' },
);

export const PipelineStatusSchema = closed(
  {
    observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
    phase: Type.Optional(
      stringEnum(['Pending', 'Running', 'Succeeded', 'Failed', 'Scheduled', 'Suspended', 'Invalid']),
    ),
    conditions: Type.Optional(
      Type.Array(ConditionSchema, {
        maxItems: MAX_CONDITIONS,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['type'],
      }),
    ),
    progress: Type.Optional(Type.String({ description: 'Finished stages of the latest run, e.g. 3/5.' })),
    lastRun: Type.Optional(RunStatusSchema),
    runs: Type.Optional(
      Type.Array(RunSummarySchema, { description: 'Recent runs, newest first.', maxItems: MAX_RUNS }),
    ),
    lastScheduleTime: Type.Optional(timestamp('When the schedule last started a run.')),
    nextScheduleTime: Type.Optional(timestamp('When the schedule starts the next run.')),
    lastRunRequest: Type.Optional(Type.String({ description: 'The last handled manual run request.' })),
    lastRetryRequest: Type.Optional(Type.String({ description: 'The last handled retry request.' })),
    lastCancelRequest: Type.Optional(
      Type.String({ description: 'The last handled cancel request (conveyor.dev/cancel-requested).' }),
    ),
    requestCount: Type.Optional(
      Type.Integer({
        description:
          'How many run and retry requests were handled: part of their run ids, so a value used again starts a new run.',
        minimum: 0,
      }),
    ),
    backfill: Type.Optional(BackfillStatusSchema),
    webhook: Type.Optional(WebhookStatusSchema),
    lastBackfillRequest: Type.Optional(
      Type.String({
        description: 'The last handled backfill request (conveyor.dev/backfill-requested), accepted or refused.',
      }),
    ),
    lastBackfillRefusal: Type.Optional(
      Type.String({
        description: 'Why the last backfill request was refused (until one is accepted).',
        maxLength: 1024,
      }),
    ),
    backfillIds: Type.Optional(
      Type.Array(
        closed({
          id: Type.String({ description: 'A backfill request id.', maxLength: 63 }),
          time: timestamp('Its requestedAt, or when it was handled when it had none.'),
        }),
        {
          description: `The ids of the last ${MAX_BACKFILL_IDS} backfills started, newest first: a request reusing one is refused.`,
          maxItems: MAX_BACKFILL_IDS,
        },
      ),
    ),
    backfillIdsForgottenUntil: Type.Optional(
      timestamp(
        'Set once backfillIds overflowed: a request must carry a requestedAt later than this (older ids are no longer listed).',
      ),
    ),
    succeededTimes: Type.Optional(
      Type.Array(Type.String({ pattern: SUCCEEDED_ENTRY, maxLength: 37 }), {
        description:
          `Logical times of runs that succeeded, each with a hash of the run's parameter values (<time>/<16 hex>; the time alone for a run without parameters), newest first, at most ${MAX_SUCCEEDED_TIMES}: ` +
          'a backfill skips a tick that succeeded with its parameter values unless asked to rerun it.',
        maxItems: MAX_SUCCEEDED_TIMES,
      }),
    ),
    cache: Type.Optional(
      Type.Array(CacheEntrySchema, {
        description: `Cached stage results, newest first, at most ${MAX_CACHE_ENTRIES}.`,
        maxItems: MAX_CACHE_ENTRIES,
      }),
    ),
    notify: Type.Optional(
      closed(
        {
          message: Type.Optional(
            Type.String({
              description:
                'Why spec.notify.cloudevents receives nothing (its URL is not under an allowed sink prefix, or the operator allows none); absent when it is accepted.',
              maxLength: 1024,
            }),
          ),
        },
        { description: 'Lifecycle notifications of this pipeline (spec.notify).' },
      ),
    ),
    lastTriggers: Type.Optional(
      Type.Array(
        closed({
          pipeline: Type.String({ description: 'The upstream Pipeline named in spec.triggers.after.' }),
          uid: Type.Optional(Type.String({ description: 'Its uid: a re-created upstream is a new one.' })),
          run: Type.String({
            description: 'Its last run handled (started a run here, or was seen first); empty when it had none.',
          }),
          ended: Type.Optional(
            Type.Array(Type.String({ maxLength: MAX_RUN_ID_LENGTH }), {
              description:
                'Its ended runs handled (each fired once, or ended in another phase, or had ended when first seen), of those its status still shows.',
              maxItems: MAX_HANDLED_UPSTREAM_RUNS,
            }),
          ),
          active: Type.Optional(
            Type.Array(Type.String({ maxLength: MAX_RUN_ID_LENGTH }), {
              description:
                'Its runs that were still active when last seen: one that leaves its history unseen is reported (TriggerMissed).',
              maxItems: MAX_ACTIVE_RUNS,
            }),
          ),
        }),
        {
          description: 'Chain triggers: per upstream Pipeline, which of its runs are handled.',
          maxItems: MAX_TRIGGERS,
        },
      ),
    ),
  },
  { description: 'What the operator observed.' },
);

// ---------------------------------------------------------------------------------------------
// The document: apiVersion, kind, metadata, spec, status. metadata is Kubernetes' ObjectMeta: the
// editor schema lists its fields; the CRD may only constrain metadata.name (src/api/crd.ts).

export const PipelineMetadataSchema = closed(
  {
    name: Type.Optional(
      Type.String({
        description: `Name of the pipeline: a DNS-1123 subdomain of at most ${MAX_PIPELINE_NAME_LENGTH} characters (Conveyor puts it into label values).`,
        minLength: 1,
        maxLength: MAX_PIPELINE_NAME_LENGTH,
        pattern: DNS1123_SUBDOMAIN,
      }),
    ),
    generateName: Type.Optional(Type.String({ maxLength: MAX_PIPELINE_NAME_LENGTH })),
    namespace: Type.Optional(Type.String({ maxLength: 63, pattern: DNS1123_LABEL })),
    labels: Type.Optional(stringMap('Labels of the pipeline.')),
    annotations: Type.Optional(stringMap('Annotations of the pipeline.')),
    // Written by the API server; allowed so that `kubectl get -o yaml` output validates too.
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    creationTimestamp: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    deletionTimestamp: Type.Optional(Type.String()),
    deletionGracePeriodSeconds: Type.Optional(Type.Integer()),
    finalizers: Type.Optional(Type.Array(Type.String())),
    ownerReferences: Type.Optional(Type.Array(kubernetesObject<object>('An OwnerReference.'))),
    managedFields: Type.Optional(Type.Array(kubernetesObject<object>('A ManagedFieldsEntry.'))),
    selfLink: Type.Optional(Type.String()),
  },
  { description: 'Standard object metadata.' },
);

export const PipelineSchema = closed(
  {
    apiVersion: stringEnum([API_VERSION], { description: 'conveyor.dev/v1alpha1' }),
    kind: stringEnum([KIND], { description: 'Pipeline' }),
    metadata: PipelineMetadataSchema,
    spec: PipelineSpecSchema,
    status: Type.Optional(PipelineStatusSchema),
  },
  {
    description: 'A data pipeline: stages that run as Jobs, in dependency order, once or on a schedule.',
    ...cel('noSelfTrigger'),
  },
);

export type PipelineSpecStatic = Static<typeof PipelineSpecSchema>;
export type PipelineStatusStatic = Static<typeof PipelineStatusSchema>;
