// The Console's HTTP server: node:http on 127.0.0.1 (another address only when asked for
// explicitly), every request through the security gate (security.ts) and then the routes
// (routes.ts) that delegate to the ConsoleBackend.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsoleBackend } from './backend.ts';
import { Gate, newSecret, securityHeaders } from './security.ts';
import { HttpError, route, sendJson } from './routes.ts';
import { StreamHub } from './sse.ts';
import type { InClusterConsole } from './in-cluster-credentials.ts';
import { handleInCluster, InClusterGate } from './in-cluster-routes.ts';

export const DEFAULT_ADDRESS = '127.0.0.1';

export interface ConsoleServerOptions {
  /** On a laptop: one backend with the user's kubeconfig, behind the one-time link. */
  backend?: ConsoleBackend;
  /**
   * In a cluster (`--in-cluster`): each request acts with its sender's own token, through a
   * backend per person; no one-time link (in-cluster-routes.ts). Exactly one of the two is set.
   */
  inCluster?: { console: InClusterConsole; allowedHosts: string[] };
  /** 0 (default): any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  address?: string;
  /** The UI files (default dist/console/). */
  uiDir?: string;
  /** Tests only: a shorter SSE heartbeat, a smaller ring. */
  stream?: { heartbeatMs?: number; ringSize?: number };
}

export interface ConsoleServer {
  port: number;
  /** The URL with the one-time token, to print or open. */
  url: string;
  /** This server's own origin, e.g. http://127.0.0.1:PORT. */
  origin: string;
  close(): Promise<void>;
}

/** True for addresses only this machine can reach. */
export function isLoopback(address: string): boolean {
  return address === 'localhost' || address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address);
}

/** Starts listening; the backend must already be started (its snapshot is served at once). */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  if (!options.backend === !options.inCluster)
    throw new Error('the Console serves either one backend (local) or the in-cluster mode, not both or neither');
  if (options.inCluster) return startInCluster(options, options.inCluster);
  const backend = options.backend as ConsoleBackend;
  const address = options.address ?? DEFAULT_ADDRESS;
  const hub = new StreamHub(backend, options.stream);
  let gate: Gate | undefined; // made once the port is known: the Host check needs it
  const server = createServer((request, response) => {
    void handle(request, response, { gate: gate!, hub, options, backend });
  });
  await listen(server, options.port ?? 0, address);
  const port = (server.address() as AddressInfo).port;
  const token = newSecret();
  const explicit = address === DEFAULT_ADDRESS ? undefined : address;
  gate = new Gate(port, token, explicit);
  const host = explicit && !isWildcardAddress(explicit) ? hostPart(explicit) : DEFAULT_ADDRESS;
  const origin = `http://${host}:${port}`;
  return { port, origin, url: `${origin}/?token=${token}`, close: () => close(server, [hub]) };
}

/** The in-cluster mode: no link to print; who acts is decided per request. */
async function startInCluster(
  options: ConsoleServerOptions,
  mode: NonNullable<ConsoleServerOptions['inCluster']>,
): Promise<ConsoleServer> {
  const address = options.address ?? DEFAULT_ADDRESS;
  const gate = new InClusterGate(mode.allowedHosts);
  const hubs = new Map<ConsoleBackend, StreamHub>();
  const server = createServer((request, response) => {
    const headers = securityHeaders(pathOf(request.url ?? '/') ?? '/');
    const context = {
      gate,
      console: mode.console,
      headers,
      hubs,
      ...(options.uiDir ? { uiDir: options.uiDir } : {}),
      ...(options.stream ? { stream: options.stream } : {}),
    };
    void answer(response, headers, () => handleInCluster(request, response, context));
  });
  await listen(server, options.port ?? 0, address);
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${hostPart(address)}:${port}`;
  return {
    port,
    origin,
    url: `${origin}/`,
    close: async () => {
      await close(server, [...hubs.values()]);
      await mode.console.close();
    },
  };
}

function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server, hubs: StreamHub[]): Promise<void> {
  for (const hub of hubs) hub.close();
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections(); // open streams and keep-alive sockets would hold close() forever
  });
}

type HandleContext = { gate: Gate; hub: StreamHub; options: ConsoleServerOptions; backend: ConsoleBackend };

async function handle(request: IncomingMessage, response: ServerResponse, context: HandleContext): Promise<void> {
  const path = pathOf(request.url ?? '/');
  const headers = securityHeaders(path ?? '/');
  await answer(response, headers, async () => {
    if (path === undefined) throw new HttpError(400, 'the request target is not a valid URL');
    await gateThenRoute(request, response, headers, context);
  });
}

/** Runs a request's handling; nothing a request does may end the process: every failure becomes an answer. */
async function answer(
  response: ServerResponse,
  headers: Record<string, string>,
  work: () => Promise<void>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    // Nothing a request does may end the process: every failure becomes an answer.
    if (response.headersSent) return void response.destroy();
    if (error instanceof HttpError)
      return sendJson(response, error.status, { message: error.message }, { ...headers, ...error.headers });
    sendJson(response, 500, { message: error instanceof Error ? error.message : String(error) }, headers);
  }
}

/** The path of a request target; undefined when it does not parse (e.g. "http://["). */
function pathOf(target: string): string | undefined {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

async function gateThenRoute(
  request: IncomingMessage,
  response: ServerResponse,
  headers: Record<string, string>,
  { gate, hub, options, backend }: HandleContext,
): Promise<void> {
  const decision = gate.decide({
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    host: request.headers.host,
    origin: request.headers.origin,
    cookie: request.headers.cookie,
  });
  if (decision.kind === 'refuse') return refuse(response, decision.status, decision.message, headers);
  if (decision.kind === 'exchange') {
    // 303 to /: the token leaves the address bar and, with no-store, the history and caches.
    response.writeHead(303, {
      ...headers,
      'Cache-Control': 'no-store',
      Location: '/',
      ...(decision.setCookie ? { 'Set-Cookie': decision.setCookie } : {}),
    });
    return void response.end();
  }
  await route(request, response, { backend, hub, headers, ...(options.uiDir ? { uiDir: options.uiDir } : {}) });
}

function refuse(response: ServerResponse, status: number, message: string, headers: Record<string, string>): void {
  // A refused request may still be sending its body; answering and closing is enough.
  response.setHeader('Connection', 'close');
  sendJson(response, status, { message }, { ...headers, 'Cache-Control': 'no-store' });
}
