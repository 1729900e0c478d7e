// The builder's problems must be the CLI's: same validator, same paths, same positions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateYaml } from '../../../../../src/cli/validate.ts';
import { etlTemplate, setStageField, addEdge } from '../../../../../src/console/ui/builder/model.ts';
import { cleanForGit, parsePipelineYaml, problemLine, toYaml } from '../../../../../src/console/ui/builder/yaml-doc.ts';
import { fieldText, fieldValue, stageFields } from '../../../../../src/console/ui/builder/form-fields.ts';

function cliLines(text: string): string[] {
  return validateYaml(text, 'f.yaml').problems.map(
    (p) => `${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`,
  );
}

describe('builder YAML', () => {
  it.each([
    ['a missing image', toYaml(setStageField(etlTemplate(), 2, 'image', undefined)), 1],
    ['a cycle', toYaml(addEdge(etlTemplate(), 'load', 'ingest')), 1],
    [
      'a bad name and retries',
      toYaml(setStageField(setStageField(etlTemplate(), 0, 'name', 'Bad_Name'), 1, 'retries', -1)),
      2,
    ],
    ['examples/etl-nightly.yaml', readFileSync('examples/etl-nightly.yaml', 'utf8'), 0],
  ])('%s: the same problems as conveyor validate', (_, text, count) => {
    expect(cliLines(text)).toHaveLength(count);
    const parsed = parsePipelineYaml(text);
    expect(parsed.ok).toBe(true);
    expect(parsed.problems.map(problemLine)).toEqual(cliLines(text));
  });

  it('attaches problems to their stage', () => {
    const parsed = parsePipelineYaml(toYaml(setStageField(etlTemplate(), 2, 'image', undefined)));
    expect(parsed.problems).toEqual([expect.objectContaining({ stage: 2, path: 'spec.stages[2].image' })]);
  });

  it('a template is valid and round-trips', () => {
    const text = toYaml(etlTemplate('etl', 'team-a'));
    const parsed = parsePipelineYaml(text);
    expect(parsed).toMatchObject({ ok: true, problems: [] });
    expect(parsed.ok && toYaml(parsed.doc)).toBe(text);
  });

  it('broken YAML is a problem and no document', () => {
    const parsed = parsePipelineYaml('spec: [\n');
    expect(parsed.ok).toBe(false);
    expect(parsed.problems[0]?.message).toMatch(/^invalid YAML: /);
  });

  it('clean YAML has no status or server fields', () => {
    const live = {
      ...etlTemplate(),
      metadata: {
        name: 'etl',
        namespace: 'ns',
        uid: 'u',
        resourceVersion: '5',
        generation: 2,
        managedFields: [],
        creationTimestamp: 'x',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'a' },
      },
      status: { phase: 'Running' },
    };
    expect(cleanForGit(live)).toEqual({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'etl', namespace: 'ns', annotations: { team: 'a' } },
      spec: live.spec,
    });
  });
});

describe('stage form fields from the schema', () => {
  const fields = stageFields(JSON.parse(readFileSync('schema/pipeline.schema.json', 'utf8')));
  it('has every stage property, typed', () => {
    const byName = Object.fromEntries(fields.map((f) => [f.name, f.kind]));
    expect(byName).toMatchObject({
      name: 'text',
      image: 'text',
      command: 'list',
      args: 'list',
      env: 'yaml',
      dependsOn: 'list',
      retries: 'integer',
      timeoutSeconds: 'integer',
      resources: 'yaml',
      // Datasets (issue 19): lists of objects, edited as YAML like env.
      inputs: 'yaml',
      outputs: 'yaml',
    });
    expect(fields.find((f) => f.name === 'name')?.required).toBe(true);
  });
  it('converts input text to values and back', () => {
    expect(fieldValue('list', 'sh\n-c\n')).toEqual({ value: ['sh', '-c'] });
    expect(fieldText('list', ['sh', '-c'])).toBe('sh\n-c');
    expect(fieldValue('integer', '3')).toEqual({ value: 3 });
    expect(fieldValue('integer', '3.5')).toEqual({ value: '3.5' });
    expect(fieldValue('text', '  ')).toEqual({ value: undefined });
    expect(fieldValue('yaml', 'requests: { cpu: 50m }')).toEqual({ value: { requests: { cpu: '50m' } } });
    expect(fieldValue('yaml', 'a: [')).toHaveProperty('error');
    expect(fieldValue('yaml', '- {namespace: "s3://raw", name: orders}')).toEqual({
      value: [{ namespace: 's3://raw', name: 'orders' }],
    });
  });
});
