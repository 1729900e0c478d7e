// Stage caching, the pure part (src/plan/cache/cache.ts): durations, the spec hash, key resolution,
// lookup (key, spec, expiry) and the bounded, de-duplicated record.
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import type { CacheEntry, PipelineSpec, PipelineStatus, StageSpec, StageStatus } from '../../../src/api/types.ts';
import { MAX_CACHE_ENTRIES, MAX_CACHE_KEY_LENGTH, PipelineStatusSchema } from '../../../src/api/schema.ts';
import { jsonBytes, MAX_OBJECT_BYTES } from '../../../src/api/size.ts';
import {
  cachedStage,
  cacheEntriesOf,
  dataVersionOf,
  effectiveStage,
  entryVersion,
  findCached,
  parseDuration,
  recordCached,
  resolveCacheKey,
  stageSpecHash,
  succeededEntries,
  updateCache,
  upstreamOf,
} from '../../../src/plan/cache/cache.ts';
import { resultVersion } from '../../../src/plan/names.ts';
import { drawDag } from '../../../src/cli/graph.ts';
import { summarize } from '../../../src/plan/tidy/history.ts';
import { observeRuns } from '../../../src/plan/observed.ts';
import { advanceRun } from '../../../src/plan/run/run.ts';
import type { RunValues } from '../../../src/plan/values/values.ts';
import { iso } from '../../../src/plan/time.ts';
import {
  FakeCluster,
  T0,
  at,
  createdJobs,
  createdStages,
  deletedJobs,
  eventReasons,
  job,
  pipeline,
  stage,
  type JobState,
} from './fixtures.ts';

const HOUR = 3_600_000;

describe('parseDuration', () => {
  it.each([
    ['90s', 90_000],
    ['30m', 30 * 60_000],
    ['24h', 24 * HOUR],
    ['7d', 7 * 24 * HOUR],
    ['1h30m', 90 * 60_000],
    ['0s', 0],
  ])('%s → %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '24', 'h', '1.5h', '-1h', '1w', '24 h', '1h 30m'])(
    'refuses %j, naming the value and the expected form',
    (text) => {
      expect(() => parseDuration(text)).toThrow(
        `invalid duration "${text}": expected a number and a unit (s, m, h, d)`,
      );
    },
  );
});

describe('stageSpecHash over the effective stage', () => {
  const base = pipeline({
    stages: [
      stage('load', undefined, {
        command: ['load'],
        args: ['--day', '$(run.logicalDate)'],
        env: [{ name: 'A', value: '1' }],
      }),
    ],
  });
  const hashOf = (p: typeof base, name = 'load') =>
    stageSpecHash(effectiveStage(p, p.spec.stages.find((s) => s.name === name) as StageSpec));
  const withStage = (extra: Partial<StageSpec>, defaults?: typeof base.spec.defaults) =>
    pipeline({ stages: [{ ...(base.spec.stages[0] as StageSpec), ...extra }], ...(defaults ? { defaults } : {}) });

  it('is short, hex and the same for the same spec', () => {
    expect(hashOf(base)).toMatch(/^[0-9a-f]{16}$/);
    expect(hashOf(withStage({}))).toBe(hashOf(base));
  });

  it.each<[string, Partial<StageSpec>]>([
    ['image', { image: 'busybox:2' }],
    ['command', { command: ['load', '-v'] }],
    ['args', { args: ['--day', '$(run.intervalStart)'] }],
    ['env value', { env: [{ name: 'A', value: '2' }] }],
    [
      'env added',
      {
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '1' },
        ],
      },
    ],
    ['envFrom', { envFrom: [{ secretRef: { name: 'db' } }] }],
    ['workingDir', { workingDir: '/work' }],
  ])('changes with %s', (_what, extra) => expect(hashOf(withStage(extra))).not.toBe(hashOf(base)));

  it.each<[string, Partial<StageSpec>]>([
    ['resources', { resources: { limits: { memory: '1Gi' } } }],
    ['retries', { retries: 3 }],
    ['timeoutSeconds', { timeoutSeconds: 60 }],
    ['the cache itself', { cache: { key: 'k', maxAge: '1h' } }],
    ['dependsOn', { dependsOn: [] }],
    ['an empty list', { envFrom: [] }],
  ])('does not change with %s', (_what, extra) => expect(hashOf(withStage(extra))).toBe(hashOf(base)));

  it('merges defaults first: a default image or env var counts, a stage value over it decides', () => {
    const noImage = { image: undefined } as Partial<StageSpec>;
    const fromDefault = withStage(noImage, { image: 'busybox' });
    expect(hashOf(fromDefault)).toBe(hashOf(base));
    expect(hashOf(withStage(noImage, { image: 'alpine' }))).not.toBe(hashOf(base));
    expect(hashOf(withStage({}, { env: [{ name: 'A', value: 'other' }] }))).toBe(hashOf(base));
    expect(hashOf(withStage({}, { env: [{ name: 'Z', value: '1' }] }))).not.toBe(hashOf(base));
  });

  it('does not depend on the order of keys', () => {
    const a = stageSpecHash({ image: 'x', env: [{ name: 'A', value: '1' }] });
    const b = stageSpecHash({ env: [{ value: '1', name: 'A' }], image: 'x' });
    expect(a).toBe(b);
  });
});

