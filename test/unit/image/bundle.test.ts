// What the container image holds, tested without a Docker engine: the Dockerfile's shape, and
// that the compiled bundle starts with nothing but the production dependency tree, as it does in
// the image's runtime stage (package.json + dist/ + production node_modules + crds/).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/tools.ts';

const read = (p: string): string => readFileSync(join(REPO_ROOT, p), 'utf8');

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function instructions(text: string): { op: string; args: string }[] {
  const out: { op: string; args: string }[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(current);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! });
    current = '';
  }
  return out;
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const froms = steps.map((s, i) => ({ ...s, i })).filter((s) => s.op === 'FROM');
  const runtime = steps.slice(froms.at(-1)!.i);

  it('is multi-stage on a Node 24 base', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.args).toMatch(/\bAS\s+build\b/i);
    const baseArg = steps.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_IMAGE='))?.args ?? '';
    expect(baseArg).toMatch(/^NODE_IMAGE=node:24-(alpine|slim)\b/);
    for (const f of froms) expect(f.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it('builds with npm ci and npm run build, then drops dev dependencies', () => {
    const build = steps
      .slice(0, froms.at(-1)!.i)
      .filter((s) => s.op === 'RUN')
      .map((s) => s.args)
      .join(' && ');
    expect(build).toMatch(/npm ci\b/);
    expect(build).toMatch(/npm run build\b/);
    expect(build).toMatch(/npm prune --omit=dev\b/);
  });

  it('runs as a non-root numeric user, with only production files, from dist/main.js', () => {
    const users = runtime.filter((s) => s.op === 'USER').map((s) => s.args);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!.split(':')[0]!;
    expect(user).not.toMatch(/^(0|root)$/);
    expect(user === 'node' || Number(user) >= 1000).toBe(true);
    const copied = runtime
      .filter((s) => s.op === 'COPY')
      .map((s) => s.args.split(/\s+/).at(-1)!.replace(/^\.\//, '').replace(/\/$/, ''));
    expect(copied.sort()).toEqual(['bin', 'crds', 'dist', 'node_modules', 'package.json', 'schema']);
    for (const c of runtime.filter((s) => s.op === 'COPY')) expect(c.args).toContain('--from=build');
    expect(runtime.find((s) => s.op === 'ENTRYPOINT')?.args).toBe('["node", "dist/main.js"]');
    // Nothing in the runtime stage writes to the image at run time: no VOLUME, no chown -R of /app.
    expect(runtime.some((s) => s.op === 'VOLUME')).toBe(false);
  });

  it('keeps the build context small (.dockerignore)', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    expect(ignore).toContain('*');
    expect(ignore).toContain('**/node_modules');
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'src/', 'crds/'])
      expect(ignore).toContain(`!${needed}`);
  });
});

describe('the bundle starts with production dependencies only', () => {
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conveyor-bundle-'));
    // As `npm run build` does in the image, into a directory of our own.
    const tsc = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', join(dir, 'dist')],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    if (tsc.status !== 0)
      throw new Error(`tsc failed (the image build's \`npm run build\` would fail too):\n${tsc.stdout}${tsc.stderr}`);
    // The production dependency tree, as `npm prune --omit=dev` leaves it.
    let listing: string;
    try {
      listing = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // npm ls exits 1 on an untidy tree (extraneous packages) but still lists it.
      listing = String((err as { stdout?: string }).stdout ?? '');
    }
    const packages = listing
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith(join(REPO_ROOT, 'node_modules') + sep));
    expect(packages.length).toBeGreaterThan(5);
    for (const pkg of packages) {
      const rel = relative(REPO_ROOT, pkg);
      // Each package without its nested node_modules: nested packages are listed on their own.
      cpSync(pkg, join(dir, rel), {
        recursive: true,
        dereference: true,
        filter: (src) => !relative(pkg, src).split(sep).includes('node_modules'),
      });
    }
    writeFileSync(join(dir, 'package.json'), read('package.json'));
    cpSync(join(REPO_ROOT, 'crds'), join(dir, 'crds'), { recursive: true });
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds no development dependency', () => {
    for (const dev of ['typescript', 'vitest', 'node', '@vitest'])
      expect(existsSync(join(dir, 'node_modules', dev)), dev).toBe(false);
    // Nothing above the bundle could satisfy an import instead (Node looks in ../node_modules too).
    expect(existsSync(join(dir, '..', 'node_modules'))).toBe(false);
  });

  it('prints its usage (every module of the operator loads)', () => {
    const res = spawnSync(process.execPath, [join(dir, 'dist/main.js'), '--help'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: conveyor-operator');
    expect(res.stdout).toContain('--health-port');
  });

  /** Starts the bundle against an API server that does not answer (a closed port). */
  async function startUnreachable(): Promise<{ port: number; output: () => string; stop: () => void }> {
    const kubeconfig = join(dir, 'kubeconfig');
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
      [join(dir, 'dist/main.js'), '--kubeconfig', kubeconfig, '--health-port', '0', '--log-level', 'info'],
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
