// validatePipeline beyond the fixture files: the largest pipeline the API allows, odd inputs.
import { describe, expect, it } from 'vitest';
import { MAX_ON_FAILURE_STAGES, MAX_STAGE_NAME_LENGTH, MAX_STAGES } from '../../../src/api/constants.ts';
import { MAX_DEPENDS_ON } from '../../../src/api/schema.ts';
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
