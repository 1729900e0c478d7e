// Table-driven: every file in test/fixtures/pipelines/good validates clean; every file in bad/
// yields exactly the problems its `# expect: <path>: <message>` header lines name.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validatePipeline } from '../../../src/api/validate.ts';
import { parseKubernetesYaml } from '../../../src/api/kube-yaml.ts';

const root = join(import.meta.dirname, '../../fixtures/pipelines');
const files = (kind: 'good' | 'bad') =>
  readdirSync(join(root, kind))
    .filter((f) => f.endsWith('.yaml'))
    .sort();

/** `path: message` for every problem of every document in the file. */
function problemsOf(text: string): string[] {
  return parseKubernetesYaml(text).flatMap((doc) => {
    expect(doc.errors).toEqual([]);
    const value: unknown = doc.toJS();
    return value === null ? [] : validatePipeline(value).map((p) => `${p.path}: ${p.message}`);
  });
}

function expectations(text: string): string[] {
  return [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1] ?? '');
}

describe('good pipelines', () => {
  it.each(files('good'))('%s is valid', (file) => {
    expect(problemsOf(readFileSync(join(root, 'good', file), 'utf8'))).toEqual([]);
  });
});

describe('bad pipelines', () => {
  it.each(files('bad'))('%s yields exactly its expected problems', (file) => {
    const text = readFileSync(join(root, 'bad', file), 'utf8');
    const expected = expectations(text);
    expect(expected.length, 'a bad fixture names its problems in "# expect:" lines').toBeGreaterThan(0);
    expect(problemsOf(text).sort()).toEqual([...expected].sort());
  });
});
