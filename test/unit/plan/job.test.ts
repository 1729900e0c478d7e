import { describe, expect, it } from 'vitest';
import type { V1Container } from '@kubernetes/client-node';
import {
  buildStageJob,
  buildStageJobTemplate,
  buildStagingClaim,
  type StageJobContext,
} from '../../../src/plan/run/job.ts';
import { buildCronJob } from '../../../src/plan/tidy/cronjob.ts';
import { jobName, shortHash } from '../../../src/plan/names.ts';
import { pipeline, stage } from './fixtures.ts';

const ctx: StageJobContext = { runId: 'g2', trigger: 'change', role: 'stage', generation: 2 };
const envOf = (c: V1Container | undefined) =>
  Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const stageContainer = (job: ReturnType<typeof buildStageJob>) =>
  job.spec?.template.spec?.containers.find((c) => c.name === 'stage');

describe('buildStageJob', () => {
  it('names, labels, annotates and owns the Job', () => {
    const p = pipeline({ stages: [stage('load')] });
    const job = buildStageJob(p, stage('load'), ctx);
    const labels = {
      'app.kubernetes.io/managed-by': 'conveyor',
      'conveyor.dev/pipeline': 'etl',
      'conveyor.dev/stage': 'load',
      'conveyor.dev/run': 'g2',
      'conveyor.dev/role': 'stage',
    };
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.kind).toBe('Job');
    expect(job.metadata?.name).toBe(jobName('etl', 'load', 'g2'));
    expect(job.metadata?.namespace).toBe('data');
    expect(job.metadata?.labels).toEqual(labels);
    expect(job.spec?.template.metadata?.labels).toEqual(labels);
    expect(job.metadata?.annotations).toMatchObject({
      'conveyor.dev/trigger': 'change',
      'conveyor.dev/generation': '2',
      'conveyor.dev/pipeline-name': 'etl',
    });
    expect(job.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'conveyor.dev/v1alpha1',
        kind: 'Pipeline',
        name: 'etl',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('maps retries and timeout; restartPolicy Never; no TTL', () => {
    const p = pipeline({ stages: [stage('load')] });
    const plain = buildStageJob(p, stage('load'), ctx);
    expect(plain.spec?.backoffLimit).toBe(0);
    expect(plain.spec?.activeDeadlineSeconds).toBeUndefined();
    expect(plain.spec?.ttlSecondsAfterFinished).toBeUndefined();
    expect(plain.spec?.template.spec?.restartPolicy).toBe('Never');

    const tuned = buildStageJob(p, stage('load', undefined, { retries: 3, timeoutSeconds: 30 }), ctx);
    expect(tuned.spec?.backoffLimit).toBe(3);
    expect(tuned.spec?.activeDeadlineSeconds).toBe(30);

    const fromDefaults = buildStageJob(
      pipeline({ stages: [], defaults: { retries: 2, timeoutSeconds: 60 } }),
      stage('load'),
      ctx,
    );
    expect(fromDefaults.spec?.backoffLimit).toBe(2);
    expect(fromDefaults.spec?.activeDeadlineSeconds).toBe(60);
  });

  it('merges defaults under the stage: stage wins, env merged by name, Conveyor env wins', () => {
    const p = pipeline({
      stages: [],
      defaults: {
        image: 'default:1',
        resources: { requests: { cpu: '100m' } },
        env: [
          { name: 'SHARED', value: 'default' },
          { name: 'ONLY_DEFAULT', value: 'd' },
        ],
      },
    });
    const s = {
      name: 'load',
      command: ['run'],
      args: ['--fast'],
      workingDir: '/work',
      envFrom: [{ secretRef: { name: 'creds' } }],
      env: [
        { name: 'SHARED', value: 'stage' },
        { name: 'CONVEYOR_RUN', value: 'user-tried' },
      ],
    };
    const c = stageContainer(buildStageJob(p, s, ctx));
    expect(c?.image).toBe('default:1');
    expect(c?.command).toEqual(['run']);
    expect(c?.args).toEqual(['--fast']);
    expect(c?.workingDir).toBe('/work');
    expect(c?.envFrom).toEqual([{ secretRef: { name: 'creds' } }]);
    expect(c?.resources).toEqual({ requests: { cpu: '100m' } });
    expect(envOf(c)).toEqual({
      SHARED: 'stage',
      ONLY_DEFAULT: 'd',
      CONVEYOR_PIPELINE: 'etl',
      CONVEYOR_RUN: 'g2',
      CONVEYOR_STAGE: 'load',
    });
    expect(c?.env?.filter((e) => e.name === 'CONVEYOR_RUN')).toHaveLength(1);

    const own = stageContainer(
      buildStageJob(p, { ...s, image: 'own:2', resources: { limits: { memory: '1Gi' } } }, ctx),
    );
    expect(own?.image).toBe('own:2');
    expect(own?.resources).toEqual({ limits: { memory: '1Gi' } });
  });

  it('mounts the staging claim and tells the stage where it is', () => {
    const p = pipeline({ stages: [], staging: { size: '5Gi', mountPath: '/data' } });
    const job = buildStageJob(p, stage('load'), { ...ctx, stagingClaimName: 'etl-g2-staging' });
    const c = stageContainer(job);
    expect(envOf(c).CONVEYOR_STAGING).toBe('/data');
    expect(c?.volumeMounts).toEqual([{ name: 'conveyor-staging', mountPath: '/data' }]);
    expect(job.spec?.template.spec?.volumes).toEqual([
      { name: 'conveyor-staging', persistentVolumeClaim: { claimName: 'etl-g2-staging' } },
    ]);

    const defaultPath = stageContainer(
      buildStageJob(pipeline({ stages: [], staging: { size: '1Gi' } }), stage('x'), { ...ctx, stagingClaimName: 'c' }),
    );
    expect(envOf(defaultPath).CONVEYOR_STAGING).toBe('/staging');
  });

  it('hands an object-store prefix per run when staging.uri is set', () => {
    const p = pipeline({ stages: [], staging: { uri: 's3://bucket/etl/' } });
    const job = buildStageJob(p, stage('load'), ctx);
    expect(envOf(stageContainer(job)).CONVEYOR_STAGING).toBe('s3://bucket/etl/g2/');
    expect(job.spec?.template.spec?.volumes).toBeUndefined();
  });

  it('has no CONVEYOR_STAGING without staging', () => {
    expect(envOf(stageContainer(buildStageJob(pipeline({ stages: [] }), stage('a'), ctx)))).not.toHaveProperty(
      'CONVEYOR_STAGING',
    );
  });

  it('merges its pod spec over the user podTemplate, keeping user-only fields', () => {
    const p = pipeline({
      stages: [],
      defaults: {
        serviceAccountName: 'runner',
        nodeSelector: { pool: 'batch' },
        tolerations: [{ key: 'batch', operator: 'Exists' }],
        imagePullSecrets: [{ name: 'regcred' }],
        podTemplate: {
          metadata: { annotations: { team: 'data' } },
          spec: { securityContext: { runAsNonRoot: true }, priorityClassName: 'low' },
        },
      },
    });
    const s = stage('load', undefined, {
      podTemplate: {
        metadata: {
          labels: { extra: 'yes', 'conveyor.dev/run': 'spoofed' },
          annotations: { 'kwok.x-k8s.io/fail': 'true' },
        },
        spec: {
          restartPolicy: 'OnFailure',
          priorityClassName: 'high',
          affinity: { nodeAffinity: {} },
          volumes: [{ name: 'scratch', emptyDir: {} }],
          containers: [
            { name: 'proxy', image: 'envoy' },
            {
              name: 'stage',
              image: 'ignored',
              securityContext: { readOnlyRootFilesystem: true },
              env: [{ name: 'FROM_TEMPLATE', value: 't' }],
            },
          ],
        },
      },
    });
    const job = buildStageJob(p, s, ctx);
    const template = job.spec?.template;
    expect(template?.metadata?.labels).toMatchObject({ extra: 'yes', 'conveyor.dev/run': 'g2' });
    expect(template?.metadata?.annotations).toMatchObject({ team: 'data', 'kwok.x-k8s.io/fail': 'true' });
    const pod = template?.spec;
    expect(pod?.restartPolicy).toBe('Never');
    expect(pod?.priorityClassName).toBe('high');
    expect(pod?.securityContext).toEqual({ runAsNonRoot: true });
    expect(pod?.affinity).toEqual({ nodeAffinity: {} });
    expect(pod?.volumes).toEqual([{ name: 'scratch', emptyDir: {} }]);
    expect(pod?.serviceAccountName).toBe('runner');
    expect(pod?.nodeSelector).toEqual({ pool: 'batch' });
    expect(pod?.tolerations).toEqual([{ key: 'batch', operator: 'Exists' }]);
    expect(pod?.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(pod?.containers.map((c) => c.name)).toEqual(['stage', 'proxy']);
    const c = stageContainer(job);
    expect(c?.image).toBe('busybox');
    expect(c?.securityContext).toEqual({ readOnlyRootFilesystem: true });
    expect(envOf(c)).toMatchObject({ FROM_TEMPLATE: 't', CONVEYOR_STAGE: 'load' });
  });

  it('lets a stage podTemplate override pod-level defaults', () => {
    const p = pipeline({ stages: [], defaults: { serviceAccountName: 'runner' } });
    const job = buildStageJob(
      p,
      stage('load', undefined, { podTemplate: { spec: { serviceAccountName: 'special' } } }),
      ctx,
    );
    expect(job.spec?.template.spec?.serviceAccountName).toBe('special');
  });

  it('does not mutate its inputs', () => {
    const p = pipeline({
      stages: [],
      defaults: { env: [{ name: 'A', value: '1' }], podTemplate: { spec: { containers: [{ name: 'stage' }] } } },
    });
    const before = structuredClone(p);
    buildStageJob(p, stage('load', undefined, { env: [{ name: 'A', value: '2' }] }), ctx);
    expect(p).toEqual(before);
  });

  it('labels on-failure Jobs with their role and shortens long names', () => {
    const p = pipeline({ stages: [] }, { name: 'p'.repeat(200) });
    const job = buildStageJob(p, stage('notify'), { ...ctx, role: 'on-failure' });
    expect(job.metadata?.labels?.['conveyor.dev/role']).toBe('on-failure');
    expect(job.metadata?.name?.length).toBeLessThanOrEqual(63);
    expect(job.metadata?.labels?.['conveyor.dev/pipeline']?.length).toBeLessThanOrEqual(63);
    expect(envOf(stageContainer(job)).CONVEYOR_PIPELINE).toBe('p'.repeat(200));
  });
});

describe('buildStagingClaim', () => {
  it('builds the per-run claim', () => {
    const p = pipeline({ stages: [], staging: { size: '10Gi', storageClassName: 'fast' } });
    const claim = buildStagingClaim(p, 'g2');
    expect(claim.metadata?.name).toBe('etl-g2-staging');
    expect(claim.metadata?.namespace).toBe('data');
    expect(claim.metadata?.labels).toEqual({
      'app.kubernetes.io/managed-by': 'conveyor',
      'conveyor.dev/pipeline': 'etl',
      'conveyor.dev/run': 'g2',
    });
    expect(claim.metadata?.annotations).toEqual({ 'conveyor.dev/pipeline-name': 'etl' });
    expect(claim.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Pipeline', uid: 'uid-1', controller: true });
    expect(claim.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '10Gi' } },
      storageClassName: 'fast',
    });
  });

  it('uses the given access modes and no storage class when none is set', () => {
    const claim = buildStagingClaim(
      pipeline({ stages: [], staging: { size: '1Gi', accessModes: ['ReadWriteMany'] } }),
      'm1234abcd',
    );
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Gi' } } });
  });
});

describe('the Pipeline behind an object (finding 10: dotted and long names)', () => {
  const name = (n: string) => ({ name: n });
  it.each([
    // [pipeline name, label value]
    ['etl.nightly', 'etl.nightly'],
    ['x'.repeat(63), 'x'.repeat(63)],
    ['x'.repeat(64), `${'x'.repeat(54)}-${shortHash('x'.repeat(64))}`],
  ])('%s: the label selects, the annotation names it on every object', (pipelineName, label) => {
    const p = pipeline(
      { stages: [stage('extract'), stage('load', ['extract'])], schedule: '0 * * * *', staging: { size: '1Gi' } },
      name(pipelineName),
    );
    const job = buildStageJob(p, stage('load', ['extract']), ctx);
    const claim = buildStagingClaim(p, 'g2');
    const template = buildStageJobTemplate(p, stage('extract'), 2);
    const cronJob = buildCronJob(p, stage('extract'), 2);
    for (const meta of [job.metadata, claim.metadata, template.metadata, cronJob.metadata]) {
      expect(meta?.labels?.['conveyor.dev/pipeline']).toBe(label);
      expect(meta?.annotations?.['conveyor.dev/pipeline-name']).toBe(pipelineName);
    }
    // The CronJob's template is what its Jobs (and kubectl create job --from) copy.
    expect(cronJob.spec?.jobTemplate.metadata?.annotations?.['conveyor.dev/pipeline-name']).toBe(pipelineName);
  });
});
