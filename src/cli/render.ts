// Renders a Pipeline's status for a terminal: one line per stage, in dependency order, with its
// phase, attempts and timing. Used by `npm run dev`'s live view and the CLI.
import type { Pipeline, StageStatus } from '../api/types.ts';
import { elapsed, layers, PHASE_SYMBOL } from './graph.ts';

/** Stage names with every stage after the stages it depends on (layer by layer). */
export function topologicalOrder(stages: { name: string; dependsOn?: string[] }[]): string[] {
  return layers(stages).flat();
}

export function renderPipeline(p: Pipeline, now = new Date()): string {
  const status = p.status ?? {};
  const run = status.lastRun;
  const lines: string[] = [];
  const ns = p.metadata.namespace ? `${p.metadata.namespace}/` : '';
  lines.push(
    `pipeline ${ns}${p.metadata.name}  phase: ${status.phase ?? 'Pending'}  progress: ${status.progress ?? '-'}`,
  );
  if (run)
    lines.push(`run ${run.id} (${run.trigger})  ${run.phase}  ${elapsed(run.startTime, run.completionTime, now)}`);
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
    lines.push(
      `  ${PHASE_SYMBOL[phase] ?? '?'} ${name.padEnd(width)}  ${phase.padEnd(9)} ${elapsed(s?.startTime, s?.completionTime, now).padStart(6)}${attempts}  ${after}${why}`,
    );
  }
  const stalled = status.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
  if (stalled) lines.push(`stalled: ${stalled.reason}: ${stalled.message}`);
  return lines.join('\n');
}
