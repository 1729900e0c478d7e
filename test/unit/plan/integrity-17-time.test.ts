// Issue 17, cases 1 and 10: a run's logical time is the end of the data interval it processes,
// and on DST days every hour is processed once, by runs with distinct logical dates. Driven
// through plan() and the FakeCluster with the shipped examples/daily-orders.yaml.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PipelineSpec, RunStatus, RunSummary } from '../../../src/api/types.ts';
import { nextScheduleTimes } from '../../../src/api/cron.ts';
import { extraTickMessage, scheduledRunTimes, type RunTimes } from '../../../src/plan/values/logical-time.ts';
import { scheduledRunId } from '../../../src/plan/names.ts';
import { logicalDate } from '../../../src/plan/values/substitute.ts';
import { FakeCluster, pipeline } from './fixtures.ts';

const MINUTE = 60_000;

/** examples/daily-orders.yaml as shipped, optionally with another schedule. */
function dailyOrders(schedule?: string): FakeCluster {
  const doc = parse(readFileSync(new URL('../../../examples/daily-orders.yaml', import.meta.url), 'utf8')) as {
    spec: PipelineSpec;
  };
  const spec = schedule ? { ...doc.spec, schedule } : doc.spec;
  return new FakeCluster(pipeline(spec, { name: 'daily-orders' }));
}

function runOf(cluster: FakeCluster, id: string): RunStatus | RunSummary | undefined {
  const status = cluster.pipeline.status;
  return status?.lastRun?.id === id ? status.lastRun : status?.runs?.find((r) => r.id === id);
}

const later = (time: Date, minutes: number) => new Date(time.getTime() + minutes * MINUTE);

/** Every stage Job of run `id` succeeds as soon as it exists, until the run ends; returns the time it ended. */
function runToEnd(cluster: FakeCluster, id: string, from: Date): Date {
  let now = from;
  for (let step = 0; step < 12; step++) {
    for (const job of cluster.jobs.values()) {
      const labels = job.metadata?.labels ?? {};
      if (labels['conveyor.dev/run'] !== id || job.spec?.suspend === true || job.status?.completionTime) continue;
      cluster.setIn(id, labels['conveyor.dev/stage'] ?? '', { state: 'succeeded', at: now });
    }
    now = later(now, 1);
    cluster.reconcile(now);
    const phase = runOf(cluster, id)?.phase;
    if (phase !== 'Running' && phase !== 'Pending') return now;
  }
  throw new Error(`run ${id} did not end: ${JSON.stringify(runOf(cluster, id))}`);
}

/** The CronJobs fire at `tick`; the run that makes is driven to its end. */
function tickAndRun(cluster: FakeCluster, tick: Date): Date {
  cluster.tick(tick);
  cluster.reconcile(later(tick, 0.1));
  return runToEnd(cluster, scheduledRunId(tick), later(tick, 0.1));
}

/** `conveyor run` at `now` (the run-requested annotation); returns the run's id. */
function manualRun(cluster: FakeCluster, request: string, now: Date): string {
  cluster.annotate('conveyor.dev/run-requested', request);
  const id = cluster.reconcile(now).status.lastRun?.id ?? '';
  expect(runOf(cluster, id)?.trigger).toBe('manual');
  return id;
}

const stageOf = (run: RunStatus | RunSummary | undefined, name: string) => run?.stages?.find((s) => s.name === name);

