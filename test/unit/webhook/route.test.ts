import { describe, expect, it } from 'vitest';
import { isRefusal, OUTCOMES, STATUS_OF } from '../../../src/webhook/outcomes.ts';
import { isJsonContentType, routeRequest } from '../../../src/webhook/route.ts';

const digest = 'a'.repeat(64);

describe('routeRequest', () => {
  it.each([
    ['POST', `/hook/${digest}`, { ok: true, path: `/hook/${digest}` }],
    ['POST', `/hook/${digest}?x=1`, { ok: true, path: `/hook/${digest}` }],
    ['GET', `/hook/${digest}`, { ok: false, outcome: 'bad_method' }],
    ['PUT', '/anything', { ok: false, outcome: 'bad_method' }],
    [undefined, `/hook/${digest}`, { ok: false, outcome: 'bad_method' }],
    ['POST', '/', { ok: false, outcome: 'unknown_path' }],
    ['POST', '/metrics', { ok: false, outcome: 'unknown_path' }],
    ['POST', `/hook/${digest.toUpperCase()}`, { ok: false, outcome: 'unknown_path' }],
    ['POST', `/hook/${digest}0`, { ok: false, outcome: 'unknown_path' }],
    ['POST', `/hook/${digest}/`, { ok: false, outcome: 'unknown_path' }],
    ['POST', `/hook/../hook/${digest}`, { ok: false, outcome: 'unknown_path' }],
    ['POST', undefined, { ok: false, outcome: 'unknown_path' }],
  ])('%s %s', (method, url, expected) => {
    expect(routeRequest(method, url)).toEqual(expected);
  });
});

describe('isJsonContentType', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['Application/JSON', true],
    ['application/cloudevents+json', false],
    ['application/x-www-form-urlencoded', false],
    ['text/plain', false],
    ['application/jsonp', false],
    [undefined, false],
    [`application/json;${' '.repeat(300)}`, false],
  ])('%s → %s', (raw, expected) => {
    expect(isJsonContentType(raw)).toBe(expected);
  });
});

describe('outcomes', () => {
  it('gives every outcome but bad_signature (401 or 403) one status code', () => {
    expect(Object.keys(STATUS_OF).sort()).toEqual(OUTCOMES.filter((o) => o !== 'bad_signature').sort());
    expect(STATUS_OF).toMatchObject({ accepted: 202, duplicate: 200, too_large: 413, rate_limited: 429 });
  });

  it('records only refusals as Events', () => {
    expect(OUTCOMES.filter((o) => !isRefusal(o))).toEqual(['accepted', 'duplicate', 'ignored']);
  });
});
