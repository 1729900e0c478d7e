// Reading HTTP outcomes out of client-node's ApiException without depending on its class.

/** The HTTP status code of a failed API call, or undefined for non-HTTP errors. */
export function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
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
 * What to do about a failed API call — the one error policy of the operator:
 * - `conflict`: 409 Conflict on a write conditional on a resourceVersion. Plan again from the
 *   newer object; never overwrite it. (409 AlreadyExists on a create is not a failure at all:
 *   the executor treats it as success after checking the owner.)
 * - `terminal`: the request will never succeed as it is — 400 Bad Request, 403 Forbidden (RBAC:
 *   a person has to grant it), 413 too large, 422 Invalid, and an OwnershipConflict.
 * - `retry`: everything else — timeouts, aborts, network errors, 404 of a namespace being
 *   created, 429 throttling, 5xx — with the queue's backoff.
 */
export type ErrorVerdict = { verdict: 'retry' | 'terminal' | 'conflict'; status?: number; message: string };

const TERMINAL_STATUSES = new Set([400, 403, 413, 422]);

export function classifyApiError(err: unknown): ErrorVerdict {
  const status = httpStatus(err);
  const message = describeError(err);
  const base = status !== undefined ? { status, message } : { message };
  if ((err as { terminal?: unknown } | null)?.terminal === true) return { verdict: 'terminal', ...base };
  if (status === 409 && reason(err) === 'Conflict') return { verdict: 'conflict', ...base };
  if (status !== undefined && TERMINAL_STATUSES.has(status)) return { verdict: 'terminal', ...base };
  return { verdict: 'retry', ...base };
}
