// The receiver over a real loopback socket, with the Pipeline cache, path index, writer and
// checks faked: each request shape gets its status code, its outcome counted, and an Event only
// when a Pipeline is known.
import type { Server } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookDeliveries } from '../../../src/metrics.ts';
import type { Outcome } from '../../../src/webhook/outcomes.ts';
import { RateLimiter } from '../../../src/webhook/rate-limit.ts';
import { type DeliveryChecks, listen, Receiver } from '../../../src/webhook/receiver.ts';
import { RefusalEvents } from '../../../src/webhook/refusal-events.ts';
import type { PlannedRequest, WriteResult } from '../../../src/webhook/writer.ts';
import { FakeSource, pipeline } from './fakes.ts';

const PATH = `/hook/${'b'.repeat(64)}`;
const events: string[] = [];
const written: PlannedRequest[][] = [];
let nextWrite: WriteResult | undefined;
let ready = true;
let server: Server;
let base = '';

/** The body decides: {"sig":"none"|"bad"}, {"ignore":true}, {"bad":true}, else one request per {"id"}. */
const checks: DeliveryChecks = {
  check(_p, token, _headers, body) {
    const doc = JSON.parse(body.toString()) as Record<string, unknown>;
    if (doc.sig === 'none') return { kind: 'refused', outcome: 'bad_signature', message: 'no signature', status: 401 };
    if (doc.sig === 'bad' || token !== 'tok') return { kind: 'refused', outcome: 'bad_signature', message: 'wrong' };
    if (doc.ignore) return { kind: 'refused', outcome: 'ignored', message: 'filter' };
    if (doc.bad) return { kind: 'refused', outcome: 'bad_params', message: 'param x' };
    const id = String(doc.id);
    return { kind: 'requests', delivery: id, requests: [{ value: `webhook:${id}`, options: '{}' }] };
  },
};

