// Issue 17 case 9: status can outgrow etcd. The worst status the planner can write, built by driving
// it through the history that maximises each part of status at once, for the largest spec the
// schema allows; status JSON must stay within 1 MiB (etcd refuses objects over 1.5 MiB, and the
// spec takes its share).
//
// What bounds each part (every string in status is bounded by where it comes from):
// - lastRun: up to 220 stages (200 + 20 onFailure), each with its name and Job (63), a message of
//   at most 256 characters (observed.ts boundStage: a Skipped stage names three blocked
//   dependencies "and N more"), a reason of at most 64; the run's message at most 1,000;
// - runs[]: ten finished runs, and the active ones, whose stages together with lastRun's are at
//   most MAX_ACTIVE_STAGES (1,000: the stage budget, concurrency.ts); a run started later is
//   lastRun, so lastRun's 220 and 780 remembered stages of others is the most;
// - parameters: at most MAX_PARAMS_LENGTH (4,096) characters per run, recorded by lastRun, each
//   runs[] entry and the backfill (32 copies at most);
// - cache 200 entries (key <= 512), succeededTimes 1,000, backfillIds 50, lastTriggers 20,
//   conditions (1,000 each), request records (256 each; a backfill request 16 KiB, its refusal 1 KiB),
//   status.webhook (its path, a message of 1,024, ten deliveries of a 128-character id and a 1,024 message).
// Measured: 646 KiB (the test prints the size of each part): lastRun 134, runs[] 287 (of which
// parameters ~130), cache 139, succeededTimes 39, status.webhook 13, the rest 34.
import { describe, expect, it } from 'vitest';
import {
  MAX_ACTIVE_STAGES,
  MAX_BACKFILL_IDS,
  MAX_CACHE_ENTRIES,
  MAX_DELIVERY_ID_LENGTH,
  MAX_PARAMS_LENGTH,
  MAX_SUCCEEDED_TIMES,
  MAX_WEBHOOK_DELIVERIES,
} from '../../../src/api/schema.ts';
import { MAX_ON_FAILURE_STAGES, MAX_STAGE_NAME_LENGTH, MAX_STAGES } from '../../../src/api/constants.ts';
import type { ParamSpec, Pipeline, PipelineSpec, PipelineStatus, StageSpec } from '../../../src/api/types.ts';
import {
  ANN_BACKFILL_REQUESTED,
  ANN_CANCEL_REQUESTED,
  ANN_RETRY_REQUESTED,
  ANN_RUN_REQUESTED,
} from '../../../src/api/labels.ts';
import { MAX_REQUEST_JSON_LENGTH, MAX_REQUEST_VALUE_LENGTH } from '../../../src/plan/select/request-annotation.ts';
import { FakeCluster, at, stage } from './fixtures.ts';
import { expectValidStatus } from './status-check.ts';

const MiB = 1024 * 1024;
const KiB = 1024;

/** A DNS label of the longest length: `<prefix><i>xxx...`. */
const longName = (prefix: string, i: number) =>
  `${prefix}${String(i).padStart(3, '0')}`.padEnd(MAX_STAGE_NAME_LENGTH, 'x');
const PIPELINE = 'p'.repeat(63);
const UPSTREAMS = Array.from({ length: 20 }, (_, i) => longName('u', i));

/** 50 parameters whose names and defaults add up to MAX_PARAMS_LENGTH. */
const PARAMS: ParamSpec[] = Array.from({ length: 50 }, (_, i) => ({
  name: `p${String(i).padStart(2, '0')}`.padEnd(20, 'q'),
  default: 'v'.repeat(Math.floor(MAX_PARAMS_LENGTH / 50) - 20),
}));
const CACHE_KEY = `${'k'.repeat(500)}-$(run.id)`;

/** A spec of every generation: the same params, chain triggers, onFailure stages and policy. */
function spec(stages: StageSpec[], onFailure = MAX_ON_FAILURE_STAGES): PipelineSpec {
  return {
    stages,
    onFailure: Array.from({ length: onFailure }, (_, i) => stage(longName('f', i))),
    params: PARAMS,
    concurrencyPolicy: 'Allow',
    triggers: {
      after: UPSTREAMS.map((pipeline) => ({ pipeline })),
      webhook: { type: 'hmac', secretRef: { name: 'hook' } },
    },
  };
}
const roots = (n: number, prefix = 'a') =>
  Array.from({ length: n }, (_, i) => stage(longName(prefix, i), undefined, { cache: { key: CACHE_KEY } }));
