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

/** The `reason` of a Kubernetes Status body (AlreadyExists, Conflict, Invalid, ...), if any. */
export function reason(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  try {
    const parsed = typeof body === 'string' ? (JSON.parse(body) as { reason?: string }) : (body as { reason?: string } | undefined);
    return parsed?.reason;
  } catch {
    return undefined;
  }
}

/** A short, loggable description of an API error. */
export function describeError(err: unknown): string {
  const status = httpStatus(err);
  const body = (err as { body?: unknown } | null)?.body;
  let message: string | undefined;
  try {
    const parsed = typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string } | undefined);
    message = parsed?.message;
  } catch {
    message = typeof body === 'string' ? body : undefined;
  }
  if (status !== undefined) return `HTTP ${status}${message ? `: ${message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}
