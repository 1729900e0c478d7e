// Reading the evidence: which run a Job belongs to, and whose it is.
import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { manualRunId, scheduledRunId } from '../../../src/plan/names.ts';
import { isSuspendedJob, observeRuns, ownedBy, runIdOf } from '../../../src/plan/observed.ts';

const cronJobOwner = (uid: string) => [
  { apiVersion: 'batch/v1', kind: 'CronJob', name: 'etl-a', uid, controller: true },
];
const cronJobsJob = (annotations: Record<string, string>, extra: Partial<V1Job['metadata']> = {}): V1Job => ({
  metadata: {
    name: 'etl-a-123',
    uid: 'job-uid',
    labels: { 'conveyor.dev/pipeline': 'etl', 'conveyor.dev/stage': 'a', 'conveyor.dev/role': 'stage' },
    annotations: { 'conveyor.dev/trigger': 'schedule', 'conveyor.dev/generation': '3', ...annotations },
    ownerReferences: cronJobOwner('cj-uid'),
    ...extra,
  },
  spec: { suspend: true, template: {} },
});

describe('runIdOf', () => {
  it.each([
    [
      'a scheduled timestamp in UTC',
      { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2025-01-01T01:00:00Z' },
      scheduledRunId(new Date('2025-01-01T01:00:00Z')),
    ],
    // The CronJob controller writes the time in the CronJob's time zone.
    [
      'a scheduled timestamp with an offset',
      { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2025-01-01T02:00:00+01:00' },
      's1735693200',
    ],
    ['kubectl create job --from', { 'cronjob.kubernetes.io/instantiate': 'manual' }, manualRunId('job:job-uid')],
    ['neither', {}, undefined],
  ])('%s', (_case, annotations, expected) => {
    expect(runIdOf(cronJobsJob(annotations))).toBe(expected);
  });

  it('prefers the run label Conveyor set when it started the Job', () => {
    const job = cronJobsJob({ 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2025-01-01T01:00:00Z' });
    job.metadata!.labels!['conveyor.dev/run'] = 'other';
    expect(runIdOf(job)).toBe('other');
  });
});

describe('observeRuns', () => {
  it('groups a tick, reads its time, and counts it as not started while suspended', () => {
    const job = cronJobsJob({ 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2025-01-01T01:00:00Z' });
    const runs = observeRuns('uid-1', [job], [], new Set(['cj-uid']));
    expect([...runs.values()]).toMatchObject([
      {
        id: 's1735693200',
        trigger: 'schedule',
        generation: 3,
        scheduledAt: new Date('2025-01-01T01:00:00Z'),
        started: false,
        unfinished: false,
      },
    ]);
    expect(isSuspendedJob(job)).toBe(true);
  });

  it('reads a manual Job made from a CronJob as a manual run (kubectl copies the template trigger)', () => {
    const runs = observeRuns(
      'uid-1',
      [cronJobsJob({ 'cronjob.kubernetes.io/instantiate': 'manual' })],
      [],
      new Set(['cj-uid']),
    );
    expect([...runs.values()]).toMatchObject([
      { id: manualRunId('job:job-uid'), trigger: 'manual', manualFromCronJob: true },
    ]);
  });

  it('ignores Jobs of other CronJobs and of other Pipelines', () => {
    const tick = { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2025-01-01T01:00:00Z' };
    expect(observeRuns('uid-1', [cronJobsJob(tick)], [], new Set(['another-cronjob'])).size).toBe(0);
    expect(observeRuns('uid-1', [cronJobsJob(tick)], []).size).toBe(0);
    const foreign = {
      metadata: {
        ownerReferences: [
          { apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', name: 'etl', uid: 'old', controller: true },
        ],
      },
    };
    expect(ownedBy(foreign, 'uid-1')).toBe(false);
    expect(ownedBy(foreign, 'old')).toBe(true);
  });
});
