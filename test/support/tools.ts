// Where tests find the tools hack/build-cluster-bins.sh builds (outside the repo, cached by
// version or content hash), and how they build a missing one: tests work on a fresh machine
// because the build script is the one way things get installed.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_SCRIPT = join(REPO_ROOT, 'hack/build-cluster-bins.sh');
const GITOPS_HEALTH_DIR = join(REPO_ROOT, 'hack/gitops-health');

/** Same rule as hack/lib.sh: $CONVEYOR_CACHE, else $XDG_CACHE_HOME/conveyor, else ~/.cache/conveyor. */
export function cacheDir(): string {
  return process.env.CONVEYOR_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'conveyor');
}

/** The pinned versions in hack/versions.env (KEY=value lines). */
export function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(join(REPO_ROOT, 'hack/versions.env'), 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)=["']?([^"'#\s]*)["']?/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

function version(key: string): string {
  const v = versions()[key];
  if (!v) throw new Error(`${key} is not set in hack/versions.env`);
  return v;
}

export function helmPath(): string {
  return join(cacheDir(), `helm-${version('HELM_VERSION')}`, 'helm');
}

function build(what: string): void {
  execFileSync('bash', [BUILD_SCRIPT, what], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Builds helm (go install, first time only) when it is not in the cache yet. */
export function ensureHelm(): string {
  const path = helmPath();
  if (!existsSync(path)) build('helm');
  if (!existsSync(path)) throw new Error(`hack/build-cluster-bins.sh helm did not produce ${path}`);
  return path;
}

export function promtoolPath(): string {
  return join(cacheDir(), `promtool-${version('PROMETHEUS_VERSION')}`, 'promtool');
}

/** Builds promtool (go install, first time only) when it is not in the cache yet. */
export function ensurePromtool(): string {
  const path = promtoolPath();
  if (!existsSync(path)) build('promtool');
  if (!existsSync(path)) throw new Error(`hack/build-cluster-bins.sh promtool did not produce ${path}`);
  return path;
}

function goFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.go'))
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/**
 * The cache directory of the hack/gitops-health build. Its key is the one gitops_health_key in
 * hack/build-cluster-bins.sh computes: sha256 of go.mod, go.sum, then every *.go file in
 * byte-sorted path order, first 16 hex digits.
 */
export function goToolDir(): string {
  const hash = createHash('sha256');
  const files = ['go.mod', 'go.sum', ...goFiles(GITOPS_HEALTH_DIR).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))];
  for (const f of files) hash.update(readFileSync(join(GITOPS_HEALTH_DIR, f)));
  return join(cacheDir(), `gitops-health-${hash.digest('hex').slice(0, 16)}`);
}

/** Path of a command of hack/gitops-health: `lua-health` or `kstatus`. */
export function goToolPath(name: string): string {
  return join(goToolDir(), name);
}

/** Builds hack/gitops-health (go build, needs the Go module proxy once) when missing. */
export function ensureGoTool(name: string): string {
  const path = goToolPath(name);
  if (!existsSync(path)) build('gitops_health');
  if (!existsSync(path)) throw new Error(`hack/build-cluster-bins.sh gitops_health did not produce ${path}`);
  return path;
}
