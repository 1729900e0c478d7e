// Is this HTTP request a delivery for this trigger? Checks, in this order, what is cheapest and
// says nothing about the token: the method (POST), the content type (JSON), then the signature,
// and only for a signed request what it is about (GitHub's event). A failure names the outcome
// counted in conveyor_webhook_deliveries_total; the receiver answers it with a bare status code.
//
// Signatures: hmac and github carry `sha256=<hex>` of HMAC-SHA256(token, raw body) (X-Signature,
// X-Hub-Signature-256), bearer carries the token itself (Authorization: Bearer <token>). Both are
// compared with crypto.timingSafeEqual over two 32-byte digests: the HMAC the request claims
// (zeros when it is not 64 hex characters) against the one computed, and sha256 of the bearer
// token given against sha256 of the token. Equal lengths always, so neither the time nor an early
// return tells anything about the token, its length, or how much of a guess was right.
//
// Content type: application/json only (parameters such as charset allowed). GitHub can also send
// application/x-www-form-urlencoded (`payload=<JSON>`); that is refused (bad_content_type) so the
// body signed is the body read, with one parser: choose "application/json" in GitHub's settings.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookTrigger } from '../api/types.ts';
import { GITHUB_EVENT_PATTERN } from '../api/schema.ts';

export type WebhookRequest = {
  method: string;
  /** Node's IncomingMessage.headers: lower-case names. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
};

/** Outcomes of a request refused before it is read (names of the metric's outcome label). */
export type RefusedOutcome = 'bad_method' | 'bad_content_type' | 'bad_signature' | 'bad_params' | 'ignored';

export type Verification =
  | { ok: true; deliveryId: string; event?: string }
  | { ok: false; outcome: RefusedOutcome; message: string };

/** X-GitHub-Delivery: a GUID; bounded so `-<record>` still fits MAX_DELIVERY_ID_LENGTH. */
export const MAX_GITHUB_DELIVERY_LENGTH = 120;
const GITHUB_DELIVERY = /^[A-Za-z0-9._-]+$/;
const GITHUB_EVENT = new RegExp(GITHUB_EVENT_PATTERN);
const MAX_GITHUB_EVENT_LENGTH = 64;
/** Hex characters of the body's sha256 that make the delivery id of hmac and bearer. */
export const BODY_ID_HEX = 32;

const refuse = (outcome: RefusedOutcome, message: string): Verification => ({ ok: false, outcome, message });

export function verifyDelivery(
  trigger: Pick<WebhookTrigger, 'type' | 'events'>,
  token: string,
  req: WebhookRequest,
): Verification {
  if (req.method !== 'POST') return refuse('bad_method', `method ${req.method.slice(0, 16)} is not POST`);
  if (!isJson(req.headers['content-type'])) return refuse('bad_content_type', 'content type is not application/json');
  if (!signed(trigger.type, token, req)) return refuse('bad_signature', `missing or wrong ${SIGNED_BY[trigger.type]}`);
  if (trigger.type !== 'github') return { ok: true, deliveryId: bodyId(req.body) };
  return githubDelivery(trigger.events, req.headers);
}

const SIGNED_BY: Record<WebhookTrigger['type'], string> = {
  hmac: 'X-Signature',
  github: 'X-Hub-Signature-256',
  bearer: 'Authorization: Bearer',
};

/** The delivery id of an hmac or bearer delivery: the same body is the same delivery. */
export function bodyId(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex').slice(0, BODY_ID_HEX);
}

function isJson(value: string | string[] | undefined): boolean {
  if (typeof value !== 'string') return false;
  const type = value.split(';', 1)[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/** One header value; a repeated header is not one value (and not trusted). */
function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function signed(type: WebhookTrigger['type'], token: string, req: WebhookRequest): boolean {
  // An empty token would let anyone sign; the receiver reports the Secret, this refuses everything.
  const usable = token.length > 0;
  if (type === 'bearer') return bearerMatches(token, single(req.headers.authorization)) && usable;
  const header = single(req.headers[type === 'github' ? 'x-hub-signature-256' : 'x-signature']);
  return hmacMatches(token, req.body, header) && usable;
}

const SHA256_SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/** `sha256=<hex>` against HMAC-SHA256(token, body): one constant-time compare of 32 bytes. */
function hmacMatches(token: string, body: Buffer, header: string | undefined): boolean {
  const match = header === undefined ? null : SHA256_SIGNATURE.exec(header.trim());
  const claimed = match?.[1] ? Buffer.from(match[1], 'hex') : Buffer.alloc(32);
  const expected = createHmac('sha256', token).update(body).digest();
  return timingSafeEqual(claimed, expected) && match !== null;
}

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

/** `Bearer <token>`: sha256 of both sides compared, so lengths never differ. */
function bearerMatches(token: string, header: string | undefined): boolean {
  const match = header === undefined ? null : BEARER.exec(header);
  const given = createHash('sha256')
    .update(match?.[1] ?? '')
    .digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && match !== null;
}

/** A signed GitHub delivery: its id (X-GitHub-Delivery) and event, ping and unwanted events ignored. */
function githubDelivery(events: readonly string[] | undefined, headers: WebhookRequest['headers']): Verification {
  const event = single(headers['x-github-event']);
  if (event === undefined || event.length > MAX_GITHUB_EVENT_LENGTH || !GITHUB_EVENT.test(event))
    return refuse('ignored', 'X-GitHub-Event is missing or not an event name');
  if (event === 'ping') return refuse('ignored', 'GitHub ping');
  if (events !== undefined && !events.includes(event)) return refuse('ignored', `event ${event} is not in events`);
  const id = single(headers['x-github-delivery']);
  if (id === undefined || id.length > MAX_GITHUB_DELIVERY_LENGTH || !GITHUB_DELIVERY.test(id))
    return refuse(
      'bad_params',
      `X-GitHub-Delivery must be 1 to ${MAX_GITHUB_DELIVERY_LENGTH} letters, digits, '.', '_' or '-'`,
    );
  return { ok: true, deliveryId: id, event };
}