describe('issue 17 case 1: a manual run processes the last complete interval and takes its logical date', () => {
  // 0 3 * * * Europe/Berlin: in November 03:00 Berlin is 02:00Z.
  const tick1104 = new Date('2026-11-04T02:00:00Z');
  const tick1105 = new Date('2026-11-05T02:00:00Z');
  const manualAt = new Date('2026-11-05T00:30:00Z'); // 01:30 Berlin, before that night's tick

  it('a manual run at 01:30 Berlin gets the 11-04 tick as logical time: the interval it processes ends there', () => {
    const cluster = dailyOrders();
    cluster.reconcile(new Date('2026-11-01T00:00:00Z'));
    const id = manualRun(cluster, 'by-hand', manualAt);
    expect(runOf(cluster, id)).toMatchObject({
      logicalTime: '2026-11-04T02:00:00Z',
      intervalStart: '2026-11-03T02:00:00Z',
      intervalEnd: '2026-11-04T02:00:00Z',
    });
    const extract = [...cluster.jobs.values()].find((j) => j.metadata?.labels?.['conveyor.dev/run'] === id);
    expect(extract?.metadata?.annotations?.['conveyor.dev/logical-date']).toBe('2026-11-04');
  });

  it('the 11-05 tick after that manual run extracts 11-05: it is not served the manual run’s entry', () => {
    const cluster = dailyOrders();
    cluster.reconcile(new Date('2026-11-01T00:00:00Z'));
    const id = manualRun(cluster, 'by-hand', manualAt);
    runToEnd(cluster, id, manualAt);
    expect(cluster.pipeline.status?.cache?.map((e) => e.key)).toEqual(expect.arrayContaining(['orders-eu-2026-11-04']));
    expect(cluster.pipeline.status?.cache?.map((e) => e.key)).not.toContain('orders-eu-2026-11-05');

    cluster.tick(tick1105);
    const started = cluster.reconcile(later(tick1105, 0.1));
    const tickRun = scheduledRunId(tick1105);
    // The tick's extract root Job is started, not deleted as served from the cache.
    expect(started.actions.some((a) => a.kind === 'startJob')).toBe(true);
    expect(stageOf(runOf(cluster, tickRun), 'extract')?.reason).not.toBe('Cached');
    runToEnd(cluster, tickRun, later(tick1105, 0.1));
    expect(stageOf(runOf(cluster, tickRun), 'extract')).toMatchObject({ phase: 'Succeeded' });
    expect(stageOf(runOf(cluster, tickRun), 'extract')?.reason).not.toBe('Cached');
    expect(
      cluster.pipeline.status?.cache?.find((e) => e.key === 'orders-eu-2026-11-05' && e.stage === 'extract')?.run,
    ).toBe(tickRun);
  });

  it('after the 11-04 tick ran, a manual run at 01:30 processes the same interval and is served its entries', () => {
    const cluster = dailyOrders();
    cluster.reconcile(new Date('2026-11-01T00:00:00Z'));
    const tickRun = scheduledRunId(tick1104);
    tickAndRun(cluster, tick1104);
    const id = manualRun(cluster, 'by-hand', manualAt);
    expect(runOf(cluster, id)).toMatchObject({
      logicalTime: runOf(cluster, tickRun)?.logicalTime,
      intervalStart: runOf(cluster, tickRun)?.intervalStart,
    });
    expect(stageOf(runOf(cluster, id), 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: tickRun });
  });

  it('kubectl create job --from=cronjob at 01:30 Berlin follows the same rule', () => {
    const cluster = dailyOrders();
    cluster.reconcile(new Date('2026-11-01T00:00:00Z'));
    const cronName = [...cluster.cronJobs.keys()][0] ?? '';
    cluster.createJobFrom(cronName, 'by-hand', manualAt);
    cluster.reconcile(later(manualAt, 0.1));
    const manual = [...(cluster.pipeline.status?.runs ?? [])].find((r) => r.trigger === 'manual');
    expect(manual).toMatchObject({
      logicalTime: '2026-11-04T02:00:00Z',
      intervalStart: '2026-11-03T02:00:00Z',
      intervalEnd: '2026-11-04T02:00:00Z',
    });
  });

  it('--at exactly at a tick is that tick’s run; --at between ticks is the tick before', () => {
    const cluster = dailyOrders();
    cluster.reconcile(new Date('2026-11-01T00:00:00Z'));
    cluster.annotate('conveyor.dev/run-options', JSON.stringify({ request: 'one', at: '2026-11-05T02:00:00Z' }));
    const one = manualRun(cluster, 'one', later(tick1105, 10));
    expect(runOf(cluster, one)).toMatchObject({
      logicalTime: '2026-11-05T02:00:00Z',
      intervalStart: '2026-11-04T02:00:00Z',
    });
    cluster.annotate('conveyor.dev/run-options', JSON.stringify({ request: 'two', at: '2026-11-05T01:59:59Z' }));
    const two = manualRun(cluster, 'two', later(tick1105, 11));
    expect(runOf(cluster, two)).toMatchObject({
      logicalTime: '2026-11-04T02:00:00Z',
      intervalEnd: '2026-11-04T02:00:00Z',
    });
  });
});

