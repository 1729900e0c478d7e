// StringPool (src/kube/string-pool.ts): one copy of recurring strings, bounded.
import { describe, expect, it } from 'vitest';
import { StringPool } from '../../../src/kube/string-pool.ts';

/** A string equal to `s` but a distinct heap object (not a literal V8 would share). */
const fresh = (s: string): string => JSON.parse(JSON.stringify(s)) as string;

describe('StringPool', () => {
  it('leaves values equal, structure intact, and non-strings untouched', () => {
    const pool = new StringPool();
    const before = {
      a: 'x',
      n: 1,
      b: true,
      z: null,
      u: undefined,
      list: ['p', 2, { q: 'r' }],
      nested: { deep: { s: 'x' } },
    };
    const copy = structuredClone(before);
    expect(pool.internAll(copy)).toEqual(before);
  });

  it('gives equal values found anywhere the same pooled copy', () => {
    const pool = new StringPool();
    const first = pool.intern(fresh('conveyor'));
    const obj = { labels: { m: fresh('conveyor') }, list: [fresh('conveyor')] };
    pool.internAll(obj);
    // Object.is cannot tell two equal strings apart; the pool's own copy is what is handed out.
    expect(pool.intern(obj.labels.m)).toBe(first);
    expect(pool.size()).toBe(1);
  });

  it('does not pool resourceVersion values', () => {
    const pool = new StringPool();
    pool.internAll({ metadata: { resourceVersion: '123', name: 'a' } });
    expect(pool.size()).toBe(1);
  });

  it('never holds more than its limit: full, it starts over', () => {
    const pool = new StringPool(3);
    for (const s of ['a', 'b', 'c']) pool.intern(s);
    expect(pool.size()).toBe(3);
    pool.intern('d');
    expect(pool.size()).toBe(1);
    pool.intern('a');
    expect(pool.size()).toBe(2);
  });
});
