// Issue 17, cases 8, 9 and part of 12: no input stalls the operator, status stays within a
// bound, and every run that ends is reported. Each scenario failed before the fix it names.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { PipelineSpec, PipelineStatus } from '../../../src/api/types.ts';
import { nextScheduleTimes, previousScheduleTime } from '../../../src/api/cron.ts';
import { validatePipeline } from '../../../src/api/validate.ts';
import {
  ANN_BACKFILL_CANCEL,
  ANN_BACKFILL_REQUESTED,
  ANN_CANCEL_REQUESTED,
  ANN_RETRY_REQUESTED,
  ANN_RUN_OPTIONS,
  ANN_RUN_REQUESTED,
} from '../../../src/api/labels.ts';
import { FakeCluster, at, eventReasons, pipeline, stage } from './fixtures.ts';
import { expectValidStatus } from './status-check.ts';

/** examples/daily-orders.yaml, in short: daily at 03:00 Berlin. */
const daily = (extra: Partial<PipelineSpec> = {}): FakeCluster => {
  const cluster = new FakeCluster(
    pipeline({
      stages: [stage('extract'), stage('load', ['extract'])],
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      ...extra,
    }),
  );
  cluster.reconcile(at(0));
  return cluster;
};

const runs = (s: PipelineStatus | undefined) => [...(s?.lastRun ? [s.lastRun] : []), ...(s?.runs ?? [])];
const messages = (cluster: FakeCluster) => cluster.last?.events.map((e) => `${e.reason}: ${e.message}`) ?? [];

