// The receiver's delivery checks: delivery.ts (verify, then read, then map to run requests),
// with the status code a refused signature gets.
import type { IncomingHttpHeaders } from 'node:http';
import type { Pipeline } from '../api/types.ts';
import type { DeliveryChecks } from './receiver.ts';
import { readDelivery } from './delivery.ts';

/** The header each type signs with: absent, a refusal is 401 (not authenticated), else 403. */
const SIGNATURE_HEADER = { hmac: 'x-signature', github: 'x-hub-signature-256', bearer: 'authorization' } as const;

export const deliveryChecks: DeliveryChecks = {
  check(pipeline: Pipeline, token: string, headers: IncomingHttpHeaders, body: Buffer) {
    const webhook = pipeline.spec.triggers?.webhook;
    if (!webhook) return { kind: 'refused', outcome: 'unknown_path', message: 'the Pipeline has no webhook' };
    const read = readDelivery({ params: pipeline.spec.params, webhook }, token, { method: 'POST', headers, body });
    if (!read.ok) {
      const missing = read.outcome === 'bad_signature' && headers[SIGNATURE_HEADER[webhook.type]] === undefined;
      return { kind: 'refused', outcome: read.outcome, message: read.message, ...(missing ? { status: 401 } : {}) };
    }
    return {
      kind: 'requests',
      delivery: read.deliveryId,
      requests: read.requests.map(({ value, options }) => ({ value, options })),
    };
  },
};
