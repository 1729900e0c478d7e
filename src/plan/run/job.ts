// Pure builders for the objects of a run: one Job per stage, one staging claim per run.
// Precedence, lowest first:
//   defaults.podTemplate < defaults.{serviceAccountName,nodeSelector,tolerations,imagePullSecrets}
//   < stage.podTemplate < what Conveyor generates (labels, restartPolicy, the `stage` container's
//   image/command/args/env/envFrom/resources/workingDir, the staging volume).
// User-only fields (annotations, securityContext, affinity, volumes, sidecars, ...) survive.
import type {
  V1Container,
  V1EnvVar,
  V1Job,
  V1JobSpec,
  V1JobTemplateSpec,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1PodTemplateSpec,
} from '@kubernetes/client-node';
import type { OnFailureStageSpec, Pipeline, RunTrigger, StageSpec } from '../../api/types.ts';
import { API_VERSION, DEFAULT_MOUNT_PATH, KIND } from '../../api/constants.ts';
import {
  ANN_GENERATION,
  ANN_PIPELINE_NAME,
  ANN_RETRY_OF,
  ANN_RUN_STARTED,
  ANN_TRIGGER,
  LABEL_PIPELINE,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_STAGE,
  MANAGED_BY,
  MANAGED_BY_VALUE,
  ROLE_STAGE,
  type Role,
} from '../../api/labels.ts';
import { claimName, jobName, labelValue } from '../names.ts';
import { compact, isPlainObject } from '../objects.ts';
import { mergeList, mergeObjects } from '../merge.ts';
import type { RunValues } from '../values/values.ts';
import { defaultParams } from '../select/params.ts';
import { substitute, templateVariables } from '../values/substitute.ts';
import { literalValueEnv, TEMPLATE_VALUE_ENV, TEMPLATE_VALUE_REFERENCES, valueAnnotations } from '../values/on-jobs.ts';

/** Name of the stage's container; user podTemplate containers with this name merge into it. */
export const STAGE_CONTAINER = 'stage';
export const STAGING_VOLUME = 'conveyor-staging';
const DEFAULT_ACCESS_MODES = ['ReadWriteOnce'];
/** Only used if a claim is built without a size, which the planner never does. */
const FALLBACK_STAGING_SIZE = '1Gi';

export type StageJobContext = {
  runId: string;
  trigger: RunTrigger;
  role: Role;
  /** Pipeline generation whose spec this run uses (stamped on the Job). */
  generation: number;
  /** Name of the run's staging PVC, when the pipeline stages on a volume. */
  stagingClaimName?: string;
  /** RFC 3339 start of the run, stamped so a lost status can be rebuilt. */
  runStartTime?: string;
  /** The run a retry run retries (stamped as conveyor.dev/retry-of). */
  retryOf?: string;
  /** Logical time, interval, parameters: in the stage's env, substituted, stamped on the Job. */
  values?: RunValues;
};

/** Owner reference to the Pipeline: deleting the Pipeline garbage-collects what it owns. */
export function pipelineOwnerReference(pipeline: Pipeline): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: pipeline.metadata.name ?? '',
    uid: pipeline.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The labels every object of a run carries; stage and role only on Jobs. */
export function runLabels(
  pipeline: Pipeline,
  runId: string,
  stage?: { name: string; role: Role },
): Record<string, string> {
  return { ...stageLabels(pipeline, stage), [LABEL_RUN]: labelValue(runId) };
}

/** The labels of a stage outside any run: a CronJob and its Job template (no run id yet). */
export function stageLabels(pipeline: Pipeline, stage?: { name: string; role: Role }): Record<string, string> {
  return {
    [MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_PIPELINE]: labelValue(pipeline.metadata.name ?? ''),
    ...(stage ? { [LABEL_STAGE]: labelValue(stage.name), [LABEL_ROLE]: stage.role } : {}),
  };
}

/**
 * The full Pipeline name, on every object Conveyor creates: the label may be shortened, and a
 * scheduled Job's owner is its CronJob, so this is how such objects are mapped back.
 */
export function pipelineAnnotations(pipeline: Pipeline): Record<string, string> {
  return { [ANN_PIPELINE_NAME]: pipeline.metadata.name ?? '' };
}

