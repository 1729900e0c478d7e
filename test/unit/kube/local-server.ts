// A real HTTP server on 127.0.0.1 for client tests: requests go through client-node's transport
// (middleware, deadlines, undici) as they would to an API server. No Kubernetes needed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';
import type * as k8s from '@kubernetes/client-node';
import { ConveyorKubeConfig } from '../../../src/kube/kubeconfig.ts';

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

const servers: { server: Server; sockets: Set<Socket> }[] = [];

// Every server is closed, hanging connections cut, after each test of a file that imports this.
afterEach(async () => {
  for (const { server, sockets } of servers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An HTTP server on a free local port; returns its URL. */
export async function serve(route: Route): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer(route);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * The operator's KubeConfig (pooled connections), pointed at a plain-HTTP local server. The
 * token arrives as `Authorization: Bearer <token>`, so a server can tell clients apart.
 */
export function kubeConfigFor(server: string, token = 'not-checked'): k8s.KubeConfig {
  const kc = new ConveyorKubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'local', server, skipTLSVerify: true }],
    users: [{ name: 'tester', token }],
    contexts: [{ name: 'local', cluster: 'local', user: 'tester' }],
    currentContext: 'local',
  });
  return kc;
}
