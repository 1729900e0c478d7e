// Status writes that only fill in stage start times wait for company (src/controller/reconcile/start-time-hold.ts).
import { describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../../../src/api/types.ts';
import {
  onlyStartTimesChanged,
  START_TIME_HOLD_MS,
  StartTimeHold,
} from '../../../src/controller/reconcile/start-time-hold.ts';

const status = (
  stages: { phase: string; startTime?: string; completionTime?: string }[],
  extra: Record<string, unknown> = {},
): PipelineStatus =>
  ({
    phase: 'Running',
    lastRun: {
      id: 'g1',
      trigger: 'create',
      phase: 'Running',
      stages: stages.map((s, i) => ({ name: `s${i}`, attempts: 1, ...s })),
    },
    ...extra,
  }) as unknown as PipelineStatus;

describe('onlyStartTimesChanged', () => {
  const T = '2026-12-01T10:00:00Z';
  const U = '2026-12-01T10:00:02Z';
  const cases: { title: string; before: PipelineStatus | undefined; after: PipelineStatus; want: boolean }[] = [
    {
      title: 'a running stage gets its start time',
      before: status([{ phase: 'Running' }]),
      after: status([{ phase: 'Running', startTime: T }]),
      want: true,
    },
    {
      title: 'a start time is corrected',
      before: status([{ phase: 'Running', startTime: T }]),
      after: status([{ phase: 'Running', startTime: U }]),
      want: true,
    },
    {
      title: 'nothing changed',
      before: status([{ phase: 'Running', startTime: T }]),
      after: status([{ phase: 'Running', startTime: T }]),
      want: true,
    },
    {
      title: 'a stage finished',
      before: status([{ phase: 'Running', startTime: T }]),
      after: status([{ phase: 'Succeeded', startTime: T, completionTime: U }]),
      want: false,
    },
    {
      title: 'a start time and a phase',
      before: status([{ phase: 'Pending' }]),
      after: status([{ phase: 'Running', startTime: T }]),
      want: false,
    },
    {
      title: 'a new stage',
      before: status([{ phase: 'Running', startTime: T }]),
      after: status([{ phase: 'Running', startTime: T }, { phase: 'Running' }]),
      want: false,
    },
    {
      title: 'another field (progress)',
      before: status([{ phase: 'Running' }], { progress: '0/2' }),
      after: status([{ phase: 'Running', startTime: T }], { progress: '1/2' }),
      want: false,
    },
    { title: 'no status before', before: undefined, after: status([{ phase: 'Running', startTime: T }]), want: false },
  ];
  for (const c of cases) {
    it(c.title, () => expect(onlyStartTimesChanged(c.before, c.after)).toBe(c.want));
  }
});

describe('StartTimeHold', () => {
  it('holds a start-time-only change until the hold ends, then lets it be written', () => {
    const hold = new StartTimeHold();
    expect(hold.hold('ns/p', 1000, true)).toBe(START_TIME_HOLD_MS);
    expect(hold.hold('ns/p', 4000, true)).toBe(START_TIME_HOLD_MS - 3000);
    expect(hold.hold('ns/p', 1000 + START_TIME_HOLD_MS, true)).toBeUndefined();
    // Written: a later start-time-only change is held afresh.
    expect(hold.hold('ns/p', 20_000 + START_TIME_HOLD_MS, true)).toBe(START_TIME_HOLD_MS);
  });

  it('never holds a change that is more than start times, and that ends a hold', () => {
    const hold = new StartTimeHold();
    expect(hold.hold('ns/p', 0, true)).toBe(START_TIME_HOLD_MS);
    expect(hold.hold('ns/p', 100, false)).toBeUndefined();
    expect(hold.hold('ns/p', 200, true)).toBe(START_TIME_HOLD_MS);
  });

  it('keys are held apart, and forget starts over', () => {
    const hold = new StartTimeHold();
    expect(hold.hold('ns/a', 0, true)).toBe(START_TIME_HOLD_MS);
    expect(hold.hold('ns/b', 5000, true)).toBe(START_TIME_HOLD_MS);
    hold.forget('ns/a');
    expect(hold.hold('ns/a', 6000, true)).toBe(START_TIME_HOLD_MS);
  });
});
