// One delivery, start to end, as the receiver handles it once it knows the Pipeline and its token:
// verify (method, content type, signature, GitHub's event), then read the body, then map it to
// run requests. In this order on purpose: nothing of the body is parsed before the signature
// holds, so an unsigned request costs one HMAC and tells nothing. The receiver caps the body at
// MAX_WEBHOOK_BODY_BYTES before it calls this (too_large), and writes the requests it returns.
import type { ParamSpec, PipelineStatus, WebhookTrigger } from '../api/types.ts';
import { handledDelivery } from '../plan/select/webhook.ts';
import { parseBody, webhookRequests, type WebhookRunRequest } from './requests.ts';
import { verifyDelivery, type RefusedOutcome, type WebhookRequest } from './verify.ts';

export type DeliveryResult =
  | { ok: true; deliveryId: string; event?: string; requests: WebhookRunRequest[] }
  | { ok: false; outcome: RefusedOutcome; message: string };

export function readDelivery(
  spec: { params?: ParamSpec[]; webhook: WebhookTrigger },
  token: string,
  req: WebhookRequest,
): DeliveryResult {
  const verified = verifyDelivery(spec.webhook, token, req);
  if (!verified.ok) return verified;
  const body = parseBody(req.body);
  if (!body.ok) return { ok: false, outcome: 'bad_params', message: body.message };
  const mapped = webhookRequests(spec, verified.deliveryId, req.headers, body.value);
  if (!mapped.ok) return mapped;
  return { ...verified, requests: mapped.requests };
}

/**
 * Whether the Pipeline's status shows the run request `value` handled already (the last request
 * handled, or a delivery status.webhook still lists): the planner would start nothing for it, so
 * the receiver answers it as a duplicate without writing.
 */
export function alreadyHandled(status: PipelineStatus | undefined, value: string): boolean {
  if (!status) return false;
  return status.lastRunRequest === value || handledDelivery(status, value) !== undefined;
}
