// crds/ and schema/ are generated from src/api/schema.ts; this fails while they are stale, and
// checks the invariants the API server (structural schema, CEL cost) and editors rely on.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CEL, type CelRuleId } from '../../../src/api/cel.ts';
import { crdSchema, pipelineCrd, schemaNodes } from '../../../src/api/crd.ts';
import { GENERATED_FILES, REPO_ROOT, generate } from '../../../src/api/generate.ts';
import { pipelineJsonSchema } from '../../../src/api/json-schema.ts';
import { RULE_CHECKS } from '../../../src/api/rules.ts';
import type { JsonSchema } from '../../../src/api/schema-walk.ts';

describe('generated files', () => {
  it.each(GENERATED_FILES.map((f) => [f.path, f] as const))('%s is up to date', (path, file) => {
    const onDisk = readFileSync(join(REPO_ROOT, path), 'utf8');
    expect(onDisk === file.render(), `${path} is stale: run npm run generate`).toBe(true);
  });

  it('npm run generate is idempotent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-generate-'));
    generate(dir);
    const first = GENERATED_FILES.map((f) => readFileSync(join(dir, f.path), 'utf8'));
    generate(dir);
    expect(GENERATED_FILES.map((f) => readFileSync(join(dir, f.path), 'utf8'))).toEqual(first);
  });

  it('the CRD file parses back to the CRD object', () => {
    expect(parse(readFileSync(join(REPO_ROOT, 'crds/conveyor.dev_pipelines.yaml'), 'utf8'))).toEqual(pipelineCrd());
  });
});

describe('the CRD', () => {
  const crd = pipelineCrd() as any;
  const version = crd.spec.versions[0];
  const nodes = [...schemaNodes(crdSchema())];
  const node = (path: string) => nodes.find(([p]) => p === path)?.[1] as JsonSchema;

  it('names, scope, subresource and printer columns', () => {
    expect(crd.metadata.name).toBe('pipelines.conveyor.dev');
    expect(crd.spec.names).toMatchObject({
      kind: 'Pipeline',
      plural: 'pipelines',
      shortNames: ['pl'],
      categories: ['conveyor'],
    });
    expect(crd.spec.scope).toBe('Namespaced');
    expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true, subresources: { status: {} } });
    expect(version.additionalPrinterColumns.map((c: any) => `${c.name}=${c.jsonPath}:${c.type}`)).toEqual([
      'Phase=.status.phase:string',
      'Progress=.status.progress:string',
      'Last Run=.status.lastRun.id:string',
      // string, not date: kubectl prints a date in the future as <invalid> (crd.ts).
      'Next Run=.status.nextScheduleTime:string',
      'Schedule=.spec.schedule:string',
      'Age=.metadata.creationTimestamp:date',
    ]);
  });

  it('is structural: every node typed, no additionalProperties beside properties, no $ref/anyOf', () => {
    for (const [path, n] of nodes) {
      expect(typeof n.type, path).toBe('string');
      expect(n.additionalProperties !== undefined && n.properties !== undefined, path).toBe(false);
      for (const key of ['$ref', 'anyOf', 'oneOf', 'allOf', 'const', '$schema', 'patternProperties'])
        expect(n[key], `${path} ${key}`).toBeUndefined();
    }
  });

  it('bounds every list (the CEL cost estimator and etcd need it)', () => {
    for (const [path, n] of nodes) if (n.type === 'array') expect(n.maxItems, path).toBeTypeOf('number');
  });

  it('bounds every string a CEL rule reads', () => {
    for (const path of [
      '.metadata.name',
      '.spec.stages[].name',
      '.spec.stages[].dependsOn[]',
      '.spec.onFailure[].name',
      '.spec.onFailure[].dependsOn[]',
      '.spec.schedule',
      '.spec.triggers.after[].pipeline',
      '.spec.params[].name',
      '.spec.params[].enum[]',
    ]) {
      expect(node(path)?.maxLength, path).toBeTypeOf('number');
    }
  });

  it('keeps embedded Kubernetes types whole', () => {
    for (const path of [
      '.spec.stages[].env[]',
      '.spec.stages[].envFrom[]',
      '.spec.stages[].resources',
      '.spec.stages[].podTemplate',
      '.spec.defaults.tolerations[]',
      '.spec.defaults.podTemplate',
    ]) {
      expect(node(path)?.['x-kubernetes-preserve-unknown-fields'], path).toBe(true);
    }
  });

  it('defaults what the API says defaults', () => {
    expect(node('.spec.concurrencyPolicy')?.default).toBe('Forbid');
    expect(node('.spec.failurePolicy')?.default).toBe('StopAll');
    expect(node('.spec.staging.mountPath')?.default).toBe('/staging');
    expect(node('.spec.runHistoryLimit')?.default).toBe(3);
    expect(node('.spec.triggers.after[].phase')?.default).toBe('Succeeded');
  });

  it('carries every CEL rule exactly once, each with a TypeScript twin', () => {
    const rules = nodes.flatMap(([, n]) =>
      ((n['x-kubernetes-validations'] as { rule: string }[] | undefined) ?? []).map((v) => v.rule),
    );
    for (const id of Object.keys(CEL) as CelRuleId[]) {
      expect(rules.filter((r) => r === CEL[id].rule).length, id).toBeGreaterThanOrEqual(1);
    }
    // uniqueStageNames and uniqueOnFailureNames share their rule text.
    expect(rules.length).toBe(Object.keys(CEL).length);
    expect(Object.keys(RULE_CHECKS).sort()).toEqual(Object.keys(CEL).sort());
  });
});

describe('the editor schema', () => {
  const schema = pipelineJsonSchema() as any;
  it('is closed on Conveyor objects and open inside Kubernetes ones', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.spec.additionalProperties).toBe(false);
    expect(schema.properties.spec.properties.stages.items.additionalProperties).toBe(false);
    expect(schema.properties.spec.properties.stages.items.properties.podTemplate.additionalProperties).toBeUndefined();
    expect(JSON.stringify(schema)).not.toContain('x-kubernetes-');
  });
  it('describes a whole document', () => {
    expect(schema.required).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(schema.properties.apiVersion.enum).toEqual(['conveyor.dev/v1alpha1']);
    expect(Object.keys(schema.properties.metadata.properties)).toEqual(
      expect.arrayContaining(['name', 'namespace', 'labels', 'annotations']),
    );
  });
});