/** Each stage depends on every stage before it: the longest dependsOn the schema allows. */
const chain = () =>
  Array.from({ length: MAX_STAGES }, (_, i) =>
    stage(longName('c', i), i === 0 ? undefined : Array.from({ length: i }, (_, j) => longName('c', j))),
  );

function upstream(name: string): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name, namespace: 'data', uid: '12345678-1234-1234-1234-123456789012' },
    spec: { stages: [stage('x')] },
    status: {
      lastRun: {
        id: 'g9007199254740991',
        trigger: 'create',
        phase: 'Succeeded',
        completionTime: '2025-01-01T00:00:00Z',
      },
    },
  };
}

/** History status keeps but this scenario does not replay run by run: bounded lists at their bound, each item at its longest. */
function seededStatus(): PipelineStatus {
  const time = (i: number) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000).toISOString().replace('.000Z', 'Z');
  return {
    cache: Array.from({ length: MAX_CACHE_ENTRIES }, (_, i) => ({
      stage: longName('a', i),
      key: 'k'.repeat(512),
      specHash: '0123456789abcdef',
      run: 'g9007199254740991',
      time: time(i),
      upstream: '0123456789abcdef',
    })),
    succeededTimes: Array.from({ length: MAX_SUCCEEDED_TIMES }, (_, i) => `${time(i)}/0123456789abcdef`),
    backfillIds: Array.from({ length: MAX_BACKFILL_IDS }, (_, i) => ({ id: longName('i', i), time: time(i) })),
    webhook: {
      deliveries: Array.from({ length: MAX_WEBHOOK_DELIVERIES }, (_, i) => ({
        id: `${i}`.padEnd(MAX_DELIVERY_ID_LENGTH, 'd'),
        time: time(i),
        outcome: 'Refused' as const,
        message: 'm'.repeat(1024),
      })),
    },
  };
}

let requests = 0;
/** A run request of the longest value: a new manual run (its id is lastRun's afterwards). */
function requestRun(cluster: FakeCluster, now: Date): string {
  const value = `${String(requests++).padStart(4, '0')}`.padEnd(MAX_REQUEST_VALUE_LENGTH, 'r');
  cluster.annotate(ANN_RUN_REQUESTED, value);
  cluster.reconcile(now);
  const id = cluster.pipeline.status?.lastRun?.id;
  if (!id) throw new Error('no run started');
  return id;
}

const failed = { state: 'failed' as const, reason: 'R'.repeat(200), message: 'M'.repeat(5000), failed: 101 };

