// Pipelines as the operator leaves them, for the unit tests: one whose latest run failed part-way
// (a stage succeeded, one failed, one still ran), one running on a schedule, one never run.
import type { Pipeline } from './model.ts';

const T0 = '2026-12-07T01:50:00Z';
export const NOW = Date.parse('2026-12-07T02:00:00Z');

export const failedEtl: Pipeline = {
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'etl', namespace: 'team-a', uid: 'uid-etl', generation: 1 },
  spec: {
    stages: [
      { name: 'extract', image: 'busybox' },
      { name: 'transform', image: 'busybox', dependsOn: ['extract'] },
      { name: 'load', image: 'busybox', dependsOn: ['transform'] },
      { name: 'report', image: 'busybox', dependsOn: ['extract'] },
    ],
    onFailure: [{ name: 'alert', image: 'busybox' }],
  },
  status: {
    phase: 'Failed',
    progress: '2/4',
    lastRun: {
      id: 'g1',
      trigger: 'create',
      phase: 'Failed',
      startTime: T0,
      completionTime: '2026-12-07T01:55:00Z',
      stages: [
        { name: 'extract', phase: 'Succeeded', attempts: 1, startTime: T0, completionTime: '2026-12-07T01:51:00Z' },
        {
          name: 'transform',
          phase: 'Failed',
          attempts: 2,
          startTime: '2026-12-07T01:51:00Z',
          completionTime: '2026-12-07T01:55:00Z',
          reason: 'BackoffLimitExceeded',
          message: 'exit code 3',
        },
        { name: 'report', phase: 'Skipped', reason: 'RunFailed' },
      ],
    },
  },
};

export const scheduledRunning: Pipeline = {
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'hourly', namespace: 'team-b', uid: 'uid-hourly', generation: 3 },
  spec: {
    schedule: '0 * * * *',
    stages: [
      { name: 'a', image: 'busybox' },
      { name: 'b', image: 'busybox', dependsOn: ['a'] },
    ],
  },
  status: {
    phase: 'Running',
    progress: '1/2',
    nextScheduleTime: '2026-12-07T03:00:00Z',
    lastRun: {
      id: 's1796608800',
      trigger: 'schedule',
      phase: 'Running',
      startTime: '2026-12-07T01:58:00Z',
      stages: [{ name: 'a', phase: 'Succeeded', attempts: 1, startTime: '2026-12-07T01:58:00Z' }],
    },
  },
};

export const neverRun: Pipeline = {
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'fresh', namespace: 'team-b', uid: 'uid-fresh' },
  spec: { schedule: '0 0 * * *', suspend: true, stages: [{ name: 'only', image: 'busybox' }] },
};