describe('issue 17 case 10: DST — the fall-back double fire and the spring-forward missing tick', () => {
  // 0 2 * * * Europe/Berlin: 02:00 CEST is 00:00Z, 02:00 CET is 01:00Z; 2026-10-25 has both.
  const first = new Date('2026-10-25T00:00:00Z');
  const repeat = new Date('2026-10-25T01:00:00Z');
  const next = new Date('2026-10-26T01:00:00Z');

  function fallBack(): FakeCluster {
    const cluster = dailyOrders('0 2 * * *');
    cluster.reconcile(new Date('2026-10-20T00:00:00Z'));
    tickAndRun(cluster, new Date('2026-10-24T00:00:00Z'));
    tickAndRun(cluster, first);
    return cluster;
  }

  it('the second 02:00 on 2026-10-25 is Skipped with its reason: no Job runs, nothing is served from the first one’s cache', () => {
    const cluster = fallBack();
    const created = cluster.tick(repeat);
    expect(created.length).toBeGreaterThan(0); // the CronJob controller does fire it
    const result = cluster.reconcile(later(repeat, 0.1));
    const skipped = runOf(cluster, scheduledRunId(repeat));
    expect(skipped).toMatchObject({ phase: 'Skipped', trigger: 'schedule' });
    expect(skipped?.message).toContain('2026-10-25 02:00 (Europe/Berlin) came a second time as the clocks went back');
    expect(skipped?.message).toContain(`run ${scheduledRunId(first)}`);
    expect(result.actions.some((a) => a.kind === 'startJob')).toBe(false);
    expect(result.events.map((e) => e.reason)).toContain('RunSkipped');
    // Its suspended root Job is cleaned up like any skipped tick's.
    expect(result.actions.filter((a) => a.kind === 'deleteJob').map((a) => a.kind === 'deleteJob' && a.name)).toEqual(
      created.map((j) => j.metadata?.name),
    );
  });

  it('the 10-26 run processes the first 02:00 → 10-26 02:00 (25 hours), with its own logical date', () => {
    const cluster = fallBack();
    cluster.tick(repeat);
    cluster.reconcile(later(repeat, 0.1));
    tickAndRun(cluster, next);
    const run = runOf(cluster, scheduledRunId(next));
    expect(run).toMatchObject({
      phase: 'Succeeded',
      logicalTime: '2026-10-26T01:00:00Z',
      intervalStart: '2026-10-25T00:00:00Z',
      intervalEnd: '2026-10-26T01:00:00Z',
    });
    expect(stageOf(run, 'extract')?.reason).not.toBe('Cached');
    const keys = (cluster.pipeline.status?.cache ?? [])
      .filter((e) => e.stage === 'extract')
      .map((e) => `${e.key} ${e.run}`);
    expect(keys).toEqual(
      expect.arrayContaining([
        `orders-eu-2026-10-24 ${scheduledRunId(new Date('2026-10-24T00:00:00Z'))}`,
        `orders-eu-2026-10-25 ${scheduledRunId(first)}`,
        `orders-eu-2026-10-26 ${scheduledRunId(next)}`,
      ]),
    );
  });

  it('a backfill over the fall-back night has the ticks that run, not the repeat', () => {
    const cluster = dailyOrders('0 2 * * *');
    cluster.reconcile(new Date('2026-10-20T00:00:00Z'));
    const request = { id: 'bf-dst', from: '2026-10-24T00:00:00Z', to: '2026-10-27T00:00:00Z', maxActive: 1 };
    cluster.annotate('conveyor.dev/backfill-requested', JSON.stringify(request));
    const status = cluster.reconcile(new Date('2026-11-01T00:00:00Z')).status;
    expect(status.backfill).toMatchObject({ request: 'bf-dst', total: 3 });
  });

  it('02:30 Berlin: no tick on 2026-03-29 (as the CronJob), so the 03-30 run processes 47 hours', () => {
    const cluster = dailyOrders('30 2 * * *');
    cluster.reconcile(new Date('2026-03-25T00:00:00Z'));
    const before = new Date('2026-03-28T01:30:00Z');
    const after = new Date('2026-03-30T00:30:00Z');
    tickAndRun(cluster, before);
    tickAndRun(cluster, after);
    expect(runOf(cluster, scheduledRunId(after))).toMatchObject({
      phase: 'Succeeded',
      intervalStart: '2026-03-28T01:30:00Z',
      intervalEnd: '2026-03-30T00:30:00Z',
    });
    const keys = (cluster.pipeline.status?.cache ?? []).filter((e) => e.stage === 'extract').map((e) => e.key);
    expect(keys.sort()).toEqual(['orders-eu-2026-03-28', 'orders-eu-2026-03-30']);
  });
});

