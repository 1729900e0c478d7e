// jsonEqual (src/controller/json-equal.ts) against the comparison it replaced: a JSON round trip
// of both values, then a deep strict comparison.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { jsonEqual } from '../../../src/controller/json-equal.ts';
import { statusChanged } from '../../../src/controller/reconcile/write-status.ts';
import type { PipelineStatus } from '../../../src/api/types.ts';

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? {}));
const oldEqual = (a: unknown, b: unknown): boolean => isDeepStrictEqual(roundTrip(a), roundTrip(b));

const T = '2026-12-01T10:00:00.000Z';
const cases: { title: string; a: unknown; b: unknown; want: boolean }[] = [
  {
    title: 'same primitives',
    a: { n: 1, s: 'x', t: true, z: null },
    b: { n: 1, s: 'x', t: true, z: null },
    want: true,
  },
  { title: 'a different number', a: { n: 1 }, b: { n: 2 }, want: false },
  { title: 'a number against its string', a: { n: 1 }, b: { n: '1' }, want: false },
  { title: 'an undefined field is absent', a: { x: 1, gone: undefined }, b: { x: 1 }, want: true },
  { title: 'an undefined field is absent (other side)', a: { x: 1 }, b: { x: 1, gone: undefined }, want: true },
  { title: 'undefined against null', a: { x: undefined }, b: { x: null }, want: false },
  { title: 'a field only on one side', a: { x: 1 }, b: { x: 1, y: 2 }, want: false },
  { title: 'a field only on the other side', a: { x: 1, y: 2 }, b: { x: 1 }, want: false },
  { title: 'key order does not matter', a: { x: 1, y: { p: 1, q: 2 } }, b: { y: { q: 2, p: 1 }, x: 1 }, want: true },
  { title: 'undefined in an array is null', a: { l: [1, undefined] }, b: { l: [1, null] }, want: true },
  { title: 'arrays of different length', a: { l: [1] }, b: { l: [1, 2] }, want: false },
  { title: 'array order matters', a: { l: [1, 2] }, b: { l: [2, 1] }, want: false },
  { title: 'an array against an object', a: { l: [] }, b: { l: {} }, want: false },
  { title: 'a Date equals its JSON string', a: { at: new Date(T) }, b: { at: T }, want: true },
  { title: 'a Date against another time', a: { at: new Date(T) }, b: { at: '2026-12-01T10:00:01.000Z' }, want: false },
  {
    title: 'NaN and Infinity are null',
    a: { n: Number.NaN, i: Number.POSITIVE_INFINITY },
    b: { n: null, i: null },
    want: true,
  },
  { title: 'a function field is absent', a: { f: () => 1, x: 1 }, b: { x: 1 }, want: true },
  {
    title: 'nested undefined inside arrays of objects',
    a: { s: [{ name: 'a', startTime: undefined }] },
    b: { s: [{ name: 'a' }] },
    want: true,
  },
  {
    title: 'nested difference deep down',
    a: { r: { s: [{ c: [{ t: 'x' }] }] } },
    b: { r: { s: [{ c: [{ t: 'y' }] }] } },
    want: false,
  },
  { title: 'undefined against an empty object (as the old code: value ?? {})', a: undefined, b: {}, want: true },
  { title: 'an empty object against a non-empty one', a: {}, b: { phase: 'Running' }, want: false },
  { title: 'null field against an empty object', a: { x: null }, b: { x: {} }, want: false },
];

describe('jsonEqual', () => {
  for (const c of cases) {
    it(c.title, () => {
      // The old behaviour is the reference: the table's answers are checked against it too.
      expect(oldEqual(c.a, c.b)).toBe(c.want);
      expect(jsonEqual(c.a ?? {}, c.b ?? {})).toBe(c.want);
      expect(jsonEqual(c.b ?? {}, c.a ?? {})).toBe(c.want);
    });
  }
});

describe('statusChanged', () => {
  const status = (extra: Record<string, unknown>): PipelineStatus =>
    ({ phase: 'Succeeded', observedGeneration: 1, ...extra }) as PipelineStatus;
  const cases2: { title: string; before: PipelineStatus | undefined; after: PipelineStatus; want: boolean }[] = [
    { title: 'no status before, an empty one after', before: undefined, after: {} as PipelineStatus, want: false },
    { title: 'no status before, one after', before: undefined, after: status({}), want: true },
    {
      title: 'the same status with an undefined field added',
      before: status({}),
      after: status({ message: undefined }),
      want: false,
    },
    { title: 'a changed phase', before: status({}), after: status({ phase: 'Running' }), want: true },
    {
      title: 'the same run written back',
      before: status({ lastRun: { id: 'g1', stages: [{ name: 'a', phase: 'Succeeded' }] } }),
      after: status({ lastRun: { id: 'g1', stages: [{ name: 'a', phase: 'Succeeded', reason: undefined }] } }),
      want: false,
    },
  ];
  for (const c of cases2) {
    it(c.title, () => {
      expect(statusChanged(c.before, c.after)).toBe(c.want);
      expect(!oldEqual(c.before, c.after)).toBe(c.want);
    });
  }
});
