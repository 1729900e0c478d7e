// The HTTP layer end to end over a real socket on 127.0.0.1, with a ConsoleBackend in memory.
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleServer, type ConsoleServer } from '../../../../src/console/server/server.ts';
import { CANNED_LOGS_HEADER } from '../../../../src/console/protocol.ts';
import { MemoryBackend, pipeline } from './memory-backend.ts';

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function send(
  server: ConsoleServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: server.port, method, path, headers: { Host: `127.0.0.1:${server.port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const backend = new MemoryBackend();
let server: ConsoleServer;
let cookie: string;
let ui: string;

beforeAll(async () => {
  ui = mkdtempSync(`${tmpdir()}/conveyor-ui-`);
  writeFileSync(`${ui}/index.html`, '<!doctype html><title>ui</title>');
  writeFileSync(`${ui}/app.js`, 'console.log(1)');
  server = await startConsoleServer({ backend, uiDir: ui });
  const login = await send(server, 'GET', new URL(server.url).pathname + new URL(server.url).search);
  expect(login.status).toBe(303);
  expect(login.headers.location).toBe('/');
  cookie = String(login.headers['set-cookie']).split(';')[0]!;
});
afterAll(() => server.close());

const json = (extra: Record<string, string> = {}) => ({
  Cookie: cookie,
  Origin: server.origin,
  'Content-Type': 'application/json',
  ...extra,
});

describe('the router with an in-memory backend', () => {
  it('binds 127.0.0.1 and prints a URL with a 43-character token', () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[A-Za-z0-9_-]{43}$`));
    expect(server.origin).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('serves the UI files with their types and the security headers, no CORS', async () => {
    const index = await send(server, 'GET', '/', { Cookie: cookie });
    expect([index.status, index.headers['content-type'], index.body]).toEqual([
      200,
      'text/html; charset=utf-8',
      '<!doctype html><title>ui</title>',
    ]);
    expect(index.headers['content-security-policy']).toContain("default-src 'none'");
    const app = await send(server, 'GET', '/assets/app.js', { Cookie: cookie });
    expect([app.status, app.headers['content-type']]).toEqual([200, 'text/javascript; charset=utf-8']);
    const options = await send(server, 'OPTIONS', '/api/apply', {
      Cookie: cookie,
      Origin: 'http://evil.example',
      'Access-Control-Request-Method': 'POST',
    });
    for (const answer of [index, app, options])
      expect(Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(options.status).toBe(405);
  });

  it.each([
    '/../package.json',
    '/%2e%2e/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/server/server.js',
    '/assets/.env',
    '/nope.js',
  ])('%s → 404', async (path) => {
    expect((await send(server, 'GET', path, { Cookie: cookie })).status).toBe(404);
  });

  it.each(['http://[', '//evil.example/api/secrets', '*'])(
    'a strange request target %s is answered, not fatal',
    async (target) => {
      const answer = await send(server, 'GET', target, { Cookie: cookie });
      expect(answer.status).toBeLessThan(500);
      expect((await send(server, 'GET', '/api/schema', { Cookie: cookie })).status).toBe(200);
    },
  );

  it('without a built UI, / says to run npm run build', async () => {
    const bare = await startConsoleServer({ backend, uiDir: mkdtempSync(`${tmpdir()}/conveyor-empty-`) });
    try {
      const login = await send(bare, 'GET', new URL(bare.url).pathname + new URL(bare.url).search);
      const page = await send(bare, 'GET', '/', { Cookie: String(login.headers['set-cookie']).split(';')[0]! });
      expect(page.status).toBe(200);
      expect(page.body).toContain('npm run build');
    } finally {
      await bare.close();
    }
  });

  it('actions go to the backend, which may refuse with 403', async () => {
    const ok = await send(server, 'POST', '/api/pipelines/team-a/etl/retry', json(), JSON.stringify({ run: 'r1' }));
    expect([ok.status, JSON.parse(ok.body)]).toEqual([200, { ok: true, message: 'retry requested' }]);
    expect(backend.calls).toContainEqual(['act', 'team-a', 'etl', 'retry', { run: 'r1' }]);
    const empty = await send(server, 'POST', '/api/pipelines/team-a/etl/run', {
      Cookie: cookie,
      Origin: server.origin,
    });
    expect(empty.status).toBe(200);
    const denied = await send(server, 'POST', '/api/pipelines/team-b/etl/run', json(), '{}');
    expect([denied.status, JSON.parse(denied.body).ok]).toEqual([403, false]);
    expect(denied.headers['cache-control']).toBe('no-store');
    const withOptions = await send(
      server,
      'POST',
      '/api/pipelines/team-a/etl/run',
      json(),
      JSON.stringify({ params: { table: 'users' }, noCache: true }),
    );
    expect(withOptions.status).toBe(200);
    expect(backend.calls).toContainEqual([
      'act',
      'team-a',
      'etl',
      'run',
      { params: { table: 'users' }, noCache: true },
    ]);
  });

  const bad: [string, string, string, Record<string, string>, string | undefined, number, string][] = [
    ['unknown action', 'POST', '/api/pipelines/team-a/etl/explode', {}, '{}', 404, 'no such action'],
    ['GET of an action', 'GET', '/api/pipelines/team-a/etl/run', {}, undefined, 405, 'not allowed'],
    ['bad namespace', 'POST', '/api/pipelines/Team_A/etl/run', {}, '{}', 400, 'not a Kubernetes name'],
    ['run not a string', 'POST', '/api/pipelines/team-a/etl/retry', {}, '{"run":5}', 400, '"run" must be a string'],
    ['not JSON', 'POST', '/api/pipelines/team-a/etl/run', {}, '{run', 400, 'not valid JSON'],
    [
      'params not strings',
      'POST',
      '/api/pipelines/team-a/etl/run',
      {},
      '{"params":{"day":5}}',
      400,
      '"params" must map',
    ],
    ['params a list', 'POST', '/api/pipelines/team-a/etl/run', {}, '{"params":["a=b"]}', 400, '"params" must map'],
    [
      'noCache not a boolean',
      'POST',
      '/api/pipelines/team-a/etl/run',
      {},
      '{"noCache":"yes"}',
      400,
      '"noCache" must be true or false',
    ],
    [
      'params on a retry',
      'POST',
      '/api/pipelines/team-a/etl/retry',
      {},
      '{"params":{"a":"b"}}',
      400,
      'options of action run only',
    ],
    [
      'form content type',
      'POST',
      '/api/pipelines/team-a/etl/run',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'run=1',
      415,
      'application/json',
    ],
    [
      'action body over 4 KiB',
      'POST',
      '/api/pipelines/team-a/etl/run',
      {},
      JSON.stringify({ run: 'x'.repeat(5000) }),
      413,
      'over the limit of 4 KiB',
    ],
    [
      'YAML body over 2 MiB',
      'POST',
      '/api/dry-run',
      {},
      JSON.stringify({ yaml: 'x'.repeat(2 * 1024 * 1024) }),
      413,
      'over the limit of 2048 KiB',
    ],
    ['dry-run without yaml', 'POST', '/api/dry-run', {}, '{"text":"a"}', 400, '"yaml": string'],
    ['unknown API', 'GET', '/api/secrets', {}, undefined, 404, 'no such API'],
    ['access without namespace', 'GET', '/api/access', {}, undefined, 400, 'namespace missing'],
    ['logs without run', 'GET', '/api/pipelines/team-a/etl/logs?stage=load', {}, undefined, 400, 'stage=STAGE&run=RUN'],
  ];
  it.each(bad)('%s → %i', async (_, method, path, headers, body, status, message) => {
    const answer = await send(server, method, path, json(headers), body);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body).message).toContain(message);
  });

  it('dry-run and apply take YAML up to 2 MiB; access and schema answer JSON', async () => {
    const big = await send(server, 'POST', '/api/dry-run', json(), JSON.stringify({ yaml: 'y'.repeat(1024 * 1024) }));
    expect([big.status, JSON.parse(big.body)]).toEqual([200, { ok: true, message: 'dry run accepted' }]);
    expect((await send(server, 'POST', '/api/apply', json(), '{"yaml":"a: 1"}')).status).toBe(201);
    const access = await send(server, 'GET', '/api/access?namespace=team-a', { Cookie: cookie });
    expect(JSON.parse(access.body)).toMatchObject({ namespace: 'team-a', run: true, create: true });
    const schema = await send(server, 'GET', '/api/schema', { Cookie: cookie });
    expect(schema.status).toBe(200);
    expect(JSON.parse(schema.body)).toHaveProperty('properties');
  });

  it('logs: text from the backend, or its 404 message when the pod is gone', async () => {
    const text = await send(server, 'GET', '/api/pipelines/team-a/etl/logs?stage=load&run=r1&follow=1', {
      Cookie: cookie,
    });
    expect([text.status, text.headers['content-type'], text.body]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'line 1\nline 2\n',
    ]);
    expect(backend.calls).toContainEqual(['logs', 'team-a', 'etl', 'load', 'r1', true]);
    backend.logText = undefined;
    const gone = await send(server, 'GET', '/api/pipelines/team-a/etl/logs?stage=load&run=r1', { Cookie: cookie });
    backend.logText = 'line 1\n';
    expect([gone.status, JSON.parse(gone.body).message]).toEqual([404, 'the pod of stage load is gone']);
  });

  it("logs: a KWOK node's canned lines come with a header naming the node, a pod's own without", async () => {
    const own = await send(server, 'GET', '/api/pipelines/team-a/etl/logs?stage=load&run=r1', { Cookie: cookie });
    expect(own.headers[CANNED_LOGS_HEADER.toLowerCase()]).toBeUndefined();
    backend.cannedOn = 'node-000000';
    const canned = await send(server, 'GET', '/api/pipelines/team-a/etl/logs?stage=load&run=r1', { Cookie: cookie });
    backend.cannedOn = undefined;
    expect([canned.status, canned.headers[CANNED_LOGS_HEADER.toLowerCase()], canned.body]).toEqual([
      200,
      'node-000000',
      backend.logText,
    ]);
  });

  it('the stream starts with a reset, then changes with ids, over HTTP', async () => {
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      httpRequest(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/api/stream',
          headers: { Host: `localhost:${server.port}`, Cookie: cookie },
        },
        resolve,
      )
        .on('error', reject)
        .end();
    });
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    let text = '';
    res.on('data', (c: Buffer) => (text += c.toString('utf8')));
    await expect.poll(() => text).toContain('event: reset\n');
    backend.emit({ type: 'pipeline', data: { op: 'upsert', object: pipeline('team-a', 'live') } });
    await expect.poll(() => text).toMatch(/event: pipeline\nid: \d+\ndata: \{"op":"upsert","object":\{.*"name":"live"/);
    res.destroy();
  });
});
