// lifecycleEvents: what each status fact emits, in causal order, with deterministic ids; and every
// event rendered as a CloudEvent validates against the official schema.
import { describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../../../src/api/types.ts';
import { toCloudEvent } from '../../../src/notify/cloudevents.ts';
import { lifecycleEvents, RETRIED, type StageData } from '../../../src/notify/lifecycle.ts';
import { pipelineWith, run, short, stage, T, UID } from './fixtures.ts';
import { cloudEventProblems } from './schemas.ts';

const CASES: { name: string; status: PipelineStatus; expected: string[] }[] = [
  {
    name: 'a running run whose stage Job has not started yet: only the run',
    status: { lastRun: run('r1', 'Running', { stages: [stage('extract', 'Running', { job: 'j', attempts: 1 })] }) },
    expected: ['run.started r1'],
  },
  {
    name: 'a running stage: started, with its attempt',
    status: {
      lastRun: run('r1', 'Running', { stages: [stage('extract', 'Running', { attempts: 1, startTime: T(1) })] }),
    },
    expected: ['run.started r1', 'stage.started r1/extract#1'],
  },
  {
    name: 'a succeeded run: stages in time order, a cached stage without started',
    status: {
      lastRun: run('r1', 'Succeeded', {
        completionTime: T(9),
        stages: [
          stage('extract', 'Succeeded', { reason: 'Cached', cachedFrom: 'r0', completionTime: T(0) }),
          stage('load', 'Succeeded', { attempts: 1, startTime: T(1), completionTime: T(5) }),
        ],
      }),
    },
    expected: [
      'run.started r1',
      'stage.cached r1/extract',
      'stage.started r1/load#1',
      'stage.succeeded r1/load#1',
      'run.succeeded r1',
    ],
  },
  {
    name: 'a stage kept by a retry (FromRun) is cached too',
    status: {
      lastRun: run('r2', 'Running', { stages: [stage('extract', 'Succeeded', { reason: 'FromRun' })] }),
    },
    expected: ['run.started r2', 'stage.cached r2/extract'],
  },
  {
    name: 'three attempts: the first two failed (Retried), the last with the outcome',
    status: {
      lastRun: run('r1', 'Failed', {
        completionTime: T(9),
        message: 'stage "extract" failed',
        stages: [
          stage('extract', 'Failed', {
            attempts: 3,
            reason: 'BackoffLimitExceeded',
            startTime: T(1),
            completionTime: T(8),
          }),
          stage('load', 'Skipped', { reason: 'UpstreamFailed' }),
        ],
      }),
    },
    expected: [
      'run.started r1',
      'stage.started r1/extract#1',
      'stage.failed r1/extract#1',
      'stage.started r1/extract#2',
      'stage.failed r1/extract#2',
      'stage.started r1/extract#3',
      'stage.failed r1/extract#3',
      'run.failed r1',
    ],
  },
  {
    name: 'stages interleave by time; Pending stages emit nothing',
    status: {
      lastRun: run('r1', 'Running', {
        stages: [
          stage('extract', 'Succeeded', { attempts: 1, startTime: T(1), completionTime: T(5) }),
          stage('load', 'Running', { attempts: 1, startTime: T(3) }),
          stage('report', 'Pending'),
        ],
      }),
    },
    expected: [
      'run.started r1',
      'stage.started r1/extract#1',
      'stage.started r1/load#1',
      'stage.succeeded r1/extract#1',
    ],
  },
  {
    name: 'a cancelled run: the running stage failed with RunCancelled, the run cancelled',
    status: {
      lastRun: run('r1', 'Cancelled', {
        completionTime: T(4),
        stages: [
          stage('extract', 'Failed', { attempts: 1, reason: 'RunCancelled', startTime: T(1), completionTime: T(4) }),
          stage('load', 'Skipped', { reason: 'RunCancelled' }),
        ],
      }),
    },
    expected: ['run.started r1', 'stage.started r1/extract#1', 'stage.failed r1/extract#1', 'run.cancelled r1'],
  },
  {
    name: 'runs[]: finished runs only run-level, active ones with their stage memory; oldest first',
    status: {
      lastRun: run('r3', 'Running', { startTime: T(20) }),
      runs: [
        run('r3', 'Running', { startTime: T(20) }),
        run('r2', 'Running', { startTime: T(10), stages: [stage('extract', 'Succeeded', { attempts: 1 })] }),
        run('r1', 'Succeeded', { startTime: T(0), completionTime: T(5) }),
      ],
    },
    expected: [
      'run.started r1',
      'run.succeeded r1',
      'run.started r2',
      'stage.started r2/extract#1',
      'stage.succeeded r2/extract#1',
      'run.started r3',
    ],
  },
  {
    name: 'Pending and Skipped runs, and a run cancelled before it started, emit nothing',
    status: {
      runs: [
        run('p', 'Pending', { startTime: undefined }),
        run('s', 'Skipped', { startTime: undefined, completionTime: T(1) }),
        run('c', 'Cancelled', { startTime: undefined, completionTime: T(2) }),
      ],
    },
    expected: [],
  },
  { name: 'no status', status: {}, expected: [] },
];

describe('lifecycleEvents', () => {
  it.each(CASES)('$name', ({ status, expected }) => {
    const events = lifecycleEvents(pipelineWith(status));
    expect(events.map(short)).toEqual(expected);
    for (const event of events) {
      expect(cloudEventProblems(toCloudEvent({ namespace: 'data', name: 'orders' }, event))).toEqual([]);
    }
  });

  it('only the run end is terminal; a retried attempt says so in its data', () => {
    const events = lifecycleEvents(pipelineWith(CASES[4]?.status ?? {}));
    expect(events.filter((e) => e.terminal).map(short)).toEqual(['run.failed r1']);
    const retried = events[2]?.data as StageData;
    expect(retried).toMatchObject({ name: 'extract', phase: 'Failed', reason: RETRIED, attempt: 1 });
    expect(events[6]?.data).toMatchObject({ phase: 'Failed', reason: 'BackoffLimitExceeded', attempt: 3 });
  });

  it('a started event says what status said when it started, the end what it says now', () => {
    const events = lifecycleEvents(pipelineWith(CASES[4]?.status ?? {}));
    expect(events[0]?.data).toMatchObject({ id: 'r1', phase: 'Running', startTime: T(0) });
    expect(events[0]?.data).not.toHaveProperty('completionTime');
    expect(events[0]?.data).not.toHaveProperty('message');
    expect(events[1]?.data).toMatchObject({ name: 'extract', phase: 'Running', attempt: 1, startTime: T(1) });
    expect(events[1]?.data).not.toHaveProperty('reason');
    expect(events[1]?.data).not.toHaveProperty('attempts'); // it grows; the event keeps its own attempt
    expect(events[7]?.data).toMatchObject({ phase: 'Failed', completionTime: T(9), message: 'stage "extract" failed' });
    expect(events[7]?.data).not.toHaveProperty('stages');
  });

  it('times never go back: a stage end before its start is moved to the start', () => {
    const status = {
      lastRun: run('r1', 'Running', {
        stages: [stage('extract', 'Succeeded', { attempts: 1, startTime: T(5), completionTime: T(2) })],
      }),
    };
    expect(lifecycleEvents(pipelineWith(status)).map((e) => e.time)).toEqual([T(0), T(5), T(5)]);
  });

  it('ids are deterministic: the same facts give the same ids, another pipeline or attempt another', () => {
    const status = CASES[4]?.status ?? {};
    const ids = lifecycleEvents(pipelineWith(status)).map((e) => e.id);
    expect(lifecycleEvents(pipelineWith(structuredClone(status))).map((e) => e.id)).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    const other = pipelineWith(status);
    other.metadata.uid = `${UID}-other`;
    expect(
      lifecycleEvents(other)
        .map((e) => e.id)
        .filter((id) => ids.includes(id)),
    ).toEqual([]);
  });

  it('as a run goes on, every earlier event keeps its id (a later snapshot shows a superset)', () => {
    const snapshots: PipelineStatus[] = [
      { lastRun: run('r1', 'Running', { stages: [stage('extract', 'Running', { attempts: 1, startTime: T(1) })] }) },
      { lastRun: run('r1', 'Running', { stages: [stage('extract', 'Running', { attempts: 2, startTime: T(1) })] }) },
      {
        lastRun: run('r1', 'Succeeded', {
          completionTime: T(6),
          stages: [stage('extract', 'Succeeded', { attempts: 2, startTime: T(1), completionTime: T(5) })],
        }),
      },
      { runs: [run('r1', 'Succeeded', { completionTime: T(6) })], lastRun: run('r2', 'Running', { startTime: T(7) }) },
    ];
    const seen = new Map<string, string>();
    for (const status of snapshots) {
      for (const event of lifecycleEvents(pipelineWith(status))) {
        expect(seen.get(event.id) ?? short(event)).toBe(short(event));
        seen.set(event.id, short(event));
      }
    }
    expect([...seen.values()].filter((s) => s.endsWith('r1') || s.includes('r1/'))).toEqual([
      'run.started r1',
      'stage.started r1/extract#1',
      'stage.failed r1/extract#1',
      'stage.started r1/extract#2',
      'stage.succeeded r1/extract#2',
      'run.succeeded r1',
    ]);
  });

  it('attempts read from status are bounded', () => {
    const status = {
      lastRun: run('r1', 'Running', { stages: [stage('x', 'Running', { attempts: 1e9, startTime: T(1) })] }),
    };
    expect(lifecycleEvents(pipelineWith(status)).length).toBe(1 + 1000 + 999);
  });
});