describe('issue 17 case 8: one annotation stalls the operator', () => {
  it.each([
    '+275760-09-13T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '1969-12-31T23:59:59Z',
    '10000-01-01T00:00:00Z',
    '2026-02-30T00:00:00Z',
  ])('run-options "at": %s is refused (RunRefused naming the field), the request is handled, no run starts', (time) => {
    const cluster = daily();
    cluster.annotate(ANN_RUN_OPTIONS, JSON.stringify({ request: 'go', at: time }));
    cluster.annotate(ANN_RUN_REQUESTED, 'go');
    cluster.reconcile(at(10));
    expect(messages(cluster)).toEqual([
      expect.stringMatching(/^RunRefused: run request "go" refused: run options: "at" must /),
    ]);
    expect(cluster.pipeline.status?.lastRunRequest).toBe('go');
    expect(runs(cluster.pipeline.status)).toEqual([]);
    expect(cluster.jobs.size).toBe(0);
    // Handled once: the next plan says nothing more.
    cluster.reconcile(at(20));
    expect(cluster.last?.events).toEqual([]);
  });

  it.each(['+275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z'])(
    'in UTC (no timeZone), where the schedule walk looped forever: "at" %s is refused',
    (time) => {
      const cluster = daily({ timeZone: undefined });
      cluster.annotate(ANN_RUN_OPTIONS, JSON.stringify({ at: time }));
      cluster.annotate(ANN_RUN_REQUESTED, 'go');
      cluster.reconcile(at(10));
      expect(messages(cluster)).toEqual([
        `RunRefused: run request "go" refused: run options: "at" must be an RFC 3339 time such as 2026-03-01T00:00:00Z, not "${time}"`,
      ]);
      expect(runs(cluster.pipeline.status)).toEqual([]);
    },
  );

  it('a valid "at" still runs, with the interval it names', () => {
    const cluster = daily();
    cluster.annotate(ANN_RUN_OPTIONS, JSON.stringify({ request: 'go', at: '2026-11-05T12:00:00+01:00' }));
    cluster.annotate(ANN_RUN_REQUESTED, 'go');
    cluster.reconcile(at(10));
    // 12:00+01:00 is 11:00Z; the last complete interval then ends at the 03:00 Berlin tick (02:00Z).
    expect(cluster.pipeline.status?.lastRun).toMatchObject({
      trigger: 'manual',
      logicalTime: '2026-11-05T02:00:00Z',
      intervalEnd: '2026-11-05T02:00:00Z',
    });
  });

  it.each([
    ['from', { from: '+275760-09-13T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    ['from', { from: '-271821-04-20T00:00:00Z', to: '2026-01-01T00:00:00Z' }],
    ['to', { from: '2026-01-01T00:00:00Z', to: '+275760-09-13T00:00:00Z' }],
  ])('backfill with an out-of-range %s is refused naming it', (field, range) => {
    const cluster = daily();
    cluster.annotate(ANN_BACKFILL_REQUESTED, JSON.stringify({ id: 'bf1', ...range }));
    cluster.reconcile(at(10));
    expect(messages(cluster)).toEqual([
      expect.stringMatching(
        new RegExp(`^BackfillRefused: backfill request refused: ${field}: must be an RFC 3339 time`),
      ),
    ]);
    expect(cluster.pipeline.status?.backfill).toBeUndefined();
  });

  it.each([
    [ANN_RUN_REQUESTED, 'RunRefused', 'lastRunRequest'],
    [ANN_RETRY_REQUESTED, 'RetryRefused', 'lastRetryRequest'],
    [ANN_CANCEL_REQUESTED, 'CancelRefused', 'lastCancelRequest'],
  ] as const)(
    '%s of 100,000 characters: %s naming the annotation; status records a digest, not the value',
    (key, reason, field) => {
      const cluster = daily();
      cluster.annotate(key, 'x'.repeat(100_000));
      cluster.reconcile(at(10));
      expect(messages(cluster)).toEqual([expect.stringContaining(`${reason}: `)]);
      expect(messages(cluster)[0]).toContain(`the value of ${key} is 100000 characters long; at most 256 are allowed`);
      expect(cluster.pipeline.status?.[field]).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(JSON.stringify(cluster.pipeline.status).length).toBeLessThan(2000);
      cluster.reconcile(at(20));
      expect(cluster.last?.events).toEqual([]);
    },
  );

  it('run-options of 100,000 characters (a parameter value) are refused; the backfill request too, and recorded as a digest', () => {
    const cluster = daily({ params: [{ name: 'note', default: '' }] });
    cluster.annotate(ANN_RUN_OPTIONS, JSON.stringify({ request: 'go', params: { note: 'x'.repeat(100_000) } }));
    cluster.annotate(ANN_RUN_REQUESTED, 'go');
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({
        id: 'bf1',
        from: '2026-01-01T00:00:00Z',
        to: '2026-01-03T00:00:00Z',
        params: { note: 'x'.repeat(100_000) },
      }),
    );
    cluster.reconcile(at(10));
    expect(messages(cluster).sort()).toEqual([
      expect.stringMatching(
        /^BackfillRefused: backfill request refused: request: is 100\d+ characters long; at most 16384 are allowed$/,
      ),
      expect.stringMatching(
        /^RunRefused: run request "go" refused: the run options \(conveyor.dev\/run-options\) are 100\d+ characters long; at most 16384 are allowed$/,
      ),
    ]);
    expect(cluster.pipeline.status?.lastBackfillRequest).toMatch(/^sha256:/);
    expect(runs(cluster.pipeline.status)).toEqual([]);
  });

  it('previousScheduleTime and nextScheduleTimes answer at once for any instant, also past the end of time', () => {
    for (const ms of [8.64e15, -8.64e15, Number.NaN, 253402300860000, -62135596800000]) {
      expect(previousScheduleTime('0 3 * * *', 'Europe/Berlin', new Date(ms))).toBeUndefined();
      expect(nextScheduleTimes('0 3 * * *', 'Europe/Berlin', new Date(ms), 3)).toEqual([]);
    }
    // At the last second RFC 3339 can write there is a previous tick, and no next one.
    expect(previousScheduleTime('0 3 * * *', 'Europe/Berlin', new Date('9999-12-31T23:59:59Z'))).toEqual(
      new Date('9999-12-31T02:00:00Z'),
    );
    expect(nextScheduleTimes('0 3 * * *', 'Europe/Berlin', new Date('9999-12-31T12:00:00Z'), 3)).toEqual([]);
  });
});

describe('issue 17 case 8: the Events of the refusals', () => {
  it('each refusal is one Warning', () => {
    const cluster = daily();
    cluster.annotate(ANN_RUN_OPTIONS, JSON.stringify({ request: 'go', at: '+275760-09-13T00:00:00Z' }));
    cluster.annotate(ANN_RUN_REQUESTED, 'go');
    cluster.reconcile(at(10));
    expect(eventReasons(cluster.last!)).toEqual(['RunRefused']);
    expect(cluster.last?.events[0]?.type).toBe('Warning');
    expectValidStatus(cluster.pipeline.status);
  });
});

describe('issue 17 case 8: hostile annotations never throw out of plan() nor stall it (fuzz)', () => {
  const extremeTimes = [
    '+275760-09-13T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '1970-01-01T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-11-05T01:30:00+01:00',
    'yesterday',
    '',
  ];
  const hostileString = fc.oneof(
    fc.constantFrom(...extremeTimes, 'g1', 'g1:x', 's1735707600:n', 'm00000000', '__proto__', 'constructor'),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.constantFrom('x'.repeat(300), 'y'.repeat(20_000)),
  );
  const hostileValue = fc.oneof(
    hostileString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const params = fc.oneof(
    fc.dictionary(fc.oneof(fc.constantFrom('table', 'note', 'TABLE'), fc.string({ maxLength: 8 })), hostileValue, {
      maxKeys: 4,
    }),
    hostileValue,
  );
  const runOptions = fc.record(
    {
      request: fc.oneof(fc.constant('go'), hostileValue),
      params,
      at: fc.oneof(fc.constantFrom(...extremeTimes), hostileValue),
      noCache: hostileValue,
      extra: hostileValue,
    },
    { requiredKeys: [] },
  );
  const backfill = fc.record(
    {
      id: fc.oneof(fc.constantFrom('bf1', 'bf2'), hostileValue),
      from: fc.oneof(fc.constantFrom(...extremeTimes), hostileValue),
      to: fc.oneof(fc.constantFrom(...extremeTimes), hostileValue),
      maxActive: hostileValue,
      params,
      rerun: hostileValue,
    },
    { requiredKeys: [] },
  );
  const asAnnotation = (value: fc.Arbitrary<unknown>) =>
    fc.oneof(
      value.map((v) => JSON.stringify(v) ?? ''),
      hostileString,
    );
  const annotations = fc.record(
    {
      [ANN_RUN_REQUESTED]: fc.oneof(fc.constant('go'), hostileString),
      [ANN_RUN_OPTIONS]: asAnnotation(runOptions),
      [ANN_RETRY_REQUESTED]: hostileString,
      [ANN_CANCEL_REQUESTED]: hostileString,
      [ANN_BACKFILL_REQUESTED]: asAnnotation(backfill),
      [ANN_BACKFILL_CANCEL]: fc.oneof(fc.constant('bf1'), hostileString),
    },
    { requiredKeys: [] },
  );

  it.each([
    ['scheduled, Europe/Berlin', { schedule: '0 3 * * *', timeZone: 'Europe/Berlin' }],
    ['scheduled, UTC', { schedule: '*/5 * * * *' }],
    ['unscheduled', {}],
  ])(
    '%s: every plan ends, throws nothing, and writes a status the CRD accepts',
    (_name, extra: Partial<PipelineSpec>) => {
      fc.assert(
        fc.property(annotations, fc.array(annotations, { maxLength: 2 }), (first, later) => {
          const cluster = new FakeCluster(
            pipeline({
              stages: [stage('extract'), stage('load', ['extract'])],
              params: [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }, { name: 'note' }],
              ...extra,
            }),
          );
          cluster.reconcile(at(0));
          let second = 1;
          for (const values of [first, ...later]) {
            for (const [key, value] of Object.entries(values)) cluster.annotate(key, value);
            cluster.reconcile(at(second++));
            expectValidStatus(cluster.pipeline.status);
            expect(JSON.stringify(cluster.pipeline.status).length).toBeLessThan(64 * 1024);
          }
        }),
        { seed: 17, numRuns: 150 },
      );
    },
  );
});

describe('issue 17 case 12: every run that ends has its Event', () => {
  const HOUR = 3600;
  const hourly = () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [stage('extract')], schedule: '0 * * * *', concurrencyPolicy: 'Allow' }),
    );
    cluster.reconcile(at(0));
    for (let n = 1; n <= 12; n++) {
      cluster.tick(at(n * HOUR));
      cluster.reconcile(at(n * HOUR + 1));
    }
    return cluster;
  };
  const active = (s: PipelineStatus | undefined) =>
    (s?.runs ?? []).filter((r) => r.phase === 'Running').map((r) => r.id);

  it('12 runs end in one plan: 12 RunSucceeded Events, though runs[] keeps ten finished runs', () => {
    const cluster = hourly();
    const ids = active(cluster.pipeline.status);
    expect(ids).toHaveLength(12);
    for (const id of ids) cluster.setIn(id, 'extract', { state: 'succeeded' });
    cluster.reconcile(at(13 * HOUR));
    expect(cluster.pipeline.status?.runs?.filter((r) => r.phase === 'Succeeded')).toHaveLength(10);
    const succeeded = cluster.last?.events.filter((e) => e.reason === 'RunSucceeded').map((e) => e.message) ?? [];
    expect(succeeded.sort()).toEqual(ids.map((id) => `run ${id} succeeded`).sort());
  });

  it('12 runs cancelled by an invalid spec: 12 RunCancelled Events', () => {
    const cluster = hourly();
    const ids = active(cluster.pipeline.status);
    cluster.edit((spec) => void (spec.stages = [stage('extract', ['extract'])]));
    cluster.problems = [{ path: 'spec.stages[0].dependsOn[0]', message: 'stage "extract" depends on itself' }];
    cluster.reconcile(at(13 * HOUR));
    const cancelled =
      cluster.last?.events.filter((e) => e.reason === 'RunCancelled').map((e) => e.message.split(' ')[1]) ?? [];
    expect(cancelled.sort()).toEqual([...ids].sort());
  });
});

