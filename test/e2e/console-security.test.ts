// The real `conveyor dashboard` process against the local cluster, checked over real HTTP: the
// security gate (Host, token, session, Origin, CSP, no CORS) and the event stream (a Pipeline
// created after connecting arrives; a reconnect with Last-Event-ID gets only what it missed).
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openConsole, useBrowser } from './support/browser.ts';
import { login, startConsole, type ConsoleProcess } from './support/console.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { createPipeline, installCrd, pipeline, stage } from './support/pipelines.ts';

useBrowser();
const c: Clients = clients();
let ns = '';
let cleanup: () => Promise<void> = async () => {};
/** Its one-time token is kept unused for the token test. */
let fresh: ConsoleProcess;
/** Logged in up front (session), for everything else. */
let main: ConsoleProcess;
let cookie = '';

beforeAll(async () => {
  await installCrd(c);
  ({ name: ns, cleanup } = await testNamespace(c, 'console-sec'));
  [fresh, main] = await Promise.all([startConsole({ args: ['-n', ns] }), startConsole({ args: ['-n', ns] })]);
  cookie = await login(main.url);
});
afterAll(async () => {
  await Promise.all([fresh?.stop(), main?.stop()]);
  await cleanup();
});

type Answer = { status: number; headers: IncomingMessage['headers']; body: string };

