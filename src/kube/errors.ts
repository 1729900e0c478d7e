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
