import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveryChecks } from '../../../src/webhook/checks.ts';
import { pipeline } from './fakes.ts';

const p = {
  ...pipeline('p', {
    webhook: { type: 'hmac', secretRef: { name: 's' }, params: [{ name: 'table', from: '/table' }] },
  }),
};
p.spec.params = [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }];
const body = Buffer.from('{"table":"users"}');
const sig = (b: Buffer, token = 'tok') => `sha256=${createHmac('sha256', token).update(b).digest('hex')}`;
const json = { 'content-type': 'application/json' };

describe('deliveryChecks', () => {
  it.each([
    ['no signature header: 401', json, body, { kind: 'refused', outcome: 'bad_signature', status: 401 }],
    [
      'a wrong signature: bad_signature without a status (403)',
      { ...json, 'x-signature': sig(body, 'x') },
      body,
      { kind: 'refused', outcome: 'bad_signature' },
    ],
    [
      'a value outside the enum',
      { ...json, 'x-signature': sig(Buffer.from('{"table":"x"}')) },
      Buffer.from('{"table":"x"}'),
      { kind: 'refused', outcome: 'bad_params' },
    ],
  ])('%s', (_name, headers, b, expected) => {
    const got = deliveryChecks.check(p, 'tok', headers, b);
    expect(got).toMatchObject(expected);
    if (got.kind === 'refused' && !('status' in expected)) expect(got.status).toBeUndefined();
  });

  it('maps a signed delivery to its run request, the body hash as delivery id', () => {
    const got = deliveryChecks.check(p, 'tok', { ...json, 'x-signature': sig(body) }, body);
    expect(got.kind).toBe('requests');
    if (got.kind !== 'requests') return;
    expect(got.requests).toHaveLength(1);
    expect(got.requests[0]?.value).toBe(`webhook:${got.delivery}`);
    expect(JSON.parse(got.requests[0]?.options ?? '{}')).toMatchObject({ params: { table: 'users' } });
  });
});
