// Runs the real operator process (node src/main.ts) against the test cluster, as a user would,
// so tests can also kill it (SIGKILL) and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { testNamespace, waitFor, type Clients } from './kube.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const LOG_DIR = process.env.CONVEYOR_E2E_LOGS ?? '/tmp/conveyor-e2e-logs';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface OperatorProcess {
  child: ChildProcess;
  port: number;
  logFile: string;
  /** SIGTERM and wait for exit. */
  stop: () => Promise<void>;
  /** SIGKILL: no chance to finish anything. */
  kill: () => Promise<void>;
}

export async function startOperatorProcess(
  name: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<OperatorProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  const port = await freePort();
  const logFile = `${LOG_DIR}/${name}-${Date.now()}.log`;
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      'src/main.ts',
      '--kubeconfig',
      inject('kubeconfig'),
      '--health-port',
      String(port),
      '--log-level',
      'debug',
      ...args,
    ],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`operator ${name} ready (log: ${logFile})`, 60_000, async () => {
    if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}; see ${logFile}`);
    const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
    return res?.ok;
  });
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
  };
  return { child, port, logFile, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/**
 * One operator per test file, watching only the file's own namespaces (one per test, made up
 * front), so files and other users of the cluster never see each other's Pipelines.
 */
export interface OperatorSuite {
  /** The namespace prepared for a test, by its prefix. */
  ns: (prefix: string) => string;
  operator: () => OperatorProcess;
  /** Kills the operator (SIGKILL) and starts a new one on the same namespaces. */
  restart: (name: string) => Promise<void>;
  setUp: () => Promise<void>;
  tearDown: () => Promise<void>;
}

/**
 * `extraArgs` go to every operator the suite starts (e.g. ['--workers', '2']); as a function they
 * may name the prepared namespaces (e.g. for --leader-election-namespace).
 */
export function operatorSuite(
  c: Clients,
  name: string,
  prefixes: string[],
  setUpCluster: () => Promise<void>,
  extraArgs: string[] | ((ns: (prefix: string) => string) => string[]) = [],
): OperatorSuite {
  const namespaces = new Map<string, string>();
  const cleanups: (() => Promise<void>)[] = [];
  let current: OperatorProcess | undefined;
  const ns = (prefix: string): string => {
    const n = namespaces.get(prefix);
    if (!n) throw new Error(`no namespace prepared for ${prefix}`);
    return n;
  };
  const args = (): string[] => [
    '--namespaces',
    [...namespaces.values()].join(','),
    ...(typeof extraArgs === 'function' ? extraArgs(ns) : extraArgs),
  ];
  return {
    ns,
    operator: () => {
      if (!current) throw new Error('operator not started');
      return current;
    },
    restart: async (next) => {
      await current?.kill();
      current = await startOperatorProcess(next, args());
    },
    setUp: async () => {
      await setUpCluster();
      for (const prefix of prefixes) {
        const n = await testNamespace(c, prefix);
        cleanups.push(n.cleanup);
        namespaces.set(prefix, n.name);
      }
      current = await startOperatorProcess(name, args());
    },
    tearDown: async () => {
      await current?.stop();
      await Promise.all(cleanups.map((f) => f()));
    },
  };
}
