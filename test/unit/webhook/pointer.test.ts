// JSON pointers (RFC 6901) and header sources, as filter[].field and params[].from name them.
import { describe, expect, it } from 'vitest';
import { parseSource, readHeader, readPointer } from '../../../src/webhook/pointer.ts';

describe('parseSource', () => {
  it.each([
    ['/head_commit/id', { kind: 'pointer', tokens: ['head_commit', 'id'] }],
    ['/', { kind: 'pointer', tokens: [''] }],
    ['/a~1b', { kind: 'pointer', tokens: ['a/b'] }],
    ['/m~0n', { kind: 'pointer', tokens: ['m~n'] }],
    // ~01 is "~1" (the ~0 is undone after the ~1), as RFC 6901 section 4 says.
    ['/~01', { kind: 'pointer', tokens: ['~1'] }],
    ['/Records/0/s3', { kind: 'pointer', tokens: ['Records', '0', 's3'] }],
    ['header:X-GitHub-Delivery', { kind: 'header', name: 'x-github-delivery' }],
  ])('%s', (text, source) => {
    expect(parseSource(text)).toEqual(source);
  });

  it.each(['', 'head_commit.id', '/a~2', '/a~', 'header:', 'header:X Id', 'header:a:b', `/${'a'.repeat(256)}`])(
    '%j is refused',
    (text) => {
      expect(parseSource(text)).toBeUndefined();
    },
  );
});

describe('readPointer', () => {
  const doc = JSON.parse(
    '{"a": {"b": [10, {"c": "x"}]}, "": 1, "a/b": 2, "m~n": 3, "__proto__": {"polluted": true}, "n": null}',
  );
  it.each([
    [[], { found: true, value: doc }],
    [['a', 'b', '0'], { found: true, value: 10 }],
    [['a', 'b', '1', 'c'], { found: true, value: 'x' }],
    [[''], { found: true, value: 1 }],
    [['a/b'], { found: true, value: 2 }],
    [['m~n'], { found: true, value: 3 }],
    [['n'], { found: true, value: null }],
    // JSON.parse makes "__proto__" an own property: a name like any other.
    [['__proto__', 'polluted'], { found: true, value: true }],
    [['a', 'b', '2'], { found: false }],
    [['a', 'b', '-'], { found: false }],
    [['a', 'b', '01'], { found: false }],
    [['a', 'b', ' 1'], { found: false }],
    [['a', 'b', '0', 'x'], { found: false }],
    [['missing'], { found: false }],
    [['a', 'toString'], { found: false }],
    [['constructor'], { found: false }],
  ])('%j', (tokens, expected) => {
    expect(readPointer(doc, tokens)).toEqual(expected);
  });
});

describe('readHeader', () => {
  it.each([
    [{ 'x-id': 'abc' }, 'X-Id', { found: true, value: 'abc' }],
    [{ 'x-id': ['a', 'b'] }, 'x-id', { found: true, value: 'a, b' }],
    [{}, 'x-id', { found: false }],
  ])('%j %s', (headers, name, expected) => {
    expect(readHeader(headers, name)).toEqual(expected);
  });
});