/**
 * Where a stage finds the run's staging area: a mounted volume, an object-store prefix, or none.
 * `runId` may be a `$(CONVEYOR_RUN)` reference (a CronJob's template does not know the run).
 */
export function stagingLocation(
  pipeline: Pipeline,
  runId: string,
  stagingClaim?: string,
): { value?: string; mountPath?: string } {
  const staging = pipeline.spec.staging;
  if (stagingClaim) {
    const mountPath = staging?.mountPath || DEFAULT_MOUNT_PATH;
    return { value: mountPath, mountPath };
  }
  if (staging?.uri) return { value: `${staging.uri.replace(/\/+$/, '')}/${runId}/` };
  return {};
}

/**
 * The pod label the CONVEYOR_RUN of a CronJob's Job is read from (downward API): Conveyor writes
 * it when it starts the Job (startJobPatch), before any pod exists.
 */
const RUN_FROM_POD_LABEL: V1EnvVar = {
  name: 'CONVEYOR_RUN',
  valueFrom: { fieldRef: { fieldPath: `metadata.labels['${LABEL_RUN}']` } },
};

function envList(value: unknown): V1EnvVar[] {
  return Array.isArray(value) ? (value as V1EnvVar[]) : [];
}

export function buildStageJob(pipeline: Pipeline, stage: StageSpec | OnFailureStageSpec, ctx: StageJobContext): V1Job {
  const labels = runLabels(pipeline, ctx.runId, { name: stage.name, role: ctx.role });
  const values: RunValues = {
    ...ctx.values,
    params: { ...defaultParams(pipeline.spec.params), ...ctx.values?.params },
  };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: compact({
      name: jobName(pipeline.metadata.name ?? '', stage.name, ctx.runId),
      namespace: pipeline.metadata.namespace,
      labels,
      annotations: {
        ...pipelineAnnotations(pipeline),
        [ANN_TRIGGER]: ctx.trigger,
        [ANN_GENERATION]: String(ctx.generation),
        ...(ctx.runStartTime ? { [ANN_RUN_STARTED]: ctx.runStartTime } : {}),
        ...(ctx.retryOf ? { [ANN_RETRY_OF]: ctx.retryOf } : {}),
        ...valueAnnotations(values, pipeline.spec.timeZone),
      },
      ownerReferences: [pipelineOwnerReference(pipeline)],
    }),
    spec: jobSpec(pipeline, stage, {
      labels,
      runEnv: { name: 'CONVEYOR_RUN', value: ctx.runId },
      staging: stagingLocation(pipeline, ctx.runId, ctx.stagingClaimName),
      ...(ctx.stagingClaimName ? { stagingClaimName: ctx.stagingClaimName } : {}),
      valueEnv: literalValueEnv(values, pipeline.spec.timeZone),
      literals: templateVariables(values, ctx.runId, pipeline.spec.timeZone),
      references: {},
    }),
  };
}

/**
 * The Job template of a root stage's CronJob: the stage Job without a run. It is created
 * suspended (Conveyor starts it, or skips it, as run-level concurrency decides) and reads its
 * run id from the pod label Conveyor sets when it starts it. A per-run staging volume cannot be
 * named here: with spec.staging.size the planner replaces such a Job by a plain one instead.
 */
export function buildStageJobTemplate(pipeline: Pipeline, stage: StageSpec, generation: number): V1JobTemplateSpec {
  const labels = stageLabels(pipeline, { name: stage.name, role: ROLE_STAGE });
  return {
    metadata: {
      labels,
      // kubectl create job --from=cronjob copies these too; observeRuns corrects the trigger.
      annotations: {
        ...pipelineAnnotations(pipeline),
        [ANN_TRIGGER]: 'schedule',
        [ANN_GENERATION]: String(generation),
      },
    },
    spec: {
      ...jobSpec(pipeline, stage, {
        labels,
        runEnv: RUN_FROM_POD_LABEL,
        staging: stagingLocation(pipeline, '$(CONVEYOR_RUN)'),
        // Per-tick values come from the pod annotations startJobPatch sets; params are the defaults.
        valueEnv: [...TEMPLATE_VALUE_ENV, ...literalValueEnv({ params: defaultParams(pipeline.spec.params) })],
        literals: templateVariables({ params: defaultParams(pipeline.spec.params) }, ''),
        references: TEMPLATE_VALUE_REFERENCES,
      }),
      suspend: true,
    },
  };
}

