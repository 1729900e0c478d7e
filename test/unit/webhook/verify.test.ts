// verifyDelivery, table-driven: each case is a request and what the receiver makes of it.
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookTrigger } from '../../../src/api/types.ts';
import { verifyDelivery, type WebhookRequest } from '../../../src/webhook/verify.ts';

const TOKEN = 'it-is-a-secret';
const BODY = Buffer.from('{"ref":"refs/heads/main"}');
const sign = (body: Buffer, token = TOKEN) => `sha256=${createHmac('sha256', token).update(body).digest('hex')}`;
const bodyId = (body: Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 32);
const GUID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

type Headers = WebhookRequest['headers'];
const json: Headers = { 'content-type': 'application/json' };
const req = (headers: Headers, extra: Partial<WebhookRequest> = {}): WebhookRequest => ({
  method: 'POST',
  headers: { ...json, ...headers },
  body: BODY,
  ...extra,
});
const hmac: Pick<WebhookTrigger, 'type'> = { type: 'hmac' };
const bearer: Pick<WebhookTrigger, 'type'> = { type: 'bearer' };
const github = (events?: string[]): Pick<WebhookTrigger, 'type' | 'events'> => ({
  type: 'github',
  ...(events ? { events } : {}),
});
const gh = (event: string, headers: Headers = {}): Headers => ({
  'x-hub-signature-256': sign(BODY),
  'x-github-event': event,
  'x-github-delivery': GUID,
  ...headers,
});

type Case = [string, Pick<WebhookTrigger, 'type' | 'events'>, WebhookRequest, unknown];
const ok = (deliveryId: string, event?: string) => ({ ok: true, deliveryId, ...(event ? { event } : {}) });
const no = (outcome: string) => expect.objectContaining({ ok: false, outcome });

