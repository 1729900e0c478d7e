// Runs the real Console, `conveyor dashboard` (the CLI's sources, as bin/conveyor.js), as a process
// against the test cluster, the way a user starts it, for e2e and browser tests.
//
//   const c = await startConsole({ args: ['-n', ns] });   // resolves once the URL is printed,
//                                                         // i.e. the backend's first lists are in
//   const page = await openConsole(c.url);                // browser.ts: logs in with the token
//   await fetch(`${c.origin}/api/...`, ...)               // needs a session cookie: see below
//   await c.stop();                                       // SIGTERM, waits for the exit
//
// `url` carries the one-time token: it works ONCE (the first GET trades it for a session
// cookie and redirects to /). Tests that talk HTTP themselves use login(url) for the cookie.
// Options: `kubeconfig` (default: the suite's, inject('kubeconfig')) — pass another user's
// kubeconfig (see rbac.ts) to see the Console with that user's rights; `args` are added to
// the command line (e.g. ['-n', ns] to watch one namespace; --port defaults to 0, any free);
// `command` runs another conveyor than the sources (e.g. an installed one), from `cwd`.
// The process's output goes to LOG_DIR/console-<time>.log, named in every failure.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { LOG_DIR } from './operator.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
/**
 * `conveyor` from the sources, as bin/conveyor.js runs it when nothing is built: bin/ prefers a
 * compiled dist/cli, and a dist/ left by an earlier `npm run build` would test old code.
 */
const FROM_SOURCES = [
  '--input-type=module',
  '-e',
  "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));",
];
const URL_LINE = /^Conveyor Console: (http:\/\/\S+\/\?token=[A-Za-z0-9_-]+)$/m;

export interface ConsoleProcess {
  /** The one-time login URL the command printed. */
  url: string;
  /** http://127.0.0.1:PORT — what a same-origin request sends as Origin. */
  origin: string;
  port: number;
  logFile: string;
  /** SIGTERM, then waits until the process has exited. */
  stop(): Promise<void>;
  /** The exit code once the process has exited (null when a signal killed it). */
  exited: Promise<number | null>;
}

export async function startConsole(
  opts: { kubeconfig?: string; args?: string[]; command?: string[]; cwd?: string } = {},
): Promise<ConsoleProcess> {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = `${LOG_DIR}/console-${Date.now()}-${Math.random().toString(36).slice(2, 6)}.log`;
  const log = createWriteStream(logFile);
  const [command, ...prefix] = opts.command ?? [process.execPath, ...FROM_SOURCES];
  const child = spawn(
    command!,
    [...prefix, 'dashboard', '--kubeconfig', opts.kubeconfig ?? inject('kubeconfig'), ...(opts.args ?? [])],
    {
      cwd: opts.cwd ?? root,
      env: { ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await printedUrl(child.stdout!, exited, logFile, log);
  const origin = new URL(url).origin;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return { url, origin, port: Number(new URL(url).port), logFile, stop, exited };
}

/** Waits (60 s at most) for the URL line; fails at once if the process exits first. */
function printedUrl(
  stdout: NodeJS.ReadableStream,
  exited: Promise<unknown>,
  logFile: string,
  log: NodeJS.WritableStream,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`conveyor dashboard printed no URL within 60 s; see ${logFile}`)),
      60_000,
    );
    stdout.on('data', (chunk: Buffer) => {
      log.write(chunk);
      text += chunk.toString('utf8');
      const match = URL_LINE.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`conveyor dashboard exited before printing its URL; see ${logFile}`));
    });
  });
}

/**
 * Trades the one-time URL for a session, as a browser would, and returns the Cookie header
 * value to send with later requests (with Origin: console.origin on POSTs).
 */
export async function login(url: string): Promise<string> {
  const res = await fetch(url, { redirect: 'manual' });
  const setCookie = res.headers.get('set-cookie');
  if (res.status !== 303 || !setCookie)
    throw new Error(`login with ${url} answered ${res.status}: ${await res.text()}`);
  return setCookie.split(';')[0]!;
}
