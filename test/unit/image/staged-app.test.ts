// What the image holds under /app, tested without a container engine: hack/image/stage-app.ts
// writes it into a temporary folder with no node_modules anywhere above, and the operator and the
// CLI start from there: the esbuild bundles hold every module they load.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_FILES } from '../../../hack/image/layout.ts';
import type { BundledPackage } from '../../../hack/image/stage-app.ts';
import { REPO_ROOT } from '../../support/tools.ts';

/** Every path below `dir`, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? [rel, ...walk(dir, rel)] : [rel];
  });
}

describe('the staged app (hack/image/stage-app.ts)', () => {
  let work = '';
  let dir = '';
  let packages: BundledPackage[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'conveyor-stage-'));
    dir = join(work, 'app');
    execFileSync(process.execPath, ['hack/image/stage-app.ts', dir, '--packages', join(work, 'packages.json')], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    packages = JSON.parse(readFileSync(join(work, 'packages.json'), 'utf8')) as BundledPackage[];
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the layout’s files and no node_modules', () => {
    for (const path of Object.values(APP_FILES)) expect(existsSync(join(dir, path)), path).toBe(true);
    expect(existsSync(join(dir, APP_FILES.consoleDir, 'index.html'))).toBe(true);
    expect(walk(dir).filter((p) => p.split('/').includes('node_modules'))).toEqual([]);
    // Nothing above the bundles could satisfy an import instead (Node looks in ../node_modules too).
    expect(existsSync(join(dir, '..', 'node_modules'))).toBe(false);
  });

  it('lists the npm packages in the bundles: production dependencies, never a development one', () => {
    const names = packages.map((p) => p.name);
    for (const dep of ['@kubernetes/client-node', 'pino', 'prom-client', 'yaml']) expect(names).toContain(dep);
    for (const dev of ['typescript', 'vitest', 'esbuild', 'node', 'preact']) expect(names).not.toContain(dev);
    for (const p of packages) expect(p.version, p.name).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('the CLI bundle finds the Console’s files and the schema from where it sits', () => {
    const code = readFileSync(join(dir, APP_FILES.cliBundle), 'utf8');
    const bundleUrl = pathToFileURL(join(dir, APP_FILES.cliBundle));
    const relatives = [...code.matchAll(/new URL\("(\.\.\/[^"]+)",\s*import\.meta\.url\)/g)].map((m) => m[1]!);
    const targets = relatives.map((r) => fileURLToPath(new URL(r, bundleUrl)));
    expect(targets).toContain(`${join(dir, APP_FILES.consoleDir)}/`);
    expect(targets).toContain(join(dir, APP_FILES.schemaDir, 'pipeline.schema.json'));
    for (const t of targets) expect(existsSync(t), t).toBe(true);
    expect(dirname(APP_FILES.cliEntry)).toBe('dist/cli');
  });

  it('the CLI prints its usage with no node_modules anywhere above it', () => {
    const res = runStaged(APP_FILES.cli, '--help');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('conveyor dashboard');
  });

  it('the operator prints its usage (every module of the operator loads)', () => {
    const res = runStaged(APP_FILES.operatorBundle, '--help');
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: conveyor-operator');
    expect(res.stdout).toContain('--health-port');
  });

  it('the operator refuses a bad flag by name, as from the sources', () => {
    const res = runStaged(APP_FILES.operatorBundle, '--workers', 'many');
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--workers');
  });

  /** Runs a staged entry point as the image does: from the app folder, with nothing but PATH set. */
  function runStaged(file: string, ...args: string[]) {
    return spawnSync(process.execPath, [join(dir, file), ...args], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
  }

  /** Starts the bundle against an API server that does not answer (a closed port). */
  async function startUnreachable(): Promise<{ port: number; output: () => string; stop: () => void }> {
    const kubeconfig = join(work, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: none, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: none, user: {token: none}}]',
        'contexts: [{name: none, context: {cluster: none, user: none}}]',
        'current-context: none',
        '',
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      [join(dir, APP_FILES.operatorBundle), '--kubeconfig', kubeconfig, '--health-port', '0', '--log-level', 'info'],
      {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const stop = (): void => {
      child.kill('SIGKILL');
    };
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no endpoints log line within 20 s:\n${output}`)), 20_000);
        const check = (): void => {
          const m = /"port":(\d+)[^\n]*endpoints/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        child.stdout.on('data', check);
        child.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
      });
      return { port, output: () => output, stop };
    } catch (err) {
      stop();
      throw err;
    }
  }

  it('runs: serves /healthz and /metrics while the API server is unreachable', async () => {
    const op = await startUnreachable();
    try {
      expect((await fetch(`http://127.0.0.1:${op.port}/healthz`)).status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
      expect(metrics).toContain('conveyor_reconcile_total');
      expect(metrics).toContain('conveyor_process_resident_memory_bytes');
    } finally {
      op.stop();
    }
  }, 30_000);

  it('is not ready (/readyz 503) while it cannot list from the API server', async () => {
    // The readiness probe must keep a pod that cannot reach the API out of rotation, and the
    // operator must not reconcile from empty caches.
    const op = await startUnreachable();
    try {
      await new Promise((r) => setTimeout(r, 1500));
      const res = await fetch(`http://127.0.0.1:${op.port}/readyz`);
      expect(
        res.status,
        `readyz said ${res.status} with the API server unreachable; log:\n${op.output().slice(0, 2000)}`,
      ).toBe(503);
    } finally {
      op.stop();
    }
  }, 30_000);
});