/**
 * The JSON merge patch that starts a CronJob's suspended Job as part of run `runId`: the run
 * label on the Job (it groups the Job into the run) and on its pod template (CONVEYOR_RUN reads
 * it), the run's annotations (the logical time and interval among them, which the template's
 * CONVEYOR_LOGICAL_TIME etc. read), and `suspend: false` — all in one request. Kubernetes allows
 * changing the pod template's labels and annotations of a suspended Job that never ran.
 */
export function startJobPatch(
  runId: string,
  trigger: RunTrigger,
  runStartTime: string,
  values?: RunValues,
  timeZone?: string,
): Record<string, unknown> {
  const labels = { [LABEL_RUN]: labelValue(runId) };
  const annotations = {
    [ANN_TRIGGER]: trigger,
    [ANN_RUN_STARTED]: runStartTime,
    ...valueAnnotations(values ?? {}, timeZone),
  };
  return {
    metadata: { labels, annotations },
    spec: { suspend: false, template: { metadata: { labels, annotations } } },
  };
}

type JobSpecParts = {
  labels: Record<string, string>;
  runEnv: V1EnvVar;
  staging: { value?: string; mountPath?: string };
  stagingClaimName?: string;
  /** CONVEYOR_LOGICAL_TIME etc. and CONVEYOR_PARAM_*: literal, or read from pod annotations. */
  valueEnv: V1EnvVar[];
  /** `$(params.x)`/`$(run.x)` replaced by these values (escaped for the kubelet)... */
  literals: Record<string, string>;
  /** ...or by these kubelet references, as they are (a CronJob's template: `$(CONVEYOR_LOGICAL_TIME)`). */
  references: Record<string, string>;
};

/** The Job spec of a stage: its pod template, retries and timeout. */
function jobSpec(pipeline: Pipeline, stage: StageSpec | OnFailureStageSpec, parts: JobSpecParts): V1JobSpec {
  const defaults = pipeline.spec.defaults ?? {};
  const template = podTemplate(pipeline, stage, parts, stageContainer(pipeline, stage, parts));
  return compact({
    backoffLimit: stage.retries ?? defaults.retries ?? 0,
    activeDeadlineSeconds: stage.timeoutSeconds ?? defaults.timeoutSeconds,
    // No ttlSecondsAfterFinished: runHistoryLimit decides when a run's Jobs go.
    template,
  });
}

/**
 * Conveyor's variables first, then the user's env (defaults, then the stage's) with
 * `$(params.x)`/`$(run.x)` substituted in values. Conveyor's win over user ones of the same name,
 * because stages rely on them; they come first because the kubelet expands `$(VAR)` in an env
 * value only for variables defined earlier, so a user value may say `$(CONVEYOR_PARAM_DAY)`.
 * CONVEYOR_RUN comes before CONVEYOR_STAGING, which may refer to it as $(CONVEYOR_RUN).
 */
function stageEnv(pipeline: Pipeline, stage: StageSpec | OnFailureStageSpec, parts: JobSpecParts): V1EnvVar[] {
  const conveyorEnv: V1EnvVar[] = [
    { name: 'CONVEYOR_PIPELINE', value: pipeline.metadata.name ?? '' },
    parts.runEnv,
    { name: 'CONVEYOR_STAGE', value: stage.name },
    ...(parts.staging.value !== undefined ? [{ name: 'CONVEYOR_STAGING', value: parts.staging.value }] : []),
    ...parts.valueEnv,
  ];
  const defaults = pipeline.spec.defaults ?? {};
  const ours = new Set(conveyorEnv.map((e) => e.name));
  const userEnv = (mergeList(envList(defaults.env), envList(stage.env), 'name', false) as V1EnvVar[])
    .filter((e) => !ours.has(e.name))
    .map((e) => (typeof e.value === 'string' ? { ...e, value: substituted(e.value, parts) } : e));
  return [...conveyorEnv, ...userEnv];
}

