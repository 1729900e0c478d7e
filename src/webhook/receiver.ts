// The webhook receiver: its own node:http listener (`--webhook-address`, never the health port)
// taking POST /hook/<digest>. Each request goes through the checks in order, and the first that
// fails answers with a bare status code (outcomes.ts), counted in
// conveyor_webhook_deliveries_total and, once the Pipeline is known, recorded as a rate-bound
// Warning Event: method, path, content type, rate limits, body size, signature, params, then the
// run requests are written (writer.ts) or found known already (duplicate).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Pipeline } from '../api/types.ts';
import type { ListenAddress } from '../config.ts';
import { webhookDeliveries } from '../metrics.ts';
import { readCappedBody } from './body.ts';
import { isRefusal, type Outcome, STATUS_OF } from './outcomes.ts';
import type { Hook, PathIndex } from './path-index.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { RefusalEvents } from './refusal-events.ts';
import { isJsonContentType, routeRequest } from './route.ts';
import type { PipelineSource } from './source.ts';
import type { PlannedRequest, RequestWriter } from './writer.ts';

/** What the signature check and the body mapping say (checks.ts: verify.ts and requests.ts). */
export interface DeliveryChecks {
  /**
   * The delivery's run requests, or why it is refused or ignored; `status` 401 for a signature
   * refused because none was sent at all (403 otherwise).
   */
  check(
    pipeline: Pipeline,
    token: string,
    headers: IncomingMessage['headers'],
    body: Buffer,
  ):
    | { kind: 'requests'; delivery: string; requests: PlannedRequest[] }
    | { kind: 'refused'; outcome: Outcome; message: string; status?: number };
}

export interface ReceiverDeps {
  /** False while the operator is not the leader or its caches are not synced: every delivery is 503. */
  ready: () => boolean;
  source: PipelineSource;
  index: Pick<PathIndex, 'lookup' | 'signatureFailed'>;
  limiter: RateLimiter;
  writer: Pick<RequestWriter, 'write'>;
  events: RefusalEvents;
  checks: DeliveryChecks;
  log: Logger;
}

/** A delivery's answer: the outcome, and for `accepted` the tiny JSON body. */
interface Answer {
  outcome: Outcome;
  status?: number;
  retryAfterSeconds?: number;
  json?: unknown;
  /** Why, for the log and the Event; never sent to the client. */
  detail?: string;
  pipeline?: Pipeline;
  /** The client went away mid-body: nothing to answer, nothing to count. */
  aborted?: boolean;
}

export class Receiver {
  private readonly deps: ReceiverDeps;

  constructor(deps: ReceiverDeps) {
    this.deps = deps;
  }

