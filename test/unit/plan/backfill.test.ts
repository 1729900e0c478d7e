// Backfill, the pure parts: which ticks a range holds (schedule, time zone, DST, the cap), and how
// a request is read and checked against a spec.
import { describe, expect, it } from 'vitest';
import type { Pipeline, PipelineSpec, PipelineStatus } from '../../../src/api/types.ts';
import { MAX_BACKFILL_TICKS, ticksBetween } from '../../../src/plan/backfill/ticks.ts';
import { describeProblem, readBackfillRequest } from '../../../src/plan/backfill/request.ts';
import { backfillProgress } from '../../../src/plan/backfill/read.ts';
import { paramsHash, readSucceeded, recordSucceeded, succeededEntry } from '../../../src/plan/backfill/succeeded.ts';
import { readUsedIds, rememberId, rememberRunsSeen, usedIdProblem } from '../../../src/plan/backfill/ids.ts';
import type { UsedIds } from '../../../src/plan/backfill/ids.ts';
import type { ObservedRun } from '../../../src/plan/observed.ts';
import { MAX_BACKFILL_IDS } from '../../../src/api/schema.ts';
import { backfillRunId, isRunId } from '../../../src/plan/names.ts';
import { describePipeline } from '../../../src/cli/kube-commands.ts';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString().replace('.000Z', 'Z'));
const d = (text: string): Date => new Date(text);

function ticks(
  schedule: string,
  timeZone: string | undefined,
  from: string,
  to: string,
  cap?: number,
): string[] | 'too many' {
  const range = ticksBetween(schedule, timeZone, d(from), d(to), cap);
  return 'tooMany' in range ? 'too many' : iso(range.ticks);
}

describe('ticksBetween: the schedule ticks in [from, to)', () => {
  it.each([
    ['empty range (from = to)', '@daily', undefined, '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', []],
    ['reversed range', '@daily', undefined, '2025-01-05T00:00:00Z', '2025-01-01T00:00:00Z', []],
    ['range before the first tick', '0 0 1 1 *', undefined, '2025-01-02T00:00:00Z', '2025-12-31T00:00:00Z', []],
    [
      'from on a tick counts, to on a tick does not',
      '@daily',
      undefined,
      '2025-01-01T00:00:00Z',
      '2025-01-04T00:00:00Z',
      ['2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z', '2025-01-03T00:00:00Z'],
    ],
    [
      'from between ticks (and with a fraction)',
      '@daily',
      undefined,
      '2025-01-01T00:00:00.500Z',
      '2025-01-03T00:00:00Z',
      ['2025-01-02T00:00:00Z'],
    ],
    [
      '@monthly',
      '@monthly',
      undefined,
      '2025-01-15T00:00:00Z',
      '2025-05-01T00:00:00Z',
      ['2025-02-01T00:00:00Z', '2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z'],
    ],
    [
      '@monthly in a time zone (local midnight)',
      '@monthly',
      'America/New_York',
      '2025-01-15T00:00:00Z',
      '2025-03-15T00:00:00Z',
      ['2025-02-01T05:00:00Z', '2025-03-01T05:00:00Z'],
    ],
    // Europe/Berlin springs forward at 02:00 local on 2025-03-30 (01:00Z): every UTC hour still has a tick.
    [
      '@hourly across spring forward',
      '@hourly',
      'Europe/Berlin',
      '2025-03-29T23:00:00Z',
      '2025-03-30T03:00:00Z',
      ['2025-03-29T23:00:00Z', '2025-03-30T00:00:00Z', '2025-03-30T01:00:00Z', '2025-03-30T02:00:00Z'],
    ],
    // ... and falls back at 03:00 local on 2025-10-26 (01:00Z): 02:00 local happens twice, both are ticks.
    [
      '@hourly across fall back',
      '@hourly',
      'Europe/Berlin',
      '2025-10-25T23:00:00Z',
      '2025-10-26T03:00:00Z',
      ['2025-10-25T23:00:00Z', '2025-10-26T00:00:00Z', '2025-10-26T01:00:00Z', '2025-10-26T02:00:00Z'],
    ],
    // A daily 02:30 local job has no tick on the spring-forward day, as a CronJob skips it.
    [
      'daily 02:30 skips the spring-forward day',
      '30 2 * * *',
      'Europe/Berlin',
      '2025-03-29T00:00:00Z',
      '2025-04-01T00:00:00Z',
      ['2025-03-29T01:30:00Z', '2025-03-31T00:30:00Z'],
    ],
  ])('%s', (_name, schedule, timeZone, from, to, expected) => {
    expect(ticks(schedule, timeZone, from, to)).toEqual(expected);
  });

  it('holds at most the cap: exactly the cap is fine, one more is too many', () => {
    const from = '2025-01-01T00:00:00Z';
    const exactly = ticks(
      '* * * * *',
      undefined,
      from,
      new Date(d(from).getTime() + MAX_BACKFILL_TICKS * 60_000).toISOString(),
    );
    expect(exactly).toHaveLength(MAX_BACKFILL_TICKS);
    expect(
      ticks(
        '* * * * *',
        undefined,
        from,
        new Date(d(from).getTime() + (MAX_BACKFILL_TICKS + 1) * 60_000).toISOString(),
      ),
    ).toBe('too many');
    expect(ticks('@daily', undefined, from, '2025-01-06T00:00:00Z', 4)).toBe('too many');
  });
});