describe('issue 17 case 12: parameters the spec cannot run with are refused', () => {
  const invalid = (params: PipelineSpec['params']) => {
    const p = pipeline({
      stages: [stage('a', undefined, { args: ['$(params.mode)'] })],
      schedule: '0 3 * * *',
      params,
    });
    const problems = validatePipeline(p);
    const cluster = new FakeCluster(p);
    cluster.problems = problems;
    cluster.reconcile(at(0));
    cluster.annotate(ANN_RUN_REQUESTED, 'go');
    cluster.reconcile(at(10));
    return { problems, cluster };
  };

  it('an enum without a default (a tick would run with "", outside the enum): the spec is Invalid, nothing runs', () => {
    const { problems, cluster } = invalid([{ name: 'mode', enum: ['full', 'delta'] }]);
    expect(problems).toEqual([
      {
        path: 'spec.params[0].enum',
        message:
          'parameter "mode" has an enum but no default: runs that give no value (ticks, chained runs, the Console) would get "", which is not in the enum',
      },
    ]);
    expect(cluster.pipeline.status?.phase).toBe('Invalid');
    expect(cluster.jobs.size).toBe(0);
  });

  it('"" in the enum is a default like any other: valid', () => {
    expect(
      validatePipeline(pipeline({ stages: [stage('a')], params: [{ name: 'mode', enum: ['', 'full'] }] })),
    ).toEqual([]);
  });

  it('names that differ only in case (one env var CONVEYOR_PARAM_DAY): the spec is Invalid, naming both', () => {
    const { problems, cluster } = invalid([{ name: 'mode', default: 'x' }, { name: 'day' }, { name: 'DAY' }]);
    expect(problems).toEqual([
      {
        path: 'spec.params[2].name',
        message:
          'parameters "day" and "DAY" differ only in case: both would be the environment variable CONVEYOR_PARAM_DAY',
      },
    ]);
    expect(cluster.pipeline.status?.phase).toBe('Invalid');
    expect(cluster.jobs.size).toBe(0);
  });
});
