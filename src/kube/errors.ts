// Reading HTTP outcomes out of client-node's ApiException without depending on its class, and the
// operator's one error policy (classifyApiError).

/** The HTTP status code of a failed API call, or undefined for non-HTTP errors. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  // Only a real status: a DOMException (TimeoutError is code 23) or an errno string is not one.
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599 ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => httpStatus(err) === 404;
export const isAlreadyExists = (err: unknown): boolean => httpStatus(err) === 409 && reason(err) !== 'Conflict';
export const isConflict = (err: unknown): boolean => httpStatus(err) === 409 && reason(err) === 'Conflict';

/** The Kubernetes Status body of a failed call (client-node keeps it as a JSON string). */
function statusBody(err: unknown): { reason?: string; message?: string; raw?: string } {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body !== 'string') return (body as { reason?: string; message?: string } | undefined) ?? {};
  try {
    return JSON.parse(body) as { reason?: string; message?: string };
  } catch {
    return { raw: body };
  }
}

/** The `reason` of a Kubernetes Status body (AlreadyExists, Conflict, Invalid, ...), if any. */
export function reason(err: unknown): string | undefined {
  return statusBody(err).reason;
}

/** A short, loggable description of an API error. */
export function describeError(err: unknown): string {
  const status = httpStatus(err);
  const body = statusBody(err);
  const message = body.message ?? body.raw;
  if (status !== undefined) return `HTTP ${status}${message ? `: ${message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/**
 * An API request got no complete answer within its deadline (see makeApis). It carries no HTTP
 * status: the server may or may not have acted on it, so the caller re-plans from what it sees.
 */
export class ApiTimeoutError extends Error {
  override readonly name = 'TimeoutError';

  constructor(method: string, url: string, timeoutMs: number) {
    super(`${method} ${url}: no response within ${timeoutMs / 1000} s`);
  }
}

/**
 * What to do about a failed API call — the one error policy of the operator:
 *
 * | verdict    | failures                                                                   |
 * |------------|----------------------------------------------------------------------------|
 * | `conflict` | 409 with reason Conflict: a write conditional on a resourceVersion lost to  |
 * |            | a newer object. Plan again from that object; never overwrite it.           |
 * | `terminal` | the request as it is will never succeed, so a stage fails with the message: |
 * |            | 400 Bad Request, 403 Forbidden (RBAC or an admission webhook's denial: a    |
 * |            | person has to act), 405, 413 too large, 414, 415, 422 Invalid, and any      |
 * |            | error marked `terminal: true` (an OwnershipConflict).                       |
 * | `retry`    | everything else, with the queue's backoff: no HTTP answer (timeouts, aborts, |
 * |            | network errors), 401 (a rotated token is re-read per request), 403 exceeded |
 * |            | quota (frees up as other objects finish), 404 (the next reconcile sees the  |
 * |            | object gone and stops), 408, 409 AlreadyExists (the executor decides        |
 * |            | ownership before it gets here; "object is being deleted" frees the name),   |
 * |            | 410 Gone, 429 throttling, 5xx (including a webhook that could not be called).|
 *
 * AlreadyExists and Conflict are both 409; only the Status body's `reason` tells them apart.
 */
export type ErrorVerdict = { verdict: 'retry' | 'terminal' | 'conflict'; status?: number; message: string };

const TERMINAL_STATUSES = new Set([400, 403, 405, 413, 414, 415, 422]);

export function classifyApiError(err: unknown): ErrorVerdict {
  const status = httpStatus(err);
  const message = describeError(err);
  const base = status !== undefined ? { status, message } : { message };
  if ((err as { terminal?: unknown } | null)?.terminal === true) return { verdict: 'terminal', ...base };
  if (status === 409 && reason(err) === 'Conflict') return { verdict: 'conflict', ...base };
  if (status === 403 && isQuotaExceeded(err)) return { verdict: 'retry', ...base };
  if (status !== undefined && TERMINAL_STATUSES.has(status)) return { verdict: 'terminal', ...base };
  return { verdict: 'retry', ...base };
}

/**
 * ResourceQuota admission refuses with 403 and a fixed message ("exceeded quota: <name>, requested:
 * ..."): the same request succeeds once other objects in the namespace are gone.
 */
function isQuotaExceeded(err: unknown): boolean {
  return /\bexceeded quota\b/.test(statusBody(err).message ?? '');
}