const spec = (extra: Partial<PipelineSpec> = {}): PipelineSpec => ({
  stages: [{ name: 'load', image: 'busybox' }],
  schedule: '@daily',
  params: [
    { name: 'table', default: 'orders' },
    { name: 'mode', default: 'full', enum: ['full', 'delta'] },
    { name: 'note' },
  ],
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
    [
      'missing id',
      JSON.stringify({ from: '2025-01-01T00:00:00Z', to: '2025-01-02T00:00:00Z' }),
      /^id: must be 1 to 63/,
    ],
    ['id with a space', request({ id: 'my run' }), /^id: /],
    ['from not RFC 3339', request({ from: '2025-01-01' }), /^from: must be an RFC 3339 time/],
    ['to not a time', request({ to: 7 }), /^to: must be an RFC 3339 time/],
    ['from = to', request({ to: '2025-01-01T00:00:00Z' }), /^to: must be after from/],
    ['from after to', request({ from: '2025-02-01T00:00:00Z' }), /^to: must be after from/],
    ['maxActive 0', request({ maxActive: 0 }), /^maxActive: must be a whole number from 1 to 15, got 0/],
    [
      'maxActive 16',
      request({ maxActive: 16 }),
      /^maxActive: .* got 16 \(5 of the 20 runs a Pipeline may have at once are kept for ticks, manual runs and retries\)/,
    ],
    ['maxActive 1.5', request({ maxActive: 1.5 }), /^maxActive: /],
    ['rerun not a boolean', request({ rerun: 'yes' }), /^rerun: must be true or false/],
    ['params not an object', request({ params: ['a'] }), /^params: must be an object/],
    ['param value not a string', request({ params: { table: 3 } }), /^params.table: must be a string/],
    [
      'unknown param',
      request({ params: { tabel: 'x' } }),
      /^params: unknown parameter "tabel" \(declared parameters: table, mode, note\)/,
    ],
    [
      'value outside enum',
      request({ params: { mode: 'partial' } }),
      /^params: value "partial" of parameter "mode" is not allowed; allowed values: "full", "delta"/,
    ],
    [
      'too many ticks',
      request({ to: '2028-01-01T00:00:00Z' }),
      /^from: the range holds more than 1000 ticks of "@daily"/,
    ],
    [
      'no tick in range',
      request({ from: '2025-01-01T00:00:01Z', to: '2025-01-01T23:00:00Z' }),
      /^from: the range \[from, to\) holds no tick/,
    ],
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
    [
      { total: 5, done: 5, failed: 1, skipped: 2 },
      '5/5 ticks done, 0 running, 1 failed, 2 skipped (already succeeded)',
    ],
  ])('progress %j reads "%s"', (b, text) => {
    expect(backfillProgress(b)).toBe(text);
  });

  it('succeededTimes: newest first, each entry once, capped', () => {
    const hash = '0123456789abcdef';
    expect(
      recordSucceeded(
        ['2025-01-02T00:00:00Z'],
        ['2025-01-03T00:00:00Z', `2025-01-02T00:00:00Z/${hash}`, '2025-01-02T00:00:00Z', 'nonsense'],
      ),
    ).toEqual(['2025-01-03T00:00:00Z', '2025-01-02T00:00:00Z', `2025-01-02T00:00:00Z/${hash}`]);
    expect(recordSucceeded([], [])).toBeUndefined();
    const many = Array.from({ length: 1005 }, (_, i) =>
      new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().replace('.000Z', 'Z'),
    );
    const kept = recordSucceeded([], many) ?? [];
    expect(kept).toHaveLength(1000);
    expect(kept[0]).toBe(many[1004]?.replace('.000Z', 'Z'));
  });
});

