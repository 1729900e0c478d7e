// The type contract others build on (checked by `npm run typecheck`; at run time these are no-ops).
import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  ChainTrigger,
  WebhookTrigger,
  Condition,
  OnFailureStageSpec,
  Pipeline,
  PipelinePhase,
  PipelineSpec,
  PipelineStatus,
  RunPhase,
  RunStatus,
  RunSummary,
  RunTrigger,
  StageDefaults,
  StagePhase,
  StageSpec,
  StageStatus,
  StagingSpec,
} from '../../../src/api/types.ts';
import * as constants from '../../../src/api/constants.ts';

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

describe('type contract', () => {
  it('StageSpec and OnFailureStageSpec', () => {
    expectTypeOf<keyof StageSpec>().toEqualTypeOf<
      | 'name'
      | 'image'
      | 'command'
      | 'args'
      | 'env'
      | 'envFrom'
      | 'resources'
      | 'workingDir'
      | 'dependsOn'
      | 'retries'
      | 'timeoutSeconds'
      | 'podTemplate'
      | 'cache'
      | 'inputs'
      | 'outputs'
    >();
    expectTypeOf<RequiredKeys<StageSpec>>().toEqualTypeOf<'name'>();
    expectTypeOf<StageSpec['dependsOn']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<StageSpec['retries']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<StageSpec['command']>().toEqualTypeOf<string[] | undefined>();
    expectTypeOf<NonNullable<StageSpec['env']>[number]>().toMatchTypeOf<{ name: string }>();
    expectTypeOf<OnFailureStageSpec>().toEqualTypeOf<Omit<StageSpec, 'dependsOn' | 'cache'>>();
  });

  it('StageDefaults, StagingSpec, ChainTrigger', () => {
    expectTypeOf<keyof StageDefaults>().toEqualTypeOf<
      | 'image'
      | 'env'
      | 'resources'
      | 'retries'
      | 'timeoutSeconds'
      | 'serviceAccountName'
      | 'nodeSelector'
      | 'tolerations'
      | 'imagePullSecrets'
      | 'podTemplate'
    >();
    expectTypeOf<RequiredKeys<StageDefaults>>().toEqualTypeOf<never>();
    expectTypeOf<StageDefaults['nodeSelector']>().toEqualTypeOf<Record<string, string> | undefined>();
    expectTypeOf<StageDefaults['imagePullSecrets']>().toEqualTypeOf<{ name: string }[] | undefined>();
    expectTypeOf<StagingSpec>().toEqualTypeOf<{
      size?: string;
      storageClassName?: string;
      accessModes?: ('ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod')[];
      mountPath?: string;
      uri?: string;
    }>();
    expectTypeOf<ChainTrigger>().toEqualTypeOf<{ pipeline: string; phase?: 'Succeeded' | 'Failed' }>();
  });

  it('PipelineSpec', () => {
    expectTypeOf<RequiredKeys<PipelineSpec>>().toEqualTypeOf<'stages'>();
    expectTypeOf<PipelineSpec['stages']>().toEqualTypeOf<StageSpec[]>();
    expectTypeOf<PipelineSpec['onFailure']>().toMatchTypeOf<OnFailureStageSpec[] | undefined>();
    expectTypeOf<PipelineSpec['concurrencyPolicy']>().toEqualTypeOf<'Allow' | 'Forbid' | 'Replace' | undefined>();
    expectTypeOf<PipelineSpec['failurePolicy']>().toEqualTypeOf<'StopAll' | 'ContinueIndependent' | undefined>();
    expectTypeOf<PipelineSpec['triggers']>().toEqualTypeOf<
      { after?: ChainTrigger[]; webhook?: WebhookTrigger } | undefined
    >();
    expectTypeOf<PipelineSpec['schedule']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<PipelineSpec['suspend']>().toEqualTypeOf<boolean | undefined>();
  });

  it('status types', () => {
    expectTypeOf<Condition>().toEqualTypeOf<{
      type: string;
      status: 'True' | 'False' | 'Unknown';
      reason: string;
      message: string;
      lastTransitionTime: string;
      observedGeneration?: number;
    }>();
    expectTypeOf<StagePhase>().toEqualTypeOf<'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Skipped'>();
    expectTypeOf<RunTrigger>().toEqualTypeOf<
      'create' | 'change' | 'manual' | 'schedule' | 'retry' | 'chain' | 'backfill' | 'webhook'
    >();
    expectTypeOf<'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Cancelled'>().toMatchTypeOf<RunPhase>();
    expectTypeOf<PipelinePhase>().toEqualTypeOf<
      'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Scheduled' | 'Suspended' | 'Invalid'
    >();
    expectTypeOf<RequiredKeys<StageStatus>>().toEqualTypeOf<'name' | 'phase'>();
    expectTypeOf<RequiredKeys<RunStatus>>().toEqualTypeOf<'id' | 'trigger' | 'phase'>();
    // An active run's summary keeps its stages (memory); a finished run's summary drops them.
    expectTypeOf<RunSummary>().toEqualTypeOf<RunStatus>();
    expectTypeOf<RequiredKeys<PipelineStatus>>().toEqualTypeOf<never>();
    expectTypeOf<PipelineStatus['lastRun']>().toEqualTypeOf<RunStatus | undefined>();
    expectTypeOf<PipelineStatus['runs']>().toEqualTypeOf<RunSummary[] | undefined>();
  });

  it('Pipeline', () => {
    expectTypeOf<Pipeline['apiVersion']>().toEqualTypeOf<'conveyor.dev/v1alpha1'>();
    expectTypeOf<Pipeline['kind']>().toEqualTypeOf<'Pipeline'>();
    expectTypeOf<Pipeline['metadata']['creationTimestamp']>().toEqualTypeOf<string | Date | undefined>();
    expectTypeOf<Pipeline['status']>().toEqualTypeOf<PipelineStatus | undefined>();
    const p: Pipeline = {
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'x', anything: 1 },
      spec: {
        stages: [
          { name: 'a', image: 'busybox', env: [{ name: 'A', value: '1' }], podTemplate: { spec: { nodeName: 'n' } } },
        ],
      },
    };
    expectTypeOf(p).toMatchTypeOf<Pipeline>();
  });

  it('constants', () => {
    expectTypeOf<typeof constants.API_VERSION>().toEqualTypeOf<'conveyor.dev/v1alpha1'>();
    expect(constants).toMatchObject({
      GROUP: 'conveyor.dev',
      VERSION: 'v1alpha1',
      API_VERSION: 'conveyor.dev/v1alpha1',
      KIND: 'Pipeline',
      PLURAL: 'pipelines',
      DEFAULT_MOUNT_PATH: '/staging',
      DEFAULT_RUN_HISTORY_LIMIT: 3,
      MAX_STAGES: 200,
    });
  });
});