const CASES: Case[] = [
  // hmac
  ['hmac: a correct signature', hmac, req({ 'x-signature': sign(BODY) }), ok(bodyId(BODY))],
  [
    'hmac: upper-case hex is the same digest',
    hmac,
    req({ 'x-signature': sign(BODY).toUpperCase().replace('SHA256', 'sha256') }),
    ok(bodyId(BODY)),
  ],
  [
    'hmac: charset in the content type',
    hmac,
    req({ 'x-signature': sign(BODY), 'content-type': 'Application/JSON; charset=utf-8' }),
    ok(bodyId(BODY)),
  ],
  ['hmac: signed with another token', hmac, req({ 'x-signature': sign(BODY, 'guess') }), no('bad_signature')],
  ['hmac: signature of another body', hmac, req({ 'x-signature': sign(Buffer.from('{}')) }), no('bad_signature')],
  ['hmac: no signature', hmac, req({}), no('bad_signature')],
  [
    'hmac: a short signature (no length error, no early answer)',
    hmac,
    req({ 'x-signature': 'sha256=abcd' }),
    no('bad_signature'),
  ],
  ['hmac: a long signature', hmac, req({ 'x-signature': `${sign(BODY)}00` }), no('bad_signature')],
  ['hmac: not hex', hmac, req({ 'x-signature': `sha256=${'z'.repeat(64)}` }), no('bad_signature')],
  ['hmac: sha1 scheme', hmac, req({ 'x-signature': sign(BODY).replace('sha256', 'sha1') }), no('bad_signature')],
  ['hmac: the header repeated', hmac, req({ 'x-signature': [sign(BODY), sign(BODY)] }), no('bad_signature')],
  ['hmac: GitHub’s header is not hmac’s', hmac, req({ 'x-hub-signature-256': sign(BODY) }), no('bad_signature')],
  ['hmac: GET', hmac, req({ 'x-signature': sign(BODY) }, { method: 'GET' }), no('bad_method')],
  ['hmac: PUT', hmac, req({ 'x-signature': sign(BODY) }, { method: 'PUT' }), no('bad_method')],
  ['hmac: text/plain', hmac, req({ 'x-signature': sign(BODY), 'content-type': 'text/plain' }), no('bad_content_type')],
  [
    'hmac: no content type',
    hmac,
    { method: 'POST', headers: { 'x-signature': sign(BODY) }, body: BODY },
    no('bad_content_type'),
  ],
  [
    'hmac: application/jsonx',
    hmac,
    req({ 'x-signature': sign(BODY), 'content-type': 'application/jsonx' }),
    no('bad_content_type'),
  ],
  // the method and content type are checked before the signature: a wrong one says nothing about the token
  ['hmac: GET without a signature', hmac, req({}, { method: 'GET' }), no('bad_method')],
  // bearer
  ['bearer: the token', bearer, req({ authorization: `Bearer ${TOKEN}` }), ok(bodyId(BODY))],
  ['bearer: scheme in any case', bearer, req({ authorization: `bearer ${TOKEN}` }), ok(bodyId(BODY))],
  ['bearer: another token', bearer, req({ authorization: 'Bearer it-is-a-secreT' }), no('bad_signature')],
  ['bearer: a prefix of the token', bearer, req({ authorization: 'Bearer it-is' }), no('bad_signature')],
  ['bearer: the token and more', bearer, req({ authorization: `Bearer ${TOKEN}x` }), no('bad_signature')],
  ['bearer: Basic', bearer, req({ authorization: `Basic ${TOKEN}` }), no('bad_signature')],
  ['bearer: no header', bearer, req({}), no('bad_signature')],
  ['bearer: a signature is not a token', bearer, req({ 'x-signature': sign(BODY) }), no('bad_signature')],
  // github
  ['github: a push', github(), req(gh('push')), ok(GUID, 'push')],
  ['github: a push, events [push]', github(['push']), req(gh('push')), ok(GUID, 'push')],
  ['github: a release, events [push]', github(['push']), req(gh('release')), no('ignored')],
  ['github: ping is ignored', github(), req(gh('ping')), no('ignored')],
  ['github: ping is ignored even when listed', github(['ping', 'push']), req(gh('ping')), no('ignored')],
  ['github: no event header', github(), req(gh('push', { 'x-github-event': undefined })), no('ignored')],
  ['github: an event that is no event name', github(), req(gh('Push Hook')), no('ignored')],
  [
    'github: a bad signature is told before the event',
    github(['push']),
    req(gh('release', { 'x-hub-signature-256': sign(BODY, 'x') })),
    no('bad_signature'),
  ],
  [
    'github: ping with a bad signature',
    github(),
    req(gh('ping', { 'x-hub-signature-256': undefined })),
    no('bad_signature'),
  ],
  ['github: no delivery id', github(), req(gh('push', { 'x-github-delivery': undefined })), no('bad_params')],
  ['github: a delivery id with a slash', github(), req(gh('push', { 'x-github-delivery': 'a/b' })), no('bad_params')],
  [
    'github: a delivery id of 121 characters',
    github(),
    req(gh('push', { 'x-github-delivery': 'a'.repeat(121) })),
    no('bad_params'),
  ],
  [
    'github: a delivery id of 120 characters',
    github(),
    req(gh('push', { 'x-github-delivery': 'a'.repeat(120) })),
    ok('a'.repeat(120), 'push'),
  ],
  [
    'github: form-encoded bodies are refused',
    github(),
    req(gh('push', { 'content-type': 'application/x-www-form-urlencoded' })),
    no('bad_content_type'),
  ],
  [
    'github: hmac’s header is not GitHub’s',
    github(),
    req(gh('push', { 'x-hub-signature-256': undefined, 'x-signature': sign(BODY) })),
    no('bad_signature'),
  ],
];

describe('verifyDelivery', () => {
  it.each(CASES)('%s', (_name, trigger, request, expected) => {
    expect(verifyDelivery(trigger, TOKEN, request)).toEqual(expected);
  });

  it.each([hmac, bearer, github()])(
    'an empty token accepts nothing (%j), not even a request signed with it',
    (trigger) => {
      const request = req({
        'x-signature': sign(BODY, ''),
        'x-hub-signature-256': sign(BODY, ''),
        authorization: 'Bearer ',
        'x-github-event': 'push',
        'x-github-delivery': GUID,
      });
      expect(verifyDelivery(trigger, '', request)).toEqual(no('bad_signature'));
    },
  );

  it('the delivery id of hmac and bearer is the body’s: the same body again is the same delivery', () => {
    const other = Buffer.from('{"ref":"refs/heads/dev"}');
    const a = verifyDelivery(hmac, TOKEN, req({ 'x-signature': sign(other) }, { body: other }));
    const b = verifyDelivery(bearer, TOKEN, req({ authorization: `Bearer ${TOKEN}` }, { body: other }));
    expect(a).toEqual(ok(bodyId(other)));
    expect(b).toEqual(a);
    expect(a).not.toEqual(ok(bodyId(BODY)));
  });

  it('a failure says why, without the token', () => {
    const result = verifyDelivery(hmac, TOKEN, req({ 'x-signature': sign(BODY, 'x') }));
    expect(result).toEqual({ ok: false, outcome: 'bad_signature', message: 'missing or wrong X-Signature' });
    expect(JSON.stringify(verifyDelivery(bearer, TOKEN, req({ authorization: 'Bearer x' })))).not.toContain(TOKEN);
  });
});
