import { describe, expect, it } from 'vitest';
import { RecentRequests } from '../../../src/webhook/recent-requests.ts';

describe('RecentRequests', () => {
  it('knows what it was told, per uid', () => {
    const r = new RecentRequests(3);
    r.add('u1', 'webhook:a');
    expect(r.has('u1', 'webhook:a')).toBe(true);
    expect(r.has('u2', 'webhook:a')).toBe(false);
    expect(r.has('u1', 'webhook:b')).toBe(false);
  });

  it('forgets the oldest past its bound, and a value added again counts as new', () => {
    const r = new RecentRequests(3);
    for (const v of ['a', 'b', 'c']) r.add('u', v);
    r.add('u', 'a'); // a is now the newest
    r.add('u', 'd'); // b, the oldest, goes
    expect(['a', 'b', 'c', 'd'].map((v) => r.has('u', v))).toEqual([true, false, true, true]);
    expect(r.size).toBe(3);
  });

  it('stays at its bound whatever it is fed', () => {
    const r = new RecentRequests(100);
    for (let i = 0; i < 10_000; i++) r.add(`u${i % 7}`, `webhook:${i}`);
    expect(r.size).toBe(100);
    expect(r.has('u3', 'webhook:9999')).toBe(true); // 9999 % 7 = 3
    expect(r.has('u0', 'webhook:0')).toBe(false);
  });
});