describe('resolveCacheKey', () => {
  const values = {
    logicalTime: '2026-11-02T23:30:00Z',
    intervalStart: '2026-11-01T23:30:00Z',
    intervalEnd: '2026-11-02T23:30:00Z',
    params: { table: 'orders' },
  };
  const keyOf = (key: string, timeZone?: string) =>
    resolveCacheKey(stage('s', undefined, { cache: { key } }), values, 'm1234abcd', timeZone);

  it.each([
    ['$(params.table)-$(run.intervalStart)', undefined, 'orders-2026-11-01T23:30:00Z'],
    ['$(params.table)/$(run.logicalDate)', undefined, 'orders/2026-11-02'],
    ['$(params.table)/$(run.logicalDate)', 'Europe/Berlin', 'orders/2026-11-03'],
    ['fixed', undefined, 'fixed'],
    ['$(run.id)', undefined, 'm1234abcd'],
    ['$$(params.table)', undefined, '$(params.table)'],
    ['$(params.unknown)', undefined, '$(params.unknown)'],
  ])('%s (time zone %s) → %s', (key, tz, expected) => expect(keyOf(key, tz)).toBe(expected));

  it('a value containing "$(" is taken as it is (single pass)', () => {
    const key = resolveCacheKey(
      stage('s', undefined, { cache: { key: 'k-$(params.p)' } }),
      { params: { p: '$(params.p)' } },
      'g1',
      undefined,
    );
    expect(key).toBe('k-$(params.p)');
  });

  it('a key longer than the schema allows keeps a prefix and a hash of the whole', () => {
    const long = (fill: string) =>
      resolveCacheKey(
        stage('s', undefined, { cache: { key: '$(params.p)' } }),
        { params: { p: fill } },
        'g1',
        undefined,
      ) ?? '';
    const a = long(`${'x'.repeat(4000)}a`);
    const b = long(`${'x'.repeat(4000)}b`);
    expect(a).toHaveLength(MAX_CACHE_KEY_LENGTH);
    expect(a.startsWith('xxxx')).toBe(true);
    expect(a).not.toBe(b);
  });

  it('is undefined for a stage without cache', () =>
    expect(resolveCacheKey(stage('s'), values, 'g1', undefined)).toBeUndefined());
});

/** Run g1 of a pipeline `extract → load`: extract succeeds at 10 s, load ends in `load`'s state. */
function afterRunG1(spec: Partial<PipelineSpec> & { stages: StageSpec[] }, load: JobState): FakeCluster {
  const cluster = new FakeCluster(pipeline(spec));
  cluster.reconcile(at(0));
  cluster.set('extract', { state: 'succeeded', at: at(10) });
  cluster.reconcile(at(20));
  cluster.set('load', load);
  cluster.reconcile(at(40));
  return cluster;
}

const entry = (over: Partial<CacheEntry> = {}): CacheEntry => ({
  stage: 's',
  key: 'k',
  specHash: 'h',
  run: 'r1',
  time: iso(T0),
  ...over,
});

