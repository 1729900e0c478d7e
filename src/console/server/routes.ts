// The Console's routes (see protocol.ts), once a request has passed security.ts: each reads
// and checks what the browser sent, hands it to the ConsoleBackend and writes its answer. No
// Kubernetes here: the backend does that with the user's own credentials.
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CANNED_LOGS_HEADER, type ActionName, type ActionRequest } from '../protocol.ts';
import type { ConsoleBackend } from './backend.ts';
import type { StreamHub } from './sse.ts';
import { readStatic } from './static.ts';

/** YAML for dry-run/apply may be a large Pipeline; nothing else the browser sends is more than a few fields. */
export const YAML_BODY_LIMIT = 2 * 1024 * 1024;
export const SMALL_BODY_LIMIT = 4 * 1024;

const ACTIONS: readonly ActionName[] = ['run', 'retry', 'cancel', 'suspend', 'resume'];
const SCHEMA_FILE = fileURLToPath(new URL('../../../schema/pipeline.schema.json', import.meta.url));
/** A namespace or object name as Kubernetes allows it (DNS subdomain). */
const K8S_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

export interface RouteContext {
  backend: ConsoleBackend;
  hub: StreamHub;
  /** The security headers this answer carries (security.ts). */
  headers: Record<string, string>;
  uiDir?: string;
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** Answers one request that passed the security checks. */
export async function route(request: IncomingMessage, response: ServerResponse, ctx: RouteContext): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = request.method ?? 'GET';
  if (url.pathname === '/api' || url.pathname.startsWith('/api/')) return apiRoute(method, url, request, response, ctx);
  allow(method, ['GET', 'HEAD']);
  const file = await readStatic(url.pathname, ctx.uiDir);
  response.writeHead(file.status, { ...ctx.headers, 'Content-Type': file.type });
  response.end(method === 'HEAD' ? undefined : file.body);
}

async function apiRoute(
  method: string,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  const path = url.pathname;
  const { backend, headers } = ctx;
  if (path === '/api/stream') {
    allow(method, ['GET']);
    return ctx.hub.open(request, response, headers);
  }
  // Reaching this route means the request passed the gate: on a laptop the session is the link's.
  if (path === '/api/session') {
    allow(method, ['GET']);
    return sendJson(response, 200, { mode: 'local', via: 'link' }, headers);
  }
  if (path === '/api/access') {
    allow(method, ['GET']);
    return sendJson(response, 200, await backend.access(name(url.searchParams.get('namespace'), 'namespace')), headers);
  }
  if (path === '/api/schema') {
    allow(method, ['GET']);
    return sendJson(response, 200, await schema(), headers);
  }
  if (path === '/api/dry-run' || path === '/api/apply') {
    allow(method, ['POST']);
    const yaml = yamlOf(await readJson(request, YAML_BODY_LIMIT));
    const { status, result } = path === '/api/dry-run' ? await backend.dryRun(yaml) : await backend.apply(yaml);
    return sendJson(response, status, result, headers);
  }
  const match = /^\/api\/pipelines\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(path);
  if (match)
    return pipelineRoute(
      method,
      match.slice(1).map(decodeSegment) as [string, string, string],
      url,
      request,
      response,
      ctx,
    );
  throw new HttpError(404, `no such API: ${path}`);
}

async function pipelineRoute(
  method: string,
  [ns, pipeline, verb]: [string, string, string],
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  name(ns, 'namespace');
  name(pipeline, 'pipeline name');
  if (verb === 'logs') {
    allow(method, ['GET']);
    return streamLogs(ns, pipeline, url.searchParams, request, response, ctx);
  }
  if (!(ACTIONS as string[]).includes(verb))
    throw new HttpError(404, `no such action: ${verb} (one of ${ACTIONS.join(', ')})`);
  allow(method, ['POST']);
  const body = await readJson(request, SMALL_BODY_LIMIT, {});
  const { status, result } = await ctx.backend.act(
    ns,
    pipeline,
    verb as ActionName,
    actionRequest(body, verb as ActionName),
  );
  sendJson(response, status, result, ctx.headers);
}

