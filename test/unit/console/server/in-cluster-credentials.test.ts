// Sessions of pasted tokens and the per-token backend pool of the in-cluster Console, on a fake clock.
import { describe, expect, it } from 'vitest';
import { BackendPool, PoolFullError } from '../../../../src/console/server/backend-pool.ts';
import {
  SIGN_IN_MESSAGE,
  createInClusterConsole,
  type Credentials,
} from '../../../../src/console/server/in-cluster-credentials.ts';
import {
  SESSION_COOKIE,
  TokenSessions,
  clearedSessionCookie,
  sessionIdFrom,
} from '../../../../src/console/server/token-sessions.ts';
import { MemoryBackend } from './memory-backend.ts';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('TokenSessions', () => {
  it('login gives a fresh random id per login; tokenFor finds the token; logout ends it', () => {
    const s = new TokenSessions();
    const a = s.login('token-a');
    const b = s.login('token-a');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(s.tokenFor(a)).toBe('token-a');
    s.logout(a);
    expect(s.tokenFor(a)).toBeUndefined();
    expect(s.tokenFor(b)).toBe('token-a');
    expect(s.tokenFor(undefined)).toBeUndefined();
    expect(s.tokenFor('not-a-session')).toBeUndefined();
  });

  it('ends a session idle for idleMs; use keeps it alive', () => {
    const c = clock();
    const s = new TokenSessions({ idleMs: 1000, now: c.now });
    const used = s.login('t1');
    const idle = s.login('t2');
    c.advance(999);
    expect(s.tokenFor(used)).toBe('t1');
    c.advance(999);
    expect(s.tokenFor(used)).toBe('t1');
    expect(s.tokenFor(idle)).toBeUndefined();
    c.advance(1000);
    s.sweep();
    expect(s.size).toBe(0);
  });

  it('is bounded: a new login pushes out the least recently used session', () => {
    const c = clock();
    const s = new TokenSessions({ maxSessions: 2, now: c.now });
    const first = s.login('t1');
    const second = s.login('t2');
    expect(s.tokenFor(first)).toBe('t1'); // first is now the most recently used
    const third = s.login('t3');
    expect(s.size).toBe(2);
    expect(s.tokenFor(second)).toBeUndefined();
    expect(s.tokenFor(first)).toBe('t1');
    expect(s.tokenFor(third)).toBe('t3');
  });

  it('cookies: HttpOnly, SameSite=Strict, Secure, Path=/; read back only one well-formed id', () => {
    const s = new TokenSessions({ idleMs: 60_000 });
    const id = s.login('t');
    expect(s.cookie(id)).toBe(`${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=60`);
    expect(clearedSessionCookie()).toContain('Max-Age=0');
    const cases: [string | undefined, string | undefined][] = [
      [undefined, undefined],
      [`${SESSION_COOKIE}=${id}`, id],
      [`theme=dark; ${SESSION_COOKIE}=${id}; x=1`, id],
      [`${SESSION_COOKIE}=${id}; ${SESSION_COOKIE}=${id}`, undefined],
      [`${SESSION_COOKIE}=short`, undefined],
      [`other-${SESSION_COOKIE}=${id}`, undefined],
    ];
    for (const [header, expected] of cases) expect(sessionIdFrom(header), header).toBe(expected);
  });
});

class CountingBackend extends MemoryBackend {
  starts = 0;
  stops = 0;
  readonly token: string;
  private readonly failStart: boolean;
  constructor(token: string, failStart = false) {
    super();
    this.token = token;
    this.failStart = failStart;
  }
  override async start(): Promise<void> {
    this.starts += 1;
    if (this.failStart) throw new Error('start failed');
  }
  override async stop(): Promise<void> {
    this.stops += 1;
  }
}

function pool(options: { idleMs?: number; maxBackends?: number; failing?: Set<string> } = {}) {
  const c = clock();
  const made: CountingBackend[] = [];
  const p = new BackendPool({
    factory: (token) => {
      const b = new CountingBackend(token, options.failing?.has(token));
      made.push(b);
      return b;
    },
    now: c.now,
    ...(options.idleMs ? { idleMs: options.idleMs } : {}),
    ...(options.maxBackends ? { maxBackends: options.maxBackends } : {}),
  });
  return { p, made, c };
}