describe('findCached', () => {
  const maxAge = HOUR;
  it.each<[string, CacheEntry[], Date, string | undefined]>([
    ['same stage, key and spec, young enough', [entry()], at(60), 'r1'],
    ['just before maxAge', [entry()], at(3599), 'r1'],
    ['exactly at maxAge: expired', [entry()], at(3600), undefined],
    ['past maxAge', [entry()], at(7200), undefined],
    ['another key', [entry({ key: 'k2' })], at(60), undefined],
    ['another stage', [entry({ stage: 't' })], at(60), undefined],
    ['another spec (the stage changed)', [entry({ specHash: 'h2' })], at(60), undefined],
    [
      'the newest match, whatever the order',
      [entry({ run: 'old', time: iso(at(-600)) }), entry({ run: 'new', time: iso(at(-60)) })],
      at(0),
      'new',
    ],
    [
      'every match past maxAge: none',
      [entry({ run: 'a', time: iso(at(-4000)) }), entry({ run: 'b', time: iso(at(-3700)) })],
      at(0),
      undefined,
    ],
    ['an entry from the future (clock skew) counts as fresh', [entry({ time: iso(at(120)) })], at(0), 'r1'],
    ['an unreadable time never matches', [entry({ time: 'yesterday' })], at(0), undefined],
    ['another upstream (a dependency was computed again)', [entry({ upstream: 'a'.repeat(16) })], at(60), undefined],
    [
      'an entry of a stage with dependencies never matches a root',
      [entry({ upstream: 'b'.repeat(16) })],
      at(60),
      undefined,
    ],
  ])('%s', (_what, entries, now, run) =>
    expect(findCached(entries, { stage: 's', key: 'k', specHash: 'h', upstream: '' }, now, maxAge)?.run).toBe(run),
  );

  it('matches the same upstream only', () => {
    const entries = [
      entry({ run: 'x', upstream: 'a'.repeat(16) }),
      entry({ stage: 't', run: 'y', upstream: 'b'.repeat(16) }),
    ];
    expect(
      findCached(entries, { stage: 's', key: 'k', specHash: 'h', upstream: 'a'.repeat(16) }, at(60), maxAge)?.run,
    ).toBe('x');
    expect(
      findCached(entries, { stage: 't', key: 'k', specHash: 'h', upstream: 'a'.repeat(16) }, at(60), maxAge),
    ).toBeUndefined();
  });
});

describe('data versions and upstreamOf', () => {
  const s = (name: string, over: Partial<StageStatus> = {}): StageStatus => ({
    name,
    phase: 'Succeeded',
    completionTime: iso(T0),
    ...over,
  });
  const v = 'c'.repeat(16);

  it.each<[string, StageStatus | undefined, string | undefined]>([
    ['ran in this run: its own (stage, run, completion)', s('a'), resultVersion('a', 'r9', iso(T0))],
    ['served: the version it was served', s('a', { reason: 'Cached', cachedFrom: 'r1', dataVersion: v }), v],
    ['kept by a retry: the version it was kept with', s('a', { reason: 'FromRun', dataVersion: v }), v],
    ['served without a version (an older status): unknown', s('a', { reason: 'Cached', cachedFrom: 'r1' }), undefined],
    ['served with a malformed version: unknown', s('a', { reason: 'Cached', dataVersion: 'zz' }), undefined],
    ['not succeeded: none', s('a', { phase: 'Running' }), undefined],
    ['no status: none', undefined, undefined],
  ])('dataVersionOf: %s', (_what, status, expected) => expect(dataVersionOf(status, 'r9', at(60))).toBe(expected));

  it('an entry has the version of the result it records', () => {
    expect(entryVersion(entry({ stage: 'a', run: 'r9', time: iso(T0) }))).toBe(resultVersion('a', 'r9', iso(T0)));
  });

  it("upstreamOf: '' without dependencies, a hash of the dependencies' versions (order-free), undefined when one is unknown", () => {
    const versions: Record<string, string> = { a: 'a'.repeat(16), b: 'b'.repeat(16) };
    const of = (name: string) => versions[name];
    expect(upstreamOf(stage('x'), of)).toBe('');
    const ab = upstreamOf(stage('x', ['a', 'b']), of);
    expect(ab).toMatch(/^[0-9a-f]{16}$/);
    expect(upstreamOf(stage('x', ['b', 'a', 'b']), of)).toBe(ab);
    expect(upstreamOf(stage('x', ['a']), of)).not.toBe(ab);
    expect(upstreamOf(stage('x', ['a', 'b']), (n) => (n === 'a' ? 'd'.repeat(16) : of(n)))).not.toBe(ab);
    expect(upstreamOf(stage('x', ['a', 'ghost']), of)).toBeUndefined();
  });
});