function allow(method: string, methods: string[]): void {
  if (!methods.includes(method))
    throw new HttpError(405, `method ${method} not allowed here (${methods.join(', ')})`, {
      Allow: methods.join(', '),
    });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad URL segment: ${segment}`);
  }
}

function name(value: string | null, what: string): string {
  if (!value || value.length > 253 || !K8S_NAME.test(value))
    throw new HttpError(400, `${what} missing or not a Kubernetes name: ${JSON.stringify(value ?? '')}`);
  return value;
}

/** At most this many parameters in a request (spec.params allows fewer). */
const MAX_PARAMS = 100;

function actionRequest(body: unknown, action: ActionName): ActionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'the body must be a JSON object: { "run"?: string, "params"?: {…}, "noCache"?: boolean }');
  const { run, params, noCache } = body as { run?: unknown; params?: unknown; noCache?: unknown };
  if (run !== undefined && typeof run !== 'string') throw new HttpError(400, '"run" must be a string (a run id)');
  if ((params !== undefined || noCache !== undefined) && action !== 'run')
    throw new HttpError(400, '"params" and "noCache" are options of action run only');
  if (params !== undefined && !isStringMap(params))
    throw new HttpError(400, `"params" must map at most ${MAX_PARAMS} parameter names to strings`);
  if (noCache !== undefined && typeof noCache !== 'boolean')
    throw new HttpError(400, '"noCache" must be true or false');
  return {
    ...(run === undefined ? {} : { run }),
    ...(params === undefined ? {} : { params }),
    ...(noCache === true ? { noCache } : {}),
  };
}

function isStringMap(value: unknown): value is Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length <= MAX_PARAMS && entries.every(([, v]) => typeof v === 'string');
}

function yamlOf(body: unknown): string {
  const yaml = (body as { yaml?: unknown } | null)?.yaml;
  if (typeof yaml !== 'string') throw new HttpError(400, 'the body must be a JSON object: { "yaml": string }');
  return yaml;
}

let schemaText: Promise<unknown> | undefined;
function schema(): Promise<unknown> {
  schemaText ??= readFile(SCHEMA_FILE, 'utf8').then((text) => JSON.parse(text) as unknown);
  return schemaText;
}

/**
 * Reads a JSON body of at most `limit` bytes. It must say Content-Type: application/json: with
 * the Origin check this keeps out forms and other "simple" cross-site requests twice over.
 * An empty body gives `empty` when the route has a default, else a 400.
 */
export async function readJson(request: IncomingMessage, limit: number, empty?: unknown): Promise<unknown> {
  const text = await readBody(request, limit);
  if (text === '' && empty !== undefined) return empty;
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(415, 'send the body as JSON with Content-Type: application/json');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `the request body is over the limit of ${limit / 1024} KiB`);
  if (Number(request.headers['content-length'] ?? 0) > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * GET …/logs: the backend writes the log text (following while the pod runs). Headers go out
 * with the first bytes, so a backend that finds no pod can still answer 404 with its message, and
 * one that finds the pod's log canned (a KWOK node's) can say so in a header. When the tab goes away the sink is destroyed, which ends a follow.
 */
async function streamLogs(
  ns: string,
  pipeline: string,
  query: URLSearchParams,
  _request: IncomingMessage,
  response: ServerResponse,
  ctx: RouteContext,
): Promise<void> {
  const stage = query.get('stage');
  const run = query.get('run');
  if (!stage || !run) throw new HttpError(400, 'logs need ?stage=STAGE&run=RUN');
  const canned: Record<string, string> = {};
  const start = () =>
    response.headersSent ||
    response.writeHead(200, { ...ctx.headers, ...canned, 'Content-Type': 'text/plain; charset=utf-8' });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      start();
      if (response.write(chunk)) done();
      else response.once('drain', () => done());
    },
  });
  response.on('close', () => sink.destroy());
  const follow = query.get('follow') === '1';
  const answer = await ctx.backend.logs(
    ns,
    pipeline,
    stage,
    run,
    follow,
    sink,
    (node) => (canned[CANNED_LOGS_HEADER] = node),
  );
  if (sink.destroyed) return;
  await new Promise<void>((resolve) => sink.end(resolve));
  if (response.headersSent) return void response.end();
  if (answer.status !== 200)
    return sendJson(
      response,
      answer.status,
      { message: answer.message ?? `no logs (HTTP ${answer.status})` },
      ctx.headers,
    );
  start();
  response.end();
}
