import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../../src/api/types.ts';
import { toEventSummary, toJobSummary, toPipelineView } from '../../../../src/console/server/summaries.ts';

const job = (over: Partial<k8s.V1Job> = {}): k8s.V1Job => ({
  metadata: {
    namespace: 'ns',
    name: 'etl-load-abc',
    uid: 'u1',
    creationTimestamp: new Date('2026-01-01T00:00:00Z'),
    labels: {
      'conveyor.dev/pipeline': 'etl-short',
      'conveyor.dev/stage': 'load',
      'conveyor.dev/run': 'g1',
      'conveyor.dev/role': 'stage',
    },
    annotations: { 'conveyor.dev/pipeline-name': 'etl.full.name' },
    managedFields: [{ manager: 'x' }],
  },
  spec: { template: { spec: { containers: [{ name: 'stage', image: 'busybox' }] } } },
  status: {
    active: 0,
    succeeded: 1,
    startTime: new Date('2026-01-01T00:00:01Z'),
    completionTime: new Date('2026-01-01T00:00:05Z'),
    conditions: [
      { type: 'SuccessCriteriaMet', status: 'True' },
      { type: 'Complete', status: 'True', reason: 'Done', lastTransitionTime: new Date('2026-01-01T00:00:05Z') },
    ],
  },
  ...over,
});

describe('toJobSummary', () => {
  it('keeps what the Console shows, the full pipeline name from the annotation, and nothing else', () => {
    expect(toJobSummary(job())).toEqual({
      namespace: 'ns',
      name: 'etl-load-abc',
      uid: 'u1',
      pipeline: 'etl.full.name',
      stage: 'load',
      run: 'g1',
      role: 'stage',
      creationTimestamp: '2026-01-01T00:00:00.000Z',
      startTime: '2026-01-01T00:00:01.000Z',
      completionTime: '2026-01-01T00:00:05.000Z',
      active: 0,
      succeeded: 1,
      failed: 0,
      finished: { type: 'Complete', reason: 'Done', at: '2026-01-01T00:00:05.000Z' },
    });
  });

  it('falls back to the pipeline label; reads the on-failure role; a running Job has no finished', () => {
    const j = job({ status: { active: 1 } });
    delete j.metadata!.annotations;
    j.metadata!.labels!['conveyor.dev/role'] = 'on-failure';
    const s = toJobSummary(j);
    expect(s).toMatchObject({ pipeline: 'etl-short', role: 'on-failure', active: 1, succeeded: 0, failed: 0 });
    expect(s && 'finished' in s).toBe(false);
    expect(s && 'startTime' in s).toBe(false);
  });

  it('skips a Job without the stage or run label', () => {
    const j = job();
    delete j.metadata!.labels!['conveyor.dev/run'];
    expect(toJobSummary(j)).toBeUndefined();
  });
});

describe('toEventSummary', () => {
  it('trims an Event; one without lastTimestamp uses its eventTime', () => {
    const e: k8s.CoreV1Event = {
      metadata: { namespace: 'ns', name: 'etl.1', uid: 'e1' },
      involvedObject: { kind: 'Pipeline', name: 'etl', apiVersion: 'conveyor.dev/v1alpha1' },
      type: 'Warning',
      reason: 'StageFailed',
      message: 'stage load failed',
      eventTime: new Date('2026-01-01T00:00:09Z'),
    };
    expect(toEventSummary(e)).toEqual({
      namespace: 'ns',
      name: 'etl.1',
      uid: 'e1',
      involved: { kind: 'Pipeline', name: 'etl' },
      type: 'Warning',
      reason: 'StageFailed',
      message: 'stage load failed',
      count: 1,
      lastTimestamp: '2026-01-01T00:00:09.000Z',
    });
  });
});

describe('toPipelineView', () => {
  const base: Pipeline = {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: {
      name: 'p',
      namespace: 'ns',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"big":1}', keep: 'me' },
    },
    spec: { stages: [{ name: 'a', image: 'x' }] },
    status: {
      lastRun: {
        id: 'm2',
        trigger: 'manual',
        phase: 'Succeeded',
        logicalTime: '2026-01-03T00:00:00Z',
        params: { t: 'x' },
        stages: [{ name: 'a', phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' }],
      },
      backfill: {
        request: 'bf',
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-02T00:00:00Z',
        maxActive: 1,
        phase: 'Running',
        total: 1,
        next: 1,
        done: 0,
        progress: '0/1 ticks done, 1 running',
      },
      cache: [{ stage: 'a', key: 'k', specHash: 'h', run: 'g1', time: '2026-01-01T00:00:00Z' }],
    },
  };

  it('drops the last-applied copy and the cache entries; keeps runs, values and the backfill', () => {
    const view = toPipelineView(base);
    expect(view.metadata).toEqual({ name: 'p', namespace: 'ns', annotations: { keep: 'me' } });
    expect(view.status?.cache).toBeUndefined();
    expect(view.status?.lastRun).toEqual(base.status!.lastRun);
    expect(view.status?.backfill).toEqual(base.status!.backfill);
    expect(view.spec).toBe(base.spec);
    expect(base.status?.cache).toHaveLength(1);
    expect(base.metadata.annotations).toHaveProperty(['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('leaves a Pipeline without status or annotations as it is', () => {
    const bare: Pipeline = {
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'p' },
      spec: { stages: [] },
    };
    expect(toPipelineView(bare)).toEqual(bare);
  });
});

describe('toJobSummary: run values', () => {
  it("reads the run's values from the Job's annotations, none when it records none", () => {
    const annotations = {
      'conveyor.dev/logical-time': '2026-11-03T02:00:00Z',
      'conveyor.dev/interval-start': '2026-11-02T02:00:00Z',
      'conveyor.dev/interval-end': '2026-11-03T02:00:00Z',
      'conveyor.dev/params': '{"table":"orders"}',
      'conveyor.dev/no-cache': 'true',
    };
    const stamped = job();
    stamped.metadata!.annotations = { ...stamped.metadata!.annotations, ...annotations };
    expect(toJobSummary(stamped)?.values).toEqual({
      logicalTime: '2026-11-03T02:00:00Z',
      intervalStart: '2026-11-02T02:00:00Z',
      intervalEnd: '2026-11-03T02:00:00Z',
      params: { table: 'orders' },
      noCache: true,
    });
    expect(toJobSummary(job())?.values).toBeUndefined();
  });
});
