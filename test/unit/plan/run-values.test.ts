// A run's values through the planner: decided once (request options, tick, upstream run, start),
// on the Jobs (env, substituted args, annotations), in status, and read back from there or from
// the Jobs after a lost status.
import { describe, expect, it } from 'vitest';
import type { V1Container, V1Job } from '@kubernetes/client-node';
import { buildStageJob, buildStageJobTemplate } from '../../../src/plan/run/job.ts';
import { at, FakeCluster, pipeline, stage, T0, eventReasons } from './fixtures.ts';

const params = [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }, { name: 'day' }];
const loader = stage('load', undefined, {
  command: ['load'],
  args: ['--table=$(params.table)', '--day=$(params.day)', '--at=$(run.logicalTime)', '$$(params.table)'],
  env: [
    { name: 'TARGET', value: '$(params.table)-$(run.logicalDate)' },
    { name: 'FROM_OURS', value: '$(CONVEYOR_PARAM_DAY)' },
  ],
});
const envOf = (c: V1Container | undefined) =>
  Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const containerOf = (job: V1Job | undefined) => job?.spec?.template.spec?.containers.find((c) => c.name === 'stage');

function requested(options: Record<string, unknown> | undefined, request = 'r1'): FakeCluster {
  const annotations: Record<string, string> = { 'conveyor.dev/run-requested': request };
  if (options) annotations['conveyor.dev/run-options'] = JSON.stringify({ request, ...options });
  const cluster = new FakeCluster(pipeline({ params, stages: [loader] }));
  cluster.reconcile(T0); // the create run
  cluster.set('load', { state: 'succeeded' });
  cluster.reconcile(at(5));
  for (const [key, value] of Object.entries(annotations)) cluster.annotate(key, value);
  return cluster;
}

