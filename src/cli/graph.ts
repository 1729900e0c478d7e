// The DAG of a Pipeline as text: layers for the terminal, Mermaid and DOT for documents.
// Stage states come from status.lastRun when the Pipeline has one (a file has none).
import type { Pipeline, StageStatus } from '../api/types.ts';

/** Depth of each stage: 0 for roots, else 1 + the deepest dependency (cycles are cut). */
export function layers(stages: { name: string; dependsOn?: string[] }[]): string[][] {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visit = (name: string, path: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (path.has(name)) return 0;
    path.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((x) => visit(x, path)));
    path.delete(name);
    depth.set(name, d);
    return d;
  };
  const out: string[][] = [];
  for (const s of stages) {
    const d = visit(s.name, new Set());
    (out[d] ??= []).push(s.name);
  }
  return out.filter(Boolean);
}

/** One glyph per stage phase, shared by every terminal view. */
export const PHASE_SYMBOL: Record<string, string> = {
  Pending: '·',
  Running: '▶',
  Succeeded: '✔',
  Failed: '✖',
  Skipped: '↷',
  'not run': '–',
};

/** Time from `from` to `to` (or now) as `42s` or `3m07s`; empty when it has not started. */
export function elapsed(from: string | undefined, to: string | undefined, now: Date): string {
  if (!from) return '';
  const end = to ? new Date(to) : now;
  const secs = Math.max(0, Math.round((end.getTime() - new Date(from).getTime()) / 1000));
  return secs >= 60 ? `${Math.floor(secs / 60)}m${String(secs % 60).padStart(2, '0')}s` : `${secs}s`;
}

function stageStates(p: Pipeline): Map<string, StageStatus> {
  return new Map((p.status?.lastRun?.stages ?? []).map((s) => [s.name, s]));
}

/** The DAG drawn for a terminal: one block per layer, each stage with state, attempts, time. */
export function drawDag(p: Pipeline, now = new Date()): string {
  const states = stageStates(p);
  const deps = new Map(p.spec.stages.map((s) => [s.name, s.dependsOn ?? []]));
  const width = Math.max(
    8,
    ...p.spec.stages.map((s) => s.name.length),
    ...(p.spec.onFailure ?? []).map((s) => s.name.length),
  );
  const runEnded = Boolean(p.status?.lastRun?.completionTime);
  const line = (name: string, after: string): string => {
    const s = states.get(name);
    // A stage the finished run never reached (an onFailure stage after a success) did not run.
    const phase = s?.phase ?? (runEnded ? 'not run' : 'Pending');
    const attempts = s?.attempts ? `×${s.attempts}` : '';
    const why = s?.cachedFrom
      ? `  (cached: result of run ${s.cachedFrom})`
      : s?.reason && phase !== 'Succeeded'
        ? `  (${s.reason}${s.message ? `: ${s.message}` : ''})`
        : '';
    return `  │ ${PHASE_SYMBOL[phase] ?? '?'} ${name.padEnd(width)} ${phase.padEnd(9)} ${attempts.padEnd(3)} ${elapsed(s?.startTime, s?.completionTime, now).padStart(6)}${after}${why}`;
  };
  const out: string[] = [];
  layers(p.spec.stages).forEach((names, i) => {
    out.push(`  ├─ ${i === 0 ? 'roots' : `step ${i + 1}`}`);
    for (const n of names) {
      const d = deps.get(n) ?? [];
      out.push(line(n, d.length ? `  ◀ ${d.join(', ')}` : ''));
    }
  });
  if (p.spec.onFailure?.length) {
    out.push('  ├─ on failure');
    for (const s of p.spec.onFailure) out.push(line(s.name, ''));
  }
  out.push('  └─');
  return out.join('\n');
}

const MERMAID_CLASS: Record<string, string> = {
  Succeeded: 'fill:#d4f4dd,stroke:#2e7d32',
  Failed: 'fill:#fbd5d5,stroke:#c62828',
  Running: 'fill:#d6e9ff,stroke:#1565c0',
  Skipped: 'fill:#eeeeee,stroke:#9e9e9e,stroke-dasharray:4',
  Pending: 'fill:#ffffff,stroke:#9e9e9e',
};

const id = (name: string): string => name.replace(/-/g, '_');

export function toMermaid(p: Pipeline): string {
  const states = stageStates(p);
  const out = ['flowchart LR'];
  for (const s of p.spec.stages) {
    const phase = states.get(s.name)?.phase;
    out.push(`  ${id(s.name)}["${s.name}${phase ? `<br/>${phase}` : ''}"]`);
  }
  for (const s of p.spec.stages) for (const d of s.dependsOn ?? []) out.push(`  ${id(d)} --> ${id(s.name)}`);
  for (const s of p.spec.onFailure ?? []) {
    const phase = states.get(s.name)?.phase;
    out.push(`  ${id(s.name)}{{"on failure: ${s.name}${phase ? `<br/>${phase}` : ''}"}}`);
  }
  const used = new Set<string>();
  for (const s of [...p.spec.stages, ...(p.spec.onFailure ?? [])]) {
    const phase = states.get(s.name)?.phase;
    if (!phase) continue;
    used.add(phase);
    out.push(`  class ${id(s.name)} ${phase}`);
  }
  for (const phase of used) out.push(`  classDef ${phase} ${MERMAID_CLASS[phase] ?? ''}`);
  return out.join('\n');
}

const DOT_COLOR: Record<string, string> = {
  Succeeded: 'palegreen',
  Failed: 'lightpink',
  Running: 'lightblue',
  Skipped: 'lightgrey',
  Pending: 'white',
};

export function toDot(p: Pipeline): string {
  const states = stageStates(p);
  const out = [
    `digraph "${p.metadata.name ?? 'pipeline'}" {`,
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fillcolor=white];',
  ];
  for (const s of p.spec.stages) {
    const phase = states.get(s.name)?.phase;
    out.push(
      `  "${s.name}" [label="${s.name}${phase ? `\\n${phase}` : ''}"${phase ? `, fillcolor=${DOT_COLOR[phase]}` : ''}];`,
    );
  }
  for (const s of p.spec.stages) for (const d of s.dependsOn ?? []) out.push(`  "${d}" -> "${s.name}";`);
  for (const s of p.spec.onFailure ?? []) {
    const phase = states.get(s.name)?.phase;
    out.push(
      `  "${s.name}" [shape=octagon, label="on failure: ${s.name}${phase ? `\\n${phase}` : ''}"${phase ? `, fillcolor=${DOT_COLOR[phase]}` : ''}];`,
    );
  }
  out.push('}');
  return out.join('\n');
}
