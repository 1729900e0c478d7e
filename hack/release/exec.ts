// Runs the release's external commands (bash, helm, npm, git) with a clear error when one is
// missing or fails, instead of a bare ENOENT or a stack trace.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

export type RunOptions = { cwd?: string; env?: NodeJS.ProcessEnv; hint?: string; showOutput?: boolean };

/**
 * Runs `command args` and returns its stdout. With showOutput its stderr (the build's log) goes
 * to ours as it runs; otherwise both are kept and printed only when it fails.
 */
export function run(command: string, args: string[], options: RunOptions = {}): string {
  const spawnOptions: SpawnSyncOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', options.showOutput ? 'inherit' : 'pipe'],
  };
  const res = spawnSync(command, args, spawnOptions);
  const shown = `${command} ${args.join(' ')}`;
  if (res.error && (res.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error(`${command} not found${options.hint ? `: ${options.hint}` : ''}`);
  if (res.error) throw new Error(`${shown}: ${res.error.message}`);
  if (res.status !== 0) {
    const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
    const why = res.signal ? `was killed by ${res.signal}` : `exited with ${res.status}`;
    throw new Error(`${shown} ${why}${output ? `:\n${output}` : ''}`);
  }
  return String(res.stdout);
}
