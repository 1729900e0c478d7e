// Routing of a webhook request before anything is read: the method, the path's shape and the
// content type. Pure, so every hostile shape is tested without a socket.
import type { Outcome } from './outcomes.ts';

/** `/hook/` + 64 lowercase hex digits (sha256), as status.webhook.path reports it. */
const HOOK_PATH = /^\/hook\/([0-9a-f]{64})$/;

export type Routed = { ok: true; path: string } | { ok: false; outcome: Outcome };

/**
 * POST with a JSON body to /hook/<digest>; the query string is ignored (some senders add one).
 * The method is checked first, so any GET (a scanner, a browser) is 405 whatever its path.
 */
export function routeRequest(method: string | undefined, url: string | undefined): Routed {
  if (method !== 'POST') return { ok: false, outcome: 'bad_method' };
  const path = (url ?? '').split('?')[0] ?? '';
  if (path.length > 80 || !HOOK_PATH.test(path)) return { ok: false, outcome: 'unknown_path' };
  return { ok: true, path };
}

/**
 * JSON only: `application/json`, with any parameters (`; charset=utf-8`), as verify.ts checks it
 * again. GitHub's form-encoded payload is refused: choose application/json in its settings.
 */
export function isJsonContentType(raw: string | undefined): boolean {
  if (raw === undefined || raw.length > 200) return false;
  return (raw.split(';')[0] ?? '').trim().toLowerCase() === 'application/json';
}