describe('recordCached', () => {
  it('puts the new entry first', () => {
    expect(recordCached([entry({ key: 'a' })], entry({ key: 'b' })).map((e) => e.key)).toEqual(['b', 'a']);
  });

  it('keeps one entry per (stage, key): the new one replaces the old, even of another spec', () => {
    const out = recordCached(
      [entry({ key: 'a' }), entry({ run: 'r1' }), entry({ stage: 't' })],
      entry({ run: 'r2', specHash: 'h2' }),
    );
    expect(out.map((e) => `${e.stage}/${e.key}/${e.run}`)).toEqual(['s/k/r2', 's/a/r1', 't/k/r1']);
  });

  it('never replaces a newer result by an older one (recorded again after a lost status)', () => {
    const newer = entry({ run: 'r2', time: iso(at(60)) });
    expect(recordCached([newer], entry({ run: 'r1', time: iso(at(10)) }))).toEqual([newer]);
  });

  it(`is bounded: at most ${MAX_CACHE_ENTRIES}, the oldest fall off`, () => {
    let entries: CacheEntry[] = [];
    for (let i = 0; i < MAX_CACHE_ENTRIES + 5; i++) entries = recordCached(entries, entry({ key: `k${i}` }));
    expect(entries).toHaveLength(MAX_CACHE_ENTRIES);
    expect(entries[0]?.key).toBe(`k${MAX_CACHE_ENTRIES + 4}`);
    expect(entries.at(-1)?.key).toBe('k5');
  });

  it('does not change its input', () => {
    const before = [entry()];
    recordCached(before, entry({ key: 'x' }));
    expect(before).toEqual([entry()]);
  });
});

describe('cacheEntriesOf and updateCache', () => {
  it('drops malformed entries', () => {
    const good = entry();
    const withUpstream = { ...good, upstream: 'a'.repeat(16) };
    expect(
      cacheEntriesOf([
        good,
        null,
        'x',
        { ...good, run: 3 },
        { ...good, time: 'never' },
        { ...good, specHash: '' },
        { ...good, upstream: 'x' },
        withUpstream,
      ]),
    ).toEqual([good, withUpstream]);
    expect(cacheEntriesOf(undefined)).toEqual([]);
    expect(cacheEntriesOf({})).toEqual([]);
  });

  it('records new entries in order (the last one added ends first) and keeps an empty cache absent', () => {
    expect(updateCache(undefined, [])).toBeUndefined();
    expect(updateCache([entry()], [])).toEqual([entry()]);
    const out = updateCache([entry({ key: 'old' })], [entry({ key: 'a' }), entry({ key: 'b' })]);
    expect(out?.map((e) => e.key)).toEqual(['b', 'a', 'old']);
  });
});

