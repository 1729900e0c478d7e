// The KubeConfig every Conveyor process uses. Two things on top of client-node's:
//
// - It reuses one HTTP dispatcher (connection pool) per set of TLS credentials. client-node 2.x
//   builds a new undici Agent for every request, so every API call paid a fresh TLS handshake:
//   in the benchmark that was most of the operator's CPU time and most of a stage hand-off.
//   Credentials are still read per request (a rotated token or certificate is picked up); only
//   an unchanged set of TLS options shares a pool.
// - It counts requests by verb and resource (metrics, the benchmark's writes per stage). Calls and
//   watches alike pass through applySecurityAuthentication.
import { createHash } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { countRequest } from './request-counter.ts';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];
type CreateDispatcher = (cluster: unknown, agentOptions: Record<string, unknown>) => unknown;

/** Upper bound on distinct credential sets kept (rotations add entries; old pools are dropped). */
const MAX_POOLS = 8;

function fingerprint(cluster: unknown, options: Record<string, unknown>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify((cluster as { name?: string; server?: string } | null) ?? {}));
  for (const key of Object.keys(options).sort()) {
    const value = options[key];
    if (value === undefined) continue;
    hash.update(`\0${key}=`);
    hash.update(Buffer.isBuffer(value) ? value : String(value));
  }
  return hash.digest('hex');
}

export class ConveyorKubeConfig extends k8s.KubeConfig {
  private readonly pools = new Map<string, unknown>();

  constructor() {
    super();
    // createDispatcher is private in client-node's types, so it is wrapped, not overridden.
    const self = this as unknown as { createDispatcher: CreateDispatcher };
    const original = self.createDispatcher.bind(this);
    self.createDispatcher = (cluster, agentOptions) => {
      const key = fingerprint(cluster, agentOptions);
      const cached = this.pools.get(key);
      if (cached !== undefined) return cached;
      const dispatcher = original(cluster, agentOptions);
      if (dispatcher === undefined) return undefined;
      if (this.pools.size >= MAX_POOLS) {
        const oldest = this.pools.keys().next().value;
        if (oldest !== undefined) this.pools.delete(oldest);
      }
      this.pools.set(key, dispatcher);
      return dispatcher;
    };
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    countRequest(String(context.getHttpMethod?.() ?? 'GET'), context.getUrl?.() ?? '');
    return super.applySecurityAuthentication(context);
  }
}
