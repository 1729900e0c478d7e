import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../../src/api/labels.ts';
import type { Pipeline } from '../../../src/api/types.ts';
import { deliveryChecks } from '../../../src/webhook/checks.ts';
import { slimForReceiver } from '../../../src/webhook/pipeline-cache.ts';
import { knownRequest, settled } from '../../../src/webhook/run-requests.ts';

/** A whole Pipeline as the API server sends it: stages, runs, kubectl's last-applied copy. */
function whole(): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      labels: { team: 'data' },
      annotations: {
        [ANN_RUN_REQUESTED]: 'webhook:b',
        [ANN_RUN_OPTIONS]: '{"request":"webhook:b"}',
        'kubectl.kubernetes.io/last-applied-configuration': '{"a whole copy":true}',
      },
    },
    spec: {
      params: [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }],
      triggers: {
        webhook: { type: 'hmac', secretRef: { name: 's' }, params: [{ name: 'table', from: '/table' }] },
        after: [{ pipeline: 'upstream' }],
      },
      schedule: '0 * * * *',
      stages: [{ name: 's', image: 'busybox', args: ['echo', 'a long argument list'] }],
    },
    status: {
      phase: 'Running',
      lastRunRequest: 'webhook:a',
      webhook: { path: '/hook/abc', deliveries: [{ id: 'a', time: '2026-12-06T10:00:00Z', outcome: 'Started' }] },
      runs: [{ id: 'r1', phase: 'Running' }],
    },
  } as unknown as Pipeline;
}

describe('slimForReceiver: the receiver cache keeps what the receiver, writer and index read', () => {
  it('keeps metadata, params, the webhook trigger, lastRunRequest and status.webhook; drops the rest', () => {
    const p = whole();
    slimForReceiver(p);
    expect(p.metadata).toEqual({
      name: 'p',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
      labels: { team: 'data' },
      annotations: { [ANN_RUN_REQUESTED]: 'webhook:b', [ANN_RUN_OPTIONS]: '{"request":"webhook:b"}' },
    });
    expect(p.spec).toEqual({ params: whole().spec.params, triggers: { webhook: whole().spec.triggers?.webhook } });
    expect(p.status).toEqual({ lastRunRequest: 'webhook:a', webhook: whole().status?.webhook });
  });

  it('is idempotent, and leaves a Pipeline without status or annotations without them', () => {
    const p = whole();
    slimForReceiver(p);
    const once = structuredClone(p);
    slimForReceiver(p);
    expect(p).toEqual(once);
    const bare = { ...whole(), metadata: { name: 'q', namespace: 'ns' }, status: undefined } as unknown as Pipeline;
    slimForReceiver(bare);
    expect(bare.metadata).toEqual({ name: 'q', namespace: 'ns' });
    expect(bare.status).toBeUndefined();
  });

  it('a slimmed Pipeline gets the same answers from the delivery checks and the writer as the whole one', () => {
    const body = Buffer.from('{"table":"users"}');
    const headers = {
      'content-type': 'application/json',
      'x-signature': `sha256=${createHmac('sha256', 'tok').update(body).digest('hex')}`,
    };
    const slim = whole();
    slimForReceiver(slim);
    for (const delivered of [body, Buffer.from('{"table":"x"}')])
      expect(deliveryChecks.check(slim, 'tok', headers, delivered)).toEqual(
        deliveryChecks.check(whole(), 'tok', headers, delivered),
      );
    for (const value of ['webhook:a', 'webhook:b', 'webhook:c'])
      expect(knownRequest(slim, value)).toBe(knownRequest(whole(), value));
    expect(settled(slim)).toBe(settled(whole()));
  });
});