describe('cachedStage and succeededEntries', () => {
  const cached = stage('extract', undefined, {
    args: ['$(params.day)'],
    cache: { key: 'orders-$(params.day)', maxAge: '2h' },
  });
  const p = pipeline({ stages: [cached, stage('load', ['extract'])] });
  const values = { params: { day: '2026-11-02' } };
  const hash = stageSpecHash(effectiveStage(p, cached));
  const recorded = [entry({ stage: 'extract', key: 'orders-2026-11-02', specHash: hash, run: 'm1', time: iso(T0) })];

  const decided = () => undefined;

  it('serves a hit as Succeeded/Cached with the run it came from, its data version and a StageCached event', () => {
    const hit = cachedStage(p, cached, { entries: recorded, values, runId: 'm2', now: at(60), decided });
    expect(hit?.status).toEqual({
      name: 'extract',
      phase: 'Succeeded',
      reason: 'Cached',
      cachedFrom: 'm1',
      dataVersion: resultVersion('extract', 'm1', iso(T0)),
      message: `cached: key "orders-2026-11-02", result of run m1 (${iso(T0)})`,
      startTime: iso(at(60)),
      completionTime: iso(at(60)),
    });
    expect(hit?.event).toEqual({
      type: 'Normal',
      reason: 'StageCached',
      message: 'run m2: stage "extract" served from the cache (key "orders-2026-11-02", run m1)',
    });
  });

  it.each<[string, Partial<Parameters<typeof cachedStage>[2]>, StageSpec?]>([
    ['another key', { values: { params: { day: '2026-11-03' } } }],
    ['--no-cache', { values: { ...values, noCache: true } }],
    ['older than maxAge (2h)', { now: at(2 * 3600) }],
    ['a stage without cache', {}, stage('extract', undefined, { args: ['$(params.day)'] })],
    ['a changed spec', {}, { ...cached, args: ['--day', '$(params.day)'] }],
  ])('misses on %s', (_what, over, spec = cached) => {
    expect(
      cachedStage(p, spec, { entries: recorded, values, runId: 'm2', now: at(60), decided, ...over }),
    ).toBeUndefined();
  });

  it('serves a stage with dependencies only when they have the versions its entry records', () => {
    const load = stage('load', ['extract'], { cache: { key: 'load' } });
    const p2 = pipeline({ stages: [cached, load] });
    const upstream = upstreamOf(load, () => 'e'.repeat(16)) ?? '';
    const entries = [
      entry({ stage: 'load', key: 'load', specHash: stageSpecHash(effectiveStage(p2, load)), run: 'm1', upstream }),
    ];
    const served = (dataVersion: string) => () => ({
      name: 'extract',
      phase: 'Succeeded' as const,
      reason: 'Cached',
      cachedFrom: 'm1',
      dataVersion,
    });
    expect(
      cachedStage(p2, load, { entries, values, runId: 'm2', now: at(60), decided: served('e'.repeat(16)) })?.status
        .cachedFrom,
    ).toBe('m1');
    expect(
      cachedStage(p2, load, { entries, values, runId: 'm2', now: at(60), decided: served('f'.repeat(16)) }),
    ).toBeUndefined();
    const ranAgain = () => ({ name: 'extract', phase: 'Succeeded' as const, completionTime: iso(at(30)) });
    expect(cachedStage(p2, load, { entries, values, runId: 'm2', now: at(60), decided: ranAgain })).toBeUndefined();
  });

  it('records the stages with cache that succeeded in a run, whatever its phase (an active, failed or cancelled run too), not cached or kept ones, not ones already recorded', () => {
    const other = stage('other', undefined, { cache: { key: 'o' } });
    const p2 = pipeline({ stages: [cached, other, stage('load', ['extract'])] });
    const run = {
      id: 'm3',
      trigger: 'manual' as const,
      phase: 'Succeeded' as const,
      stages: [
        { name: 'extract', phase: 'Succeeded' as const, completionTime: iso(at(30)) },
        { name: 'other', phase: 'Succeeded' as const, reason: 'Cached', cachedFrom: 'm1' },
        { name: 'load', phase: 'Succeeded' as const },
      ],
    };
    const extractEntry = [{ stage: 'extract', key: 'orders-2026-11-02', specHash: hash, run: 'm3', time: iso(at(30)) }];
    expect(succeededEntries(p2, run, values, at(90))).toEqual(extractEntry);
    const kept = { ...run, stages: [{ name: 'extract', phase: 'Succeeded' as const, reason: 'FromRun' }] };
    expect(succeededEntries(p2, kept, values, at(90))).toEqual([]);
    for (const phase of ['Failed', 'Cancelled', 'Running'] as const)
      expect(succeededEntries(p2, { ...run, phase }, values, at(90))).toEqual(extractEntry);
    expect(succeededEntries(p2, run, values, at(90), new Set(['extract']))).toEqual([]);
    const failedExtract = { ...run, phase: 'Failed' as const, stages: [{ name: 'extract', phase: 'Failed' as const }] };
    expect(succeededEntries(p2, failedExtract, values, at(90))).toEqual([]);
  });

  it('records a stage with dependencies with their versions (upstream); not when one is unknown', () => {
    const load = stage('load', ['extract'], { cache: { key: 'load' } });
    const p2 = pipeline({ stages: [cached, load] });
    const run = (extract: StageStatus) => ({
      id: 'm3',
      trigger: 'manual' as const,
      phase: 'Running' as const,
      stages: [extract, { name: 'load', phase: 'Succeeded' as const, completionTime: iso(at(40)) }],
    });
    const ran = { name: 'extract', phase: 'Succeeded' as const, completionTime: iso(at(30)) };
    const [, loadEntry] = succeededEntries(p2, run(ran), values, at(90));
    expect(loadEntry?.upstream).toBe(upstreamOf(load, () => resultVersion('extract', 'm3', iso(at(30)))));
    const served = {
      name: 'extract',
      phase: 'Succeeded' as const,
      reason: 'Cached',
      cachedFrom: 'm1',
      dataVersion: 'a'.repeat(16),
    };
    expect(succeededEntries(p2, run(served), values, at(90))).toEqual([
      expect.objectContaining({ stage: 'load', upstream: upstreamOf(load, () => 'a'.repeat(16)) }),
    ]);
    expect(succeededEntries(p2, run({ ...served, dataVersion: undefined } as StageStatus), values, at(90))).toEqual([]);
  });
});

