import { describe, expect, it } from 'vitest';
import type { EventSummary, JobSummary, Pipeline } from '../../../../../src/console/protocol.ts';
import { ConsoleState } from '../../../../../src/console/ui/shared/store-state.ts';

const pipe = (namespace: string, name: string, phase = 'Pending'): Pipeline =>
  ({
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { namespace, name },
    spec: { stages: [] },
    status: { phase },
  }) as Pipeline;
const job = (name: string, pipeline: string, uid = name): JobSummary => ({
  namespace: 'ns',
  name,
  uid,
  pipeline,
  stage: 's',
  run: 'r',
  role: 'stage',
  active: 0,
  succeeded: 1,
  failed: 0,
});
const event = (uid: string, kind: string, name: string, lastTimestamp: string): EventSummary => ({
  namespace: 'ns',
  name: uid,
  uid,
  involved: { kind, name },
  type: 'Normal',
  reason: 'R',
  message: uid,
  count: 1,
  lastTimestamp,
});

function stateWith(): ConsoleState {
  const s = new ConsoleState();
  s.apply({
    type: 'reset',
    data: {
      pipelines: [pipe('ns', 'b'), pipe('ns', 'a'), pipe('other', 'a')],
      jobs: [job('a-job-1', 'a'), job('b-job-1', 'b')],
      events: [
        event('e1', 'Pipeline', 'a', '2026-12-01T06:00:00Z'),
        event('e2', 'Job', 'a-job-1', '2026-12-01T07:00:00Z'),
        event('e3', 'Job', 'b-job-1', '2026-12-01T07:30:00Z'),
      ],
      namespaces: ['ns', 'other'],
      user: 'alice',
    },
  });
  return s;
}

describe('ConsoleState', () => {
  it('holds a reset snapshot, pipelines ordered by namespace then name', () => {
    const s = stateWith();
    expect(s.pipelines().map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual(['ns/a', 'ns/b', 'other/a']);
    expect(s.user).toBe('alice');
    expect(s.namespaces).toEqual(['ns', 'other']);
  });

  it('keeps the same pipelines array until a pipeline changes (views memoise on it)', () => {
    const s = stateWith();
    const before = s.pipelines();
    s.apply({ type: 'job', data: { op: 'upsert', object: job('a-job-2', 'a') } });
    expect(s.pipelines()).toBe(before);
    s.apply({ type: 'pipeline', data: { op: 'upsert', object: pipe('ns', 'a', 'Running') } });
    expect(s.pipelines()).not.toBe(before);
    expect(s.pipeline('ns', 'a')?.status?.phase).toBe('Running');
  });

  it('adds and deletes pipelines and jobs', () => {
    const s = stateWith();
    s.apply({ type: 'pipeline', data: { op: 'delete', object: pipe('ns', 'b') } });
    s.apply({ type: 'pipeline', data: { op: 'upsert', object: pipe('ns', 'c') } });
    expect(s.pipelines().map((p) => p.metadata.name)).toEqual(['a', 'c', 'a']);
    s.apply({ type: 'job', data: { op: 'upsert', object: job('a-job-2', 'a') } });
    s.apply({ type: 'job', data: { op: 'delete', object: job('a-job-1', 'a') } });
    expect(s.jobsOf('ns', 'a').map((j) => j.name)).toEqual(['a-job-2']);
  });

  it('gives the events about a pipeline and its jobs, newest first', () => {
    const s = stateWith();
    expect(s.eventsOf('ns', 'a').map((e) => e.uid)).toEqual(['e2', 'e1']);
    s.apply({ type: 'event', data: { op: 'delete', object: event('e2', 'Job', 'a-job-1', '') } });
    expect(s.eventsOf('ns', 'a').map((e) => e.uid)).toEqual(['e1']);
    expect(s.eventsOf('other', 'a')).toEqual([]);
  });

  it('a reset replaces everything held before', () => {
    const s = stateWith();
    s.apply({ type: 'reset', data: { pipelines: [pipe('x', 'y')], jobs: [], events: [], namespaces: [] } });
    expect(s.pipelines().map((p) => p.metadata.name)).toEqual(['y']);
    expect(s.jobsOf('ns', 'a')).toEqual([]);
    expect(s.eventsOf('ns', 'a')).toEqual([]);
    expect(s.user).toBeUndefined();
  });

  it('ignores a message of a type it does not know', () => {
    const s = stateWith();
    expect(s.apply({ type: 'mystery', data: {} } as never)).toBe(false);
    expect(s.pipelines()).toHaveLength(3);
  });
});
