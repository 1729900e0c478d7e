import { describe, expect, it } from 'vitest';
import {
  allowedHosts,
  CONTENT_SECURITY_POLICY,
  Gate,
  readCookie,
  securityHeaders,
  tokenOf,
  type RequestFacts,
} from '../../../../src/console/server/security.ts';

const PORT = 43123;
const TOKEN = 'A'.repeat(43);

/** A gate whose token has been exchanged; returns it and the Cookie header of the session. */
function loggedIn(): { gate: Gate; cookie: string } {
  const gate = new Gate(PORT, TOKEN);
  const d = gate.decide({ method: 'GET', url: `/?token=${TOKEN}`, host: `127.0.0.1:${PORT}` });
  if (d.kind !== 'exchange' || !d.setCookie) throw new Error(`no session: ${JSON.stringify(d)}`);
  return { gate, cookie: d.setCookie.split(';')[0]! };
}

describe('Host header', () => {
  const cases: [string | undefined, boolean][] = [
    [`127.0.0.1:${PORT}`, true],
    [`localhost:${PORT}`, true],
    [`LOCALHOST:${PORT}`, true],
    [`[::1]:${PORT}`, true],
    ['127.0.0.1', false], // no port
    [`127.0.0.1:${PORT + 1}`, false], // another port
    [`evil.example:${PORT}`, false], // DNS rebinding
    [`localhost.evil.example:${PORT}`, false],
    [`127.0.0.2:${PORT}`, false],
    [`::1:${PORT}`, false],
    ['', false],
    [undefined, false],
  ];
  it.each(cases)('%s → allowed %s', (host, ok) => {
    const { gate, cookie } = loggedIn();
    const d = gate.decide({ method: 'GET', url: '/api/stream', cookie, ...(host === undefined ? {} : { host }) });
    expect(d.kind === 'refuse' ? d.status : 'pass').toBe(ok ? 'pass' : 421);
  });

  it('an explicit --address is allowed as well; a wildcard one adds nothing', () => {
    expect([...allowedHosts(80, '192.168.1.5')]).toContain('192.168.1.5:80');
    expect([...allowedHosts(80, 'fd00::5')]).toContain('[fd00::5]:80');
    expect([...allowedHosts(80, '0.0.0.0')]).toEqual(['127.0.0.1:80', 'localhost:80', '[::1]:80']);
  });
});

describe('Origin on state-changing requests', () => {
  const host = `127.0.0.1:${PORT}`;
  const cases: [string, string | undefined, number | 'pass'][] = [
    ['POST', `http://127.0.0.1:${PORT}`, 'pass'],
    ['POST', `http://localhost:${PORT}`, 'pass'],
    ['DELETE', `http://[::1]:${PORT}`, 'pass'],
    ['POST', undefined, 403],
    ['POST', 'null', 403],
    ['POST', 'http://evil.example', 403],
    ['POST', `https://127.0.0.1:${PORT}`, 403],
    ['POST', `http://127.0.0.1:${PORT + 1}`, 403],
    ['POST', `http://127.0.0.1:${PORT}/`, 403],
    ['PUT', 'http://evil.example', 403],
    ['PATCH', undefined, 403],
    ['delete', 'http://evil.example', 403],
    ['GET', undefined, 'pass'],
    ['GET', 'http://evil.example', 'pass'], // reads are guarded by the cookie (SameSite=Strict) and the absence of CORS
  ];
  it.each(cases)('%s with Origin %s → %s', (method, origin, expected) => {
    const { gate, cookie } = loggedIn();
    const d = gate.decide({
      method,
      url: '/api/pipelines/ns/p/run',
      host,
      cookie,
      ...(origin === undefined ? {} : { origin }),
    });
    expect(d.kind === 'refuse' ? d.status : d.kind).toBe(expected);
  });

  it('a cross-origin POST is refused even with a valid session', () => {
    const { gate, cookie } = loggedIn();
    expect(
      gate.decide({ method: 'POST', url: '/api/apply', host, cookie, origin: 'http://evil.example' }),
    ).toMatchObject({ kind: 'refuse', status: 403 });
  });
});

