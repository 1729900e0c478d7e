// `conveyor validate` reads YAML as kubectl does (merge keys, aliases, strict UTF-8), refuses what
// the API server cannot store, and points at the alias a value comes through. Table-driven: each
// case is a file's bytes and the lines `conveyor validate` prints for it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../src/api/generate.ts';
import { main, type CliIO } from '../../../src/cli/main.ts';

async function validate(input: string | Uint8Array): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(...t.split('\n')),
    err: (t) => err.push(...t.split('\n')),
    stdin: async () => input,
  };
  const code = await main(['validate', '-'], io);
  return { code, out, err };
}

const HEAD = 'apiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: p\nspec:\n';
const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'utf8')] : p)));

/** n stages that all take their image and env through aliases: 2n aliases. */
function manyAliases(n: number): string {
  const stages = Array.from({ length: n }, (_, i) => `    - {name: s${i}, image: *img, env: *env}`).join('\n');
  return `${HEAD}  defaults:\n    image: &img busybox:1.36\n    env: &env [{name: MODE, value: batch}]\n  stages:\n${stages}\n`;
}

/** The billion laughs: 10 levels of 10 aliases each, 10^9 leaves once expanded. */
function aliasBomb(): string {
  const levels = Array.from({ length: 9 }, (_, i) => `l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`);
  return `${HEAD}  stages: [{name: a, image: busybox}]\nl0: &l0 [x, x, x, x, x, x, x, x, x, x]\n${levels.join('\n')}\n`;
}

/** 200 stages with 8,000-character arguments: 1.6 MB as JSON. */
function tooLarge(): string {
  const stages = Array.from(
    { length: 200 },
    (_, i) => `    - {name: s${i}, image: busybox, args: [${'x'.repeat(8000)}]}`,
  ).join('\n');
  return `${HEAD}  stages:\n${stages}\n`;
}

type Case = { name: string; input: string | Uint8Array; out: (string | RegExp)[]; code: number; err?: string };

