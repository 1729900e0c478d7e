// The in-cluster Console's request path (`conveyor dashboard --in-cluster`): the same routes as
// on a laptop, but every request acts as the person who sent it. There is no one-time link; who
// the person is comes from the request itself — the bearer token an auth proxy in front of the
// Console passes (`Authorization: Bearer`), or a token the person pasted at login (POST
// /api/login, kept server-side behind an HttpOnly, SameSite=Strict, Secure cookie). Each token
// gets its own backend (backend-pool.ts); the Console's own ServiceAccount is never used.
// What stays the same: Host must be one the operator configured (--allowed-host), a state-changing
// request must carry an Origin of that host, no CORS, the strict CSP (security.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleBackend } from './backend.ts';
import type { InClusterConsole } from './in-cluster-credentials.ts';
import { HttpError, readJson, route, sendJson, SMALL_BODY_LIMIT } from './routes.ts';
import { StreamHub } from './sse.ts';
import { readStatic } from './static.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Host and Origin checks of the in-cluster mode; pure. */
export class InClusterGate {
  private readonly hosts: Set<string>;

  /** `allowedHosts`: the names the Console is reached by (its Ingress host), with or without a port. */
  constructor(allowedHosts: string[]) {
    if (allowedHosts.length === 0)
      throw new Error('--in-cluster needs at least one --allowed-host (the name the Console is reached by)');
    this.hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  }

  /** undefined when the request may go on; else the refusal. */
  refuse(
    method: string,
    host: string | undefined,
    origin: string | undefined,
  ): { status: 421 | 403; message: string } | undefined {
    if (!host || !this.allowed(host))
      return {
        status: 421,
        message: 'This Console answers only to the host names it was configured with (--allowed-host).',
      };
    if (STATE_CHANGING.has(method.toUpperCase()) && !this.allowedOrigin(origin)) {
      return {
        status: 403,
        message: 'Cross-origin request refused: a state-changing request must come from the Console itself.',
      };
    }
    return undefined;
  }

  private allowed(host: string): boolean {
    const name = host.toLowerCase();
    return this.hosts.has(name) || this.hosts.has(name.replace(/:\d+$/, ''));
  }

  private allowedOrigin(origin: string | undefined): boolean {
    if (!origin) return false;
    try {
      const url = new URL(origin);
      return (
        (url.protocol === 'https:' || url.protocol === 'http:') &&
        url.pathname === '/' &&
        origin === url.origin &&
        this.allowed(url.host)
      );
    } catch {
      return false;
    }
  }
}

export type InClusterContext = {
  gate: InClusterGate;
  console: InClusterConsole;
  headers: Record<string, string>;
  hubs: Map<ConsoleBackend, StreamHub>;
  uiDir?: string;
  stream?: { heartbeatMs?: number; ringSize?: number };
};

export async function handleInCluster(
  request: IncomingMessage,
  response: ServerResponse,
  ctx: InClusterContext,
): Promise<void> {
  const method = request.method ?? 'GET';
  const refusal = ctx.gate.refuse(method, request.headers.host, request.headers.origin);
  if (refusal) throw new HttpError(refusal.status, refusal.message, { Connection: 'close' });
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/api/login') return login(method, request, response, ctx);
  if (path === '/api/logout') return logout(method, request, response, ctx);
  // The UI is code, not data: it loads without credentials and asks for a login when the API says 401.
  if (path !== '/api' && !path.startsWith('/api/')) return staticFile(method, path, response, ctx);
  const credentials = ctx.console.credentials({
    authorization: request.headers.authorization,
    cookie: request.headers.cookie,
  });
  // WWW-Authenticate says what is missing: a bearer token (the UI then offers its sign-in form).
  if (!credentials.ok)
    throw new HttpError(401, credentials.message, { 'WWW-Authenticate': 'Bearer realm="conveyor-console"' });
  if (path === '/api/session')
    return sendJson(response, 200, { mode: 'in-cluster', via: credentials.via }, ctx.headers);
  if (path === '/api/stream') return stream(credentials.token, request, response, ctx);
  const backend = await ctx.console.pool.get(credentials.token);
  return route(request, response, {
    backend,
    hub: hubOf(backend, ctx),
    headers: ctx.headers,
    ...(ctx.uiDir ? { uiDir: ctx.uiDir } : {}),
  });
}

/** One stream hub per backend (per person); the lease keeps the backend alive while it streams. */
async function stream(
  token: string,
  request: IncomingMessage,
  response: ServerResponse,
  ctx: InClusterContext,
): Promise<void> {
  const lease = await ctx.console.pool.lease(token);
  response.on('close', () => lease.release());
  hubOf(lease.backend, ctx).open(request, response, ctx.headers);
}

function hubOf(backend: ConsoleBackend, ctx: InClusterContext): StreamHub {
  let hub = ctx.hubs.get(backend);
  if (!hub) ctx.hubs.set(backend, (hub = new StreamHub(backend, ctx.stream)));
  return hub;
}

async function login(
  method: string,
  request: IncomingMessage,
  response: ServerResponse,
  ctx: InClusterContext,
): Promise<void> {
  if (method !== 'POST') throw new HttpError(405, 'log in with POST { "token": "…" }', { Allow: 'POST' });
  const token = ((await readJson(request, 32 * 1024)) as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token.trim() === '')
    throw new HttpError(400, 'the body must be { "token": "<your Kubernetes bearer token>" }');
  const result = await ctx.console.login(token.trim());
  if (!result.ok) throw new HttpError(result.status, result.message);
  response.writeHead(200, {
    ...ctx.headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Set-Cookie': result.setCookie,
  });
  response.end(JSON.stringify({ ok: true, ...(result.username ? { user: result.username } : {}) }));
}

async function logout(
  method: string,
  request: IncomingMessage,
  response: ServerResponse,
  ctx: InClusterContext,
): Promise<void> {
  if (method !== 'POST') throw new HttpError(405, 'log out with POST', { Allow: 'POST' });
  await readJson(request, SMALL_BODY_LIMIT, {});
  const cleared = ctx.console.logout(request.headers.cookie);
  response.writeHead(200, { ...ctx.headers, 'Content-Type': 'application/json; charset=utf-8', 'Set-Cookie': cleared });
  response.end(JSON.stringify({ ok: true }));
}

async function staticFile(
  method: string,
  path: string,
  response: ServerResponse,
  ctx: InClusterContext,
): Promise<void> {
  if (method !== 'GET' && method !== 'HEAD')
    throw new HttpError(405, `method ${method} not allowed here (GET, HEAD)`, { Allow: 'GET, HEAD' });
  const file = await readStatic(path, ctx.uiDir);
  response.writeHead(file.status, { ...ctx.headers, 'Content-Type': file.type });
  response.end(method === 'HEAD' ? undefined : file.body);
}
