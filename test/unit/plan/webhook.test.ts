// Webhook deliveries in the planner: a run request `webhook:<delivery id>` (written by the
// receiver, src/webhook) starts a run with trigger webhook, checked as `conveyor run` is; each one
// handled is recorded in status.webhook.deliveries; status.webhook.path is what the shell gathered.
import { describe, expect, it } from 'vitest';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../../src/api/labels.ts';
import type { PipelineSpec, WebhookDelivery } from '../../../src/api/types.ts';
import { requestSeed } from '../../../src/plan/select/select.ts';
import { webhookRunId } from '../../../src/plan/names.ts';
import { iso } from '../../../src/plan/time.ts';
import { FakeCluster, at, createdStages, pipeline, stage } from './fixtures.ts';
import { expectValidStatus } from './status-check.ts';

const PATH = `/hook/${'0123456789abcdef'.repeat(4)}`;
const WEBHOOK: NonNullable<PipelineSpec['triggers']> = {
  webhook: { type: 'github', secretRef: { name: 'hook' }, params: [{ name: 'commit', from: '/after' }] },
};

function hooked(extra: Partial<PipelineSpec> = {}): FakeCluster {
  const cluster = new FakeCluster(
    pipeline({
      stages: [stage('build')],
      params: [{ name: 'commit' }, { name: 'mode', default: 'full', enum: ['full', 'delta'] }],
      triggers: WEBHOOK,
      ...extra,
    }),
  );
  cluster.webhook = { path: PATH };
  return cluster;
}

/** What the receiver writes for delivery `id`. */
function deliver(cluster: FakeCluster, id: string, params: Record<string, string> = {}): void {
  const value = `webhook:${id}`;
  cluster.annotate(ANN_RUN_REQUESTED, value);
  cluster.annotate(ANN_RUN_OPTIONS, JSON.stringify({ request: value, params }));
}

const deliveries = (cluster: FakeCluster) => cluster.pipeline.status?.webhook?.deliveries ?? [];

