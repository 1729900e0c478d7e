// Pure builders for the objects of a run: one Job per stage, one staging claim per run.
// Precedence, lowest first:
//   defaults.podTemplate < defaults.{serviceAccountName,nodeSelector,tolerations,imagePullSecrets}
//   < stage.podTemplate < what Conveyor generates (labels, restartPolicy, the `stage` container's
//   image/command/args/env/envFrom/resources/workingDir, the staging volume).
// User-only fields (annotations, securityContext, affinity, volumes, sidecars, ...) survive.
import type {
  V1EnvVar,
  V1Job,
  V1OwnerReference,
  V1PersistentVolumeClaim,
  V1PodTemplateSpec,
} from '@kubernetes/client-node';
import type { OnFailureStageSpec, Pipeline, RunTrigger, StageSpec } from '../api/types.ts';
import { API_VERSION, DEFAULT_MOUNT_PATH, KIND } from '../api/constants.ts';
import {
  ANN_GENERATION,
  ANN_RUN_STARTED,
  ANN_TRIGGER,
  LABEL_PIPELINE,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_STAGE,
  MANAGED_BY,
  MANAGED_BY_VALUE,
  type Role,
} from '../kube/labels.ts';
import { claimName, jobName, labelValue } from './names.ts';
import { compact, isPlainObject, mergeList, mergeObjects } from './merge.ts';

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
export function runLabels(pipeline: Pipeline, runId: string, stage?: { name: string; role: Role }): Record<string, string> {
  return {
    [MANAGED_BY]: MANAGED_BY_VALUE,
    [LABEL_PIPELINE]: labelValue(pipeline.metadata.name ?? ''),
    ...(stage ? { [LABEL_STAGE]: labelValue(stage.name), [LABEL_ROLE]: stage.role } : {}),
    [LABEL_RUN]: labelValue(runId),
  };
}

/** Where a stage finds the run's staging area: a mounted volume, an object-store prefix, or none. */
export function stagingLocation(pipeline: Pipeline, runId: string, stagingClaim?: string): { value?: string; mountPath?: string } {
  const staging = pipeline.spec.staging;
  if (stagingClaim) {
    const mountPath = staging?.mountPath || DEFAULT_MOUNT_PATH;
    return { value: mountPath, mountPath };
  }
  if (staging?.uri) return { value: `${staging.uri.replace(/\/+$/, '')}/${runId}/` };
  return {};
}

function envList(value: unknown): V1EnvVar[] {
  return Array.isArray(value) ? (value as V1EnvVar[]) : [];
}

export function buildStageJob(pipeline: Pipeline, stage: StageSpec | OnFailureStageSpec, ctx: StageJobContext): V1Job {
  const defaults = pipeline.spec.defaults ?? {};
  const pipelineName = pipeline.metadata.name ?? '';
  const labels = runLabels(pipeline, ctx.runId, { name: stage.name, role: ctx.role });
  const staging = stagingLocation(pipeline, ctx.runId, ctx.stagingClaimName);

  // Conveyor's variables win over user ones of the same name: stages rely on them.
  const conveyorEnv: V1EnvVar[] = [
    { name: 'CONVEYOR_PIPELINE', value: pipelineName },
    { name: 'CONVEYOR_RUN', value: ctx.runId },
    { name: 'CONVEYOR_STAGE', value: stage.name },
    ...(staging.value !== undefined ? [{ name: 'CONVEYOR_STAGING', value: staging.value }] : []),
  ];
  const userEnv = mergeList(envList(defaults.env), envList(stage.env), 'name', false);
  const env = mergeList(userEnv, conveyorEnv, 'name', false);

  const container = compact({
    name: STAGE_CONTAINER,
    image: stage.image ?? defaults.image,
    command: stage.command,
    args: stage.args,
    env,
    envFrom: stage.envFrom,
    resources: stage.resources ?? defaults.resources,
    workingDir: stage.workingDir,
    volumeMounts: staging.mountPath ? [{ name: STAGING_VOLUME, mountPath: staging.mountPath }] : undefined,
  });

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
      labels,
      // `kubectl logs` picks this container when the user added sidecars.
      annotations: { 'kubectl.kubernetes.io/default-container': STAGE_CONTAINER },
    },
    spec: {
      restartPolicy: 'Never',
      containers: [container],
      ...(ctx.stagingClaimName
        ? { volumes: [{ name: STAGING_VOLUME, persistentVolumeClaim: { claimName: ctx.stagingClaimName } }] }
        : {}),
    },
  };
  const template = mergeObjects(userTemplate, generated) as V1PodTemplateSpec;
  stageContainerFirst(template);

  const retries = stage.retries ?? defaults.retries ?? 0;
  const timeoutSeconds = stage.timeoutSeconds ?? defaults.timeoutSeconds;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: compact({
      name: jobName(pipelineName, stage.name, ctx.runId),
      namespace: pipeline.metadata.namespace,
      labels,
      annotations: {
        [ANN_TRIGGER]: ctx.trigger,
        [ANN_GENERATION]: String(ctx.generation),
        ...(ctx.runStartTime ? { [ANN_RUN_STARTED]: ctx.runStartTime } : {}),
      },
      ownerReferences: [pipelineOwnerReference(pipeline)],
    }),
    spec: compact({
      backoffLimit: retries,
      activeDeadlineSeconds: timeoutSeconds,
      // No ttlSecondsAfterFinished: runHistoryLimit decides when a run's Jobs go.
      template,
    }),
  };
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
      ownerReferences: [pipelineOwnerReference(pipeline)],
    }),
    spec: compact({
      accessModes: staging.accessModes?.length ? [...staging.accessModes] : [...DEFAULT_ACCESS_MODES],
      resources: { requests: { storage: staging.size || FALLBACK_STAGING_SIZE } },
      storageClassName: staging.storageClassName,
    }),
  };
}