beforeAll(async () => {
  const source = new FakeSource();
  source.set(pipeline('p'));
  const receiver = new Receiver({
    ready: () => ready,
    source,
    index: {
      lookup: (path) => (path === PATH ? { key: 'ns/p', token: 'tok', path } : undefined),
      signatureFailed: () => {},
    },
    limiter: new RateLimiter(
      { overall: { perSecond: 1000, burst: 1000 }, pipeline: { perSecond: 0.001, burst: 12 } },
      Date.now(),
    ),
    writer: {
      write: async (_key, requests) => {
        written.push(requests);
        return nextWrite ?? { kind: 'accepted', written: requests.map((r) => r.value) };
      },
    },
    events: new RefusalEvents((p, e) => events.push(`${p.metadata.name} ${e.reason} ${e.message}`)),
    checks,
    log: pino({ level: 'silent' }),
  });
  const bound = await listen(receiver, { host: '127.0.0.1', port: 0 });
  server = bound.server;
  base = `http://127.0.0.1:${bound.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function count(outcome: Outcome): Promise<number> {
  const metric = await webhookDeliveries.get();
  return metric.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

async function send(init: { method?: string; path?: string; type?: string; body?: string | Buffer }) {
  const res = await fetch(`${base}${init.path ?? PATH}`, {
    method: init.method ?? 'POST',
    headers: { 'content-type': init.type ?? 'application/json' },
    ...(init.method === 'GET' ? {} : { body: new Uint8Array(Buffer.from(init.body ?? '{"id":"1"}')) }),
  });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
}

describe('Receiver', () => {
  it.each([
    ['a GET', { method: 'GET' }, 405, 'bad_method', false],
    ['an unknown path', { path: `/hook/${'c'.repeat(64)}` }, 404, 'unknown_path', false],
    ['the health path', { path: '/healthz' }, 404, 'unknown_path', false],
    ['a form body', { type: 'application/x-www-form-urlencoded' }, 415, 'bad_content_type', true],
    ['a body over 1 MiB', { body: Buffer.alloc(1024 * 1024 + 1, 32) }, 413, 'too_large', true],
    ['no signature', { body: '{"sig":"none"}' }, 401, 'bad_signature', true],
    // The second bad_signature within a minute: counted, but no second Event (refusal-events.ts).
    ['a wrong signature', { body: '{"sig":"bad"}' }, 403, 'bad_signature', false],
    ['params refused', { body: '{"bad":true}' }, 422, 'bad_params', true],
    ['a filtered delivery', { body: '{"ignore":true}' }, 200, 'ignored', false],
  ] as const)(
    "answers %s with %s, bare, counted, an Event only for a known Pipeline's refusal",
    async (_n, init, status, outcome, event) => {
      const before = await count(outcome);
      const eventsBefore = events.length;
      const writes = written.length;
      const res = await send(init);
      expect(res).toMatchObject({ status, body: '' });
      expect(await count(outcome)).toBe(before + 1);
      expect(written.length).toBe(writes);
      expect(events.slice(eventsBefore).map((e) => e.split(':')[1]?.trim())).toEqual(event ? [outcome] : []);
    },
  );

  it('accepts a delivery with 202 and a tiny JSON naming the request', async () => {
    const res = await send({ body: '{"id":"42"}' });
    expect(res.status).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ pipeline: 'ns/p', delivery: '42', request: 'webhook:42' });
  });

  it('answers a known delivery 200 and one that cannot be written yet 503 with Retry-After', async () => {
    nextWrite = { kind: 'duplicate' };
    expect((await send({ body: '{"id":"42"}' })).status).toBe(200);
    nextWrite = { kind: 'unavailable', message: 'busy' };
    expect(await send({ body: '{"id":"43"}' })).toMatchObject({ status: 503, retryAfter: '10' });
    nextWrite = undefined;
  });

  it('answers 503 while the operator is not ready (a standby), before looking the path up', async () => {
    ready = false;
    expect(await send({ path: `/hook/${'c'.repeat(64)}` })).toMatchObject({ status: 503, retryAfter: '5' });
    ready = true;
  });

  it('bounds connections and slow clients: 1,024 connections, headers in 10 s, a request in 30 s', () => {
    expect(server.maxConnections).toBe(1024);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
  });

  it('takes no token for a request refused before its Pipeline or for its content type', async () => {
    const source = new FakeSource();
    source.set(pipeline('p'));
    const one = new Receiver({
      ready: () => true,
      source,
      index: {
        lookup: (path) => (path === PATH ? { key: 'ns/p', token: 'tok', path } : undefined),
        signatureFailed: () => {},
      },
      limiter: new RateLimiter(
        { overall: { perSecond: 0.001, burst: 1 }, pipeline: { perSecond: 0.001, burst: 1 } },
        Date.now(),
      ),
      writer: { write: async (_key, requests) => ({ kind: 'accepted', written: requests.map((r) => r.value) }) },
      events: new RefusalEvents(() => {}),
      checks,
      log: pino({ level: 'silent' }),
    });
    const bound = await listen(one, { host: '127.0.0.1', port: 0 });
    const at = `http://127.0.0.1:${bound.port}`;
    try {
      const codes: number[] = [];
      for (const init of [
        { method: 'GET', path: PATH, type: 'application/json' },
        { method: 'POST', path: `/hook/${'c'.repeat(64)}`, type: 'application/json' },
        { method: 'POST', path: PATH, type: 'text/plain' },
        { method: 'POST', path: PATH, type: 'application/json' },
        { method: 'POST', path: PATH, type: 'application/json' },
      ]) {
        const res = await fetch(`${at}${init.path}`, {
          method: init.method,
          headers: { 'content-type': init.type },
          ...(init.method === 'GET' ? {} : { body: '{"id":"t"}' }),
        });
        codes.push(res.status);
      }
      expect(codes).toEqual([405, 404, 415, 202, 429]);
    } finally {
      bound.server.closeAllConnections();
      await new Promise((r) => bound.server.close(r));
    }
  });

  it('answers 429 with Retry-After once the Pipeline’s bucket is empty, and writes nothing', async () => {
    const writes = written.length;
    let limited: { status: number; retryAfter: string | null } | undefined;
    for (let i = 0; i < 20 && !limited; i++) {
      const res = await send({ body: `{"id":"r${i}"}` });
      if (res.status === 429) limited = res;
    }
    expect(limited?.retryAfter).toMatch(/^\d+$/);
    const accepted = written.length - writes;
    expect(await send({ body: '{"id":"after"}' })).toMatchObject({ status: 429 });
    expect(written.length - writes).toBe(accepted);
  });
});
