import { describe, expect, it } from 'vitest';
import { checkRunRequest, defaultParams, paramEnvName } from '../../../src/plan/select/params.ts';

const specs = [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }, { name: 'day' }];

describe('checkRunRequest: the one check of `conveyor run` and the planner', () => {
  it.each([
    [
      'no options: every param at its default',
      undefined,
      undefined,
      { options: {}, params: { table: 'orders', day: '' } },
    ],
    [
      'given values over defaults',
      '{"params":{"day":"2026-03-01"},"at":"2026-03-01T00:00:00Z","noCache":true}',
      undefined,
      {
        options: { params: { day: '2026-03-01' }, at: '2026-03-01T00:00:00Z', noCache: true },
        params: { table: 'orders', day: '2026-03-01' },
      },
    ],
    [
      'options of the same request apply',
      '{"request":"r2","params":{"table":"users"}}',
      'r2',
      { options: { request: 'r2', params: { table: 'users' } }, params: { table: 'users', day: '' } },
    ],
    [
      'options left from another request do not',
      '{"request":"r1","params":{"table":"users"}}',
      'r2',
      { options: {}, params: { table: 'orders', day: '' } },
    ],
  ])('%s', (_case, raw, request, expected) => {
    expect(checkRunRequest(specs, raw, request)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['an unknown parameter', '{"params":{"tabel":"x"}}', 'unknown parameter "tabel" (declared parameters: table, day)'],
    [
      'a value outside enum',
      '{"params":{"table":"x"}}',
      'value "x" of parameter "table" is not allowed; allowed values: "orders", "users"',
    ],
    ['not JSON', '{params', 'the run options (conveyor.dev/run-options) are not JSON'],
    ['not an object', '[1]', 'the run options (conveyor.dev/run-options) must be a JSON object'],
    [
      'a value that is not a string',
      '{"params":{"day":1}}',
      'run options: "params" must map parameter names to strings',
    ],
    [
      'an unreadable time',
      '{"at":"yesterday"}',
      'run options: "at" must be an RFC 3339 time such as 2026-03-01T00:00:00Z, not "yesterday"',
    ],
    // issue 17 case 8: as strict as `conveyor run --at`, and only times every later step can handle.
    [
      'a day that does not exist',
      '{"at":"2026-02-30T00:00:00Z"}',
      'run options: "at" must be an RFC 3339 time such as 2026-03-01T00:00:00Z, not "2026-02-30T00:00:00Z"',
    ],
    [
      'the end of JavaScript time',
      '{"at":"+275760-09-13T00:00:00Z"}',
      'run options: "at" must be an RFC 3339 time such as 2026-03-01T00:00:00Z, not "+275760-09-13T00:00:00Z"',
    ],
    [
      'a time before 1970',
      '{"at":"1969-12-31T23:59:59Z"}',
      'run options: "at" must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z, not "1969-12-31T23:59:59Z"',
    ],
    [
      'an unknown field',
      '{"at":"2026-03-01T00:00:00Z","noCahce":true}',
      'run options: unknown field "noCahce" (allowed: request, params, at, noCache)',
    ],
    [
      'a request value too long',
      `{"request":"${'r'.repeat(257)}"}`,
      'run options: "request" must be a string of at most 256 characters',
    ],
    [
      'a parameter value too long',
      `{"params":{"day":"${'d'.repeat(5000)}"}}`,
      'value of parameter "day" is 5000 characters long; at most 1024 are allowed',
    ],
    ['noCache not a boolean', '{"noCache":"yes"}', 'run options: "noCache" must be true or false'],
  ])('refuses %s', (_case, raw, message) => {
    expect(checkRunRequest(specs, raw)).toEqual({ ok: false, message });
  });

  it('says so when the pipeline declares no parameters', () => {
    expect(checkRunRequest(undefined, '{"params":{"day":"x"}}')).toEqual({
      ok: false,
      message: 'unknown parameter "day" (this pipeline declares no parameters)',
    });
  });
});

describe('defaultParams and paramEnvName', () => {
  it('gives every declared parameter, empty when it has no default', () => {
    expect(defaultParams(specs)).toEqual({ table: 'orders', day: '' });
    expect(defaultParams(undefined)).toEqual({});
  });
  it('upper-cases the name', () => {
    expect(paramEnvName('run_Date')).toBe('CONVEYOR_PARAM_RUN_DATE');
  });
});