  /** Answers one request; never throws (an unexpected failure is 503, logged). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.decide(req);
    } catch (err) {
      this.deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'webhook delivery failed');
      answer = { outcome: 'unavailable', retryAfterSeconds: 5, detail: 'internal error' };
    }
    this.respond(res, answer);
    this.record(answer);
  }

  private async decide(req: IncomingMessage): Promise<Answer> {
    const routed = routeRequest(req.method, req.url);
    if (!routed.ok) return { outcome: routed.outcome };
    // A standby or a starting operator knows no paths yet: "try again", not "no such path".
    if (!this.deps.ready()) return { outcome: 'unavailable', retryAfterSeconds: 5, detail: 'not ready' };
    const hook = this.deps.index.lookup(routed.path);
    const [namespace = '', name = ''] = hook?.key.split('/') ?? [];
    const pipeline = hook ? this.deps.source.get(namespace, name) : undefined;
    if (!hook || !pipeline) return { outcome: 'unknown_path' };
    if (!isJsonContentType(req.headers['content-type']))
      return { outcome: 'bad_content_type', pipeline, detail: 'content type is not JSON' };
    const admitted = this.deps.limiter.admit(hook.key, Date.now());
    if (!admitted.ok) {
      const retryAfterSeconds = Math.max(1, Math.ceil(admitted.retryAfterMs / 1000));
      return { outcome: 'rate_limited', pipeline, retryAfterSeconds, detail: 'rate limit exceeded' };
    }
    const read = await readCappedBody(req, req.headers['content-length']);
    if (!read.ok)
      return { outcome: 'too_large', pipeline, detail: 'body over 1 MiB', aborted: read.reason === 'aborted' };
    return this.deliver(req, hook, pipeline, read.body);
  }

  /** Signature, mapping and writing of a delivery whose body was read. */
  private async deliver(req: IncomingMessage, hook: Hook, pipeline: Pipeline, body: Buffer): Promise<Answer> {
    const checked = this.deps.checks.check(pipeline, hook.token, req.headers, body);
    if (checked.kind === 'refused') {
      if (checked.outcome === 'bad_signature') this.deps.index.signatureFailed(hook.key);
      return {
        outcome: checked.outcome,
        pipeline,
        detail: checked.message,
        ...(checked.status ? { status: checked.status } : {}),
      };
    }
    const mapped = checked;
    const written = await this.deps.writer.write(hook.key, mapped.requests);
    switch (written.kind) {
      case 'gone':
        return { outcome: 'unknown_path' };
      case 'duplicate':
        return { outcome: 'duplicate', pipeline, detail: `delivery ${mapped.delivery} is known` };
      case 'unavailable':
        return { outcome: 'unavailable', pipeline, retryAfterSeconds: 10, detail: written.message };
      case 'accepted': {
        const request = written.written.length === 1 ? written.written[0] : written.written;
        const json = { pipeline: hook.key, delivery: mapped.delivery, request };
        return { outcome: 'accepted', pipeline, json, detail: `requested ${written.written.join(', ')}` };
      }
    }
  }

  private respond(res: ServerResponse, answer: Answer): void {
    if (answer.aborted) {
      res.destroy();
      return;
    }
    const status = answer.status ?? (answer.outcome === 'bad_signature' ? 403 : STATUS_OF[answer.outcome]);
    const headers: Record<string, string> = {};
    if (answer.retryAfterSeconds !== undefined) headers['retry-after'] = String(answer.retryAfterSeconds);
    if (answer.outcome === 'bad_method') headers.allow = 'POST';
    // A body left unread (too large) must not be taken for the next request on this connection.
    if (answer.outcome === 'too_large') headers.connection = 'close';
    const body = answer.json === undefined ? '' : JSON.stringify(answer.json);
    if (body) headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
  }

  private record(answer: Answer): void {
    if (answer.aborted) return;
    webhookDeliveries.inc({ outcome: answer.outcome });
    const pipeline = answer.pipeline;
    const key = pipeline ? `${pipeline.metadata.namespace}/${pipeline.metadata.name}` : undefined;
    this.deps.log.debug({ pipeline: key, outcome: answer.outcome, detail: answer.detail }, 'webhook delivery');
    if (pipeline && isRefusal(answer.outcome))
      this.deps.events.refused(pipeline, answer.outcome, answer.detail ?? answer.outcome, Date.now());
  }
}

/** Timeouts that keep a slow or silent client from holding a socket. */
const SERVER_OPTIONS = {
  requestTimeout: 30_000,
  headersTimeout: 10_000,
  keepAliveTimeout: 5_000,
  maxHeaderSize: 16 * 1024,
};
/** Open connections at most; more are refused by the server before any request is read. */
const MAX_CONNECTIONS = 1024;

/** Starts the listener; resolves with the server and the port it bound (the address may say 0). */
export async function listen(receiver: Receiver, address: ListenAddress): Promise<{ server: Server; port: number }> {
  const server = createServer(SERVER_OPTIONS, (req, res) => void receiver.handle(req, res));
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  return { server, port: typeof bound === 'object' && bound ? bound.port : address.port };
}
