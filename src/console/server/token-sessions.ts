// Sessions for the in-cluster Console's "paste your token at login" path: the browser sends the
// token once (POST), gets a random session id in an HttpOnly, SameSite=Strict, Secure cookie, and
// the token itself stays in this process's memory, never in the browser's storage or a URL.
// Sessions end on logout, after an idle time, or when the store is full (least recently used first).
// Ids are looked up by their SHA-256, so no id is kept in the clear and no lookup compares secrets.
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'conveyor-console-session';

export interface TokenSessionOptions {
  /** A session unused this long ends. Default 30 minutes. */
  idleMs?: number;
  /** At most this many sessions; a new one pushes out the least recently used. Default 1,000. */
  maxSessions?: number;
  now?: () => number;
}

interface Session {
  token: string;
  lastUsed: number;
}

export class TokenSessions {
  private readonly sessions = new Map<string, Session>(); // insertion order = least recently used first
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;

  constructor(options: TokenSessionOptions = {}) {
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.maxSessions = Math.max(1, options.maxSessions ?? 1000);
    this.now = options.now ?? Date.now;
  }

  /** A new session for `token`; returns its id (256 random bits, base64url) for the cookie. */
  login(token: string): string {
    this.sweep();
    while (this.sessions.size >= this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(digest(id), { token, lastUsed: this.now() });
    return id;
  }

  /** The token of a live session (and the session counts as used), else undefined. */
  tokenFor(id: string | undefined): string | undefined {
    if (!id) return undefined;
    const key = digest(id);
    const session = this.sessions.get(key);
    if (!session) return undefined;
    if (this.now() - session.lastUsed >= this.idleMs) {
      this.sessions.delete(key);
      return undefined;
    }
    session.lastUsed = this.now();
    this.sessions.delete(key); // move to the most recently used end
    this.sessions.set(key, session);
    return session.token;
  }

  logout(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  /** Ends idle sessions (also done on every login). */
  sweep(): void {
    const now = this.now();
    for (const [key, session] of this.sessions) if (now - session.lastUsed >= this.idleMs) this.sessions.delete(key);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The Set-Cookie value for a session id: script cannot read it, other sites cannot send it, HTTPS only. */
  cookie(id: string): string {
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=${Math.ceil(this.idleMs / 1000)}`;
  }
}

/** The Set-Cookie value that removes the session cookie (logout). */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0`;
}

/** The session id of a Cookie header, if there is exactly a well-formed one. */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  const ids = cookieHeader
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${SESSION_COOKIE}=`))
    .map((part) => part.slice(SESSION_COOKIE.length + 1));
  return ids.length === 1 && /^[A-Za-z0-9_-]{43}$/.test(ids[0]!) ? ids[0] : undefined;
}

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}