describe('BackendPool', () => {
  it('one started backend per token, shared by concurrent first requests', async () => {
    const { p, made } = pool();
    const [a1, a2, b] = await Promise.all([p.get('token-a'), p.get('token-a'), p.get('token-b')]);
    expect(a1).toBe(a2);
    expect(a1).not.toBe(b);
    expect(made.map((m) => [m.token, m.starts])).toEqual([
      ['token-a', 1],
      ['token-b', 1],
    ]);
    expect(p.size).toBe(2);
  });

  it('keys by the token hash, never the token', () => {
    expect(BackendPool.keyOf('secret-token')).toMatch(/^[0-9a-f]{64}$/);
    expect(BackendPool.keyOf('secret-token')).not.toContain('secret');
  });

  it('stops a backend idle for idleMs, not one in use or leased; the next use starts a new one', async () => {
    const { p, made, c } = pool({ idleMs: 1000 });
    await p.get('idle');
    const lease = await p.lease('leased');
    await p.get('used');
    c.advance(600);
    await p.get('used');
    c.advance(600);
    await p.sweep();
    expect(made.map((m) => [m.token, m.stops])).toEqual([
      ['idle', 1],
      ['leased', 0],
      ['used', 0],
    ]);
    lease.release();
    lease.release(); // twice is once
    c.advance(1000);
    await p.sweep();
    expect(made.map((m) => m.stops)).toEqual([1, 1, 1]);
    expect(p.size).toBe(0);
    const again = await p.get('idle');
    expect(again).not.toBe(made[0]);
    expect(made).toHaveLength(4);
  });

  it('is bounded: a new token stops the least recently used idle backend, and is refused when all are leased', async () => {
    const { p, made, c } = pool({ maxBackends: 2 });
    await p.get('a');
    c.advance(1);
    await p.get('b');
    c.advance(1);
    await p.get('a'); // b is now the least recently used
    await p.get('c');
    expect(made.map((m) => [m.token, m.stops])).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 0],
    ]);
    const leases = [await p.lease('a'), await p.lease('c')];
    await expect(p.get('d')).rejects.toBeInstanceOf(PoolFullError);
    await expect(p.get('d')).rejects.toMatchObject({ status: 503 });
    leases[0]!.release();
    await p.get('d');
    expect(made.map((m) => [m.token, m.stops])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 0],
      ['d', 0],
    ]);
  });

  it('a backend that fails to start is not kept: the error reaches the caller and the next call retries', async () => {
    const { p, made } = pool({ failing: new Set(['bad']) });
    await expect(p.get('bad')).rejects.toThrow('start failed');
    expect(p.size).toBe(0);
    await expect(p.get('bad')).rejects.toThrow('start failed');
    expect(made).toHaveLength(2);
  });

  it('close() stops everything', async () => {
    const { p, made } = pool();
    await p.get('a');
    await p.lease('b');
    await p.close();
    expect(made.map((m) => m.stops)).toEqual([1, 1]);
    expect(p.size).toBe(0);
  });
});

describe('createInClusterConsole: which token a request acts with', () => {
  const consoleFor = () =>
    createInClusterConsole({
      namespaces: [],
      api: { server: 'https://127.0.0.1:1' },
      factory: (token) => new CountingBackend(token),
    });

  it("the proxy's bearer token, else the session's, else 401 with what to do", async () => {
    const ic = consoleFor();
    const session = ic.sessions.login('pasted-token');
    const cookie = `${SESSION_COOKIE}=${session}`;
    const cases: [string, { authorization?: string; cookie?: string }, Credentials][] = [
      ['proxy header', { authorization: 'Bearer proxy-token' }, { ok: true, token: 'proxy-token', via: 'proxy' }],
      [
        'proxy header wins over a session',
        { authorization: 'Bearer proxy-token', cookie },
        { ok: true, token: 'proxy-token', via: 'proxy' },
      ],
      ['session cookie', { cookie }, { ok: true, token: 'pasted-token', via: 'session' }],
      [
        'malformed header is refused, not ignored',
        { authorization: 'Basic dTpw', cookie },
        { ok: false, status: 401, message: 'the Authorization header is not "Bearer <token>"' },
      ],
      [
        'unknown session',
        { cookie: `${SESSION_COOKIE}=${'x'.repeat(43)}` },
        { ok: false, status: 401, message: SIGN_IN_MESSAGE },
      ],
      ['nothing', {}, { ok: false, status: 401, message: SIGN_IN_MESSAGE }],
    ];
    for (const [label, headers, expected] of cases) expect(ic.credentials(headers), label).toEqual(expected);
    expect(ic.logout(cookie)).toContain('Max-Age=0');
    expect(ic.credentials({ cookie })).toEqual({ ok: false, status: 401, message: SIGN_IN_MESSAGE });
    await ic.close();
  });

  it('login refuses a token the API server was not asked about (unreachable: 502), and opens no session', async () => {
    const ic = consoleFor();
    expect(await ic.login('some-token')).toMatchObject({ ok: false, status: 502 });
    expect(await ic.login('not a token')).toEqual({ ok: false, status: 401, message: 'not a bearer token' });
    expect(ic.sessions.size).toBe(0);
    await ic.close();
  });
});

describe('BackendPool under concurrent first requests', () => {
  it('never holds more than maxBackends when new tokens arrive together; backends still starting are not evicted', async () => {
    const { p, made } = pool({ maxBackends: 2 });
    const results = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((t) => p.get(t)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    expect(results.slice(2).every((r) => r.status === 'rejected' && r.reason instanceof PoolFullError)).toBe(true);
    expect(made.map((m) => [m.token, m.stops])).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    await p.get('c'); // once started and idle, the least recently used makes room
    expect(made.map((m) => [m.token, m.stops])).toEqual([
      ['a', 1],
      ['b', 0],
      ['c', 0],
    ]);
    expect(p.size).toBe(2);
    await p.close();
  });
});
