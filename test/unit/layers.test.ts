// The layer order of src/, enforced over the import graph (type imports included: a type that
// reaches up a layer ties the lower layer to the upper one just the same).
//
//   api, leaf modules        types, schema, labels, pure helpers; import nothing above them
//   plan                     the pure planner; may import api
//   kube                     the API client; may import api
//   console/protocol         the Console's wire types; may import api
//   config, metrics          process settings and counters; may import api, kube
//   controller               the shell (gather, execute, write); may import the layers above
//   webhook, notify          integrations (webhook receiver, CloudEvents/OpenLineage out); may import api, plan,
//                            kube, config, metrics — not the controller (entry points wire them to it)
//   console/server           may import api, plan, kube, protocol, metrics — not the controller
//   console/ui               browser code; may import api, plan, protocol — nothing that talks to a cluster
//   cli, debug, operator, main   the entry points; may import anything below them
//
// A second rule: no import cycles between files, so every module can be read after its imports.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

type Layer =
  | 'leaf'
  | 'api'
  | 'plan'
  | 'kube'
  | 'protocol'
  | 'settings'
  | 'controller'
  | 'integrations'
  | 'console-server'
  | 'console-ui'
  | 'entry';

const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  leaf: ['leaf'],
  api: ['leaf', 'api'],
  plan: ['leaf', 'api', 'plan'],
  kube: ['leaf', 'api', 'kube'],
  protocol: ['leaf', 'api', 'protocol'],
  settings: ['leaf', 'api', 'kube', 'settings'],
  controller: ['leaf', 'api', 'plan', 'kube', 'settings', 'controller'],
  integrations: ['leaf', 'api', 'plan', 'kube', 'settings', 'integrations'],
  'console-server': ['leaf', 'api', 'plan', 'kube', 'protocol', 'settings', 'console-server'],
  'console-ui': ['leaf', 'api', 'plan', 'protocol', 'console-ui'],
  entry: [
    'leaf',
    'api',
    'plan',
    'kube',
    'protocol',
    'settings',
    'controller',
    'integrations',
    'console-server',
    'entry',
  ],
};

const LEAF_FILES = new Set(['src/time-limits.ts', 'src/version.ts', 'src/log.ts']);
const SETTINGS_FILES = new Set(['src/config.ts', 'src/metrics.ts']);

function layerOf(file: string): Layer {
  if (LEAF_FILES.has(file)) return 'leaf';
  if (SETTINGS_FILES.has(file)) return 'settings';
  if (file === 'src/console/protocol.ts') return 'protocol';
  if (file.startsWith('src/console/server/')) return 'console-server';
  if (file.startsWith('src/console/ui/')) return 'console-ui';
  const top = file.split('/')[1] ?? '';
  if (top === 'api' || top === 'plan' || top === 'kube' || top === 'controller') return top;
  return 'entry';
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(ROOT, path)] : [];
  });
}

// Static `from '…'`, side-effect `import '…'` and dynamic `import('…')` of relative .ts files.
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)'(\.{1,2}\/[^']+\.ts)'/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[1] as string)));
}

const graph = new Map(sourceFiles(SRC).map((file) => [file, importsOf(file)] as const));

function layerViolations(): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const allowed = MAY_IMPORT[layerOf(file)];
    for (const target of targets) {
      if (!allowed.includes(layerOf(target))) found.push(`${file} -> ${target}`);
    }
  }
  return found.sort();
}

/** Every cycle found by a depth-first walk, each named by the files on it. */
function cycles(): string[] {
  const state = new Map<string, 'open' | 'done'>();
  const found: string[] = [];
  const visit = (file: string, path: string[]): void => {
    state.set(file, 'open');
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'open') found.push([...path.slice(path.indexOf(target)), target].join(' -> '));
      else if (!state.has(target)) visit(target, [...path, target]);
    }
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file, [file]);
  return found;
}

describe('layers of src/', () => {
  it('finds the source files and their imports (the check below is not vacuous)', () => {
    expect(graph.size).toBeGreaterThan(100);
    expect(graph.get('src/plan/planner.ts')?.length).toBeGreaterThan(5);
    expect(layerOf('src/plan/planner.ts')).toBe('plan');
    expect(MAY_IMPORT.plan).not.toContain('kube');
  });

  it('every import goes down the layer order', () => {
    expect(layerViolations()).toEqual([]);
  });

  it('no import cycles between files', () => {
    expect(cycles()).toEqual([]);
  });
});