describe('a manual run with options', () => {
  const options = { params: { day: '2026-03-01', table: 'users' }, at: '2026-03-02T10:00:00Z' };

  it('passes the values to the stage: env, args, env values; escapes stay', () => {
    const cluster = requested(options);
    const result = cluster.reconcile(at(10));
    const job = result.actions.flatMap((a) => (a.kind === 'createJob' ? [a.job] : []))[0];
    const c = containerOf(job);
    expect(c?.args).toEqual(['--table=users', '--day=2026-03-01', '--at=2026-03-02T10:00:00Z', '$$(params.table)']);
    expect(envOf(c)).toMatchObject({
      CONVEYOR_PARAM_TABLE: 'users',
      CONVEYOR_PARAM_DAY: '2026-03-01',
      CONVEYOR_LOGICAL_TIME: '2026-03-02T10:00:00Z',
      CONVEYOR_LOGICAL_DATE: '2026-03-02',
      CONVEYOR_INTERVAL_START: '2026-03-02T10:00:00Z',
      CONVEYOR_INTERVAL_END: '2026-03-02T10:00:00Z',
      TARGET: 'users-2026-03-02',
      FROM_OURS: '$(CONVEYOR_PARAM_DAY)',
    });
    // Conveyor's variables come first, so a user value can refer to them.
    const names = (c?.env ?? []).map((e) => e.name);
    expect(names.indexOf('CONVEYOR_PARAM_DAY')).toBeLessThan(names.indexOf('FROM_OURS'));
    expect(job?.metadata?.annotations).toMatchObject({
      'conveyor.dev/logical-time': '2026-03-02T10:00:00Z',
      'conveyor.dev/params': '{"day":"2026-03-01","table":"users"}',
    });
  });

  it('records the values in status and keeps them on later plans', () => {
    const cluster = requested(options);
    const first = cluster.reconcile(at(10)).status.lastRun;
    const values = {
      logicalTime: '2026-03-02T10:00:00Z',
      intervalStart: '2026-03-02T10:00:00Z',
      intervalEnd: '2026-03-02T10:00:00Z',
      params: { table: 'users', day: '2026-03-01' },
    };
    expect(first).toMatchObject({ trigger: 'manual', ...values });
    const later = cluster.reconcile(at(3600)).status;
    expect(later.lastRun).toMatchObject(values);
    expect(later.runs?.find((r) => r.id === first?.id)).toMatchObject(values);
  });

  it('rebuilds the values from the Jobs after a lost status', () => {
    const cluster = requested(options);
    const id = cluster.reconcile(at(10)).status.lastRun?.id;
    cluster.pipeline = { ...cluster.pipeline, status: {} };
    const rebuilt = cluster.reconcile(at(20)).status.lastRun;
    expect(rebuilt?.id).toBe(id);
    expect(rebuilt).toMatchObject({
      logicalTime: '2026-03-02T10:00:00Z',
      params: { table: 'users', day: '2026-03-01' },
    });
  });

  it('without --at, the logical time is when the request was handled; no options means defaults', () => {
    const cluster = requested(undefined);
    expect(cluster.reconcile(at(10)).status.lastRun).toMatchObject({
      logicalTime: '2025-01-01T00:00:10Z',
      params: { table: 'orders', day: '' },
    });
  });

  it('options left from an earlier request do not apply to a new one', () => {
    const cluster = requested(options);
    cluster.reconcile(at(10));
    cluster.annotate('conveyor.dev/run-requested', 'r2');
    expect(cluster.reconcile(at(20)).status.lastRun).toMatchObject({
      params: { table: 'orders', day: '' },
      logicalTime: '2025-01-01T00:00:20Z',
    });
  });

  it.each([
    [
      'an unknown parameter',
      { params: { tabel: 'x' } },
      'run request "r1" refused: unknown parameter "tabel" (declared parameters: table, day)',
    ],
    [
      'a value outside enum',
      { params: { table: 'x' } },
      'run request "r1" refused: value "x" of parameter "table" is not allowed; allowed values: "orders", "users"',
    ],
  ])('refuses %s with RunRefused, and counts the request as handled', (_case, bad, message) => {
    const cluster = requested(bad);
    const before = cluster.pipeline.status?.lastRun?.id;
    const result = cluster.reconcile(at(10));
    expect(result.events.find((e) => e.reason === 'RunRefused')).toEqual({
      type: 'Warning',
      reason: 'RunRefused',
      message,
    });
    expect(result.status.lastRun?.id).toBe(before);
    expect(result.status.lastRunRequest).toBe('r1');
    expect(eventReasons(cluster.reconcile(at(20)))).not.toContain('RunRefused');
  });
});

describe('retry and chain runs', () => {
  it('a retry keeps the values of the run it retries', () => {
    const cluster = requested({ params: { day: 'd1' }, at: '2026-03-02T10:00:00Z' });
    const failed = cluster.reconcile(at(10)).status.lastRun?.id ?? '';
    cluster.set('load', { state: 'failed' });
    cluster.reconcile(at(20));
    cluster.annotate('conveyor.dev/retry-requested', `${failed}:n1`);
    const retry = cluster.reconcile(at(30)).status.lastRun;
    expect(retry).toMatchObject({
      trigger: 'retry',
      logicalTime: '2026-03-02T10:00:00Z',
      params: { table: 'orders', day: 'd1' },
    });
  });

  it('a chained run takes the upstream run logical time and interval', () => {
    const cluster = new FakeCluster(
      pipeline({ params, stages: [loader], triggers: { after: [{ pipeline: 'ingest' }] } }),
    );
    const upstream = (runId: string, completionTime?: string) =>
      pipeline(
        { stages: [stage('x')] },
        {
          name: 'ingest',
          uid: 'uid-up',
          status: {
            lastRun: {
              id: runId,
              trigger: 'schedule',
              phase: 'Succeeded',
              ...(completionTime ? { completionTime } : {}),
              logicalTime: '2026-03-02T00:00:00Z',
              intervalStart: '2026-03-01T00:00:00Z',
              intervalEnd: '2026-03-02T00:00:00Z',
            },
          },
        },
      );
    cluster.upstream = [upstream('s1')];
    cluster.reconcile(T0); // first sight: recorded, not fired
    cluster.upstream = [upstream('s2', '2025-01-01T00:00:05Z')];
    const run = cluster.reconcile(at(10)).status.lastRun;
    expect(run).toMatchObject({
      trigger: 'chain',
      logicalTime: '2026-03-02T00:00:00Z',
      intervalStart: '2026-03-01T00:00:00Z',
      intervalEnd: '2026-03-02T00:00:00Z',
      params: { table: 'orders', day: '' },
    });
  });
});

