import { describe, expect, it } from 'vitest';
import type { JobSummary, Pipeline } from '../../../../../src/console/protocol.ts';
import { cachedIn, phaseIn, runsOf } from '../../../../../src/console/ui/model/runs.ts';
import { conditionSentence } from '../../../../../src/console/ui/pipeline/conditions.ts';

const job = (run: string, stage: string, extra: Partial<JobSummary> = {}): JobSummary => ({
  namespace: 'ns',
  name: `${run}-${stage}`,
  uid: `${run}-${stage}`,
  pipeline: 'p',
  stage,
  run,
  role: 'stage',
  creationTimestamp: '2026-01-01T00:00:00Z',
  active: 0,
  succeeded: 0,
  failed: 0,
  ...extra,
});

const pipeline: Pipeline = {
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'p', namespace: 'ns' },
  spec: {
    stages: [
      { name: 'a', image: 'x' },
      { name: 'b', image: 'x', dependsOn: ['a'] },
    ],
  },
  status: {
    lastRun: {
      id: 'r2',
      trigger: 'manual',
      phase: 'Running',
      startTime: '2026-01-02T00:00:00Z',
      stages: [{ name: 'a', phase: 'Running', job: 'r2-a' }],
    },
    runs: [
      { id: 'r2', trigger: 'manual', phase: 'Running', startTime: '2026-01-02T00:00:00Z' },
      {
        id: 'r1',
        trigger: 'create',
        phase: 'Failed',
        startTime: '2026-01-01T00:00:00Z',
        completionTime: '2026-01-01T00:05:00Z',
      },
    ],
  },
};

describe('runsOf', () => {
  it('lists runs newest first, status first, older runs from their Jobs', () => {
    const jobs = [
      job('r1', 'a', { finished: { type: 'Complete' } }),
      job('r1', 'b', {
        finished: {
          type: 'Failed',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
        },
      }),
      job('r0', 'a', { creationTimestamp: '2025-12-31T00:00:00Z', active: 1 }),
    ];
    const runs = runsOf(pipeline, jobs);
    expect(runs.map((r) => r.id)).toEqual(['r2', 'r1', 'r0']);
    expect(phaseIn(runs[0], 'a')).toBe('Running');
    expect(phaseIn(runs[0], 'b')).toBe('Pending');
    expect(phaseIn(runs[1], 'a')).toBe('Succeeded');
    expect(runs[1]!.stages.get('b')).toMatchObject({ phase: 'Failed', reason: 'BackoffLimitExceeded', attempts: 1 });
    expect(phaseIn(runs[2], 'a')).toBe('Running');
    expect(phaseIn(runs[2], 'b')).toBe('None');
  });
});

describe('conditionSentence', () => {
  it('puts Stalled and its message in plain words', () => {
    expect(
      conditionSentence({
        type: 'Stalled',
        status: 'True',
        reason: 'StageFailed',
        message: 'stage "load" failed: exit 3',
      }),
    ).toBe('Stalled: stage "load" failed: exit 3');
    expect(conditionSentence({ type: 'Ready', status: 'False', reason: 'RunDeadlineExceeded', message: '' })).toBe(
      'Not ready: run deadline exceeded',
    );
  });
});

describe('runsOf: run values and cached stages', () => {
  const withValues: Pipeline = {
    ...pipeline,
    status: {
      lastRun: {
        id: 'm2',
        trigger: 'manual',
        phase: 'Succeeded',
        startTime: '2026-01-03T00:00:00Z',
        logicalTime: '2026-01-03T00:00:00Z',
        intervalStart: '2026-01-02T00:00:00Z',
        intervalEnd: '2026-01-03T00:00:00Z',
        params: { table: 'orders' },
        noCache: true,
        stages: [
          { name: 'a', phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' },
          { name: 'b', phase: 'Succeeded', job: 'm2-b' },
        ],
      },
      runs: [{ id: 'm1', trigger: 'manual', phase: 'Succeeded', startTime: '2026-01-02T00:00:00Z' }],
    },
  };
  const cachedEvent = {
    namespace: 'ns',
    name: 'e',
    uid: 'e1',
    involved: { kind: 'Pipeline', name: 'p' },
    type: 'Normal',
    reason: 'StageCached',
    count: 1,
    message: 'run m1: stage "a" served from the cache (key "k", run g1)',
  };

  it('carries logical time, interval, params and noCache from status', () => {
    const [m2] = runsOf(withValues, []);
    expect(m2).toMatchObject({
      id: 'm2',
      logicalTime: '2026-01-03T00:00:00Z',
      intervalStart: '2026-01-02T00:00:00Z',
      params: { table: 'orders' },
      noCache: true,
    });
    expect(cachedIn(m2, 'a')).toBe('g1');
    expect(cachedIn(m2, 'b')).toBeUndefined();
  });

  it("reads a finished run's cached stage from its StageCached Event, without overriding what status or Jobs say", () => {
    const runs = runsOf(withValues, [job('m1', 'b', { finished: { type: 'Complete' } })], [cachedEvent]);
    const m1 = runs.find((r) => r.id === 'm1');
    expect(m1?.stages.get('a')).toMatchObject({ phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' });
    expect(cachedIn(m1, 'b')).toBeUndefined();
    const ran = runsOf(withValues, [job('m1', 'a', { finished: { type: 'Complete' } })], [cachedEvent]).find(
      (r) => r.id === 'm1',
    );
    expect(cachedIn(ran, 'a')).toBeUndefined();
  });

  it("takes a run known only from its Jobs' values from their annotations", () => {
    const values = { logicalTime: '2025-12-31T00:00:00Z', params: { table: 'users' } };
    const old = runsOf(withValues, [job('r0', 'a', { values })]).find((r) => r.id === 'r0');
    expect(old).toMatchObject(values);
  });
});
