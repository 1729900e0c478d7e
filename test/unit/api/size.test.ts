// The size check: jsonBytes counts what JSON.stringify would write, stops early on a document
// that aliases blow up, and validatePipeline refuses a Pipeline the API server cannot store.
import { describe, expect, it } from 'vitest';
import { jsonBytes, MAX_OBJECT_BYTES, sizeProblems } from '../../../src/api/size.ts';
import { validatePipeline } from '../../../src/api/validate.ts';

const stage = (i: number, args: string[] = []) => ({ name: `s${i}`, image: 'busybox', args });
const pipeline = (stages: object[]) => ({
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'p' },
  spec: { stages },
});

describe('jsonBytes', () => {
  it.each([
    ['a string', 'abc'],
    ['escapes', 'quote " backslash \\ newline \n tab \t nul \u0000'],
    ['two- to four-byte characters', 'é ☕ 𝄞 日本'],
    ['numbers and booleans', [0, -1.5, 1e21, true, false, null]],
    ['undefined in objects and lists', { a: undefined, b: [undefined, 1] }],
    ['nesting', { spec: { stages: [{ name: 'a', env: [{ name: 'K', value: 'v' }] }], empty: {}, none: [] } }],
    ['non-identifier keys', { 'app.kubernetes.io/name': 'x', ünïcode: 'y' }],
  ])('counts %s as JSON.stringify does', (_, value) => {
    expect(jsonBytes(value)).toBe(Buffer.byteLength(JSON.stringify(value), 'utf8'));
  });

  it('stops counting past the cap: one object shared a billion times is not walked a billion times', () => {
    let shared: unknown = ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'x'];
    for (let level = 0; level < 9; level++) shared = Array(10).fill(shared);
    const started = performance.now();
    expect(jsonBytes(shared, 1000)).toBeGreaterThan(1000);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('is Infinity for a value that contains itself', () => {
    const loop: unknown[] = [1];
    loop.push(loop);
    expect(jsonBytes(loop)).toBe(Infinity);
  });
});

describe('a Pipeline too large for the API server', () => {
  const big = (bytesPerStage: number) =>
    pipeline(Array.from({ length: 200 }, (_, i) => stage(i, ['x'.repeat(bytesPerStage)])));

  it.each([
    ['1.45 MiB', 7_600, []],
    [
      '1.53 MiB',
      8_000,
      [{ path: '', message: 'too large: 1.53 MiB as JSON, and the API server stores at most 1.50 MiB per object' }],
    ],
  ])('%s as JSON: %j', (_, bytesPerStage, problems) => {
    expect(validatePipeline(big(bytesPerStage))).toEqual(problems);
  });

  it('is measured in bytes of UTF-8, not characters', () => {
    // 200 × 4,000 three-byte characters: 0.8 M characters, 2.3 MiB.
    expect(sizeProblems(big(0)).length).toBe(0);
    const wide = pipeline(Array.from({ length: 200 }, (_, i) => stage(i, ['☕'.repeat(4000)])));
    expect(sizeProblems(wide)).toEqual([
      { path: '', message: 'too large: 2.30 MiB as JSON, and the API server stores at most 1.50 MiB per object' },
    ]);
  });

  it('the limit is etcd’s default request size', () => {
    expect(MAX_OBJECT_BYTES).toBe(1_572_864);
  });
});