/** A raw request, so that Host can be anything (fetch would not send a foreign Host). */
function send(
  target: ConsoleProcess,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port: target.port, method, path, headers: { Host: `127.0.0.1:${target.port}`, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function corsHeaders(answer: Answer): string[] {
  return Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
}

describe('conveyor dashboard: security over real HTTP', () => {
  it('prints a loopback URL with a one-time token', () => {
    expect(fresh.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    expect(fresh.origin).toBe(`http://127.0.0.1:${fresh.port}`);
  });

  it('a wrong Host header is refused (421), even with a valid session', async () => {
    for (const host of [`evil.example:${main.port}`, `127.0.0.1:${main.port + 1}`, 'localhost']) {
      const answer = await send(main, 'GET', `/api/access?namespace=${ns}`, { Host: host, Cookie: cookie });
      expect([host, answer.status]).toEqual([host, 421]);
    }
    expect((await send(main, 'GET', '/api/schema', { Host: `localhost:${main.port}`, Cookie: cookie })).status).toBe(
      200,
    );
  });

  it('without token or session everything is refused (401); the token works once, then not', async () => {
    for (const path of ['/', '/api/stream', `/api/access?namespace=${ns}`, '/api/schema', '/app.js']) {
      const answer = await send(fresh, 'GET', path);
      expect([path, answer.status]).toEqual([path, 401]);
      expect(JSON.parse(answer.body)).toHaveProperty('message');
    }
    const path = new URL(fresh.url).pathname + new URL(fresh.url).search;
    const first = await send(fresh, 'GET', path);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(String(first.headers['set-cookie'])).toMatch(
      /^conveyor_session_\d+=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/,
    );
    const second = await send(fresh, 'GET', path);
    expect(second.status).toBe(401);
    expect(second.headers['set-cookie']).toBeUndefined();
    const session = String(first.headers['set-cookie']).split(';')[0]!;
    expect((await send(fresh, 'GET', '/api/schema', { Cookie: session })).status).toBe(200);
  });

  it('a cross-origin POST is refused (403); a same-origin one with the session reaches the backend', async () => {
    const doc = pipeline('checked', { stages: [stage('only')] });
    const body = JSON.stringify({ yaml: stringify({ ...doc, metadata: { ...doc.metadata, namespace: ns } }) });
    const json = { Cookie: cookie, 'Content-Type': 'application/json' };
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${main.port + 1}`, undefined]) {
      const answer = await send(main, 'POST', '/api/dry-run', { ...json, ...(origin ? { Origin: origin } : {}) }, body);
      expect([origin, answer.status]).toEqual([origin, 403]);
    }
    const same = await send(main, 'POST', '/api/dry-run', { ...json, Origin: main.origin }, body);
    expect([401, 403, 421]).not.toContain(same.status);
    expect(JSON.parse(same.body)).toMatchObject({ ok: expect.any(Boolean), message: expect.any(String) });
  });

  it('every answer has the strict CSP and no CORS headers, OPTIONS included', async () => {
    const answers = [
      await send(main, 'GET', '/', { Cookie: cookie }),
      await send(main, 'GET', '/api/schema', { Cookie: cookie, Origin: 'http://evil.example' }),
      await send(main, 'OPTIONS', '/api/apply', {
        Cookie: cookie,
        Origin: 'http://evil.example',
        'Access-Control-Request-Method': 'POST',
      }),
      await send(main, 'OPTIONS', '/api/apply', {
        Origin: 'http://evil.example',
        'Access-Control-Request-Method': 'POST',
      }),
      await send(main, 'GET', '/', { Host: 'evil.example' }),
    ];
    for (const answer of answers) {
      expect(answer.headers['content-security-policy']).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(answer.headers['x-content-type-options']).toBe('nosniff');
      expect(answer.headers['referrer-policy']).toBe('no-referrer');
      expect(corsHeaders(answer)).toEqual([]);
    }
    expect(answers[1]!.headers['cache-control']).toBe('no-store');
    expect(answers.slice(2, 5).map((a) => a.status)).toEqual([405, 401, 421]);
  });
});

/** Another site on this machine: a blank page on 127.0.0.1 at another port (same site, other origin). */
async function otherSite(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((_, res) => res.end('<!doctype html><title>another site</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('conveyor dashboard: another site in the same browser', () => {
  it('cannot act (its POST carries its Origin: 403) nor read answers (no CORS), though the browser sends the session cookie', async () => {
    const target = await startConsole({ args: ['-n', ns] });
    const site = await otherSite();
    try {
      await createPipeline(c, ns, pipeline('csrf-target', { stages: [stage('a')] }));
      const page = await openConsole(target.url); // logged in: the context holds the session cookie
      await page.goto(`${site.origin}/`);
      // The classic forgery: a form POSTed to the Console (a navigation, so nothing but the server can refuse it).
      const action = `${target.origin}/api/pipelines/${ns}/csrf-target/run`;
      const posted = page.waitForResponse((r) => r.url() === action);
      await page.evaluate((url) => {
        const form = Object.assign(document.createElement('form'), {
          method: 'POST',
          action: url,
          enctype: 'text/plain',
        });
        form.append(Object.assign(document.createElement('input'), { name: '{"run":"', value: '"}' }));
        document.body.append(form);
        form.submit();
      }, action);
      const post = await posted;
      expect(post.status()).toBe(403);
      const sent = await post.request().allHeaders();
      expect(sent.origin).toBe(site.origin);
      expect(sent.cookie).toMatch(/conveyor_session_\d+=/);
      expect(JSON.parse(await post.text()).message).toContain('Cross-origin request refused');

      // Reading: the same fetch that works from the Console's own page fails from the other site (no CORS headers).
      const access = `${target.origin}/api/access?namespace=${ns}`;
      const readFrom = async (origin: string) => {
        await page.goto(`${origin}/`);
        return page.evaluate(
          (url) =>
            fetch(url, { credentials: 'include' }).then(
              (r) => `read ${r.status}`,
              (error: Error) => error.name,
            ),
          access,
        );
      };
      expect(await readFrom(target.origin)).toBe('read 200');
      expect(await readFrom(site.origin)).toBe('TypeError');
      await page.context().close();
    } finally {
      await site.close();
      await target.stop();
    }
  });
});

/** An open /api/stream and the frames received so far. */
type Frame = { event: string; id: string; data: unknown };
function openStream(target: ConsoleProcess, lastEventId?: string): Promise<{ frames: Frame[]; close: () => void }> {
  const headers: Record<string, string> = {
    Host: `127.0.0.1:${target.port}`,
    Cookie: cookie,
    Accept: 'text/event-stream',
    ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: target.port, path: '/api/stream', headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      const frames: Frame[] = [];
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const frame = parseFrame(text.slice(0, end));
          text = text.slice(end + 2);
          if (frame) frames.push(frame);
        }
      });
      resolve({ frames, close: () => res.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

/** One SSE block; undefined for comments and the retry line. */
function parseFrame(block: string): Frame | undefined {
  const field = (name: string) =>
    block
      .split('\n')
      .find((line) => line.startsWith(`${name}: `))
      ?.slice(name.length + 2);
  const event = field('event');
  return event === undefined
    ? undefined
    : { event, id: field('id') ?? '', data: JSON.parse(field('data') ?? 'null') as unknown };
}

function names(frames: Frame[]): string[] {
  return frames
    .filter((f) => f.event === 'pipeline')
    .map((f) => (f.data as { object: { metadata: { name: string } } }).object.metadata.name);
}

describe('conveyor dashboard: the event stream', () => {
  it('starts with a reset, delivers a Pipeline created after connecting, and resumes with Last-Event-ID', async () => {
    const first = await openStream(main);
    await expect.poll(() => first.frames[0]?.event, { timeout: 30_000 }).toBe('reset');
    expect((first.frames[0]!.data as { namespaces: string[] }).namespaces).toEqual([ns]);

    await createPipeline(c, ns, pipeline('arrives-live', { stages: [stage('a')] }));
    await expect.poll(() => names(first.frames), { timeout: 30_000 }).toContain('arrives-live');
    const seen = first.frames.at(-1)!.id;
    first.close();

    // Another tab sees the change arrive: from then on the server holds it, and the resume must replay it.
    const watcher = await openStream(main);
    await expect.poll(() => watcher.frames[0]?.event, { timeout: 30_000 }).toBe('reset');
    await createPipeline(c, ns, pipeline('while-away', { stages: [stage('b')] }));
    await expect.poll(() => names(watcher.frames), { timeout: 30_000 }).toContain('while-away');
    watcher.close();

    const resumed = await openStream(main, seen);
    await expect.poll(() => names(resumed.frames), { timeout: 30_000 }).toContain('while-away');
    expect(resumed.frames.map((f) => f.event)).not.toContain('reset');
    expect(resumed.frames.every((f) => BigInt(f.id) > BigInt(seen))).toBe(true);
    resumed.close();

    const stale = await openStream(main, '12345');
    await expect.poll(() => stale.frames[0]?.event, { timeout: 30_000 }).toBe('reset');
    stale.close();
  });

  it('stops cleanly on SIGTERM, open streams included (exit code 0)', async () => {
    const stream = await openStream(main);
    await expect.poll(() => stream.frames[0]?.event, { timeout: 30_000 }).toBe('reset');
    await main.stop();
    expect(await main.exited).toBe(0);
  });
});
