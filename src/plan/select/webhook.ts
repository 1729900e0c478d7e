// Webhook deliveries as the planner sees them: a run request (conveyor.dev/run-requested) whose
// value is `webhook:<delivery id>`, written by the operator's receiver (src/webhook) after it
// checked the signature and the parameters. The planner handles it as a manual request — the same
// checkRunRequest, a run that concurrencyPolicy does not hold back, as `conveyor run` — with
// trigger `webhook`, and records each one it handled in status.webhook.deliveries (newest first,
// at most MAX_WEBHOOK_DELIVERIES). A delivery whose id is still listed there is not run again:
// a replay of any of the last ten deliveries starts nothing, not only of the latest one.
import type { PipelineSpec, PipelineStatus, WebhookDelivery, WebhookStatus } from '../../api/types.ts';
import { MAX_DELIVERY_ID_LENGTH, MAX_WEBHOOK_DELIVERIES } from '../../api/schema.ts';
import { compact, isPlainObject } from '../objects.ts';
import { trimMessage } from '../observed.ts';
import { iso } from '../time.ts';
import type { PlanInput } from '../types.ts';

/** The run-requested value of a webhook delivery: `webhook:<delivery id>`. */
export const WEBHOOK_REQUEST_PREFIX = 'webhook:';
const MAX_WEBHOOK_MESSAGE = 1024;
const WEBHOOK_PATH = /^\/hook\/[0-9a-f]{64}$/;

export function isWebhookRequest(value: string | undefined): value is string {
  return value?.startsWith(WEBHOOK_REQUEST_PREFIX) === true;
}

/** The delivery id of a webhook request value (bounded: status records it). */
export function deliveryIdOf(value: string): string {
  return value.slice(WEBHOOK_REQUEST_PREFIX.length, WEBHOOK_REQUEST_PREFIX.length + MAX_DELIVERY_ID_LENGTH);
}

/** The deliveries status lists, as far as they are well-formed (status is anyone's to edit). */
export function previousDeliveries(previous: PipelineStatus): WebhookDelivery[] {
  const list = previous.webhook?.deliveries;
  if (!Array.isArray(list)) return [];
  return list
    .filter(
      (d): d is WebhookDelivery =>
        isPlainObject(d) &&
        typeof d.id === 'string' &&
        d.id.length <= MAX_DELIVERY_ID_LENGTH &&
        typeof d.time === 'string' &&
        (d.outcome === 'Started' || d.outcome === 'Refused'),
    )
    .slice(0, MAX_WEBHOOK_DELIVERIES);
}

/** The listed delivery a webhook request repeats, if it does. */
export function handledDelivery(previous: PipelineStatus, value: string): WebhookDelivery | undefined {
  const id = deliveryIdOf(value);
  return previousDeliveries(previous).find((d) => d.id === id);
}

/** What status records of a webhook request handled now. */
export function deliveryRecord(
  value: string,
  now: Date,
  result: { run: string } | { refused: string },
): WebhookDelivery {
  const base = { id: deliveryIdOf(value), time: iso(now) };
  return 'run' in result
    ? { ...base, outcome: 'Started', run: result.run }
    : { ...base, outcome: 'Refused', message: trimMessage(result.refused, MAX_WEBHOOK_MESSAGE) ?? '' };
}

/**
 * status.webhook: where the receiver takes deliveries (what the shell gathered: the path, or why
 * there is none) and the deliveries handled, the one handled now first. Absent without a webhook
 * trigger.
 */
export function webhookStatus(
  spec: PipelineSpec,
  gathered: PlanInput['webhook'],
  previous: PipelineStatus,
  handled: WebhookDelivery | undefined,
): WebhookStatus | undefined {
  if (!isPlainObject(spec.triggers) || !isPlainObject(spec.triggers.webhook)) return undefined;
  const kept = previousDeliveries(previous);
  const deliveries = (handled ? [handled, ...kept] : kept).slice(0, MAX_WEBHOOK_DELIVERIES);
  const path = typeof gathered?.path === 'string' && WEBHOOK_PATH.test(gathered.path) ? gathered.path : undefined;
  const message =
    typeof gathered?.message === 'string' ? trimMessage(gathered.message, MAX_WEBHOOK_MESSAGE) : undefined;
  return compact({ path, message, deliveries: deliveries.length > 0 ? deliveries : undefined });
}