describe('a pipeline with a webhook trigger', () => {
  it('starts no run on create or on a change: it waits for a delivery', () => {
    const cluster = hooked();
    expect(createdStages(cluster.reconcile(at(0)))).toEqual([]);
    expect(cluster.pipeline.status?.phase).toBe('Scheduled');
    const ready = cluster.pipeline.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', message: 'waiting for a webhook delivery' });
    cluster.edit((spec) => {
      spec.stages[0]!.args = ['changed'];
    });
    expect(createdStages(cluster.reconcile(at(10)))).toEqual([]);
    expect(cluster.pipeline.status?.webhook).toEqual({ path: PATH });
  });

  it('waits for its upstream or a delivery, and says so', () => {
    const cluster = hooked({ triggers: { ...WEBHOOK, after: [{ pipeline: 'ingest' }] } });
    cluster.reconcile(at(0));
    const ready = cluster.pipeline.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.message).toBe('waiting for ingest to end Succeeded or a webhook delivery');
  });

  it('a delivery starts one run, trigger webhook, with the mapped params; the same delivery again starts nothing', () => {
    const cluster = hooked();
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1', { commit: 'abc123' });
    expect(createdStages(cluster.reconcile(at(10)))).toEqual(['build']);
    const run = cluster.pipeline.status?.lastRun;
    const id = webhookRunId(requestSeed('webhook:d-1', 0));
    expect(run).toMatchObject({ id, trigger: 'webhook', params: { commit: 'abc123', mode: 'full' } });
    expect(run?.logicalTime).toBe(iso(at(10)));
    expect(deliveries(cluster)).toEqual([{ id: 'd-1', time: iso(at(10)), outcome: 'Started', run: id }]);
    expect(cluster.pipeline.status?.lastRunRequest).toBe('webhook:d-1');
    expect(cluster.last?.events.map((e) => e.reason)).not.toContain('RunRefused');
    expectValidStatus(cluster.pipeline.status!);
    // The receiver writes the same delivery again (a redelivery): nothing new.
    deliver(cluster, 'd-1', { commit: 'abc123' });
    expect(createdStages(cluster.reconcile(at(20)))).toEqual([]);
    expect(deliveries(cluster)).toHaveLength(1);
  });

  it('a replay of an older delivery (not the latest) starts nothing either, and says so', () => {
    const cluster = hooked({ concurrencyPolicy: 'Allow' });
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1');
    cluster.reconcile(at(10));
    deliver(cluster, 'd-2');
    cluster.reconcile(at(20));
    const before = deliveries(cluster);
    expect(before.map((d) => d.id)).toEqual(['d-2', 'd-1']);
    deliver(cluster, 'd-1');
    const result = cluster.reconcile(at(30));
    expect(createdStages(result)).toEqual([]);
    expect(result.events).toContainEqual({
      type: 'Warning',
      reason: 'RunRefused',
      message: `run request "webhook:d-1" refused: delivery d-1 was handled already, at ${iso(at(10))} (run ${before[1]?.run})`,
    });
    expect(deliveries(cluster)).toEqual(before);
  });

  it('webhook runs are explicit requests: concurrencyPolicy Forbid does not hold one back', () => {
    const cluster = hooked();
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1');
    cluster.reconcile(at(10));
    deliver(cluster, 'd-2');
    expect(createdStages(cluster.reconcile(at(20)))).toEqual(['build']);
    const running = (cluster.pipeline.status?.runs ?? []).filter((r) => r.phase === 'Running');
    expect(running.map((r) => r.trigger)).toEqual(['webhook', 'webhook']);
  });

  it.each([
    [
      'a value outside the enum',
      { mode: 'weekly' },
      'value "weekly" of parameter "mode" is not allowed; allowed values: "full", "delta"',
    ],
    ['an undeclared parameter', { branch: 'main' }, 'unknown parameter "branch" (declared parameters: commit, mode)'],
  ])('%s refuses the delivery, as conveyor run is refused, and records it', (_name, params, message) => {
    const cluster = hooked();
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1', params);
    const result = cluster.reconcile(at(10));
    expect(createdStages(result)).toEqual([]);
    expect(result.events).toContainEqual({
      type: 'Warning',
      reason: 'RunRefused',
      message: `run request "webhook:d-1" refused: ${message}`,
    });
    expect(deliveries(cluster)).toEqual([{ id: 'd-1', time: iso(at(10)), outcome: 'Refused', message }]);
    expect(cluster.pipeline.status?.lastRunRequest).toBe('webhook:d-1');
    expectValidStatus(cluster.pipeline.status!);
  });

  it.each([
    ['a suspended pipeline', {}],
    ['a suspended scheduled pipeline', { schedule: '0 3 * * *' }],
  ])('%s refuses deliveries and records why', (_name, extra) => {
    const cluster = hooked({ suspend: true, ...extra });
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1');
    const result = cluster.reconcile(at(10));
    expect(createdStages(result)).toEqual([]);
    const message = 'the pipeline is suspended (spec.suspend); resume it to run';
    expect(result.events).toContainEqual({
      type: 'Warning',
      reason: 'RunRefused',
      message: `run request "webhook:d-1" refused: ${message}`,
    });
    expect(deliveries(cluster)).toEqual([{ id: 'd-1', time: iso(at(10)), outcome: 'Refused', message }]);
    // Resuming does not replay it.
    cluster.edit((spec) => {
      spec.suspend = false;
    });
    expect(createdStages(cluster.reconcile(at(20)))).toEqual([]);
    expect(cluster.pipeline.status?.runs ?? []).toEqual([]);
  });

  it('keeps the last 10 deliveries, newest first', () => {
    const cluster = hooked({ concurrencyPolicy: 'Allow' });
    cluster.reconcile(at(0));
    for (let i = 1; i <= 12; i++) {
      deliver(cluster, `d-${i}`, i % 2 === 0 ? { mode: 'bad' } : {});
      cluster.reconcile(at(i * 10));
    }
    const list = deliveries(cluster);
    expect(list.map((d) => d.id)).toEqual(['d-12', 'd-11', 'd-10', 'd-9', 'd-8', 'd-7', 'd-6', 'd-5', 'd-4', 'd-3']);
    expect(list.map((d) => d.outcome)).toEqual(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 'Refused' : 'Started')),
    );
    expectValidStatus(cluster.pipeline.status!);
  });

  it('a manual run (conveyor run) next to it is still manual and records no delivery', () => {
    const cluster = hooked();
    cluster.reconcile(at(0));
    cluster.annotate(ANN_RUN_REQUESTED, '2025-01-01T00:00:10Z');
    cluster.reconcile(at(10));
    expect(cluster.pipeline.status?.lastRun?.trigger).toBe('manual');
    expect(cluster.pipeline.status?.webhook).toEqual({ path: PATH });
  });
});

