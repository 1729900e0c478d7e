// `conveyor describe` on triggers, sinks and datasets: table-driven over the good fixtures of
// issue 19 (test/fixtures/pipelines/good/webhook.yaml, datasets-and-notify.yaml), each with the
// status the operator would write.
import { describe, expect, it } from 'vitest';
import { goodFixture as fixture } from '../../fixtures/pipelines/good-fixture.ts';
import type { Pipeline, PipelineStatus } from '../../../src/api/types.ts';
import {
  datasetLines,
  notifyLines,
  oneLine,
  triggerLines,
  utcSeconds,
} from '../../../src/cli/describe-integrations.ts';
import { describePipeline } from '../../../src/cli/kube-commands.ts';

const withStatus = (p: Pipeline, status: PipelineStatus): Pipeline => ({ ...p, status });
const PATH = `/hook/${'ab'.repeat(32)}`;
const onPush = fixture('webhook.yaml', 'on-push');
const onFile = fixture('webhook.yaml', 'on-file');
const orders = fixture('datasets-and-notify.yaml', 'orders');

describe('triggerLines', () => {
  const cases: [string, Pipeline, string[]][] = [
    ['no triggers: nothing', orders, []],
    [
      'github webhook not reported yet',
      onPush,
      [
        'Webhook:     github, Secret github-hook (key token), events push, workflow_run, params commit ← /head_commit/id, delivery ← header:X-GitHub-Delivery, 4 filters',
        '             Not receiving: the operator has not reported yet',
      ],
    ],
    [
      'bucket notifications, not received: the operator says why',
      withStatus(onFile, { webhook: { message: 'the operator runs without --webhook-address' } }),
      [
        'Webhook:     bearer, Secret minio-hook (key auth-token), params size ← /s3/object/size, bucket notifications (bucket → bucket, key → key, prefix raw/orders/, suffix .csv)',
        '             Not receiving: the operator runs without --webhook-address',
      ],
    ],
    [
      'received: the path and the deliveries, newest first, times in UTC',
      withStatus(onPush, {
        webhook: {
          path: PATH,
          deliveries: [
            {
              id: 'd2',
              time: '2026-12-06T22:00:05.120Z',
              outcome: 'Refused',
              message: 'param "branch":\n not\u001b[31m allowed',
            },
            { id: 'd1', time: '2026-12-06T21:59:00Z', outcome: 'Started', run: 'w-0123456789' },
          ],
        },
      }),
      [
        'Webhook:     github, Secret github-hook (key token), events push, workflow_run, params commit ← /head_commit/id, delivery ← header:X-GitHub-Delivery, 4 filters',
        `             Path ${PATH} (behind the receiver's address)`,
        'Deliveries:',
        '             TIME (UTC)             OUTCOME   RUN            MESSAGE',
        '             2026-12-06T22:00:05Z   Refused   -              param "branch": not [31m allowed',
        '             2026-12-06T21:59:00Z   Started   w-0123456789',
      ],
    ],
    [
      'chain triggers, with the last upstream run handled',
      {
        ...orders,
        spec: { ...orders.spec, triggers: { after: [{ pipeline: 'ingest' }, { pipeline: 'audit', phase: 'Failed' }] } },
        status: { lastTriggers: [{ pipeline: 'ingest', run: 'g4' }] },
      },
      ['After:       ingest Succeeded (last handled run g4), audit Failed'],
    ],
  ];
  it.each(cases)('%s', (_, p, expected) => {
    expect(triggerLines(p)).toEqual(expected);
  });
});

describe('notifyLines', () => {
  const cases: [string, Pipeline, string[]][] = [
    ['no sink: nothing', onPush, []],
    ['accepted sink', orders, ['CloudEvents: https://events.example.com/conveyor (binary)']],
    [
      'refused sink: why',
      withStatus(orders, { notify: { message: 'not under an allowed sink prefix (--cloudevents-allowed-sinks)' } }),
      [
        'CloudEvents: https://events.example.com/conveyor (binary)',
        '             Refused: not under an allowed sink prefix (--cloudevents-allowed-sinks)',
      ],
    ],
  ];
  it.each(cases)('%s', (_, p, expected) => {
    expect(notifyLines(p)).toEqual(expected);
  });
});

describe('datasetLines', () => {
  const cases: [string, Pipeline, string[]][] = [
    ['no datasets: nothing', onPush, []],
    [
      'per stage, onFailure stages too; templates as written',
      orders,
      [
        '',
        'Datasets:',
        '  load   reads   s3://raw  orders/$(params.day)',
        '         writes  postgres://wh:5432  public.orders',
        '  alert  writes  kafka://bus:9092  alerts',
      ],
    ],
  ];
  it.each(cases)('%s', (_, p, expected) => {
    expect(datasetLines(p)).toEqual(expected);
  });
});

describe('helpers', () => {
  it.each([
    ['2026-12-06T22:00:05.999Z', '2026-12-06T22:00:05Z'],
    ['2026-12-06T23:00:05+01:00', '2026-12-06T22:00:05Z'],
    ['not a time', 'not a time'],
  ])('utcSeconds(%j) = %j', (input, expected) => {
    expect(utcSeconds(input)).toBe(expected);
  });
  it('oneLine replaces control characters and cuts long text', () => {
    expect(oneLine('a\r\n\u009bb')).toBe('a b');
    expect(oneLine('x'.repeat(300))).toHaveLength(200);
  });
});

describe('describePipeline', () => {
  it('shows the webhook with its deliveries, the sink, a webhook run and the datasets', () => {
    const p: Pipeline = {
      ...orders,
      spec: { ...orders.spec, triggers: onPush.spec.triggers },
      status: {
        phase: 'Succeeded',
        webhook: {
          path: PATH,
          deliveries: [{ id: 'd1', time: '2026-12-06T21:59:00Z', outcome: 'Started', run: 'w1' }],
        },
        notify: { message: 'no allowed sinks' },
        lastRun: { id: 'w1', trigger: 'webhook', phase: 'Succeeded', startTime: '2026-12-06T21:59:01Z' },
        runs: [{ id: 'w1', trigger: 'webhook', phase: 'Succeeded' }],
      },
    };
    const lines = describePipeline(p, new Date('2026-12-06T22:00:00Z')).split('\n');
    expect(lines).toContain(`             Path ${PATH} (behind the receiver's address)`);
    expect(lines).toContain('             2026-12-06T21:59:00Z   Started   w1');
    expect(lines).toContain('             Refused: no allowed sinks');
    expect(lines.find((l) => l.startsWith('Run:'))).toContain('w1 (webhook) Succeeded');
    expect(lines.find((l) => l.startsWith('  w1'))).toMatch(/^ {2}w1 +webhook +Succeeded/);
    expect(lines.indexOf('Datasets:')).toBeGreaterThan(lines.indexOf('Stages:'));
  });
});
