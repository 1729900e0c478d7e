// Work queue of reconcile keys ("namespace/name"), modelled on client-go's workqueue:
// - de-duplicating: a key waiting once is processed once, however many times it was added;
// - never two processings of one key at once: a key added while being processed is marked
//   dirty and runs once more afterwards (so no change is missed);
// - per-key exponential backoff when the handler fails (100ms doubling to 5 minutes, reset on
//   success), and addAfter() for time-based work, keeping only the earliest timer per key;
// - a bounded number of concurrent handlers, and shutdown() that waits for those in flight;
// - fairness between namespaces: waiting keys are served round-robin over namespaces, FIFO
//   within one (fair-fifo.ts), so a burst in one namespace does not starve the others.
// Time comes from an injected clock so tests are fast and deterministic.
//
// Every timer is armed for at most MAX_TIMER_DELAY_MS. Node fires a setTimeout whose delay is
// above 2^31-1 ms (about 24.8 days) after 1 ms instead, and a @monthly schedule or a long
// activeDeadlineSeconds asks for more than that: the key was reconciled hundreds of times a
// second. A longer delay becomes a wake-up at the limit; the handler then re-plans and asks for
// the time that remains.

import { MAX_TIMER_DELAY_MS } from '../../time-limits.ts';
import { FairFifo } from './fair-fifo.ts';

export type Clock = {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/**
 * A handler may ask to be called again after some time (e.g. a run deadline). Only a positive
 * delay requeues (as in controller-runtime): 0, a negative number or NaN asks for nothing.
 */
export type HandlerResult = void | { requeueAfterMs?: number };
export type Handler = (key: string) => Promise<HandlerResult> | HandlerResult;

export type WorkQueueOptions = {
  /** Handlers running at once, over all keys. Default 4. */
  concurrency?: number;
  /** First retry delay after an error. Default 100 ms. */
  baseDelayMs?: number;
  /** Retry delay cap. Default 5 minutes. */
  maxDelayMs?: number;
  clock?: Clock;
  /** Metrics hook: called after every handler run, with the error when it failed. */
  onProcessed?: (key: string, durationMs: number, error?: unknown) => void;
};

// Looked up at call time (not captured) so fake timers installed later still apply.
const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class WorkQueue {
  private readonly handler: Handler;
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private readonly onProcessed: WorkQueueOptions['onProcessed'];

  /** Keys ready to run: round-robin over namespaces, in arrival order within one. */
  private readonly waiting = new FairFifo();
  /** Keys that need processing: waiting, or added again while being processed. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly timers = new Map<string, { due: number; handle: unknown }>();
  private readonly failures = new Map<string, number>();
  private stopping = false;
  private readonly drained: (() => void)[] = [];

  constructor(handler: Handler, options: WorkQueueOptions = {}) {
    this.handler = handler;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
    // A delay that is not a positive number would make every failure retry at once, in a loop.
    this.baseDelayMs = positiveOr(options.baseDelayMs, 100);
    this.maxDelayMs = positiveOr(options.maxDelayMs, 5 * 60_000);
    this.clock = options.clock ?? systemClock;
    this.onProcessed = options.onProcessed;
  }

  /** Queue a key now. A no-op when it is already waiting; deferred when it is being processed. */
  add(key: string): void {
    if (this.stopping || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.waiting.push(key);
    this.pump();
  }

  /**
   * Queue a key after `ms`. Of several pending delays for one key, only the earliest is kept.
   * A delay that is not positive (0, negative, NaN) adds the key now; one beyond
   * MAX_TIMER_DELAY_MS (Infinity included) wakes the key at that limit.
   */
  addAfter(key: string, requestedMs: number): void {
    if (this.stopping) return;
    if (!(requestedMs > 0)) {
      this.add(key);
      return;
    }
    const ms = Math.min(requestedMs, MAX_TIMER_DELAY_MS);
    const due = this.clock.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) this.clock.clearTimeout(pending.handle);
    const entry = { due, handle: undefined as unknown };
    entry.handle = this.clock.setTimeout(() => {
      if (this.timers.get(key) === entry) this.timers.delete(key);
      this.add(key);
    }, ms);
    this.timers.set(key, entry);
  }

  /** Forget a key's failure count (e.g. its object was deleted). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Keys waiting to be processed (not counting delayed ones or those in flight). */
  depth(): number {
    return this.waiting.size;
  }

  /** Keys being processed right now. */
  inFlight(): number {
    return this.processing.size;
  }

  /** Keys with a delayed add pending. */
  delayed(): number {
    return this.timers.size;
  }

  /** The delay the next failure of `key` would wait. */
  backoffFor(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(failures, 52));
  }

  /** Stop taking work (queued and delayed keys are dropped); resolves when handlers finish. */
  shutdown(): Promise<void> {
    this.stopping = true;
    for (const { handle } of this.timers.values()) this.clock.clearTimeout(handle);
    this.timers.clear();
    this.waiting.clear();
    this.dirty.clear();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private pump(): void {
    while (!this.stopping && this.processing.size < this.concurrency) {
      const key = this.waiting.take();
      if (key === undefined) return;
      this.dirty.delete(key);
      this.processing.add(key);
      void this.process(key);
    }
  }

  private async process(key: string): Promise<void> {
    const started = this.clock.now();
    let failed = false;
    let error: unknown;
    let result: HandlerResult = undefined;
    try {
      result = await this.handler(key);
    } catch (err) {
      failed = true;
      error = err;
    }
    const duration = this.clock.now() - started;
    this.processing.delete(key);

    if (failed) {
      const delay = this.backoffFor(key);
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      this.addAfter(key, delay);
    } else {
      this.failures.delete(key);
      const after = result?.requeueAfterMs;
      if (typeof after === 'number' && after > 0) this.addAfter(key, after);
    }
    try {
      if (failed) this.onProcessed?.(key, duration, error ?? new Error(`handler for ${key} failed`));
      else this.onProcessed?.(key, duration);
    } catch {
      // A metrics hook must not break the queue.
    }

    // Added while it was being processed: run it once more.
    if (!this.stopping && this.dirty.has(key)) this.waiting.push(key);
    this.pump();
    if (this.stopping && this.processing.size === 0) {
      for (const resolve of this.drained.splice(0)) resolve();
    }
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}
