// Where the receiver takes a Pipeline's deliveries. The path is derived from the token the way
// Flux's notification-controller derives a Receiver's (`/hook/sha256sum(token+name+namespace)`,
// fluxcd/notification-controller docs/spec/v1beta1/receiver.md): unguessable without the token,
// stable while the token stays, and a new one when the token is rotated.
import { createHash } from 'node:crypto';

export const WEBHOOK_PATH_PREFIX = '/hook/';

/** `/hook/` and the sha256 hex of token + name + namespace (64 characters). */
export function webhookPath(token: string, name: string, namespace: string): string {
  return `${WEBHOOK_PATH_PREFIX}${createHash('sha256').update(`${token}${name}${namespace}`).digest('hex')}`;
}

/** Whether `path` has the shape of a webhook path (checked before any lookup). */
export function isWebhookPath(path: string): boolean {
  return /^\/hook\/[0-9a-f]{64}$/.test(path);
}
