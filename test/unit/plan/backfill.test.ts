// Backfill, the pure parts: which ticks a range holds (schedule, time zone, DST, the cap), and how
// a request is read and checked against a spec.
import { describe, expect, it } from 'vitest';
import type { PipelineSpec } from '../../../src/api/types.ts';
import { MAX_BACKFILL_TICKS, ticksBetween } from '../../../src/plan/backfill-ticks.ts';
import { describeProblem, readBackfillRequest } from '../../../src/plan/backfill-request.ts';
import { backfillProgress, recordSucceededTimes } from '../../../src/plan/backfill.ts';
import { backfillRunId, isRunId } from '../../../src/plan/names.ts';
import { describePipeline } from '../../../src/cli/kube-commands.ts';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString().replace('.000Z', 'Z'));
const d = (text: string): Date => new Date(text);

function ticks(schedule: string, timeZone: string | undefined, from: string, to: string, cap?: number): string[] | 'too many' {
  const range = ticksBetween(schedule, timeZone, d(from), d(to), cap);
  return 'tooMany' in range ? 'too many' : iso(range.ticks);
}

describe('ticksBetween: the schedule ticks in [from, to)', () => {
  it.each([
    ['empty range (from = to)', '@daily', undefined, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', []],
    ['reversed range', '@daily', undefined, '2025-01-05T00:00:00Z', '2025-01-01T00:00:00Z', []],
    ['range before the first tick', '0 0 1 1 *', undefined, '2025-01-02T00:00:00Z', '2025-12-31T00:00:00Z', []],
    ['from on a tick counts, to on a tick does not', '@daily', undefined, '2025-01-01T00:00:00Z', '2025-01-04T00:00:00Z', ['2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z', '2025-01-03T00:00:00Z']],
    ['from between ticks (and with a fraction)', '@daily', undefined, '2025-01-01T00:00:00.500Z', '2025-01-03T00:00:00Z', ['2025-01-02T00:00:00Z']],
    ['@monthly', '@monthly', undefined, '2025-01-15T00:00:00Z', '2025-05-01T00:00:00Z', ['2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z']],
    ['@monthly in a time zone (local midnight)', '@monthly', 'America/New_York', '2025-01-15T00:00:00Z', '2025-03-15T00:00:00Z', ['2025-02-01T05:00:00Z', '2025-03-01T05:00:00Z']],
    // Europe/Berlin springs forward at 02:00 local on 2025-03-30 (01:00Z): every UTC hour still has a tick.
    ['@hourly across spring forward', '@hourly', 'Europe/Berlin', '2025-03-29T23:00:00Z', '2025-03-30T03:00:00Z', ['2025-03-29T23:00:00Z', '2025-03-30T00:00:00Z', '2025-03-30T01:00:00Z', '2025-03-30T02:00:00Z']],
    // ... and falls back at 03:00 local on 2025-10-26 (01:00Z): 02:00 local happens twice, both are ticks.
    ['@hourly across fall back', '@hourly', 'Europe/Berlin', '2025-10-25T23:00:00Z', '2025-10-26T03:00:00Z', ['2025-10-25T23:00:00Z', '2025-10-26T00:00:00Z', '2025-10-26T01:00:00Z', '2025-10-26T02:00:00Z']],
    // A daily 02:30 local job has no tick on the spring-forward day, as a CronJob skips it.
    ['daily 02:30 skips the spring-forward day', '30 2 * * *', 'Europe/Berlin', '2025-03-29T00:00:00Z', '2025-04-01T00:00:00Z', ['2025-03-29T01:30:00Z', '2025-03-31T00:30:00Z']],
  ])('%s', (_name, schedule, timeZone, from, to, expected) => {
    expect(ticks(schedule, timeZone, from, to)).toEqual(expected);
  });

  it('holds at most the cap: exactly the cap is fine, one more is too many', () => {
    const from = '2025-01-01T00:00:00Z';
    const exactly = ticks('* * * * *', undefined, from, new Date(d(from).getTime() + MAX_BACKFILL_TICKS * 60_000).toISOString());
    expect(exactly).toHaveLength(MAX_BACKFILL_TICKS);
    expect(ticks('* * * * *', undefined, from, new Date(d(from).getTime() + (MAX_BACKFILL_TICKS + 1) * 60_000).toISOString())).toBe('too many');
    expect(ticks('@daily', undefined, from, '2025-01-06T00:00:00Z', 4)).toBe('too many');
  });
});

const spec = (extra: Partial<PipelineSpec> = {}): PipelineSpec => ({
  stages: [{ name: 'load', image: 'busybox' }],
  schedule: '@daily',
  params: [{ name: 'table', default: 'orders' }, { name: 'mode', default: 'full', enum: ['full', 'delta'] }, { name: 'note' }],
  ...extra,
});
const request = (fields: Record<string, unknown>): string =>
  JSON.stringify({ id: 'bf1', from: '2025-01-01T00:00:00Z', to: '2025-01-06T00:00:00Z', ...fields });
const refusal = (raw: string, s = spec()): string => {
  const read = readBackfillRequest(s, raw);
  return read.ok ? 'accepted' : describeProblem(read.problem);
};

describe('readBackfillRequest: a request refused names the field and the problem', () => {
  it.each([
    ['unparseable JSON', '{"id": "bf1", from', /^request: is not valid JSON/],
    ['not an object', '[1]', /^request: must be a JSON object/],
    ['unknown field', request({ until: 'x' }), /^until: unknown field/],
    ['missing id', JSON.stringify({ from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' }), /^id: must be 1 to 63/],
    ['id with a space', request({ id: 'my run' }), /^id: /],
    ['from not RFC 3339', request({ from: '2025-01-01' }), /^from: must be an RFC 3339 time/],
    ['to not a time', request({ to: 7 }), /^to: must be an RFC 3339 time/],
    ['from = to', request({ to: '2025-01-01T00:00:00Z' }), /^to: must be after from/],
    ['from after to', request({ from: '2025-02-01T00:00:00Z' }), /^to: must be after from/],
    ['maxActive 0', request({ maxActive: 0 }), /^maxActive: must be a whole number from 1 to 20, got 0/],
    ['maxActive 21', request({ maxActive: 21 }), /^maxActive: .* got 21/],
    ['maxActive 1.5', request({ maxActive: 1.5 }), /^maxActive: /],
    ['rerun not a boolean', request({ rerun: 'yes' }), /^rerun: must be true or false/],
    ['params not an object', request({ params: ['a'] }), /^params: must be an object/],
    ['param value not a string', request({ params: { table: 3 } }), /^params.table: must be a string/],
    ['unknown param', request({ params: { tabel: 'x' } }), /^params: unknown parameter "tabel" \(declared parameters: table, mode, note\)/],
    ['value outside enum', request({ params: { mode: 'partial' } }), /^params: value "partial" of parameter "mode" is not allowed; allowed values: "full", "delta"/],
    ['too many ticks', request({ to: '2028-01-01T00:00:00Z' }), /^from: the range holds more than 1000 ticks of "@daily"/],
    ['no tick in range', request({ from: '2025-01-01T00:00:01Z', to: '2025-01-01T23:00:00Z' }), /^from: the range \[from, to\) holds no tick/],
  ])('%s', (_name, raw, expected) => {
    expect(refusal(raw)).toMatch(expected);
  });

  it('a pipeline without a schedule refuses every backfill', () => {
    expect(refusal(request({}), spec({ schedule: undefined }))).toMatch(/^spec.schedule: the pipeline has no schedule/);
  });

  it('an accepted request has its ticks, maxActive 1 by default, and every declared param (request over default)', () => {
    const read = readBackfillRequest(spec(), request({ params: { mode: 'delta' } }));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(iso(read.value.ticks)).toHaveLength(5);
    expect(read.value.request).toMatchObject({ id: 'bf1', maxActive: 1, rerun: false });
    expect(read.value.params).toEqual({ table: 'orders', mode: 'delta', note: '' });
  });
});

describe('backfill run ids, progress and succeededTimes', () => {
  it('a run id derives from (request, tick) only, and has the run-id shape', () => {
    const tick = d('2025-01-01T00:00:00Z');
    expect(backfillRunId('bf1', tick)).toBe(backfillRunId('bf1', new Date(tick)));
    expect(backfillRunId('bf1', tick)).not.toBe(backfillRunId('bf2', tick));
    expect(backfillRunId('bf1', tick)).not.toBe(backfillRunId('bf1', d('2025-01-02T00:00:00Z')));
    expect(backfillRunId('bf1', tick)).toMatch(/^b[0-9a-f]{8}$/);
    expect(isRunId(backfillRunId('bf1', tick))).toBe(true);
  });

  it.each([
    [{ total: 7, done: 3, running: ['a', 'b'] }, '3/7 ticks done, 2 running'],
    [{ total: 5, done: 5, failed: 1, skipped: 2 }, '5/5 ticks done, 0 running, 1 failed, 2 skipped (already succeeded)'],
  ])('progress %j reads "%s"', (b, text) => {
    expect(backfillProgress(b)).toBe(text);
  });

  it('succeededTimes: newest first, each time once (whatever its offset), capped', () => {
    expect(recordSucceededTimes(['2025-01-02T00:00:00Z'], ['2025-01-03T00:00:00Z', '2025-01-02T01:00:00+01:00', 'nonsense'])).toEqual([
      '2025-01-03T00:00:00Z',
      '2025-01-02T00:00:00Z',
    ]);
    expect(recordSucceededTimes(undefined, [])).toBeUndefined();
    const many = Array.from({ length: 1005 }, (_, i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString());
    const kept = recordSucceededTimes([], many) ?? [];
    expect(kept).toHaveLength(1000);
    expect(kept[0]).toBe(many[1004]?.replace('.000Z', 'Z'));
  });
});

describe('conveyor describe', () => {
  it('shows the backfill: id, phase, progress, range and max-active', () => {
    const text = describePipeline({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'nightly', namespace: 'data' },
      spec: { schedule: '@daily', stages: [{ name: 'load', image: 'busybox' }] },
      status: {
        backfill: { request: 'bf-1', from: '2026-03-01T00:00:00Z', to: '2026-03-08T00:00:00Z', maxActive: 2, phase: 'Running', total: 7, next: 5, done: 3, running: ['b1', 'b2'], progress: '3/7 ticks done, 2 running' },
      },
    });
    expect(text).toContain('Backfill:    bf-1 Running, 3/7 ticks done, 2 running; [2026-03-01T00:00:00Z, 2026-03-08T00:00:00Z), at most 2 at once');
  });
});
