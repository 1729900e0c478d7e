// The receiver's delivery checks, from the pure modules: the signature and event (verify.ts),
// then the body mapped to run requests (requests.ts, checked by checkRunRequest).
import type { IncomingHttpHeaders } from 'node:http';
import type { Pipeline } from '../api/types.ts';
import type { DeliveryChecks } from './receiver.ts';
import { parseBody, webhookRequests } from './requests.ts';
import { verifyDelivery } from './verify.ts';

/** The header each type signs with: absent, a refusal is 401 (not authenticated), else 403. */
const SIGNATURE_HEADER = { hmac: 'x-signature', github: 'x-hub-signature-256', bearer: 'authorization' } as const;

export const deliveryChecks: DeliveryChecks = {
  check(pipeline: Pipeline, token: string, headers: IncomingHttpHeaders, body: Buffer) {
    const webhook = pipeline.spec.triggers?.webhook;
    if (!webhook) return { kind: 'refused', outcome: 'unknown_path', message: 'the Pipeline has no webhook' };
    const verified = verifyDelivery(webhook, token, { method: 'POST', headers, body });
    if (!verified.ok) {
      const missing = verified.outcome === 'bad_signature' && headers[SIGNATURE_HEADER[webhook.type]] === undefined;
      return {
        kind: 'refused',
        outcome: verified.outcome,
        message: verified.message,
        ...(missing ? { status: 401 } : {}),
      };
    }
    const parsed = parseBody(body);
    if (!parsed.ok) return { kind: 'refused', outcome: 'bad_params', message: parsed.message };
    const mapped = webhookRequests(
      { params: pipeline.spec.params, webhook },
      verified.deliveryId,
      headers,
      parsed.value,
    );
    if (!mapped.ok) return { kind: 'refused', outcome: mapped.outcome, message: mapped.message };
    return {
      kind: 'requests',
      delivery: verified.deliveryId,
      requests: mapped.requests.map(({ value, options }) => ({ value, options })),
    };
  },
};