const CASES: Case[] = [
  {
    name: 'merge keys are read as kubectl reads them',
    input: `${HEAD}  stages:\n    - &base {name: extract, image: busybox, retries: 2}\n    - <<: *base\n      name: load\n      dependsOn: [extract]\n`,
    out: [],
    code: 0,
    err: '1 pipeline valid',
  },
  {
    name: 'a value merged from an anchor is reported at the merge, for each stage that merges it',
    input: `${HEAD}  stages:\n    - &base {name: extract, image: busybox, retries: -1}\n    - name: load\n      <<: *base\n`,
    out: [
      '<stdin>:7:45: spec.stages[0].retries: must be at least 0, not -1',
      '<stdin>:9:11: spec.stages[1].retries: must be at least 0, not -1',
    ],
    code: 1,
  },
  {
    name: 'a value inside an aliased node is reported at the alias, not at the anchor',
    input: `${HEAD}  stages:\n    - name: a\n      image: busybox\n      env: &env [{value: x}]\n    - name: b\n      image: busybox\n      env: *env\n`,
    out: [
      '<stdin>:9:18: spec.stages[0].env[0].name: required field is missing',
      '<stdin>:12:12: spec.stages[1].env[0].name: required field is missing',
    ],
    code: 1,
  },
  { name: '300 ordinary aliases are fine', input: manyAliases(150), out: [], code: 0, err: '1 pipeline valid' },
  {
    name: 'an alias bomb is refused without being expanded',
    input: aliasBomb(),
    out: [
      '<stdin>:1:1: invalid YAML: aliases expand this document to more than 1572864 values, more than the API server stores (1.5 MiB as JSON)',
    ],
    code: 1,
  },
  {
    name: 'an alias inside its own anchor is refused',
    input: `${HEAD}  stages: &s [{name: a, image: busybox}, *s]\n`,
    out: [
      '<stdin>:6:42: invalid YAML: alias *s is inside the node its anchor names: the document would contain itself',
    ],
    code: 1,
  },
  {
    name: 'invalid UTF-8 is an error at its line and column, not a replacement character',
    input: bytes(`${HEAD}  stages:\n    - {name: a, image: busybox, args: ["caf`, [0xe9], `"]}\n`),
    out: ['<stdin>:7:44: invalid YAML: not UTF-8 (byte 0xE9); kubectl would store U+FFFD (�) in its place'],
    code: 1,
  },
  {
    name: 'valid UTF-8 and a byte order mark are fine',
    input: bytes([0xef, 0xbb, 0xbf], `${HEAD}  stages:\n    - {name: a, image: busybox, args: ["café ☕ 𝄞"]}\n`),
    out: [],
    code: 0,
  },
  {
    name: 'a Pipeline over 1.5 MiB as JSON is an error',
    input: tooLarge(),
    out: [/^<stdin>:1:1: too large: 1\.5[3-9] MiB as JSON, and the API server stores at most 1\.50 MiB per object$/],
    code: 1,
  },
  {
    name: 'datasets and the CloudEvents sink: each problem at its line (a missing _schemaURL at its facet)',
    input: `${HEAD}  notify:\n    cloudevents: {url: "file:///etc/passwd"}\n  stages:\n    - name: a\n      image: busybox\n      outputs:\n        - namespace: s3://lake\n          name: orders/$(params.day)\n          facets:\n            schema: {fields: []}\n`,
    out: [
      '<stdin>:7:19: spec.notify.cloudevents.url: must be an http:// or https:// URL (without spaces), not "file:///etc/passwd"',
      '<stdin>:13:11: spec.stages[0].outputs[0].name: $(params.day) names an unknown parameter "day" (spec.params declares none)',
      '<stdin>:15:13: spec.stages[0].outputs[0].facets.schema._schemaURL: required: the http(s) URL of the facet’s JSON schema, as OpenLineage requires of every facet',
    ],
    code: 1,
  },
  {
    name: 'a conveyor.dev document of another kind is an error naming kind',
    input:
      'apiVersion: conveyor.dev/v1alpha1\nkind: Pipline\nmetadata: {name: p}\nspec: {stages: [{name: a, image: busybox}]}\n',
    out: ['<stdin>:2:1: kind: must be Pipeline (the only kind in conveyor.dev), not "Pipline"'],
    code: 1,
  },
  {
    name: 'a conveyor.dev document without kind is an error naming kind',
    input: 'apiVersion: conveyor.dev/v1alpha1\nmetadata: {name: p}\nspec: {stages: [{name: a, image: busybox}]}\n',
    out: ['<stdin>:1:1: kind: required field is missing'],
    code: 1,
  },
  {
    name: 'other groups and kinds are still not Conveyor’s business',
    input:
      'apiVersion: tekton.dev/v1\nkind: Pipeline\nspec: {tasks: []}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n',
    out: [],
    code: 0,
    err: 'no Pipeline found',
  },
];

describe('conveyor validate reads YAML as kubectl does', () => {
  it.each(CASES)('$name', async ({ input, out, code, err }) => {
    const result = await validate(input);
    expect(result.out).toEqual(out.map((line) => (typeof line === 'string' ? line : expect.stringMatching(line))));
    expect(result.code).toBe(code);
    if (err) expect(result.err).toEqual([err]);
  });

  it('refuses an alias bomb quickly', async () => {
    const started = performance.now();
    await validate(aliasBomb());
    expect(performance.now() - started).toBeLessThan(500);
  });
});

/** Relative imports of a module, static, dynamic and type-only alike. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1] ?? '');
  return specifiers.map((s) => resolve(dirname(file), s));
}

/** The import cycles among `files`, each as the list of files along it. */
function importCycles(files: string[]): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of imports(file)) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next) && files.includes(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles.map((cycle) => cycle.map((f) => f.slice(REPO_ROOT.length)));
}

describe('the CLI’s modules', () => {
  it('import each other without cycles (main.ts loads the commands; they need not load main.ts)', () => {
    const dirs = ['src/cli', 'src/api'].map((d) => join(REPO_ROOT, d));
    const files = dirs.flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(dir, f)),
    );
    expect(importCycles(files)).toEqual([]);
  });
});
