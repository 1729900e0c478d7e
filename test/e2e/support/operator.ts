// Runs the real operator process (node src/main.ts) against the test cluster, as a user would,
// so tests can also kill it (SIGKILL) and start it again.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { waitFor } from './kube.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const LOG_DIR = process.env.CONVEYOR_E2E_LOGS ?? '/tmp/conveyor-e2e-logs';

async function freePort(): Promise<number> {
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

export async function startOperatorProcess(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<OperatorProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  const port = await freePort();
  const logFile = `${LOG_DIR}/${name}-${Date.now()}.log`;
  const out = createWriteStream(logFile);
  const child = spawn(process.execPath, ['src/main.ts', '--kubeconfig', inject('kubeconfig'), '--health-port', String(port), '--log-level', 'debug', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
