// The image bundles the operator's entry point (dist/main.js) into one file with esbuild
// (Dockerfile). This builds the bundle with the Dockerfile's own esbuild flags and starts it in
// a directory with no node_modules at all: everything the operator loads must be inside it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../support/tools.ts';

/** The arguments of the Dockerfile's `npx esbuild dist/main.js …`, shell quoting removed. */
function esbuildArgs(dockerfile: string): string[] {
  const joined = dockerfile.replace(/\\\n/g, ' ');
  const command = /npx esbuild (dist\/main\.js[^&]*?)\s*&&/.exec(joined)?.[1];
  if (!command) throw new Error('Dockerfile: no `npx esbuild dist/main.js …` step');
  return [...command.matchAll(/(?:[^\s"]+="[^"]*"|[^\s"]+)/g)].map((m) => m[0].replace(/="(.*)"$/, '=$1'));
}

describe('the operator bundle (Dockerfile esbuild step)', () => {
  let dir = '';
  let bundle = '';

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conveyor-opbundle-'));
    bundle = join(dir, 'main.js');
    const args = esbuildArgs(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'))
      .map((a) => (a === 'dist/main.js' ? 'src/main.ts' : a.startsWith('--outfile=') ? `--outfile=${bundle}` : a))
      .filter((a) => a !== '--allow-overwrite');
    execFileSync(join(REPO_ROOT, 'node_modules/.bin/esbuild'), args, { cwd: REPO_ROOT, stdio: 'pipe' });
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads the flags of the Dockerfile step', () => {
    const args = esbuildArgs(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
    expect(args[0]).toBe('dist/main.js');
    expect(args).toContain('--bundle');
    expect(args).toContain('--outfile=dist/main.js');
    expect(args.find((a) => a.startsWith('--banner:js='))).toContain('createRequire');
  });

  it('prints its usage with no node_modules anywhere above it', () => {
    const res = spawnSync(process.execPath, [bundle, '--help'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: conveyor-operator');
  });

  it('a bad flag is refused by name, as from the unbundled build', () => {
    const res = spawnSync(process.execPath, [bundle, '--workers', 'many'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--workers');
  });
});
