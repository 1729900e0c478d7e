// The checks every request to the Console passes before it reaches a route. The Console acts
// with the user's own Kubernetes credentials, so anything that can make the browser (or another
// local process) talk to it could act as the user. What stands in the way:
// - Host must name the loopback address and port the server listens on (DNS rebinding: a page
//   of evil.example whose name now resolves to 127.0.0.1 sends Host: evil.example) → 421;
// - a state-changing method must carry an Origin of this very server (cross-site request
//   forgery; browsers always send Origin on such requests) → 403;
// - the one-time token of the printed URL is exchanged once for a random session cookie
//   (HttpOnly, SameSite=Strict) and the browser is sent to / so the token leaves the address bar
//   and history; every other request needs that cookie → 401;
// - no CORS headers ever, and a strict Content-Security-Policy on every answer.
// Pure apart from the random bytes: decide() sees a request's parts and says what to do.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

/** What decide() needs of a request. Header values as Node gives them (lower-case names). */
export interface RequestFacts {
  method: string;
  /** The request target, e.g. "/?token=abc" or "/api/stream". */
  url: string;
  host?: string;
  origin?: string;
  cookie?: string;
}

export type Decision =
  | { kind: 'refuse'; status: 421 | 403 | 401; message: string }
  /** GET /?token=…: answer 303 → /, with this Set-Cookie when the token made a new session. */
  | { kind: 'exchange'; setCookie?: string }
  | { kind: 'pass' };

/** The hosts ("name:port") a request may name: the loopback ones, plus an explicit --address. */
export function allowedHosts(port: number, address?: string): Set<string> {
  const names = [...LOOPBACK_HOSTS];
  if (address && !isWildcard(address) && !names.includes(bracketed(address))) names.push(bracketed(address));
  return new Set(names.map((name) => `${name}:${port}`));
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '[::]';
}

function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** A new one-time token or session secret: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Equal digests, compared in constant time (digests have one length, so no length leaks). */
function sameSecret(a: Buffer, candidate: string): boolean {
  return timingSafeEqual(a, digest(candidate));
}

/** Reads one cookie from a Cookie header; undefined if absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The security state of one server: its port, its one-time token (until used) and the sessions
 * handed out. The cookie name carries the port: browsers do not separate cookies by port, and
 * two Consoles on one machine must not overwrite each other's session.
 */
export class Gate {
  readonly hosts: Set<string>;
  readonly origins: Set<string>;
  readonly cookieName: string;
  private token: Buffer | undefined;
  private readonly sessions: Buffer[] = [];

  constructor(port: number, token: string, address?: string) {
    this.hosts = allowedHosts(port, address);
    this.origins = new Set([...this.hosts].map((host) => `http://${host}`));
    this.cookieName = `conveyor_session_${port}`;
    this.token = digest(token);
  }

  decide(request: RequestFacts): Decision {
    const host = request.host?.toLowerCase();
    if (!host || !this.hosts.has(host))
      return refuse(421, 'This Console answers only to 127.0.0.1, localhost or [::1] at its own port.');
    const method = request.method.toUpperCase();
    if (STATE_CHANGING.has(method) && (!request.origin || !this.origins.has(request.origin.toLowerCase()))) {
      return refuse(403, 'Cross-origin request refused: a state-changing request must come from the Console itself.');
    }
    const session = readCookie(request.cookie, this.cookieName);
    const hasSession = session !== undefined && this.sessions.some((known) => sameSecret(known, session));
    const token = tokenOf(request.url);
    if (method === 'GET' && token !== undefined) return this.exchange(token, hasSession);
    return hasSession
      ? { kind: 'pass' }
      : refuse(401, 'No Console session: open the URL that `conveyor dashboard` printed.');
  }

  /** GET /?token=…: a valid unused token makes a session; a browser that has one is just sent on. */
  private exchange(token: string, hasSession: boolean): Decision {
    if (this.token && sameSecret(this.token, token)) {
      this.token = undefined; // one use only
      const session = newSecret();
      this.sessions.push(digest(session));
      return { kind: 'exchange', setCookie: `${this.cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/` };
    }
    if (hasSession) return { kind: 'exchange' };
    return refuse(401, 'This Console link was already used or is wrong: run `conveyor dashboard` again for a new one.');
  }
}

function refuse(status: 421 | 403 | 401, message: string): Decision {
  return { kind: 'refuse', status, message };
}

/** The token of "/?token=…" (only on the root path); undefined on any other request. */
export function tokenOf(url: string): string | undefined {
  const parsed = new URL(url, 'http://localhost');
  if (parsed.pathname !== '/') return undefined;
  return parsed.searchParams.get('token') ?? undefined;
}

/** Headers every answer carries; `Cache-Control: no-store` on the API and on refusals. */
export function securityHeaders(path: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
  if (path === '/api' || path.startsWith('/api/')) headers['Cache-Control'] = 'no-store';
  return headers;
}