describe('a CronJob Job template', () => {
  const p = pipeline({ params, schedule: '@daily', stages: [loader] });

  it('reads the tick values from pod annotations and refers to them in args; params are the defaults', () => {
    const template = buildStageJobTemplate(p, loader, 1);
    const c = template.spec?.template.spec?.containers[0];
    expect(c?.args).toEqual(['--table=orders', '--day=', '--at=$(CONVEYOR_LOGICAL_TIME)', '$$(params.table)']);
    expect(envOf(c)).toMatchObject({
      CONVEYOR_LOGICAL_TIME: { fieldRef: { fieldPath: "metadata.annotations['conveyor.dev/logical-time']" } },
      CONVEYOR_LOGICAL_DATE: { fieldRef: { fieldPath: "metadata.annotations['conveyor.dev/logical-date']" } },
      CONVEYOR_INTERVAL_START: { fieldRef: { fieldPath: "metadata.annotations['conveyor.dev/interval-start']" } },
      CONVEYOR_INTERVAL_END: { fieldRef: { fieldPath: "metadata.annotations['conveyor.dev/interval-end']" } },
      CONVEYOR_PARAM_TABLE: 'orders',
      TARGET: 'orders-$(CONVEYOR_LOGICAL_DATE)',
    });
  });
});

describe('values in the kubelet syntax', () => {
  it('a param value with $ reaches the stage unchanged (every $ doubled)', () => {
    const p = pipeline({ params: [{ name: 'q' }], stages: [] });
    const s = stage('a', undefined, { args: ['$(params.q)'], env: [{ name: 'Q', value: 'x $(params.q)' }] });
    const job = buildStageJob(p, s, {
      runId: 'm1',
      trigger: 'manual',
      role: 'stage',
      generation: 1,
      values: { params: { q: 'cost $5 $(HOME)' } },
    });
    const c = containerOf(job);
    expect(c?.args).toEqual(['cost $$5 $$(HOME)']);
    expect(envOf(c)).toMatchObject({ CONVEYOR_PARAM_Q: 'cost $$5 $$(HOME)', Q: 'x cost $$5 $$(HOME)' });
  });
});

describe('a scheduled run', () => {
  it('has its tick as logical time and the previous tick → tick as interval, stamped on the pod template', () => {
    const cluster = new FakeCluster(
      pipeline({ params, schedule: '0 * * * *', timeZone: 'Europe/Berlin', stages: [loader] }),
    );
    cluster.reconcile(T0);
    const tick = new Date('2025-01-01T01:00:00Z');
    cluster.tick(tick);
    const result = cluster.reconcile(at(3602));
    expect(result.status.lastRun).toMatchObject({
      trigger: 'schedule',
      logicalTime: '2025-01-01T01:00:00Z',
      intervalStart: '2025-01-01T00:00:00Z',
      intervalEnd: '2025-01-01T01:00:00Z',
      params: { table: 'orders', day: '' },
    });
    const start = result.actions.find((a) => a.kind === 'startJob');
    // The logical date is the calendar day in the pipeline's time zone.
    expect(start?.kind === 'startJob' && start.patch).toMatchObject({
      spec: {
        template: {
          metadata: {
            annotations: {
              'conveyor.dev/logical-time': '2025-01-01T01:00:00Z',
              'conveyor.dev/logical-date': '2025-01-01',
            },
          },
        },
      },
    });
  });
});
