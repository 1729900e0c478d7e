import { describe, expect, it } from 'vitest';
import { mergeObjects, mergeOver } from '../../../src/plan/merge.ts';
import { topologicalOrder } from '../../../src/plan/run/dag.ts';

describe('mergeOver', () => {
  it('merges objects field by field, the over side winning', () => {
    expect(mergeObjects({ a: 1, b: { c: 2, d: 3 } }, { b: { c: 9 }, e: 5 })).toEqual({ a: 1, b: { c: 9, d: 3 }, e: 5 });
  });

  it('merges containers by name field by field, replaces env entries and plain lists whole', () => {
    const base = {
      containers: [
        { name: 'stage', image: 'a', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
        { name: 'side', image: 's' },
      ],
      tolerations: [{ key: 'a' }],
    };
    const over = {
      containers: [{ name: 'stage', image: 'b', env: [{ name: 'X', value: '1' }] }],
      tolerations: [{ key: 'b' }],
    };
    expect(mergeOver(base, over)).toEqual({
      containers: [
        { name: 'stage', image: 'b', env: [{ name: 'X', value: '1' }] },
        { name: 'side', image: 's' },
      ],
      tolerations: [{ key: 'b' }],
    });
  });

  it('does not mutate its inputs', () => {
    const base = { spec: { containers: [{ name: 'stage', args: ['x'] }] } };
    const copy = structuredClone(base);
    mergeOver(base, { spec: { containers: [{ name: 'stage', args: ['y'] }] } });
    expect(base).toEqual(copy);
  });
});

describe('topologicalOrder', () => {
  it('puts dependencies first and keeps spec order for ties', () => {
    const order = topologicalOrder([
      { name: 'd', dependsOn: ['b', 'c'] },
      { name: 'c', dependsOn: ['a'] },
      { name: 'b', dependsOn: ['a'] },
      { name: 'a' },
    ]);
    expect(order.map((s) => s.name)).toEqual(['a', 'c', 'b', 'd']);
  });

  it('never throws on a cycle or an unknown dependency', () => {
    const order = topologicalOrder([
      { name: 'x', dependsOn: ['y'] },
      { name: 'y', dependsOn: ['x'] },
      { name: 'z', dependsOn: ['missing'] },
    ]);
    expect(order.map((s) => s.name).sort()).toEqual(['x', 'y', 'z']);
  });
});
