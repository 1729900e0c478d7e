// Token buckets for the webhook receiver: one overall and one per Pipeline, so one noisy sender
// cannot starve the others and all of them together cannot flood the API server with patches.

import type { Rate } from '../config.ts';

/** A classic token bucket on a caller-supplied clock (milliseconds), so it is pure and testable. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  private readonly rate: Rate;

  constructor(rate: Rate, now: number) {
    this.rate = rate;
    this.tokens = rate.burst;
    this.last = now;
  }

  /** Takes one token if there is one; otherwise how many ms until there will be. */
  take(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000) };
  }

  /** Gives back a token taken for a request that was then refused by the other bucket. */
  giveBack(): void {
    this.tokens = Math.min(this.rate.burst, this.tokens + 1);
  }

  /** True when the bucket is full again: it holds nothing a fresh bucket would not. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.rate.burst;
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.rate.burst, this.tokens + (elapsed / 1000) * this.rate.perSecond);
  }
}

/** Per-Pipeline buckets kept at most; full (idle) ones are dropped first, so memory stays bounded. */
export const MAX_PIPELINE_BUCKETS = 10_000;

export type Admission = { ok: true } | { ok: false; retryAfterMs: number };

/** The overall bucket and one bucket per Pipeline key. */
export class RateLimiter {
  private readonly overall: TokenBucket;
  private readonly perPipeline = new Map<string, TokenBucket>();

  private readonly rates: { overall: Rate; pipeline: Rate };
  private readonly maxBuckets: number;

  constructor(rates: { overall: Rate; pipeline: Rate }, now: number, maxBuckets = MAX_PIPELINE_BUCKETS) {
    this.rates = rates;
    this.maxBuckets = maxBuckets;
    this.overall = new TokenBucket(rates.overall, now);
  }

  /** A delivery for `key` may go on when both its Pipeline's bucket and the overall one have a token. */
  admit(key: string, now: number): Admission {
    const own = this.bucket(key, now);
    const mine = own.take(now);
    if (!mine.ok) return mine;
    const all = this.overall.take(now);
    if (!all.ok) {
      own.giveBack();
      return all;
    }
    return { ok: true };
  }

  /** Buckets held (for tests and the bound). */
  size(): number {
    return this.perPipeline.size;
  }

  private bucket(key: string, now: number): TokenBucket {
    let b = this.perPipeline.get(key);
    if (!b) {
      if (this.perPipeline.size >= this.maxBuckets) this.prune(now);
      b = new TokenBucket(this.rates.pipeline, now);
      this.perPipeline.set(key, b);
    }
    return b;
  }

  /** Drops full buckets (a new one starts full: nothing is forgotten); if none is full, the oldest. */
  private prune(now: number): void {
    for (const [k, b] of this.perPipeline) if (b.full(now)) this.perPipeline.delete(k);
    if (this.perPipeline.size >= this.maxBuckets) {
      const oldest = this.perPipeline.keys().next().value;
      if (oldest !== undefined) this.perPipeline.delete(oldest);
    }
  }
}
