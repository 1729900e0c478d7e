import { describe, expect, it } from 'vitest';
import { ANN_RUN_REQUESTED } from '../../../src/api/labels.ts';
import { knownRequest, newer, settled } from '../../../src/webhook/run-requests.ts';
import { pipeline } from './fakes.ts';

const delivery = (id: string) => ({ id, time: '2026-12-06T00:00:00Z', outcome: 'Started' as const });

describe('knownRequest', () => {
  it.each([
    ['pending in the annotation', pipeline('p', { annotations: { [ANN_RUN_REQUESTED]: 'webhook:a' } }), true],
    ['handled last', pipeline('p', { status: { lastRunRequest: 'webhook:a' } }), true],
    ['listed in status.webhook', pipeline('p', { status: { webhook: { deliveries: [delivery('a')] } } }), true],
    ['another one listed', pipeline('p', { status: { webhook: { deliveries: [delivery('b')] } } }), false],
    ['nowhere', pipeline('p'), false],
  ])('%s', (_name, p, expected) => {
    expect(knownRequest(p, 'webhook:a')).toBe(expected);
  });
});

describe('settled', () => {
  it.each([
    ['no annotation', pipeline('p'), true],
    ['blank annotation', pipeline('p', { annotations: { [ANN_RUN_REQUESTED]: ' ' } }), true],
    [
      'annotation handled',
      pipeline('p', { annotations: { [ANN_RUN_REQUESTED]: 'x' }, status: { lastRunRequest: 'x' } }),
      true,
    ],
    [
      'annotation pending',
      pipeline('p', { annotations: { [ANN_RUN_REQUESTED]: 'y' }, status: { lastRunRequest: 'x' } }),
      false,
    ],
  ])('%s', (_name, p, expected) => {
    expect(settled(p)).toBe(expected);
  });
});

describe('newer', () => {
  it.each([
    ['the higher resourceVersion', '9', '10', '10'],
    ['the first when equal', '5', '5', 'a'],
    ['the first when a version is not a number', 'x9', '10', 'a'],
  ])('picks %s', (_name, ra, rb, expected) => {
    const a = pipeline('p', { rv: ra });
    const b = pipeline('p', { rv: rb });
    const got = newer(a, b);
    expect(got === a ? 'a' : got?.metadata.resourceVersion).toBe(expected === 'a' ? 'a' : expected);
  });

  it('keeps the cache when the uid differs (deleted and created again)', () => {
    const a = pipeline('p', { rv: '1' });
    const b = {
      ...pipeline('p', { rv: '50' }),
      metadata: { ...pipeline('p').metadata, uid: 'other', resourceVersion: '50' },
    };
    expect(newer(a, b)).toBe(a);
    expect(newer(undefined, b)).toBe(b);
  });
});