describe('status.webhook', () => {
  const seeded: WebhookDelivery = { id: 'old', time: '2024-12-31T00:00:00Z', outcome: 'Started', run: 'w00000000' };

  it.each([
    ['the path gathered', { path: PATH }, { path: PATH }],
    [
      'why there is none',
      { message: 'the Secret hook has no key token' },
      { message: 'the Secret hook has no key token' },
    ],
    ['a path of another shape is dropped', { path: '/hook/xyz' }, {}],
    ['a long message is cut to 1,024 characters', { message: 'm'.repeat(2000) }, { message: `${'m'.repeat(1021)}...` }],
    ['nothing gathered', undefined, {}],
  ])('%s', (_name, gathered, expected) => {
    const cluster = hooked();
    cluster.webhook = gathered;
    cluster.reconcile(at(0));
    expect(cluster.pipeline.status?.webhook).toEqual(expected);
  });

  it('is absent for a pipeline without a webhook trigger, whatever was gathered', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.webhook = { path: PATH };
    cluster.reconcile(at(0));
    expect(cluster.pipeline.status).not.toHaveProperty('webhook');
  });

  it('keeps well-formed deliveries only (status is anyone’s to edit)', () => {
    const cluster = hooked();
    cluster.pipeline.status = {
      webhook: {
        deliveries: [
          seeded,
          { id: 'x'.repeat(129), time: seeded.time, outcome: 'Started' },
          { id: 'y', time: seeded.time, outcome: 'Lost' } as unknown as WebhookDelivery,
          'z' as unknown as WebhookDelivery,
        ],
      },
    };
    cluster.reconcile(at(0));
    expect(deliveries(cluster)).toEqual([seeded]);
  });

  it('an invalid spec keeps it as it was', () => {
    const cluster = hooked();
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1');
    cluster.reconcile(at(10));
    const before = cluster.pipeline.status?.webhook;
    cluster.problems = [{ path: 'spec.stages', message: 'broken' }];
    cluster.webhook = { message: 'changed' };
    cluster.reconcile(at(20));
    expect(cluster.pipeline.status?.phase).toBe('Invalid');
    expect(cluster.pipeline.status?.webhook).toEqual(before);
  });

  it('after a lost status, a delivery whose run the Jobs do not show is refused, saying why', () => {
    const cluster = hooked({ concurrencyPolicy: 'Allow' });
    cluster.reconcile(at(0));
    deliver(cluster, 'd-1');
    cluster.reconcile(at(10));
    deliver(cluster, 'd-2');
    cluster.pipeline.status = {};
    const result = cluster.reconcile(at(20));
    expect(createdStages(result)).toEqual([]);
    expect(deliveries(cluster)).toEqual([
      {
        id: 'd-2',
        time: iso(at(20)),
        outcome: 'Refused',
        message:
          "the Pipeline's status was lost while its Jobs show earlier runs, so it was most likely handled already; request it again to run",
      },
    ]);
  });
});
