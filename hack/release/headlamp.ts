// The Headlamp plugin's tarball, from the plugin package's own `package` script
// (plugins/headlamp, its own package.json and node_modules).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';

export function packHeadlamp(repo: string): string {
  const dir = join(repo, 'plugins/headlamp');
  if (!existsSync(join(dir, 'package.json'))) throw new Error(`${dir}/package.json is missing`);
  if (!existsSync(join(dir, 'node_modules')))
    throw new Error(`${dir}/node_modules is missing: run npm ci --prefix plugins/headlamp first`);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  // A release is a production build, whatever NODE_ENV the caller has (vitest sets "test", and
  // the plugin's build then pulls React's development runtime, which does not resolve).
  const env = { ...process.env, NODE_ENV: 'production' };
  run('npm', ['--prefix', dir, 'run', 'package'], { cwd: repo, env, showOutput: true });
  const file = join(dir, `conveyor-headlamp-${version}.tar.gz`);
  if (!existsSync(file)) throw new Error(`npm --prefix plugins/headlamp run package did not write ${file}`);
  return file;
}