describe('one-time token and session', () => {
  const host = `localhost:${PORT}`;
  it('the token is exchanged once for an HttpOnly, SameSite=Strict cookie, then refused', () => {
    const gate = new Gate(PORT, TOKEN);
    const first = gate.decide({ method: 'GET', url: `/?token=${TOKEN}`, host });
    expect(first.kind).toBe('exchange');
    const setCookie = (first as { setCookie: string }).setCookie;
    expect(setCookie).toMatch(
      new RegExp(`^conveyor_session_${PORT}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/$`),
    );
    expect(gate.decide({ method: 'GET', url: `/?token=${TOKEN}`, host })).toMatchObject({
      kind: 'refuse',
      status: 401,
    });
  });

  it('a browser with a session that opens the link again is just sent to /', () => {
    const { gate, cookie } = loggedIn();
    expect(gate.decide({ method: 'GET', url: `/?token=${TOKEN}`, host, cookie })).toEqual({ kind: 'exchange' });
  });

  const refused: [string, RequestFacts][] = [
    ['no cookie', { method: 'GET', url: '/', host }],
    ['no cookie, API', { method: 'GET', url: '/api/stream', host }],
    ['a wrong token', { method: 'GET', url: `/?token=${'B'.repeat(43)}`, host }],
    ['an empty token', { method: 'GET', url: '/?token=', host }],
    ['the token on another path', { method: 'GET', url: `/api/stream?token=${TOKEN}`, host }],
    ['the token by POST', { method: 'POST', url: `/?token=${TOKEN}`, host, origin: `http://${host}` }],
    ['a made-up session', { method: 'GET', url: '/', host, cookie: `conveyor_session_${PORT}=${'C'.repeat(43)}` }],
    ['the session of another port', { method: 'GET', url: '/', host, cookie: `conveyor_session_1=${'C'.repeat(43)}` }],
    ['OPTIONS without a session', { method: 'OPTIONS', url: '/api/apply', host, origin: 'http://evil.example' }],
  ];
  it.each(refused)('%s → 401', (_, request) => {
    const gate = new Gate(PORT, TOKEN);
    expect(gate.decide(request)).toMatchObject({ kind: 'refuse', status: 401 });
  });

  it('the session cookie passes, among other cookies; each exchange makes a different secret', () => {
    const a = loggedIn();
    expect(a.gate.decide({ method: 'GET', url: '/app.js', host, cookie: `x=1; ${a.cookie}; y=2` })).toEqual({
      kind: 'pass',
    });
    expect(loggedIn().cookie).not.toBe(a.cookie);
  });
});

describe('helpers', () => {
  it('tokenOf reads ?token= on / only', () => {
    expect(tokenOf('/?token=abc')).toBe('abc');
    expect(tokenOf('/?a=1&token=abc')).toBe('abc');
    expect(tokenOf('/')).toBeUndefined();
    expect(tokenOf('/x?token=abc')).toBeUndefined();
  });

  it('readCookie finds one cookie by exact name', () => {
    expect(readCookie('a=1; b=2', 'b')).toBe('2');
    expect(readCookie('ab=1', 'b')).toBeUndefined();
    expect(readCookie(undefined, 'b')).toBeUndefined();
  });

  it('security headers: strict CSP everywhere, no-store on /api, never CORS', () => {
    for (const path of ['/', '/app.js', '/api/stream', '/api']) {
      const headers = securityHeaders(path);
      expect(headers['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(headers['X-Content-Type-Options']).toBe('nosniff');
      expect(headers['Referrer-Policy']).toBe('no-referrer');
      expect(Object.keys(headers).filter((h) => h.toLowerCase().startsWith('access-control-'))).toEqual([]);
      expect(headers['Cache-Control']).toBe(path.startsWith('/api') ? 'no-store' : undefined);
    }
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });
});
