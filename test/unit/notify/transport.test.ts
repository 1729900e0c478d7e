import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_SEND_TIMEOUT_MS,
  httpSend,
  retryAfterMs,
  retryable,
  TOKEN_REREAD_MS,
  TokenFile,
  withBearerToken,
} from '../../../src/notify/transport.ts';
import { FakeClock } from './fakes.ts';

/** A loopback server answering by path; records what it received. */
let server: Server;
let base = '';
const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => res.writeHead(202).end('accepted'),
  '/busy': (_req, res) => res.writeHead(503, { 'retry-after': '7' }).end(),
  '/gone': (_req, res) => res.writeHead(410).end(),
  '/moved': (_req, res) => res.writeHead(302, { location: '/ok' }).end(),
  '/hang': () => {},
  '/auth': (req, res) => res.writeHead(req.headers.authorization === 'Bearer new-token' ? 200 : 401).end(),
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      (routes[req.url ?? ''] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const post = (path: string, timeoutMs?: number) =>
  httpSend(timeoutMs)({ url: `${base}${path}`, headers: { 'content-type': 'application/json' }, body: '{"a":1}' });

describe('httpSend', () => {
  it('POSTs the body with its headers; a 2xx is sent', async () => {
    expect(await post('/ok')).toEqual({ ok: true, status: 202 });
    expect(received.at(-1)).toMatchObject({ path: '/ok', body: '{"a":1}' });
    expect(received.at(-1)?.headers['content-type']).toBe('application/json');
  });

  it('reports the status and Retry-After of a refusal', async () => {
    expect(await post('/busy')).toEqual({ ok: false, status: 503, retryAfterMs: 7_000, error: 'HTTP 503' });
    expect(await post('/gone')).toEqual({ ok: false, status: 410, error: 'HTTP 410' });
  });

  it('does not follow a redirect', async () => {
    const before = received.length;
    expect(await post('/moved')).toEqual({ ok: false, status: 302, error: 'HTTP 302 (redirects are not followed)' });
    expect(received.slice(before).map((r) => r.path)).toEqual(['/moved']);
  });

  it('fails an attempt not answered within its timeout', async () => {
    expect(await post('/hang', 50)).toEqual({ ok: false, error: 'no answer within 50 ms' });
  });

  it('names the connection error when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await httpSend()({ url: `http://127.0.0.1:${port}/`, headers: {}, body: '' });
    expect(outcome).toEqual({ ok: false, error: 'ECONNREFUSED' });
  });
});

describe('retry rules', () => {
  it.each([
    [undefined, true],
    [408, true],
    [429, true],
    [500, true],
    [502, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [301, false],
  ])('status %s: retryable %s', (status, expected) => {
    expect(retryable({ ok: false, error: 'x', ...(status !== undefined ? { status } : {}) })).toBe(expected);
  });

  it.each([
    ['7', 7_000],
    [' 0 ', 0],
    ['100000', 300_000],
    ['Wed, 21 Oct 2026 07:28:00 GMT', undefined],
    ['-1', undefined],
    [null, undefined],
  ])('Retry-After %j → %s ms', (header, expected) => {
    expect(retryAfterMs(header)).toBe(expected);
  });
});

describe('TokenFile', () => {
  it('reads the file once, again after TOKEN_REREAD_MS, and at once after invalidate', async () => {
    const clock = new FakeClock();
    const contents = ['first\n', 'second', 'third'];
    let reads = 0;
    const tokens = new TokenFile('/secrets/token', clock, async () => contents[reads++] ?? '');
    expect(await tokens.get()).toBe('first');
    await clock.advance(TOKEN_REREAD_MS - 1);
    expect(await tokens.get()).toBe('first');
    await clock.advance(1);
    expect(await tokens.get()).toBe('second');
    tokens.invalidate();
    expect(await tokens.get()).toBe('third');
    expect(reads).toBe(3);
  });

  it.each([
    ['', 'holds no single token'],
    ['two words', 'holds no single token'],
    ['x'.repeat(16_385), 'holds no single token'],
  ])('refuses %j naming the file, never the content', async (content, message) => {
    const tokens = new TokenFile('/secrets/token', new FakeClock(), async () => content);
    const err = await tokens.get().catch((e: Error) => e);
    expect(String(err)).toContain(`the token file /secrets/token ${message}`);
    if (content) expect(String(err)).not.toContain(content);
  });

  it('names the file and the error code when it cannot be read', async () => {
    const tokens = new TokenFile('/no/such/file', new FakeClock());
    await expect(tokens.get()).rejects.toThrow('cannot read the token file /no/such/file: ENOENT');
  });
});

describe('withBearerToken', () => {
  it('sends the token; after a 401 reads the file again and tries once more', async () => {
    const files = ['old-token', 'new-token'];
    const tokens = new TokenFile('/t', new FakeClock(), async () => files.shift() ?? 'none');
    const before = received.length;
    const outcome = await withBearerToken(tokens)({ url: `${base}/auth`, headers: {}, body: '{}' });
    expect(outcome).toEqual({ ok: true, status: 200 });
    expect(received.slice(before).map((r) => r.headers.authorization)).toEqual([
      'Bearer old-token',
      'Bearer new-token',
    ]);
  });

  it('fails the attempt (no request) when the token cannot be read', async () => {
    const tokens = new TokenFile('/t', new FakeClock(), async () => '');
    const before = received.length;
    const outcome = await withBearerToken(tokens)({ url: `${base}/ok`, headers: {}, body: '{}' });
    expect(outcome).toMatchObject({ ok: false, error: expect.stringContaining('the token file /t') });
    expect(received.length).toBe(before);
  });
});

describe('defaults', () => {
  it('an attempt times out after 10 seconds', () => {
    expect(DEFAULT_SEND_TIMEOUT_MS).toBe(10_000);
  });
});
