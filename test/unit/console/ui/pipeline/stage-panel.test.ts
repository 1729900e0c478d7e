import { describe, expect, it } from 'vitest';
import type { RunView, StageView } from '../../../../../src/console/ui/model/runs.ts';
import { stageEvents, stageFacts } from '../../../../../src/console/ui/pipeline/stage-panel.ts';

const run = (id: string, phase: RunView['phase']): RunView => ({ id, phase, stages: new Map(), jobs: [] });

describe('stageEvents', () => {
  it('keeps events about the stage’s Jobs in the run and Pipeline events naming the stage and run', () => {
    const r: RunView = {
      ...run('r1', 'Failed'),
      stages: new Map([['load', { name: 'load', phase: 'Failed', job: 'p-load-r1' }]]),
    };
    const ev = (kind: string, name: string, message: string) => ({
      namespace: 'ns',
      name: message,
      uid: message,
      involved: { kind, name },
      type: 'Warning',
      reason: 'X',
      message,
      count: 1,
    });
    const events = [
      ev('Job', 'p-load-r1', 'job event'),
      ev('Job', 'p-other-r1', 'other job'),
      ev('Pipeline', 'p', 'run r1: stage "load" failed'),
      ev('Pipeline', 'p', 'run r0: stage "load" failed'),
    ];
    expect(stageEvents(events, r, 'load', 'p').map((e) => e.message)).toEqual([
      'job event',
      'run r1: stage "load" failed',
    ]);
  });
});

describe('stageFacts', () => {
  const failed: StageView = {
    name: 'load',
    phase: 'Failed',
    job: 'p-load-r1',
    attempts: 2,
    startTime: '2026-12-01T07:20:18Z',
    completionTime: '2026-12-01T07:21:00Z',
    reason: 'BackoffLimitExceeded',
    message: 'the backoff limit was reached',
  };

  it("prints times in UTC, as the rest of the Console, never in the browser's locale", () => {
    const facts = new Map(stageFacts(failed, 'Failed', false));
    expect(facts.get('Started')).toBe('2026-12-01 07:20:18Z');
    expect(facts.get('Finished')).toBe('2026-12-01 07:21Z');
    expect(facts.get('Took')).toBe('42s');
  });

  it('lists the Job, attempts, reason and message, and where the exit code is', () => {
    const labels = stageFacts(failed, 'Failed', false).map(([label]) => label);
    expect(labels).toEqual(['Job', 'Attempts', 'Started', 'Finished', 'Took', 'Reason', 'Message', 'Exit code']);
  });

  it('leaves out what is not known, and counts a running stage up to now', () => {
    const running: StageView = { name: 'load', phase: 'Running', job: 'p-load-r2', startTime: '2026-12-01T07:20:18Z' };
    expect(stageFacts(running, 'Running', false, Date.parse('2026-12-01T07:22:18Z'))).toEqual([
      ['Job', 'p-load-r2'],
      ['Started', '2026-12-01 07:20:18Z'],
      ['Running for', '2m 0s'],
    ]);
    expect(stageFacts(undefined, 'Succeeded', true)).toEqual([['Job', 'none in this run: served from the cache']]);
  });
});