describe('conveyor describe', () => {
  const describeWith = (status: Pipeline['status']): string =>
    describePipeline({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'nightly', namespace: 'data' },
      spec: { schedule: '@daily', stages: [{ name: 'load', image: 'busybox' }] },
      status,
    });

  it('shows the backfill: id, phase, progress, range and max-active', () => {
    const text = describeWith({
      backfill: {
        request: 'bf-1',
        from: '2026-03-01T00:00:00Z',
        to: '2026-03-08T00:00:00Z',
        maxActive: 2,
        phase: 'Running',
        total: 7,
        next: 5,
        done: 3,
        running: ['b1', 'b2'],
        progress: '3/7 ticks done, 2 running',
      },
    });
    expect(text).toContain(
      'Backfill:    bf-1 Running, 3/7 ticks done, 2 running; [2026-03-01T00:00:00Z, 2026-03-08T00:00:00Z), at most 2 at once',
    );
  });

  it('shows why the last request was refused', () => {
    const text = describeWith({
      lastBackfillRefusal: 'backfill request refused: id: "bf-1" was already used by an earlier backfill',
    });
    expect(text).toContain('Backfill:    backfill request refused: id: "bf-1" was already used');
  });
});

describe('succeededTimes entries: (logical time, parameter values)', () => {
  it('the parameter hash: the same values in any order give one hash, other values another, none gives none', () => {
    expect(paramsHash({ region: 'eu', table: 'orders' })).toBe(paramsHash({ table: 'orders', region: 'eu' }));
    expect(paramsHash({ region: 'eu' })).not.toBe(paramsHash({ region: 'us' }));
    expect(paramsHash({ region: 'eu' })).not.toBe(paramsHash({ region: 'eu', note: '' }));
    expect(paramsHash({ region: 'eu' })).toMatch(/^[0-9a-f]{16}$/);
    expect(paramsHash({})).toBe('');
    expect(paramsHash(undefined)).toBe('');
  });

  it.each([
    [
      'a time with params',
      '2025-01-02T00:00:00Z',
      { region: 'eu' },
      `2025-01-02T00:00:00Z/${paramsHash({ region: 'eu' })}`,
    ],
    ['another offset, same time', '2025-01-02T01:00:00+01:00', {}, '2025-01-02T00:00:00Z'],
    ['not a time', 'yesterday', {}, undefined],
    ['a number', '5', {}, undefined],
  ])('succeededEntry: %s', (_name, time, params, expected) => {
    expect(succeededEntry(time, params)).toBe(expected);
  });

  const regional = [{ name: 'region', default: 'eu' }];
  const eu = paramsHash({ region: 'eu' });
  const us = paramsHash({ region: 'us' });

  it.each([
    [
      'new entries are read as they are',
      { succeededTimes: [`2025-01-02T00:00:00Z/${us}`] },
      regional,
      [`2025-01-02T00:00:00Z/${us}`],
    ],
    [
      'a time alone, no parameters declared: the run had none',
      { succeededTimes: ['2025-01-02T00:00:00Z'] },
      undefined,
      ['2025-01-02T00:00:00Z'],
    ],
    [
      'a time alone (previous version): the current defaults',
      { succeededTimes: ['2025-01-02T00:00:00.000Z'] },
      regional,
      [`2025-01-02T00:00:00Z/${eu}`],
    ],
    [
      'a time alone, a remembered run of that time: its values',
      {
        succeededTimes: ['2025-01-02T00:00:00Z'],
        runs: [
          {
            id: 'm1',
            trigger: 'manual' as const,
            phase: 'Succeeded' as const,
            logicalTime: '2025-01-02T00:00:00Z',
            params: { region: 'us' },
          },
        ],
      },
      regional,
      [`2025-01-02T00:00:00Z/${us}`],
    ],
    [
      'entries that are none are dropped',
      { succeededTimes: ['nonsense', 7, `2025-01-02T00:00:00Z/${eu}x`, null] as unknown as string[] },
      regional,
      [],
    ],
  ])('readSucceeded: %s', (_name, status, specs, expected) => {
    expect(readSucceeded(status, specs)).toEqual(expected);
  });
});

