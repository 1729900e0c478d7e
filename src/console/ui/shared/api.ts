// fetch helpers for the Console's JSON API (same origin; the session cookie goes along by
// itself, and the browser's own Origin header is what the server checks on POSTs).
import type { ApiError } from '../../protocol.ts';

export class ApiRequestError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The server's own words for a failed request: ApiError.message, else the text, else the status. */
async function failureOf(res: Response): Promise<ApiRequestError> {
  const text = await res.text().catch(() => '');
  let message = text.trim();
  try {
    const parsed = JSON.parse(text) as Partial<ApiError>;
    if (typeof parsed.message === 'string' && parsed.message) message = parsed.message;
  } catch {
    // Not JSON: the text is the message.
  }
  return new ApiRequestError(res.status, message || `${res.status} ${res.statusText}`);
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw await failureOf(res);
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await failureOf(res);
  return (await res.json()) as T;
}

/**
 * For answers shaped { ok, message } (actions, dry run, apply): a refusal (403, 422, …) becomes
 * { ok: false, message } with the server's reason, so views show it instead of handling throws.
 */
export async function postOutcome<T extends { ok: boolean; message: string }>(path: string, body: unknown): Promise<T> {
  try {
    return await postJson<T>(path, body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message } as T;
  }
}

/** /api/pipelines/NS/NAME[/suffix], each segment encoded. */
export function pipelinePath(namespace: string, name: string, suffix?: string): string {
  const base = `/api/pipelines/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  return suffix ? `${base}/${suffix}` : base;
}
