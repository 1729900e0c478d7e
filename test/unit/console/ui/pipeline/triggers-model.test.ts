// The Console's Triggers block and a stage's Reads/Writes, table-driven over the good fixtures of
// issue 19 (test/fixtures/pipelines/good/webhook.yaml, datasets-and-notify.yaml) with statuses
// the operator would write.
import { describe, expect, it } from 'vitest';
import { goodFixture as fixture } from '../../../../fixtures/pipelines/good-fixture.ts';
import type { Pipeline, PipelineStatus } from '../../../../../src/api/types.ts';
import { runsOf } from '../../../../../src/console/ui/model/runs.ts';
import {
  NOT_REPORTED,
  scheduleLine,
  stageDatasets,
  triggersView,
  type TriggersView,
} from '../../../../../src/console/ui/pipeline/triggers-model.ts';

const withStatus = (p: Pipeline, status: PipelineStatus): Pipeline => ({ ...p, status });
const onPush = fixture('webhook.yaml', 'on-push');
const onFile = fixture('webhook.yaml', 'on-file');
const orders = fixture('datasets-and-notify.yaml', 'orders');
const NO_SCHEDULE = 'No schedule: runs on create, on change and on request.';
const ON_DELIVERIES = 'No schedule: runs on webhook deliveries, and on request (not on create or change).';
const PUSH_WORDS = [
  'github',
  'Secret github-hook (key token)',
  'events push, workflow_run',
  'params commit ← /head_commit/id, delivery ← header:X-GitHub-Delivery',
  '4 filters',
];
const delivery = { id: 'd1', time: '2026-12-06T21:59:00Z', outcome: 'Started' as const, run: 'w1' };

describe('scheduleLine without a schedule', () => {
  it.each([
    ['no trigger: create, change, request', {}, NO_SCHEDULE],
    ['a webhook: deliveries and request', { webhook: { type: 'bearer', secretRef: { name: 's' } } }, ON_DELIVERIES],
    [
      'a chain: upstream runs and request',
      { after: [{ pipeline: 'ingest' }] },
      'No schedule: runs after its upstream runs, and on request (not on create or change).',
    ],
    [
      'both',
      { after: [{ pipeline: 'ingest' }], webhook: { type: 'bearer', secretRef: { name: 's' } } },
      'No schedule: runs after its upstream runs and on webhook deliveries, and on request (not on create or change).',
    ],
  ] as const)('%s', (_name, triggers, line) => {
    expect(
      scheduleLine({ ...onPush, spec: { ...onPush.spec, triggers: triggers as Pipeline['spec']['triggers'] } }),
    ).toBe(line);
  });
});

describe('triggersView', () => {
  const cases: [string, Pipeline, TriggersView][] = [
    [
      'nothing but the schedule line',
      { ...onPush, spec: { ...onPush.spec, triggers: {} } },
      { schedule: NO_SCHEDULE, after: [] },
    ],
    [
      'a webhook the operator has not reported on',
      onPush,
      {
        schedule: ON_DELIVERIES,
        after: [],
        webhook: { words: PUSH_WORDS, deliveries: [], notReceiving: NOT_REPORTED },
      },
    ],
    [
      'a webhook not received: the operator says why',
      withStatus(onFile, { webhook: { message: 'Secret minio-hook has no key auth-token' } }),
      {
        schedule: ON_DELIVERIES,
        after: [],
        webhook: {
          words: [
            'bearer',
            'Secret minio-hook (key auth-token)',
            'params size ← /s3/object/size',
            'bucket notifications (bucket → bucket, key → key, prefix raw/orders/, suffix .csv)',
          ],
          deliveries: [],
          notReceiving: 'Secret minio-hook has no key auth-token',
        },
      },
    ],
    [
      'a webhook received: its path and deliveries',
      withStatus(onPush, { webhook: { path: '/hook/ab', deliveries: [delivery] } }),
      { schedule: ON_DELIVERIES, after: [], webhook: { words: PUSH_WORDS, deliveries: [delivery], path: '/hook/ab' } },
    ],
    [
      'chains, schedule and a refused sink',
      {
        ...orders,
        spec: {
          ...orders.spec,
          schedule: '0 2 * * *',
          timeZone: 'Europe/Paris',
          triggers: { after: [{ pipeline: 'ingest' }, { pipeline: 'audit', phase: 'Failed' }] },
        },
        status: {
          nextScheduleTime: '2026-12-07T01:00:00Z',
          lastTriggers: [{ pipeline: 'ingest', run: 'g4' }],
          notify: { message: 'not under an allowed sink prefix' },
        },
      },
      {
        schedule: 'Schedule 0 2 * * * (Europe/Paris); next run 2026-12-07 01:00Z.',
        after: [
          { pipeline: 'ingest', phase: 'Succeeded', lastRun: 'g4' },
          { pipeline: 'audit', phase: 'Failed' },
        ],
        cloudevents: {
          url: 'https://events.example.com/conveyor',
          mode: 'binary',
          refused: 'not under an allowed sink prefix',
        },
      },
    ],
  ];
  it.each(cases)('%s', (_, p, expected) => {
    expect(triggersView(p)).toEqual(expected);
  });
  it('a suspended schedule says so', () => {
    expect(scheduleLine({ ...orders, spec: { ...orders.spec, schedule: '@daily', suspend: true } })).toBe(
      'Schedule @daily, suspended.',
    );
  });
});

describe('stageDatasets', () => {
  it.each([
    [
      'load',
      {
        reads: [{ namespace: 's3://raw', name: 'orders/$(params.day)' }],
        writes: [orders.spec.stages[0]!.outputs![0]],
      },
    ],
    ['alert', { reads: [], writes: [{ namespace: 'kafka://bus:9092', name: 'alerts' }] }],
    ['missing', undefined],
  ])('%s', (stage, expected) => {
    expect(stageDatasets(orders, stage)).toEqual(expected);
  });
  it('a stage without datasets has no lists', () => {
    expect(stageDatasets(onPush, 'build')).toBeUndefined();
  });
});

describe('runs started by a webhook', () => {
  it('keep their trigger, as any other run', () => {
    const p = withStatus(onPush, {
      lastRun: { id: 'w2', trigger: 'webhook', phase: 'Running' },
      runs: [
        { id: 'w2', trigger: 'webhook', phase: 'Running' },
        { id: 'm1', trigger: 'manual', phase: 'Succeeded' },
      ],
    });
    expect(runsOf(p, []).map((r) => `${r.id}:${r.trigger}`)).toEqual(['w2:webhook', 'm1:manual']);
  });
});