describe('backfill ids: each handled once, ever, in a bounded memory', () => {
  const now = d('2025-06-01T00:00:00Z');
  const req = (id: string, requestedAt?: string) => ({ id, ...(requestedAt ? { requestedAt: d(requestedAt) } : {}) });
  const problem = (used: UsedIds, id: string, requestedAt?: string): string => {
    const found = usedIdProblem(used, req(id, requestedAt), now);
    return found ? describeProblem(found) : 'ok';
  };
  /** The memory after accepting `n` requests `bf0`..`bf<n-1>`, one hour apart from 2025-01-01. */
  const after = (n: number): UsedIds => {
    let used: UsedIds = { ids: [] };
    for (let i = 0; i < n; i++)
      used = rememberId(
        used,
        req(`bf${i}`, new Date(Date.parse('2025-01-01T00:00:00Z') + i * 3_600_000).toISOString()),
        now,
      );
    return used;
  };

  it('a listed id is refused; an unlisted one, with or without requestedAt, is accepted while nothing was forgotten', () => {
    const used = after(3);
    expect(problem(used, 'bf1', '2025-01-01T01:00:00Z')).toMatch(/^id: "bf1" was already used/);
    expect(problem(used, 'bf1')).toMatch(/^id: "bf1" was already used/);
    expect(problem(used, 'new')).toBe('ok');
    expect(problem(used, 'new', '2020-01-01T00:00:00Z')).toBe('ok');
  });

  it(`keeps the last ${MAX_BACKFILL_IDS} ids; one that fell off is still refused, by its time`, () => {
    const used = after(MAX_BACKFILL_IDS + 3);
    expect(used.ids).toHaveLength(MAX_BACKFILL_IDS);
    expect(used.ids[0]?.id).toBe(`bf${MAX_BACKFILL_IDS + 2}`);
    expect(used.forgottenUntil).toBe('2025-01-01T02:00:00Z');
    // bf0's request again (same JSON): not listed any more, but made before the mark.
    expect(problem(used, 'bf0', '2025-01-01T00:00:00Z')).toMatch(/^requestedAt: 2025-01-01T00:00:00Z is too old/);
    expect(problem(used, 'bf2', '2025-01-01T02:00:00Z')).toMatch(/^requestedAt: .* is too old/);
    // Without requestedAt it cannot be told from an old one.
    expect(problem(used, 'bf0')).toMatch(/^requestedAt: is needed/);
    expect(problem(used, 'fresh', '2025-05-31T23:59:00Z')).toBe('ok');
  });

  it('a requestedAt far ahead of the clock is refused (it would later refuse every request)', () => {
    expect(problem({ ids: [] }, 'x', '2025-06-01T00:59:00Z')).toBe('ok');
    expect(problem({ ids: [] }, 'x', '2025-06-01T01:01:00Z')).toMatch(
      /^requestedAt: 2025-06-01T01:01:00Z is in the future/,
    );
  });

  it('status of the previous version (no list): seeded with the last backfill and the backfill runs it remembers', () => {
    const used = readUsedIds(
      {
        backfill: {
          request: 'last',
          from: '2025-01-01T00:00:00Z',
          to: '2025-01-02T00:00:00Z',
          maxActive: 1,
          phase: 'Succeeded',
          total: 1,
          next: 1,
          done: 1,
          startTime: '2025-01-03T00:00:00Z',
        },
        runs: [
          { id: 'b1', trigger: 'backfill', phase: 'Succeeded', backfill: 'older' },
          { id: 'b2', trigger: 'backfill', phase: 'Failed', backfill: 'last' },
        ],
      },
      now,
    );
    expect(used).toEqual({
      ids: [
        { id: 'last', time: '2025-01-03T00:00:00Z' },
        { id: 'older', time: '2025-06-01T00:00:00Z' },
      ],
    });
  });

  describe('rememberRunsSeen: the ids of backfill runs seen only on their Jobs (NEW-I)', () => {
    /** A run its Jobs show: a backfill's (`backfill`) or not, started at `startedAt`. */
    const seen = (id: string, backfill: string | undefined, startedAt: string): [string, ObservedRun] => {
      const values = { logicalTime: '2025-01-01T00:00:00Z', ...(backfill ? { backfill } : {}) };
      return [id, { id, jobs: [], claims: [], started: true, unfinished: false, startedAt: d(startedAt), values }];
    };
    const observed = (...runs: [string, ObservedRun][]) => new Map(runs);
    const ids = (used: UsedIds): string[] => used.ids.map((e) => e.id);

    it('an id status does not list comes first, at the run’s start plus the hour a requestedAt may be ahead', () => {
      const runs = observed(seen('b1', 'lost', '2025-05-01T10:00:00Z'), seen('m1', undefined, '2025-05-01T10:00:00Z'));
      const used = rememberRunsSeen(after(2), {}, runs, now);
      expect(ids(used)).toEqual(['lost', 'bf1', 'bf0']);
      expect(used.ids[0]?.time).toBe('2025-05-01T11:00:00Z');
      // The same request applied again is then refused by its id.
      expect(problem(used, 'lost', '2025-05-01T10:30:00Z')).toMatch(/^id: "lost" was already used/);
    });

    it('two runs of one backfill: listed at the earliest start', () => {
      const runs = observed(seen('b2', 'x', '2025-05-02T00:00:00Z'), seen('b1', 'x', '2025-05-01T00:00:00Z'));
      expect(rememberRunsSeen({ ids: [] }, {}, runs, now).ids).toEqual([{ id: 'x', time: '2025-05-01T01:00:00Z' }]);
    });

    it('unchanged for an id listed, a run status records, an id the time mark covers', () => {
      const used = after(2);
      expect(rememberRunsSeen(used, {}, observed(seen('b1', 'bf1', '2025-05-01T00:00:00Z')), now)).toBe(used);
      const run = { id: 'b1', trigger: 'backfill', phase: 'Succeeded', backfill: 'old' } as const;
      const recorded: PipelineStatus = { runs: [run] };
      expect(rememberRunsSeen(used, recorded, observed(seen('b1', 'old', '2025-05-01T00:00:00Z')), now)).toBe(used);
      const marked = { ids: [], forgottenUntil: '2025-05-01T01:00:00Z' };
      expect(rememberRunsSeen(marked, {}, observed(seen('b1', 'old', '2025-05-01T00:00:00Z')), now)).toBe(marked);
      const later = observed(seen('b1', 'old', '2025-05-01T00:00:01Z'));
      expect(ids(rememberRunsSeen(marked, {}, later, now))).toEqual(['old']);
    });

    it(`stays within ${MAX_BACKFILL_IDS}: the oldest listed id falls off and moves the mark`, () => {
      const runs = observed(seen('b1', 'lost', '2025-05-01T00:00:00Z'));
      const used = rememberRunsSeen(after(MAX_BACKFILL_IDS), {}, runs, now);
      expect(used.ids).toHaveLength(MAX_BACKFILL_IDS);
      expect(used.ids[0]?.id).toBe('lost');
      expect(used.forgottenUntil).toBe('2025-01-01T00:00:00Z');
    });
  });

  it('a listed entry that is not an id is dropped; the list is read to its bound', () => {
    const ids = [
      { id: 'ok', time: '2025-01-01T00:00:00Z' },
      { id: 'not an id', time: 'x' },
      { id: 7 },
      ...Array.from({ length: 80 }, (_, i) => ({ id: `b${i}`, time: 'x' })),
    ];
    const used = readUsedIds({ backfillIds: ids as UsedIds['ids'] }, now);
    expect(used.ids[0]).toEqual({ id: 'ok', time: '2025-01-01T00:00:00Z' });
    expect(used.ids.some((e) => e.id === 'not an id')).toBe(false);
    expect(used.ids.length).toBeLessThanOrEqual(MAX_BACKFILL_IDS);
  });
});
