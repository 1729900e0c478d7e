// /healthz (the process is alive and its event loop turns) and /readyz (the caches are synced
// and the operator is reconciling), for Kubernetes probes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HealthChecks {
  ready: () => boolean;
  /** Extra text endpoints, e.g. /metrics. */
  routes?: Record<string, () => Promise<{ contentType: string; body: string }>>;
}

export async function startHealthServer(
  host: string,
  port: number,
  checks: HealthChecks,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const ok = checks.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    const route = checks.routes?.[path];
    if (route) {
      route().then(
        (r) => res.writeHead(200, { 'content-type': r.contentType }).end(r.body),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    res.writeHead(404).end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