describe('issue 17 case 9: status can outgrow etcd', () => {
  it('the worst status the largest spec and any history give stays within 1 MiB', { timeout: 60_000 }, () => {
    let second = 0;
    const now = () => at(++second);
    const cluster = new FakeCluster({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: PIPELINE, namespace: 'data', uid: 'uid-1', generation: 1 },
      spec: { ...spec(roots(5)), schedule: '0 3 * * *' },
      status: seededStatus(),
    });
    cluster.upstream = UPSTREAMS.map(upstream);
    // status.webhook: the path, the longest message, ten deliveries at their longest (seeded).
    cluster.webhook = { path: `/hook/${'a'.repeat(64)}`, message: 'w'.repeat(5000) };
    cluster.reconcile(now());

    // Ten finished runs, each failing with the longest run message (five stages of long names and
    // reasons), started together by a backfill of ten ticks.
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({
        id: 'b'.repeat(63),
        from: '2024-01-01T00:00:00Z',
        to: '2024-01-11T00:00:00Z',
        maxActive: 10,
        requestedAt: '2024-12-01T00:00:00Z',
      }),
    );
    cluster.reconcile(now());
    const finished = (cluster.pipeline.status?.runs ?? []).map((r) => r.id);
    expect(finished).toHaveLength(10);
    for (const id of finished) for (let i = 0; i < 5; i++) cluster.setIn(id, longName('a', i), failed);
    cluster.reconcile(now());
    for (const id of finished)
      for (let i = 0; i < MAX_ON_FAILURE_STAGES; i++) cluster.setIn(id, longName('f', i), failed, 'on-failure');
    cluster.reconcile(now());

    // Three runs of 200 stages at once, all running; their Jobs deleted by hand and created again
    // under new names, which their memory must then name (the longest memory a stage has).
    cluster.edit((s) => Object.assign(s, spec(roots(MAX_STAGES)), { schedule: undefined }));
    cluster.reconcile(now());
    for (let n = 0; n < 3; n++) requestRun(cluster, now());
    cluster.jobs.clear();
    cluster.reconcile(now());

    // Sixteen small runs (a backfill of 12 ticks, all the room it has next to 660 stages and the
    // 250 it leaves for others, and 4 manual runs): 19 active runs in all, holding 3 x 220 + 16 x 7
    // = 772 stages.
    cluster.edit((s) => Object.assign(s, spec(roots(6, 'b'), 1), { schedule: '0 3 * * *' }));
    cluster.reconcile(now());
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({
        id: 'c'.repeat(63),
        from: '2024-02-01T00:00:00Z',
        to: '2024-02-13T00:00:00Z',
        maxActive: 12,
        requestedAt: '2024-12-02T00:00:00Z',
      }),
    );
    cluster.reconcile(now());
    for (let n = 0; n < 4; n++) requestRun(cluster, now());

    // lastRun: 200 stages (its 220 fit the budget: 992) that all fail, with the longest Job name,
    // reason and message each, and so do the onFailure stages: the longest a stage of lastRun gets
    // (a Skipped one names three blocked dependencies, see the test below; a Cached one its key,
    // both within the same 256 characters). The schedule stays: without it the backfill would stop.
    cluster.edit((s) => Object.assign(s, spec(roots(MAX_STAGES, 'c'))));
    cluster.reconcile(now());
    const last = requestRun(cluster, now());
    for (let i = 0; i < MAX_STAGES; i++) cluster.setIn(last, longName('c', i), failed);
    cluster.reconcile(now());
    for (let i = 0; i < MAX_ON_FAILURE_STAGES; i++) cluster.setIn(last, longName('f', i), failed, 'on-failure');
    cluster.reconcile(now());

    // The requests status records, each at its longest.
    cluster.annotate(ANN_RETRY_REQUESTED, `m00000000:${'n'.repeat(MAX_REQUEST_VALUE_LENGTH - 10)}`);
    cluster.annotate(ANN_CANCEL_REQUESTED, 'c'.repeat(MAX_REQUEST_VALUE_LENGTH));
    // A backfill request as long as is read, refused for an unknown parameter: the refusal lists
    // the 50 declared ones (lastBackfillRefusal, at most 1,024 characters).
    const request = (pad: string) =>
      JSON.stringify({
        id: 'd'.repeat(63),
        from: '2024-03-01T00:00:00Z',
        to: '2024-03-02T00:00:00Z',
        requestedAt: '2024-12-03T00:00:00Z',
        params: {
          ...Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`zz${i}`, 'x'.repeat(1000)])),
          last: pad,
        },
      });
    cluster.annotate(ANN_BACKFILL_REQUESTED, request('x'.repeat(MAX_REQUEST_JSON_LENGTH - request('').length)));
    cluster.reconcile(now());

    const status = cluster.pipeline.status as PipelineStatus;
    const runs = status.runs ?? [];
    // The history is the one described: 19 active runs remembering 772 stages, ten finished runs,
    // lastRun with 220 stages, every seeded list at its bound.
    expect(runs.filter((r) => r.phase === 'Running')).toHaveLength(19);
    expect(runs.filter((r) => r.phase === 'Running').reduce((n, r) => n + (r.stages?.length ?? 0), 0)).toBe(
      3 * MAX_STAGES + 16 * 6,
    );
    expect(runs.filter((r) => r.phase === 'Failed')).toHaveLength(10);
    expect(status.lastRun?.stages).toHaveLength(MAX_STAGES + MAX_ON_FAILURE_STAGES);
    expect(status.lastRun?.phase).toBe('Failed');
    expect(status.cache).toHaveLength(MAX_CACHE_ENTRIES);
    expect(status.succeededTimes).toHaveLength(MAX_SUCCEEDED_TIMES);
    expect(status.lastTriggers).toHaveLength(20);
    expect(status.lastBackfillRequest).toHaveLength(MAX_REQUEST_JSON_LENGTH);
    expect(status.lastBackfillRefusal).toHaveLength(1024);
    expect(status.backfillIds).toHaveLength(MAX_BACKFILL_IDS);
    expect(status.lastCancelRequest).toHaveLength(MAX_REQUEST_VALUE_LENGTH);
    expect(status.lastRetryRequest).toHaveLength(MAX_REQUEST_VALUE_LENGTH);
    expect(status.webhook?.deliveries).toHaveLength(MAX_WEBHOOK_DELIVERIES);
    expect(status.webhook?.message).toHaveLength(1024);
    expectValidStatus(status);

    const parts = Object.fromEntries(Object.entries(status).map(([k, v]) => [k, JSON.stringify(v).length]));
    const size = JSON.stringify(status).length;
    console.log(`issue 17 case 9: worst status ${(size / KiB).toFixed(0)} KiB`, parts);
    expect(size).toBeLessThanOrEqual(1 * MiB);
  });

  it('a Skipped stage of the longest chain names three blocked dependencies and how many more', {
    timeout: 30_000,
  }, () => {
    const cluster = new FakeCluster({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'etl', namespace: 'data', uid: 'uid-1', generation: 1 },
      spec: { stages: chain() },
    });
    cluster.reconcile(at(0));
    cluster.set(longName('c', 0), { state: 'failed' });
    cluster.reconcile(at(1));
    const stages = cluster.pipeline.status?.lastRun?.stages ?? [];
    expect(stages.filter((s) => s.phase === 'Skipped')).toHaveLength(MAX_STAGES - 1);
    expect(stages[199]?.message).toBe(
      `upstream stage "${longName('c', 0)}", "${longName('c', 1)}", "${longName('c', 2)}" and 196 more did not succeed`,
    );
    expect(Math.max(...stages.map((s) => s.message?.length ?? 0))).toBeLessThanOrEqual(256);
    // It was 13 KB a stage: status 1.38 MiB.
    expect(JSON.stringify(cluster.pipeline.status).length).toBeLessThan(100 * KiB);
  });

  it(`the stage budget: at most ${MAX_ACTIVE_STAGES} stages in active runs; a run that does not fit is Skipped, saying why`, {
    timeout: 30_000,
  }, () => {
    const cluster = new FakeCluster({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'etl', namespace: 'data', uid: 'uid-1', generation: 1 },
      spec: { stages: roots(MAX_STAGES), concurrencyPolicy: 'Allow', schedule: '0 3 * * *' },
    });
    cluster.reconcile(at(0));
    for (let n = 0; n < 6; n++) {
      cluster.annotate(ANN_RUN_REQUESTED, `r${n}`);
      cluster.reconcile(at(n + 1));
    }
    const runs = cluster.pipeline.status?.runs ?? [];
    expect(runs.filter((r) => r.phase === 'Running')).toHaveLength(5);
    expect(runs.filter((r) => r.phase === 'Skipped').map((r) => r.message)).toEqual([
      'skipped: the active runs hold 1000 stages and this run has 200; the active runs of one Pipeline hold at most 1000 (status remembers each)',
    ]);
  });

  it('a backfill leaves room for a manual run also where 5 runs fill the stage budget (200 stages)', {
    timeout: 30_000,
  }, () => {
    const cluster = new FakeCluster({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'etl', namespace: 'data', uid: 'uid-1', generation: 1 },
      spec: { stages: roots(MAX_STAGES), schedule: '0 3 * * *' },
    });
    cluster.reconcile(at(0));
    cluster.annotate(
      ANN_BACKFILL_REQUESTED,
      JSON.stringify({ id: 'bf1', from: '2024-01-01T00:00:00Z', to: '2024-01-11T00:00:00Z', maxActive: 10 }),
    );
    cluster.reconcile(at(1));
    const active = () => (cluster.pipeline.status?.runs ?? []).filter((r) => r.phase === 'Running');
    // 3 x 200 stages: a fourth would leave less than the 250 kept for others.
    expect(active().map((r) => r.trigger)).toEqual(['backfill', 'backfill', 'backfill']);
    cluster.annotate(ANN_RUN_REQUESTED, 'now');
    cluster.reconcile(at(2));
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ trigger: 'manual', phase: 'Running' });
    expect(active()).toHaveLength(4);
  });
});
