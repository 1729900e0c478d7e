// Renders a Pipeline's status for a terminal: one line per stage, in dependency order, with its
// phase, attempts and timing. Used by `npm run dev`'s live view and the CLI.
import type { Pipeline, StageStatus } from '../api/types.ts';

const SYMBOL: Record<string, string> = {
  Pending: '·',
  Running: '▶',
  Succeeded: '✔',
  Failed: '✖',
  Skipped: '↷',
  'not run': '–',
};

/** Orders stages so that every stage comes after the stages it depends on (stable otherwise). */
export function topologicalOrder(stages: { name: string; dependsOn?: string[] }[]): string[] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const done = new Set<string>();
  const out: string[] = [];
  const visit = (name: string, path: Set<string>): void => {
    if (done.has(name) || path.has(name)) return;
    path.add(name);
    for (const dep of byName.get(name)?.dependsOn ?? []) visit(dep, path);
    path.delete(name);
    done.add(name);
    out.push(name);
  };
  for (const s of stages) visit(s.name, new Set());
  return out;
}

function seconds(from?: string, to?: string, now = new Date()): string {
  if (!from) return '';
  const end = to ? new Date(to) : now;
  const s = Math.max(0, Math.round((end.getTime() - new Date(from).getTime()) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function renderPipeline(p: Pipeline, now = new Date()): string {
  const status = p.status ?? {};
  const run = status.lastRun;
  const lines: string[] = [];
  const ns = p.metadata.namespace ? `${p.metadata.namespace}/` : '';
  lines.push(`pipeline ${ns}${p.metadata.name}  phase: ${status.phase ?? 'Pending'}  progress: ${status.progress ?? '-'}`);
  if (run) lines.push(`run ${run.id} (${run.trigger})  ${run.phase}  ${seconds(run.startTime, run.completionTime, now)}`);
  const byName = new Map<string, StageStatus>((run?.stages ?? []).map((s) => [s.name, s]));
  const order = [...topologicalOrder(p.spec.stages), ...(p.spec.onFailure ?? []).map((s) => s.name)];
  const width = Math.max(5, ...order.map((n) => n.length));
  const deps = new Map(p.spec.stages.map((s) => [s.name, s.dependsOn ?? []]));
  const runEnded = Boolean(run?.completionTime);
  for (const name of order) {
    const s = byName.get(name);
    const phase = s?.phase ?? (runEnded ? 'not run' : 'Pending');
    const after = deps.get(name)?.length ? `after ${deps.get(name)!.join(', ')}` : deps.has(name) ? '' : 'on failure';
    const attempts = s?.attempts && s.attempts > 1 ? `  attempts ${s.attempts}` : '';
    const why = s?.reason && phase !== 'Succeeded' ? `  ${s.reason}${s.message ? `: ${s.message}` : ''}` : '';
    lines.push(`  ${SYMBOL[phase] ?? '?'} ${name.padEnd(width)}  ${phase.padEnd(9)} ${seconds(s?.startTime, s?.completionTime, now).padStart(6)}${attempts}  ${after}${why}`);
  }
  const stalled = status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) lines.push(`stalled: ${stalled.reason}: ${stalled.message}`);
  return lines.join('\n');
}
