// validatePipeline beyond the fixture files: the largest pipeline the API allows, odd inputs.
import { describe, expect, it } from 'vitest';
import { MAX_ON_FAILURE_STAGES, MAX_STAGE_NAME_LENGTH, MAX_STAGES } from '../../../src/api/constants.ts';
import {
  MAX_DATASET_FACETS_BYTES,
  MAX_DATASET_NAMESPACE_LENGTH,
  MAX_DATASETS,
  MAX_DEPENDS_ON,
} from '../../../src/api/schema.ts';
import { validatePipeline } from '../../../src/api/validate.ts';

const name = (prefix: string, i: number) => `${prefix}${i}`.padEnd(MAX_STAGE_NAME_LENGTH, 'x');

/** Every limit at once: 200 stages of 40-character names, each depending on the 20 before it. */
function largest() {
  const stages = Array.from({ length: MAX_STAGES }, (_, i) => ({
    name: name('s', i),
    ...(i > 0
      ? { dependsOn: Array.from({ length: Math.min(i, MAX_DEPENDS_ON) }, (_, k) => name('s', i - 1 - k)) }
      : {}),
  }));
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'p'.repeat(63) },
    spec: {
      defaults: { image: 'busybox' },
      stages,
      onFailure: Array.from({ length: MAX_ON_FAILURE_STAGES }, (_, i) => ({ name: name('f', i) })),
    },
  };
}

describe('validatePipeline', () => {
  it('accepts the largest pipeline the API allows, quickly', () => {
    const started = performance.now();
    expect(validatePipeline(largest())).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('finds a cycle closed in the largest pipeline, once, in its shortest form', () => {
    // s1..s3 depend on all stages before them, so s0 → s3 closes several cycles; the shortest shows.
    const doc = largest();
    doc.spec.stages[0]!.dependsOn = [name('s', 3)];
    expect(validatePipeline(doc)).toEqual([
      {
        path: 'spec.stages[0].dependsOn[0]',
        message: `dependency cycle: ${name('s', 0)} → ${name('s', 3)} → ${name('s', 0)}`,
      },
    ]);
  });

  it.each([
    [null, [{ path: '', message: 'must be an object (a map of fields), not null' }]],
    [[], [{ path: '', message: 'must be an object (a map of fields), not a list' }]],
    ['Pipeline', [{ path: '', message: 'must be an object (a map of fields), not "Pipeline"' }]],
  ])('refuses %j as a document', (doc, problems) => {
    expect(validatePipeline(doc)).toEqual(problems);
  });

  it('reports problems of the schema and of the rules together', () => {
    const problems = validatePipeline({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'mixed' },
      spec: {
        stages: [
          { name: 'a', image: 'busybox', retries: -1, dependsOn: ['b'] },
          { name: 'b', image: 'busybox', dependsOn: ['a'] },
        ],
      },
    });
    expect(problems).toEqual([
      { path: 'spec.stages[0].retries', message: 'must be at least 0, not -1' },
      { path: 'spec.stages[0].dependsOn[0]', message: 'dependency cycle: a → b → a' },
    ]);
  });
});

describe('validatePipeline: datasets (stages[].inputs / outputs)', () => {
  const withDatasets = (inputs: unknown[]) => ({
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'lineage' },
    spec: { stages: [{ name: 'a', image: 'busybox', inputs }] },
  });
  const schemaURL = 'https://openlineage.io/spec/facets/1-1-0/DocumentationDatasetFacet.json';

  it.each([
    [
      'facets over 16 KiB as JSON',
      [
        {
          namespace: 'n',
          name: 'd',
          facets: { documentation: { _schemaURL: schemaURL, description: 'x'.repeat(17_000) } },
        },
      ],
      [
        {
          path: 'spec.stages[0].inputs[0].facets',
          message: `facets are ${17_000 + 123} bytes as JSON; at most ${MAX_DATASET_FACETS_BYTES} (they travel in every lineage event of the stage)`,
        },
      ],
    ],
    [
      'facets far over the bound: counting stops',
      [
        {
          namespace: 'n',
          name: 'd',
          facets: { documentation: { _schemaURL: schemaURL, description: 'x'.repeat(99_000) } },
        },
      ],
      [
        {
          path: 'spec.stages[0].inputs[0].facets',
          message: `facets are over ${2 * MAX_DATASET_FACETS_BYTES} bytes as JSON; at most ${MAX_DATASET_FACETS_BYTES} (they travel in every lineage event of the stage)`,
        },
      ],
    ],
    [
      'more datasets than allowed',
      Array.from({ length: MAX_DATASETS + 1 }, (_, i) => ({ namespace: 'n', name: `d${i}` })),
      [{ path: 'spec.stages[0].inputs', message: `must have at most ${MAX_DATASETS} items, not ${MAX_DATASETS + 1}` }],
    ],
    [
      'a name and a namespace too long, an empty one',
      [{ namespace: 'n'.repeat(MAX_DATASET_NAMESPACE_LENGTH + 1), name: '' }],
      [
        {
          path: 'spec.stages[0].inputs[0].namespace',
          message: `must be at most ${MAX_DATASET_NAMESPACE_LENGTH} characters long, not ${MAX_DATASET_NAMESPACE_LENGTH + 1}`,
        },
        { path: 'spec.stages[0].inputs[0].name', message: 'must not be empty' },
      ],
    ],
    [
      'an unknown field of a dataset',
      [{ namespace: 'n', name: 'd', kind: 'table' }],
      [{ path: 'spec.stages[0].inputs[0].kind', message: 'unknown field "kind"' }],
    ],
    [
      'facets with their _schemaURL',
      [{ namespace: 'n', name: 'd', facets: { documentation: { _schemaURL: schemaURL, description: 'd' } } }],
      [],
    ],
  ])('%s', (_name, inputs, problems) => {
    expect(validatePipeline(withDatasets(inputs))).toEqual(problems);
  });
});