/** A command, args or env value with the run's `$(params.x)`/`$(run.x)` in it, for the kubelet. */
function substituted(text: string, parts: JobSpecParts): string {
  return substitute(text, parts.literals, 'kubelet', parts.references);
}

/** The `stage` container: the parts of the pod Conveyor owns (image, command, env, resources, staging mount). */
function stageContainer(pipeline: Pipeline, stage: StageSpec | OnFailureStageSpec, parts: JobSpecParts): V1Container {
  const defaults = pipeline.spec.defaults ?? {};
  const mountPath = parts.staging.mountPath;
  return compact({
    name: STAGE_CONTAINER,
    image: stage.image ?? defaults.image,
    command: stage.command?.map((part) => substituted(part, parts)),
    args: stage.args?.map((part) => substituted(part, parts)),
    env: stageEnv(pipeline, stage, parts),
    envFrom: stage.envFrom,
    resources: stage.resources ?? defaults.resources,
    workingDir: stage.workingDir,
    volumeMounts: mountPath ? [{ name: STAGING_VOLUME, mountPath }] : undefined,
  });
}

/**
 * The pod template: the user's templates (defaults.podTemplate, the pod-level defaults, the
 * stage's podTemplate) with what Conveyor generates merged over them, so user-only fields survive.
 */
function podTemplate(
  pipeline: Pipeline,
  stage: StageSpec | OnFailureStageSpec,
  parts: JobSpecParts,
  container: V1Container,
): V1PodTemplateSpec {
  const defaults = pipeline.spec.defaults ?? {};
  // Pod-level defaults sit between defaults.podTemplate and the stage's own podTemplate, so a
  // stage can still override e.g. the service account through its podTemplate.
  const defaultPodFields = compact({
    serviceAccountName: defaults.serviceAccountName,
    nodeSelector: defaults.nodeSelector,
    tolerations: defaults.tolerations,
    imagePullSecrets: defaults.imagePullSecrets,
  });
  const userTemplate = mergeObjects(
    mergeObjects(defaults.podTemplate, { spec: defaultPodFields }),
    isPlainObject(stage.podTemplate) ? stage.podTemplate : undefined,
  );
  const generated = {
    metadata: {
      labels: parts.labels,
      // `kubectl logs` picks this container when the user added sidecars.
      annotations: { 'kubectl.kubernetes.io/default-container': STAGE_CONTAINER },
    },
    spec: {
      restartPolicy: 'Never',
      containers: [container],
      ...(parts.stagingClaimName
        ? { volumes: [{ name: STAGING_VOLUME, persistentVolumeClaim: { claimName: parts.stagingClaimName } }] }
        : {}),
    },
  };
  const template = mergeObjects(userTemplate, generated) as V1PodTemplateSpec;
  stageContainerFirst(template);
  return template;
}

/** Sidecars from a podTemplate may come first in the list; the stage container leads. */
function stageContainerFirst(template: V1PodTemplateSpec): void {
  const containers = template.spec?.containers;
  if (!containers) return;
  const at = containers.findIndex((c) => c.name === STAGE_CONTAINER);
  if (at > 0) containers.unshift(...containers.splice(at, 1));
}

/** The staging PersistentVolumeClaim of one run (only used when spec.staging.size is set). */
export function buildStagingClaim(pipeline: Pipeline, runId: string): V1PersistentVolumeClaim {
  const staging = pipeline.spec.staging ?? {};
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: compact({
      name: claimName(pipeline.metadata.name ?? '', runId),
      namespace: pipeline.metadata.namespace,
      labels: runLabels(pipeline, runId),
      annotations: pipelineAnnotations(pipeline),
      ownerReferences: [pipelineOwnerReference(pipeline)],
    }),
    spec: compact({
      accessModes: staging.accessModes?.length ? [...staging.accessModes] : [...DEFAULT_ACCESS_MODES],
      resources: { requests: { storage: staging.size || FALLBACK_STAGING_SIZE } },
      storageClassName: staging.storageClassName,
    }),
  };
}
