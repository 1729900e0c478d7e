// Runs hack/cluster.sh from TypeScript (npm run dev, the benchmark, the e2e suite). Its stdout
// (a path, a line) is returned trimmed; its log lines go to our stderr unless `quiet`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('./cluster.sh', import.meta.url));

export function clusterScript(args: string[], options: { quiet?: boolean } = {}): string {
  return execFileSync('bash', [script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', options.quiet ? 'pipe' : 'inherit'],
  }).trim();
}