/** The runs a schedule makes in [from, to): the CronJob's ticks, less those the planner skips as repeats. */
function runsBetween(schedule: string, timeZone: string, from: string, to: string): RunTimes[] {
  const end = Date.parse(to);
  const ticks = nextScheduleTimes(schedule, timeZone, new Date(Date.parse(from) - 1000), 20_000).filter(
    (t) => t.getTime() < end,
  );
  return ticks
    .filter((t) => extraTickMessage({ schedule, timeZone }, t) === undefined)
    .map((t) => scheduledRunTimes({ schedule, timeZone }, t));
}

/** Consecutive intervals meet (no hour twice, none never); returns the hours covered. */
function expectContiguous(runs: RunTimes[]): number {
  for (let i = 1; i < runs.length; i++)
    expect(runs[i]?.intervalStart, `run ${i} starts where run ${i - 1} ended`).toBe(runs[i - 1]?.intervalEnd);
  for (const run of runs) expect(run.logicalTime).toBe(run.intervalEnd);
  return (Date.parse(runs.at(-1)?.intervalEnd ?? '') - Date.parse(runs[0]?.intervalStart ?? '')) / 3_600_000;
}

describe('issue 17 case 10: a year of runs covers every hour once, with distinct logical dates', () => {
  const example = parse(readFileSync(new URL('../../../examples/daily-orders.yaml', import.meta.url), 'utf8')) as {
    spec: PipelineSpec;
  };

  it.each<[string, string, string, number]>([
    ['examples/daily-orders.yaml', example.spec.schedule ?? '', example.spec.timeZone ?? '', 365],
    ['02:00 Berlin (fires twice on 10-25, not on 03-29)', '0 2 * * *', 'Europe/Berlin', 364],
    ['02:30 Berlin (no tick on 03-29)', '30 2 * * *', 'Europe/Berlin', 364],
    ['@daily Berlin', '@daily', 'Europe/Berlin', 365],
    ['01:30 New York (fires twice on 11-01)', '30 1 * * *', 'America/New_York', 365],
    ['02:30 New York (no tick on 03-08)', '30 2 * * *', 'America/New_York', 364],
    ['01:45 Lord Howe (fires twice on 04-05, and at 02:45 on 10-04)', '45 1 * * *', 'Australia/Lord_Howe', 365],
    ['01:30 Lord Howe (fires twice on 04-05, and at 02:30 on 10-04)', '30 1 * * *', 'Australia/Lord_Howe', 365],
  ])('%s: %s %s', (_case, schedule, timeZone, days) => {
    const runs = runsBetween(schedule, timeZone, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z');
    expect(runs).toHaveLength(days);
    const hours = expectContiguous(runs);
    // One year of hours between the first run's start and the last run's end (offsets cancel
    // out: the same wall-clock time a year apart, give or take the missing day).
    expect(Math.abs(hours - 365 * 24)).toBeLessThanOrEqual(48);
    const dates = runs.map((r) => logicalDate(r.logicalTime, timeZone));
    expect(new Set(dates).size).toBe(runs.length);
  });

  it.each<[string, string, string, [number, number]]>([
    // 72 UTC hours each; real time: a run per hour (half hour) whatever the clocks say.
    ['@hourly Berlin: real time, every hour one run', '@hourly', 'Europe/Berlin', [72, 72]],
    ['*/30 Berlin: real time', '*/30 * * * *', 'Europe/Berlin', [144, 144]],
    // Spring: 03-29 has no 02:00 and 02:45 (6 + 4 + 6, and 2 of 03-31 before 00:00Z). Fall: the
    // second 02:00 and 02:45 of 10-25 are skipped (4 of 10-24 from 00:00Z, 6, 6).
    ['0,45 1-3 Berlin: fixed hours, a wall-clock time once', '0,45 1-3 * * *', 'Europe/Berlin', [18, 16]],
  ])(
    '%s, across both 2026 changes: intervals meet and logical times are distinct',
    (_case, schedule, timeZone, counts) => {
      for (const [[from, to], count] of [
        [['2026-03-28T00:00:00Z', '2026-03-31T00:00:00Z'], counts[0]],
        [['2026-10-24T00:00:00Z', '2026-10-27T00:00:00Z'], counts[1]],
      ] as const) {
        const runs = runsBetween(schedule, timeZone, from, to);
        expect(runs).toHaveLength(count);
        expectContiguous(runs);
        expect(new Set(runs.map((r) => r.logicalTime)).size).toBe(runs.length);
        const hours = runs.map((r) => (Date.parse(r.intervalEnd) - Date.parse(r.intervalStart)) / 3_600_000);
        // Real time: no interval longer than the schedule's step; fixed hours: a wall-clock time once.
        if (schedule.includes('1-3'))
          expect(
            new Set(runs.map((r) => `${logicalDate(r.logicalTime, timeZone)} ${wallTime(r.logicalTime, timeZone)}`))
              .size,
          ).toBe(runs.length);
        else expect(Math.max(...hours)).toBe(schedule === '@hourly' ? 1 : 0.5);
      }
    },
  );

  it('the shipped example through the planner: a week around each 2026 change, every run’s interval meets the next', () => {
    const cluster = dailyOrders();
    const { schedule = '', timeZone = '' } = cluster.pipeline.spec;
    const seen: RunTimes[] = [];
    for (const from of ['2026-03-25T00:00:00Z', '2026-10-21T00:00:00Z']) {
      cluster.reconcile(new Date(from));
      for (const tick of nextScheduleTimes(schedule, timeZone, new Date(from), 7)) {
        tickAndRun(cluster, tick);
        const run = runOf(cluster, scheduledRunId(tick));
        expect(run?.phase).toBe('Succeeded');
        seen.push({
          logicalTime: run?.logicalTime ?? '',
          intervalStart: run?.intervalStart ?? '',
          intervalEnd: run?.intervalEnd ?? '',
        });
      }
      expectContiguous(seen.slice(-7));
    }
    expect(new Set(seen.map((r) => logicalDate(r.logicalTime, timeZone))).size).toBe(14);
    // The two DST days: 23 and 25 hours, each processed once (03:00 exists every day in Berlin).
    const hours = (r: RunTimes) => (Date.parse(r.intervalEnd) - Date.parse(r.intervalStart)) / 3_600_000;
    expect(seen.map(hours).filter((h) => h !== 24)).toEqual([23, 25]);
  });
});

function wallTime(time: string, timeZone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(time),
  );
}
