// `conveyor dashboard` (also `kubectl conveyor dashboard`): the Console, a local web server on
// 127.0.0.1 that talks to Kubernetes with the user's own kubeconfig, so Kubernetes RBAC is the
// only authority. Prints the one-time login URL, optionally opens it, and runs until SIGINT or
// SIGTERM. The security model is in src/console/server/security.ts and docs/console.md.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { ConsoleBackend } from '../console/server/backend.ts';
import { DEFAULT_ADDRESS, isLoopback, startConsoleServer, type ConsoleServer } from '../console/server/server.ts';
import type { CliIO } from './io.ts';
import { CliError, kubeContext } from './kube-context.ts';

export type DashboardOptions = {
  port: number;
  namespaces: string[];
  open: boolean;
  address: string;
  kubeconfig?: string;
  /** In a cluster: every request acts with its sender's token (see in-cluster-routes.ts). */
  inCluster?: { allowedHosts: string[] };
};

export function parseDashboardArgs(argv: string[]): DashboardOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '0' },
      namespace: { type: 'string', short: 'n', multiple: true },
      open: { type: 'boolean', default: false },
      address: { type: 'string' },
      kubeconfig: { type: 'string' },
      'in-cluster': { type: 'boolean', default: false },
      'allowed-host': { type: 'string', multiple: true },
    },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length) throw new CliError(`unexpected argument: ${positionals[0]}`);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535)
    throw new CliError(`--port must be a port number (0 for any free port), not ${JSON.stringify(values.port)}`);
  const namespaces = (values.namespace ?? [])
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean);
  const allowedHosts = (values['allowed-host'] ?? [])
    .flatMap((h) => h.split(','))
    .map((h) => h.trim())
    .filter(Boolean);
  if (values['in-cluster'] && allowedHosts.length === 0)
    throw new CliError('--in-cluster needs --allowed-host HOST: the name the Console is reached by (its Ingress host)');
  if (!values['in-cluster'] && allowedHosts.length > 0)
    throw new CliError(
      '--allowed-host goes with --in-cluster; on this machine the Console answers to 127.0.0.1 and localhost',
    );
  if (values['in-cluster'] && values.kubeconfig)
    throw new CliError("--in-cluster acts with each person's own token, never with a kubeconfig: drop --kubeconfig");
  return {
    port,
    namespaces,
    open: values.open,
    address: values.address ?? DEFAULT_ADDRESS,
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    ...(values['in-cluster'] ? { inCluster: { allowedHosts } } : {}),
  };
}

export async function dashboardCommand(argv: string[], io: CliIO): Promise<number> {
  const options = parseDashboardArgs(argv);
  if (options.inCluster) return inClusterDashboard(options, options.inCluster.allowedHosts, io);
  if (!isLoopback(options.address)) {
    io.err(
      `WARNING: the Console listens on ${options.address}, not only on this machine. Whoever reaches it with the printed link ` +
        'acts on Kubernetes with YOUR credentials. Use --address only on a network you trust, or use an SSH tunnel instead.',
    );
  }
  const { kc } = kubeContext(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {});
  const { createKubeBackend } = await import('../console/server/kube-backend.ts');
  const backend = createKubeBackend(kc, { namespaces: options.namespaces });
  await backend.start();
  const server = await startServerOrStop(backend, options);
  io.out(`Conveyor Console: ${server.url}`);
  if (options.open) openInBrowser(server.url, io);
  await signalled();
  await server.close();
  await backend.stop();
  return 0;
}

/**
 * `--in-cluster`: no kubeconfig and no link; each request brings its sender's token (an auth
 * proxy's Authorization header, or a token pasted at login). The pod's own ServiceAccount has no
 * rights and no token (the chart mounts none): the server reads only the API address and CA.
 */
async function inClusterDashboard(options: DashboardOptions, allowedHosts: string[], io: CliIO): Promise<number> {
  const { createInClusterConsole } = await import('../console/server/in-cluster-credentials.ts');
  const people = createInClusterConsole({ namespaces: options.namespaces });
  const server = await startConsoleServer({
    inCluster: { console: people, allowedHosts },
    port: options.port,
    address: options.address,
  });
  io.out(
    `Conveyor Console (in-cluster) listening on ${server.origin} for ${allowedHosts.join(', ')}; each request acts with its sender's own token`,
  );
  await signalled();
  await server.close();
  return 0;
}

async function startServerOrStop(backend: ConsoleBackend, options: DashboardOptions): Promise<ConsoleServer> {
  try {
    return await startConsoleServer({ backend, port: options.port, address: options.address });
  } catch (error) {
    await backend.stop();
    throw error;
  }
}

/** Resolves on the first SIGINT or SIGTERM (and then lets the process exit normally). */
function signalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Best effort: the URL is printed anyway, so a missing opener is only mentioned. */
function openInBrowser(url: string, io: CliIO): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', (error) =>
    io.err(`could not open a browser (${opener}: ${error.message}); open the URL above yourself`),
  );
  child.unref();
}
