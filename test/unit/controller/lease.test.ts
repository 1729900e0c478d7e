import { describe, expect, it } from 'vitest';
import { decideLease, recordFingerprint } from '../../../src/controller/runtime/lease.ts';

describe('decideLease', () => {
  const cases: [string, Parameters<typeof decideLease>, string][] = [
    ['no lease yet', [undefined, 'me', 1000, 0, 15], 'acquire'],
    ['released lease (no holder)', [{ leaseDurationSeconds: 15 }, 'me', 1000, 900, 15], 'acquire'],
    ['held by me', [{ holderIdentity: 'me', leaseDurationSeconds: 15 }, 'me', 1000, 0, 15], 'renew'],
    [
      'held by another, recently seen change',
      [{ holderIdentity: 'other', leaseDurationSeconds: 15 }, 'me', 10_000, 0, 15],
      'wait',
    ],
    [
      'held by another, unchanged for the whole duration',
      [{ holderIdentity: 'other', leaseDurationSeconds: 15 }, 'me', 15_000, 0, 15],
      'acquire',
    ],
    [
      'lease duration from the record wins',
      [{ holderIdentity: 'other', leaseDurationSeconds: 5 }, 'me', 6_000, 0, 15],
      'acquire',
    ],
  ];
  it.each(cases)('%s', (_name, args, expected) => {
    expect(decideLease(...args)).toBe(expected);
  });
});

describe('recordFingerprint', () => {
  it('changes when the holder renews', () => {
    expect(recordFingerprint({ holderIdentity: 'a', renewTime: 't1' })).not.toBe(
      recordFingerprint({ holderIdentity: 'a', renewTime: 't2' }),
    );
    expect(recordFingerprint(undefined)).toBe('@');
  });
});
