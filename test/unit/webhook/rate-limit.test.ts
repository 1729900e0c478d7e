import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket } from '../../../src/webhook/rate-limit.ts';

describe('TokenBucket', () => {
  it('gives the burst at once, then one token per 1/rate seconds', () => {
    const b = new TokenBucket({ perSecond: 2, burst: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0)].every((r) => r.ok)).toBe(true);
    expect(b.take(0)).toEqual({ ok: false, retryAfterMs: 500 });
    expect(b.take(499).ok).toBe(false);
    expect(b.take(500).ok).toBe(true);
    expect(b.take(500).ok).toBe(false);
  });

  it('never holds more than the burst, however long it was idle', () => {
    const b = new TokenBucket({ perSecond: 10, burst: 2 }, 0);
    const taken = Array.from({ length: 5 }, () => b.take(1_000_000).ok);
    expect(taken).toEqual([true, true, false, false, false]);
  });

  it('ignores a clock that goes backwards', () => {
    const b = new TokenBucket({ perSecond: 1, burst: 1 }, 1000);
    expect(b.take(1000).ok).toBe(true);
    expect(b.take(0).ok).toBe(false);
    expect(b.take(1500).ok).toBe(false);
    expect(b.take(2000).ok).toBe(true);
  });
});

describe('RateLimiter', () => {
  const rates = { overall: { perSecond: 1, burst: 4 }, pipeline: { perSecond: 1, burst: 2 } };

  it('limits each Pipeline on its own', () => {
    const l = new RateLimiter(rates, 0);
    expect(['a', 'a', 'a'].map((k) => l.admit(k, 0).ok)).toEqual([true, true, false]);
    expect(l.admit('b', 0).ok).toBe(true);
  });

  it('limits all Pipelines together, and a refusal by the overall bucket costs the Pipeline nothing', () => {
    const l = new RateLimiter(rates, 0);
    expect(['a', 'a', 'b', 'b'].map((k) => l.admit(k, 0).ok)).toEqual([true, true, true, true]);
    const refused = l.admit('c', 0);
    expect(refused).toEqual({ ok: false, retryAfterMs: 1000 });
    // c's own bucket got its token back: after one second (one overall token) c passes.
    expect(l.admit('c', 1000).ok).toBe(true);
    expect(l.admit('c', 1000).ok).toBe(false); // overall empty again
  });

  it('keeps at most maxBuckets per-Pipeline buckets, dropping full ones first', () => {
    const l = new RateLimiter({ overall: { perSecond: 1000, burst: 1000 }, pipeline: rates.pipeline }, 0, 3);
    for (const k of ['a', 'b', 'c']) l.admit(k, 0);
    expect(l.size()).toBe(3);
    // At 10 s every bucket is full again: all are dropped before d is added.
    l.admit('d', 10_000);
    expect(l.size()).toBe(1);
    // None full: the oldest goes.
    for (const k of ['e', 'f', 'g']) l.admit(k, 10_000);
    expect(l.size()).toBe(3);
  });
});
