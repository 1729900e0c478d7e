import { describe, expect, it } from 'vitest';
import { formatPath, parsePath, pointerSegments } from '../../../src/api/path.ts';

describe('paths', () => {
  it.each([
    [['spec', 'stages', 2, 'dependsOn', 0], 'spec.stages[2].dependsOn[0]'],
    [['metadata', 'name'], 'metadata.name'],
    [['metadata', 'labels', 'app.kubernetes.io/name'], 'metadata.labels["app.kubernetes.io/name"]'],
    [['spec'], 'spec'],
    [[], ''],
  ] as const)('%j ⇄ %s', (segments, text) => {
    expect(formatPath(segments)).toBe(text);
    expect(parsePath(text)).toEqual(segments);
  });

  it('reads ajv JSON pointers', () => {
    expect(pointerSegments('/spec/stages/10/name')).toEqual(['spec', 'stages', 10, 'name']);
    expect(pointerSegments('/metadata/annotations/a~1b')).toEqual(['metadata', 'annotations', 'a/b']);
    expect(pointerSegments('')).toEqual([]);
  });
});
