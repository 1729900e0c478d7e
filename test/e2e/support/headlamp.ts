// Headlamp 0.30.0 (server + frontend, built from its source: ../shared/tools/headlamp-0.30.0.tgz,
// see that folder's README) with the Conveyor plugin, for the plugin's browser test.
//
//   const dir = await pluginsDir();                        // npm run package, the tarball unpacked
//   const h = await startHeadlamp({ kubeconfig, pluginsDir: dir });
//   await page.goto(h.origin);                             // redirects to /c/<context>/
//   await h.stop();
//
// The tarball is unpacked once into ~/.cache/conveyor/headlamp-0.30.0 (CONVEYOR_CACHE moves the
// cache; CONVEYOR_HEADLAMP_TGZ names another tarball). The server listens on 127.0.0.1 only.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, LOG_DIR } from './operator.ts';
import { waitFor } from './kube.ts';

export const HEADLAMP_VERSION = '0.30.0';
const root = fileURLToPath(new URL('../../..', import.meta.url));
const TGZ = `headlamp-${HEADLAMP_VERSION}.tgz`;
const PLUGIN = join(root, 'plugins/headlamp');

/** The tarball: CONVEYOR_HEADLAMP_TGZ, else ../shared/tools next to the clone (or its worktree folder). */
function headlampTarball(): string {
  const candidates = process.env.CONVEYOR_HEADLAMP_TGZ
    ? [process.env.CONVEYOR_HEADLAMP_TGZ]
    : [join(root, '..', 'shared/tools', TGZ), join(root, '../..', 'shared/tools', TGZ)];
  const found = candidates.find((p) => existsSync(p));
  if (!found)
    throw new Error(
      `Headlamp ${HEADLAMP_VERSION} is not there: looked for ${candidates.join(', ')}. ` +
        'It is built from Headlamp’s source (see ../shared/tools/README.md); set CONVEYOR_HEADLAMP_TGZ to its path.',
    );
  return found;
}

/** The unpacked Headlamp (headlamp-server + frontend/), unpacking it on first use. */
export function headlampHome(): string {
  const cache = process.env.CONVEYOR_CACHE ?? join(homedir(), '.cache/conveyor');
  const home = join(cache, `headlamp-${HEADLAMP_VERSION}`);
  if (existsSync(join(home, 'headlamp-server')) && existsSync(join(home, 'frontend/index.html'))) return home;
  mkdirSync(cache, { recursive: true });
  // Unpacked beside the cache, then renamed: a half-unpacked folder is never taken for a whole one.
  const staging = mkdtempSync(join(cache, '.headlamp-'));
  execFileSync('tar', ['xzf', headlampTarball(), '-C', staging]);
  rmSync(home, { recursive: true, force: true });
  renameSync(join(staging, `headlamp-${HEADLAMP_VERSION}`), home);
  rmSync(staging, { recursive: true, force: true });
  return home;
}

/**
 * Packs the plugin as a release does (`npm --prefix plugins/headlamp run package`) and unpacks the
 * tarball into a fresh plugins folder (one sub-folder per plugin), as a user installs it.
 */
export function pluginsDir(): { dir: string; tarball: string } {
  if (!existsSync(join(PLUGIN, 'node_modules/@kinvolk/headlamp-plugin')))
    throw new Error(
      'plugins/headlamp/node_modules is missing: run npm ci --prefix plugins/headlamp --no-audit --no-fund',
    );
  // Built as a user builds it: the test runner's NODE_ENV=test would select React's dev JSX runtime.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST')));
  const out = execFileSync('npm', ['--prefix', PLUGIN, 'run', '--silent', 'package'], {
    encoding: 'utf8',
    env: { ...env, NODE_ENV: 'production' },
  });
  const tarball = out.trim().split('\n').pop() ?? '';
  if (!tarball.endsWith('.tar.gz') || !existsSync(tarball))
    throw new Error(`npm run package named no tarball; it printed: ${out}`);
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-headlamp-plugins-'));
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  return { dir, tarball };
}

export interface HeadlampProcess {
  /** http://127.0.0.1:PORT */
  origin: string;
  logFile: string;
  stop(): Promise<void>;
}

/** Starts headlamp-server and waits until it serves the plugin list (which names every plugin folder). */
export async function startHeadlamp(opts: { kubeconfig: string; pluginsDir: string }): Promise<HeadlampProcess> {
  const home = headlampHome();
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = `${LOG_DIR}/headlamp-${Date.now()}-${port}.log`;
  const log = createWriteStream(logFile);
  const args = ['-listen-addr', '127.0.0.1', '-port', String(port), '-html-static-dir', join(home, 'frontend')];
  args.push('-plugins-dir', opts.pluginsDir, '-kubeconfig', opts.kubeconfig);
  const child = spawn(join(home, 'headlamp-server'), args, { cwd: dirname(home), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const origin = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(`headlamp-server on ${origin} listing the plugin (log: ${logFile})`, 60_000, async () => {
      if (child.exitCode !== null) throw new Error(`headlamp-server exited with ${child.exitCode}; see ${logFile}`);
      const res = await fetch(`${origin}/plugins`).catch(() => undefined);
      return res?.ok && ((await res.json()) as string[]).some((p) => p.endsWith('/conveyor-headlamp'));
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { origin, logFile, stop };
}