// The planner with cached stages, end to end over the fake cluster: a hit creates no Job and lets
// downstream go on; successes of whole runs are recorded; memory keeps a Cached stage.
describe('the planner with cached stages', () => {
  const RUN = 'conveyor.dev/run-requested';
  const extract = stage('extract', undefined, { args: ['--all'], cache: { key: 'orders-all', maxAge: '1h' } });
  const spec = () => ({ stages: [extract, stage('load', ['extract'])] });
  const extractRun = (s: PipelineStatus | undefined) => s?.lastRun?.stages?.find((x) => x.name === 'extract');

  /** Run g1 to success: extract and load each ran once. */
  const afterFirstRun = () => afterRunG1(spec(), { state: 'succeeded', at: at(30) });
  /** Run g1 to failure: extract succeeded, load failed. */
  const afterFailedRun = () => afterRunG1(spec(), { state: 'failed' });

  it('records the cached stage of a run that succeeded (not its uncached stages)', () => {
    const cluster = afterFirstRun();
    expect(cluster.pipeline.status?.lastRun?.phase).toBe('Succeeded');
    expect(cluster.pipeline.status?.cache).toEqual([
      {
        stage: 'extract',
        key: 'orders-all',
        specHash: stageSpecHash(effectiveStage(cluster.pipeline, extract)),
        run: 'g1',
        time: iso(at(10)),
      },
    ]);
  });

  it('a second run with the same key: no Job for the stage, Succeeded/Cached from g1, an Event, downstream runs', () => {
    const cluster = afterFirstRun();
    cluster.annotate(RUN, 'again');
    const second = cluster.reconcile(at(60));
    const id = second.status.lastRun?.id ?? '';
    expect(createdStages(second)).toEqual(['load']);
    expect(extractRun(second.status)).toMatchObject({ phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' });
    expect(extractRun(second.status)?.message).toContain('"orders-all"');
    expect(second.events).toContainEqual({
      type: 'Normal',
      reason: 'StageCached',
      message: `run ${id}: stage "extract" served from the cache (key "orders-all", run g1)`,
    });
    expect(second.status.progress).toBe('1/2');

    // Later plans remember it: no Job, no second Event.
    const later = cluster.reconcile(at(61));
    expect(createdJobs(later)).toEqual([]);
    expect(eventReasons(later)).not.toContain('StageCached');
    cluster.set('load', { state: 'succeeded', at: at(70) });
    const done = cluster.reconcile(at(80));
    expect(done.status.lastRun?.phase).toBe('Succeeded');
    expect(cluster.jobsOf('extract')).toHaveLength(1);
    // A cached result is not recorded again: its age counts from when it was computed.
    expect(done.status.cache?.map((e) => [e.run, e.time])).toEqual([['g1', iso(at(10))]]);
  });

  it('expires after maxAge: the stage runs again and its new result replaces the old', () => {
    const cluster = afterFirstRun();
    cluster.annotate(RUN, 'late');
    const late = cluster.reconcile(at(10 + 3600));
    expect(createdStages(late)).toEqual(['extract']);
    const id = late.status.lastRun?.id ?? '';
    cluster.set('extract', { state: 'succeeded', at: at(3700) });
    cluster.reconcile(at(3710));
    cluster.set('load', { state: 'succeeded', at: at(3720) });
    expect(cluster.reconcile(at(3730)).status.cache?.map((e) => e.run)).toEqual([id]);
  });

  it('a run request with noCache (conveyor run --no-cache) runs it and records the fresh result; one with other params uses another key', () => {
    const cluster = afterRunG1(
      {
        params: [{ name: 'day', default: 'd1' }],
        stages: [{ ...extract, cache: { key: 'orders-$(params.day)' } }, stage('load', ['extract'])],
      },
      { state: 'succeeded', at: at(30) },
    );
    const request = (value: string, options: object, seconds: number) => {
      cluster.annotate(RUN, value);
      cluster.annotate('conveyor.dev/run-options', JSON.stringify({ request: value, ...options }));
      return cluster.reconcile(at(seconds));
    };
    const bypass = request('fresh', { noCache: true }, 60);
    expect(bypass.status.lastRun?.noCache).toBe(true);
    expect(createdStages(bypass)).toEqual(['extract']);
    cluster.set('extract', { state: 'succeeded', at: at(70) });
    cluster.reconcile(at(75));
    cluster.set('load', { state: 'succeeded', at: at(80) });
    const done = cluster.reconcile(at(90));
    expect(done.status.cache?.map((e) => [e.key, e.run])).toEqual([['orders-d1', bypass.status.lastRun?.id]]);

    expect(createdStages(request('other-day', { params: { day: 'd2' } }, 100))).toEqual(['extract']);
    expect(createdStages(request('same-day', { params: { day: 'd1' } }, 110))).toEqual(['load']);
  });

  it('a change of the stage spec runs it again', () => {
    const cluster = afterFirstRun();
    cluster.edit((s) => {
      s.stages[0] = { ...extract, args: ['--all', '--verbose'] };
    });
    expect(createdStages(cluster.reconcile(at(60)))).toEqual(['extract']);
  });

  it('a change elsewhere in the pipeline (another stage) still uses the cache', () => {
    const cluster = afterFirstRun();
    cluster.edit((s) => {
      s.stages[1] = stage('load', ['extract'], { args: ['--fast'] });
    });
    const changed = cluster.reconcile(at(60));
    expect(createdStages(changed)).toEqual(['load']);
    expect(extractRun(changed.status)?.reason).toBe('Cached');
  });

  it('a failed run records the cached stages that succeeded in it: the next run does not redo them', () => {
    const cluster = afterFailedRun();
    expect(cluster.pipeline.status?.lastRun?.phase).toBe('Failed');
    expect(cluster.pipeline.status?.cache?.map((e) => [e.stage, e.run])).toEqual([['extract', 'g1']]);
    cluster.annotate(RUN, 'again');
    const next = cluster.reconcile(at(60));
    expect(createdStages(next)).toEqual(['load']);
    expect(extractRun(next.status)).toMatchObject({ phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' });
  });

  it('a retry keeps the stages of the retried run as they were (FromRun, not Cached)', () => {
    const cluster = afterFailedRun();
    cluster.annotate('conveyor.dev/retry-requested', 'once');
    const retry = cluster.reconcile(at(60));
    expect(createdStages(retry)).toEqual(['load']);
    expect(extractRun(retry.status)).toMatchObject({ phase: 'Succeeded', reason: 'FromRun' });
    expect(eventReasons(retry)).not.toContain('StageCached');
  });

  it('an invalid generation keeps the cache', () => {
    const cluster = afterFirstRun();
    cluster.edit((s) => {
      s.stages[1] = stage('load', ['ghost']);
    });
    cluster.problems = [{ path: 'spec.stages[1].dependsOn[0]', message: 'unknown stage "ghost"' }];
    expect(cluster.reconcile(at(60)).status.cache?.map((e) => e.run)).toEqual(['g1']);
  });

  it("a scheduled tick whose cached root is served deletes the CronJob's suspended Job instead of starting it", () => {
    const cluster = new FakeCluster(pipeline({ ...spec(), schedule: '0 * * * *' }));
    cluster.reconcile(at(0));
    const tick = (n: number) => at(n * 3600);
    cluster.tick(tick(1));
    cluster.reconcile(at(3601));
    cluster.set('extract', { state: 'succeeded', at: at(3610) });
    cluster.reconcile(at(3620));
    cluster.set('load', { state: 'succeeded', at: at(3630) });
    cluster.reconcile(at(3640));
    expect(cluster.pipeline.status?.cache).toHaveLength(1);

    // maxAge is 1h: a tick 50 minutes later reuses it.
    cluster.edit((s) => {
      s.stages[0] = { ...extract, cache: { key: 'orders-all', maxAge: '2h' } };
    });
    cluster.reconcile(at(3650));
    const [suspended] = cluster.tick(tick(2));
    const second = cluster.reconcile(at(7201));
    expect(second.actions.filter((a) => a.kind === 'startJob')).toEqual([]);
    expect(deletedJobs(second)).toEqual([suspended?.metadata?.name]);
    expect(createdStages(second)).toEqual(['load']);
    expect(extractRun(second.status)).toMatchObject({ phase: 'Succeeded', reason: 'Cached' });
  });
});

describe('advanceRun: --no-cache and the run values', () => {
  const extract = stage('extract', undefined, { cache: { key: 'orders-$(params.day)' } });
  const p = pipeline({ stages: [extract] });
  const hash = stageSpecHash(effectiveStage(p, extract));
  const cacheEntries = [
    entry({ stage: 'extract', key: 'orders-2026-11-02', specHash: hash, run: 'm1', time: iso(T0) }),
  ];
  const advance = (values: RunValues) =>
    advanceRun({ pipeline: p, runId: 'm2', trigger: 'manual', generation: 1, values, cacheEntries, now: at(60) });

  it('serves the stage when the key the values give matches', () => {
    const progress = advance({ params: { day: '2026-11-02' } });
    expect(progress.actions).toEqual([]);
    expect(progress.run).toMatchObject({
      phase: 'Succeeded',
      stages: [{ name: 'extract', reason: 'Cached', cachedFrom: 'm1' }],
    });
    // Served from the cache: nothing new to record.
    expect(progress.cacheEntries).toBeUndefined();
  });

  it('runs it for another key, and for a run started with --no-cache', () => {
    expect(advance({ params: { day: '2026-11-03' } }).actions.map((a) => a.kind)).toEqual(['createJob']);
    expect(advance({ params: { day: '2026-11-02' }, noCache: true }).actions.map((a) => a.kind)).toEqual(['createJob']);
  });

  it('a run with --no-cache that succeeds records its fresh result', () => {
    const p2 = pipeline({ stages: [extract] });
    const jobs = [job(p2, 'extract', 'm2', { state: 'succeeded', at: at(50) })];
    const progress = advanceRun({
      pipeline: p2,
      runId: 'm2',
      trigger: 'manual',
      generation: 1,
      values: { params: { day: '2026-11-02' }, noCache: true },
      cacheEntries,
      observed: observeRuns('uid-1', jobs, [], new Set()).get('m2'),
      now: at(60),
    });
    expect(progress.run.phase).toBe('Succeeded');
    expect(progress.cacheEntries).toEqual([
      { stage: 'extract', key: 'orders-2026-11-02', specHash: hash, run: 'm2', time: iso(at(50)) },
    ]);
  });
});

describe('run memory keeps a Cached stage', () => {
  it('summarize keeps it for an active run that is not lastRun', () => {
    const summary = summarize({
      id: 's1',
      trigger: 'schedule',
      phase: 'Running',
      stages: [
        { name: 'extract', phase: 'Succeeded', reason: 'Cached', cachedFrom: 's0', message: 'cached: …' },
        { name: 'load', phase: 'Running', job: 'etl-load-s1' },
      ],
    });
    expect(summary.stages?.[0]).toMatchObject({
      name: 'extract',
      phase: 'Succeeded',
      reason: 'Cached',
      cachedFrom: 's0',
    });
  });
});

describe('status.cache in the status schema', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  const validate = ajv.compile(PipelineStatusSchema);

  it('accepts what the planner writes: entries and a Cached stage with cachedFrom', () => {
    const cluster = afterRunG1(
      { stages: [stage('extract', undefined, { cache: { key: 'k' } }), stage('load', ['extract'])] },
      { state: 'succeeded' },
    );
    cluster.annotate('conveyor.dev/run-requested', 'again');
    const status = cluster.reconcile(at(60)).status;
    expect(status.lastRun?.stages?.[0]?.cachedFrom).toBe('g1');
    validate(status);
    expect(validate.errors ?? []).toEqual([]);
  });

  it(`a full cache (${MAX_CACHE_ENTRIES} entries, longest stage names and keys) stays under 10% of what etcd stores per object`, () => {
    let entries: CacheEntry[] = [];
    for (let i = 0; i < MAX_CACHE_ENTRIES; i++) {
      const e = entry({
        stage: 's'.repeat(60) + String(i).padStart(3, '0'),
        key: 'k'.repeat(MAX_CACHE_KEY_LENGTH),
        specHash: 'f'.repeat(16),
        run: 'm0123456789abcdef',
      });
      entries = recordCached(entries, e);
    }
    validate({ cache: entries });
    expect(validate.errors ?? []).toEqual([]);
    expect(jsonBytes({ cache: entries })).toBeLessThan(MAX_OBJECT_BYTES / 10);
  });
});

describe('conveyor describe', () => {
  it('shows a Cached stage with the run its result came from', () => {
    const p = pipeline(
      { stages: [stage('extract', undefined, { cache: { key: 'k' } }), stage('load', ['extract'])] },
      {
        status: {
          lastRun: {
            id: 'm2',
            trigger: 'manual',
            phase: 'Running',
            stages: [
              {
                name: 'extract',
                phase: 'Succeeded',
                reason: 'Cached',
                cachedFrom: 'g1',
                startTime: iso(T0),
                completionTime: iso(T0),
              },
              { name: 'load', phase: 'Running', startTime: iso(T0) },
            ],
          },
        },
      },
    );
    const extractLine = drawDag(p, at(5))
      .split('\n')
      .find((l) => l.includes('extract'));
    expect(extractLine).toMatch(/✔ extract\s+Succeeded .*\(cached: result of run g1\)$/);
  });
});
