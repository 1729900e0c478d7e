// Requests this process sent to the API server, by verb and resource (counted in kubeconfig.ts),
// so writes (POST, PUT, PATCH, DELETE) can be told apart from reads (GET) and watches (WATCH),
// and a status write (pipelines/status) from an Event (events) or a Job create (jobs).

/** Count per `${verb} ${resource}`, e.g. "POST jobs", "PUT pipelines/status", "WATCH jobs". */
export const apiRequests = new Map<string, number>();

export type RequestListener = (verb: string, resource: string) => void;
const listeners = new Set<RequestListener>();

/** Called as each request is about to be sent (after authentication). */
export function onApiRequest(listener: RequestListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function countRequest(method: string, url: string): void {
  const { verb, resource } = classifyRequest(method, url);
  const key = `${verb} ${resource}`;
  apiRequests.set(key, (apiRequests.get(key) ?? 0) + 1);
  for (const listener of listeners) listener(verb, resource);
}

/** WATCH for a watch, else the HTTP method; the resource with its subresource ("pipelines/status"). */
export function classifyRequest(method: string, url: string): { verb: string; resource: string } {
  let path = url;
  let query = '';
  try {
    const parsed = new URL(url, 'http://x');
    path = parsed.pathname;
    query = parsed.search;
  } catch {
    // keep the raw string: the resource comes out as "unknown"
  }
  const verb = /[?&]watch=(true|1)/.test(query) ? 'WATCH' : method.toUpperCase();
  return { verb, resource: resourceOf(path) };
}

/**
 * /api/v1/namespaces/x/events → events; /apis/g/v/namespaces/x/pipelines/p/status →
 * pipelines/status; /api/v1/namespaces/x → namespaces. Anything else (discovery, /version) → other.
 */
function resourceOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 3) rest = parts.slice(3);
  else return 'other';
  if (rest[0] === 'namespaces' && rest.length >= 3) rest = rest.slice(2);
  const [resource, , subresource] = rest;
  if (!resource) return 'other';
  return subresource ? `${resource}/${subresource}` : resource;
}

export function totalApiRequests(): number {
  let total = 0;
  for (const n of apiRequests.values()) total += n;
  return total;
}
