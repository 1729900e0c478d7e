// HTTP delivery of one notification: a POST with a deadline, answered by what the queue needs to
// decide (sent, retry later, or never). Redirects are not followed: a sink that redirects could send
// events past the allow-list (sinks.ts), so a 3xx answer is a permanent failure naming the status.
import { readFile } from 'node:fs/promises';
import type { Clock } from './clock.ts';

/** One HTTP POST, ready to send. */
export interface HttpRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What one attempt came to. `status` is absent when no answer arrived (connection error, timeout). */
export type SendOutcome =
  | { ok: true; status: number }
  | { ok: false; status?: number; retryAfterMs?: number; error: string };

export type Send = (request: HttpRequest) => Promise<SendOutcome>;

/** An attempt not answered in full by then fails (and is retried). */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
/** A Retry-After longer than this is not waited for in full (the queue's backoff cap bounds it too). */
const MAX_RETRY_AFTER_MS = 300_000;

/** Whether a failed attempt may succeed when tried again: no answer, 408, 429, or a 5xx. */
export function retryable(outcome: SendOutcome): boolean {
  if (outcome.ok) return false;
  const { status } = outcome;
  return status === undefined || status === 408 || status === 429 || status >= 500;
}

/** Retry-After in seconds (the HTTP-date form is rare for webhooks and read as absent). */
export function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d{1,9}$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

/** POSTs with node's fetch; never throws. `extraHeaders` are computed per attempt (a token that may change). */
export function httpSend(
  timeoutMs = DEFAULT_SEND_TIMEOUT_MS,
  extraHeaders: () => Promise<Record<string, string>> = async () => ({}),
): Send {
  return async (request) => {
    try {
      const res = await fetch(request.url, {
        method: 'POST',
        headers: { ...request.headers, ...(await extraHeaders()) },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The answer's body is not read: dropping it frees the connection for the next attempt.
      await res.body?.cancel().catch(() => {});
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      const wait = retryAfterMs(res.headers.get('retry-after'));
      return {
        ok: false,
        status: res.status,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
        error:
          res.status >= 300 && res.status < 400
            ? `HTTP ${res.status} (redirects are not followed)`
            : `HTTP ${res.status}`,
      };
    } catch (err) {
      const timedOut = err instanceof DOMException && err.name === 'TimeoutError';
      return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : describeFetchError(err) };
    }
  };
}

/** fetch's own message is "fetch failed"; the cause says what failed (ECONNREFUSED, ENOTFOUND, ...). */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? err.message;
}

/** How often the token file is read again: a rotated Secret is picked up within this long. */
export const TOKEN_REREAD_MS = 60_000;
const MAX_TOKEN_LENGTH = 16_384;

/**
 * A bearer token kept in a file (a mounted Secret): read when first needed, again once
 * TOKEN_REREAD_MS have passed, and at once after the endpoint answered 401 (invalidate). The token
 * never appears in logs or errors: only the file's path does.
 */
export class TokenFile {
  private readonly path: string;
  private readonly clock: Clock;
  private readonly read: (path: string) => Promise<string>;
  private token: string | undefined;
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(path: string, clock: Clock, read: (path: string) => Promise<string> = (p) => readFile(p, 'utf8')) {
    this.path = path;
    this.clock = clock;
    this.read = read;
  }

  /** The token, or an error naming the file (the attempt then fails and is retried). */
  async get(): Promise<string> {
    if (this.token === undefined || this.clock.now() - this.readAt >= TOKEN_REREAD_MS) {
      const text = await this.read(this.path).catch((err: unknown) => {
        throw new Error(`cannot read the token file ${this.path}: ${(err as { code?: string }).code ?? 'error'}`);
      });
      const token = text.trim();
      if (token === '' || token.length > MAX_TOKEN_LENGTH || /\s/.test(token)) {
        throw new Error(`the token file ${this.path} holds no single token of at most ${MAX_TOKEN_LENGTH} characters`);
      }
      this.token = token;
      this.readAt = this.clock.now();
    }
    return this.token;
  }

  /** The endpoint refused the token: read the file again before the next attempt. */
  invalidate(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
  }
}

/**
 * A Send that adds `Authorization: Bearer <token>` from `tokens`. A 401 reads the file again and
 * tries once more at once (the Secret may have been rotated); a second 401 stands.
 */
export function withBearerToken(tokens: TokenFile, timeoutMs = DEFAULT_SEND_TIMEOUT_MS): Send {
  const send = httpSend(timeoutMs, async () => ({ authorization: `Bearer ${await tokens.get()}` }));
  return async (request) => {
    const outcome = await send(request);
    if (outcome.ok || outcome.status !== 401) return outcome;
    tokens.invalidate();
    return send(request);
  };
}
