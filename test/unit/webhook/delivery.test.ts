// readDelivery: verify, read, map — in that order; alreadyHandled: what the planner would not run again.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ParamSpec, PipelineStatus, WebhookTrigger } from '../../../src/api/types.ts';
import { alreadyHandled, readDelivery } from '../../../src/webhook/delivery.ts';
import type { WebhookRequest } from '../../../src/webhook/verify.ts';

const TOKEN = 'secret';
const PARAMS: ParamSpec[] = [{ name: 'commit' }];
const WEBHOOK: WebhookTrigger = {
  type: 'github',
  secretRef: { name: 'hook' },
  events: ['push'],
  filter: [{ field: '/ref', equals: 'refs/heads/main' }],
  params: [{ name: 'commit', from: '/after' }],
};
const request = (body: string, headers: WebhookRequest['headers'] = {}, token = TOKEN): WebhookRequest => ({
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-github-event': 'push',
    'x-github-delivery': 'g-1',
    'x-hub-signature-256': `sha256=${createHmac('sha256', token).update(body).digest('hex')}`,
    ...headers,
  },
  body: Buffer.from(body),
});
const push = JSON.stringify({ ref: 'refs/heads/main', after: 'abc' });
const value = 'webhook:g-1';

describe('readDelivery', () => {
  it.each([
    [
      'a signed push: its run request',
      request(push),
      {
        ok: true,
        deliveryId: 'g-1',
        event: 'push',
        requests: [
          {
            value,
            options: JSON.stringify({ request: value, params: { commit: 'abc' } }),
            params: { commit: 'abc' },
          },
        ],
      },
    ],
    ['signed with another token', request(push, {}, 'other'), { ok: false, outcome: 'bad_signature' }],
    // The body is not read before the signature holds: an unsigned non-JSON body is bad_signature.
    ['unsigned and not JSON', request('{', {}, 'other'), { ok: false, outcome: 'bad_signature' }],
    ['signed and not JSON', request('{'), { ok: false, outcome: 'bad_params', message: 'the body is not JSON' }],
    [
      'another branch',
      request(JSON.stringify({ ref: 'refs/heads/dev', after: 'abc' })),
      { ok: false, outcome: 'ignored', message: 'the filter does not match' },
    ],
    ['an event not listed', request(push, { 'x-github-event': 'release' }), { ok: false, outcome: 'ignored' }],
    [
      'the commit missing',
      request(JSON.stringify({ ref: 'refs/heads/main' })),
      { ok: false, outcome: 'bad_params', message: 'parameter "commit": the delivery has nothing at /after' },
    ],
  ])('%s', (_name, req, expected) => {
    expect(readDelivery({ params: PARAMS, webhook: WEBHOOK }, TOKEN, req)).toEqual(expect.objectContaining(expected));
  });
});

describe('alreadyHandled', () => {
  const listed: PipelineStatus = {
    lastRunRequest: 'webhook:g-2',
    webhook: { deliveries: [{ id: 'g-1', time: '2026-12-06T00:00:00Z', outcome: 'Started', run: 'w12345678' }] },
  };
  it.each([
    [undefined, value, false],
    [{}, value, false],
    [listed, 'webhook:g-1', true],
    [listed, 'webhook:g-2', true],
    [listed, 'webhook:g-3', false],
  ])('%j, %s: %s', (status, v, expected) => {
    expect(alreadyHandled(status, v)).toBe(expected);
  });
});
