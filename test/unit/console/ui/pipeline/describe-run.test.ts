import { describe, expect, it } from 'vitest';
import type { BackfillStatus } from '../../../../../src/api/types.ts';
import type { EventSummary } from '../../../../../src/console/protocol.ts';
import { cachedFromEvents, cachedWords, isCached } from '../../../../../src/console/ui/model/cached-stages.ts';
import { backfillLine, intervalText, paramChips } from '../../../../../src/console/ui/pipeline/describe-run.ts';

describe('intervalText', () => {
  it.each([
    ['2026-11-02T02:00:00Z', '2026-11-03T02:00:00Z', '2026-11-02 02:00Z → 2026-11-03 02:00Z'],
    ['2026-11-02T02:00:00Z', '2026-11-02T02:00:00Z', 'none (start = end)'],
    [undefined, '2026-11-03T02:00:00Z', ''],
    ['2026-11-02T02:00:00Z', undefined, ''],
  ])('%s, %s → %s', (start, end, expected) => {
    expect(intervalText(start, end)).toBe(expected);
  });
});

describe('paramChips', () => {
  it('sorts by key and keeps values as they are', () => {
    expect(paramChips({ region: 'eu', table: 'orders', a: 'x=y' })).toEqual(['a=x=y', 'region=eu', 'table=orders']);
  });
  it('is empty without params', () => {
    expect(paramChips(undefined)).toEqual([]);
    expect(paramChips({})).toEqual([]);
  });
});

const backfill = (over: Partial<BackfillStatus> = {}): BackfillStatus => ({
  request: 'bf-1',
  from: '2026-11-02T00:00:00Z',
  to: '2026-11-09T00:00:00Z',
  maxActive: 2,
  phase: 'Running',
  total: 7,
  next: 5,
  done: 3,
  ...over,
});

describe('backfillLine', () => {
  it.each<[string, Partial<BackfillStatus>, string]>([
    [
      'running, with its progress',
      { progress: '3/7 ticks done, 2 running' },
      'Backfill bf-1 Running, 3/7 ticks done, 2 running; 2026-11-02 00:00Z → 2026-11-09 00:00Z (end excluded), at most 2 at once',
    ],
    [
      'without progress: the counts',
      {},
      'Backfill bf-1 Running, 3/7 ticks done; 2026-11-02 00:00Z → 2026-11-09 00:00Z (end excluded), at most 2 at once',
    ],
    [
      'failed, with skipped ticks, rerun and a message',
      {
        phase: 'Failed',
        done: 7,
        failed: 1,
        skipped: 2,
        rerun: true,
        progress: '7/7 ticks done',
        message: '1 of 7 ticks failed',
      },
      'Backfill bf-1 Failed, 7/7 ticks done (1 failed, 2 skipped as already done); 2026-11-02 00:00Z → 2026-11-09 00:00Z (end excluded), at most 2 at once, rerun — 1 of 7 ticks failed',
    ],
  ])('%s', (_what, over, expected) => {
    expect(backfillLine(backfill(over))).toBe(expected);
  });
});

describe('cached stages', () => {
  it('isCached is reason Cached only', () => {
    expect(isCached({ reason: 'Cached' })).toBe(true);
    expect(isCached({ reason: 'BackoffLimitExceeded' })).toBe(false);
    expect(isCached({})).toBe(false);
    expect(isCached(undefined)).toBe(false);
  });
  it('cachedWords names the source run', () => {
    expect(cachedWords('g1')).toBe('Cached: result of run g1');
    expect(cachedWords(undefined)).toBe('Cached');
  });

  const event = (message: string, over: Partial<EventSummary> = {}): EventSummary => ({
    namespace: 'ns',
    name: 'e',
    uid: message,
    involved: { kind: 'Pipeline', name: 'p' },
    type: 'Normal',
    reason: 'StageCached',
    message,
    count: 1,
    ...over,
  });

  it("cachedFromEvents reads the StageCached Events of one run (the planner's message)", () => {
    const events = [
      event('run m2: stage "extract" served from the cache (key "orders-2026-11-02", run g1)'),
      event('run m2: stage "clean up" served from the cache (key "k (x)", run m1)'),
      event('run m3: stage "extract" served from the cache (key "orders-2026-11-02", run g1)'),
      event('run m2: stage "load" served from the cache (key "k", run g1)', { reason: 'StageStarted' }),
      event('run m2: stage "load" served from the cache (key "k", run g1)', { involved: { kind: 'Job', name: 'j' } }),
      event('something else'),
    ];
    expect([...cachedFromEvents(events, 'm2')]).toEqual([
      ['extract', 'g1'],
      ['clean up', 'm1'],
    ]);
    expect(cachedFromEvents(events, 'g1').size).toBe(0);
  });
});
