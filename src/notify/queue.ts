// A bounded delivery queue for one sink kind (cloudevents or openlineage), off the reconcile path:
// enqueue never waits, and sending happens here, a few requests at a time.
//
// Rules (docs/integrations.md, "Delivery"):
// - Order: deliveries of one group (a run at one target) go one at a time, in the order enqueued;
//   the next waits until the one before it was sent or dropped. Groups are independent.
// - Retry: a failed attempt is tried again after an exponential backoff with jitter, unless it is
//   permanent (a 4xx other than 408 and 429, or a redirect), out of attempts, or would outlive
//   maxAgeMs; then it is dropped.
// - Bound: at `capacity` deliveries the oldest one not in flight is dropped for the new one.
// Every delivery ends exactly once, sent or dropped (onSettled), and is counted (QueueMetrics).
import type { Clock } from './clock.ts';
import { type HttpRequest, retryable, type Send, type SendOutcome } from './transport.ts';

export interface Delivery<About = unknown> {
  /** Unique per queue: a second enqueue of the same id while the first is queued is ignored. */
  id: string;
  /** Deliveries of one group are sent one at a time, in order. */
  group: string;
  request: HttpRequest;
  /** What the delivery is about, handed back to onSettled. */
  about: About;
}

export type Settlement = 'sent' | 'dropped';
/** What enqueue did: queued it, ignored it (its id is queued), or dropped it at once (see enqueue). */
export type Enqueued = 'queued' | 'duplicate' | 'dropped';

export interface QueueMetrics {
  sent(): void;
  /** One failed attempt (retried or not). */
  failed(): void;
  dropped(): void;
  depth(n: number): void;
}

export interface QueueOptions<About = unknown> {
  send: Send;
  clock: Clock;
  metrics: QueueMetrics;
  /** Called once per delivery when it was sent or dropped. */
  onSettled?: (delivery: Delivery<About>, how: Settlement) => void;
  /** Called for each failed attempt, with what failed (for logs). */
  onFailure?: (delivery: Delivery<About>, error: string, willRetry: boolean) => void;
  capacity?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  maxAttempts?: number;
  maxAgeMs?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** [0, 1): the jitter's source (Math.random; fixed in tests). */
  random?: () => number;
}

export const QUEUE_DEFAULTS = {
  capacity: 10_000,
  concurrency: 8,
  maxAttempts: 12,
  maxAgeMs: 3_600_000,
  baseBackoffMs: 1_000,
  maxBackoffMs: 300_000,
} as const;

interface Item<About> {
  delivery: Delivery<About>;
  enqueuedAt: number;
  attempts: number;
  inFlight: boolean;
  /** Cancels the backoff timer while the item waits for its next attempt. */
  cancelWait?: () => void;
}

export class DeliveryQueue<About = unknown> {
  private readonly opts: Required<Omit<QueueOptions<About>, 'onSettled' | 'onFailure'>> & QueueOptions<About>;
  /** Every item by id, in the order enqueued (a Map iterates in insertion order): the oldest first. */
  private readonly items = new Map<string, Item<About>>();
  /** Each group's items in order; the first is its head, the only one that may be sent. */
  private readonly groups = new Map<string, Item<About>[]>();
  /** Groups whose head may be sent now, in the order they became ready. */
  private readonly ready = new Set<string>();
  private inFlight = 0;
  private stopped = false;

  constructor(options: QueueOptions<About>) {
    this.opts = { ...QUEUE_DEFAULTS, random: Math.random, ...options };
    if (!(this.opts.capacity >= 1 && this.opts.concurrency >= 1 && this.opts.maxAttempts >= 1)) {
      throw new RangeError('delivery queue: capacity, concurrency and maxAttempts must be at least 1');
    }
  }

  /** Deliveries waiting or in flight. */
  depth(): number {
    return this.items.size;
  }

  /**
   * Queues `delivery` unless one with its id is queued (or the queue is stopped). Never waits. When
   * every queued delivery is in flight (capacity <= concurrency) the new one is dropped at once:
   * counted, and onSettled called before enqueue returns.
   */
  enqueue(delivery: Delivery<About>): Enqueued {
    if (this.stopped || this.items.has(delivery.id)) return 'duplicate';
    if (this.items.size >= this.opts.capacity && !this.dropOldest()) {
      this.opts.metrics.dropped();
      this.opts.onSettled?.(delivery, 'dropped');
      return 'dropped';
    }
    const item: Item<About> = { delivery, enqueuedAt: this.opts.clock.now(), attempts: 0, inFlight: false };
    this.items.set(delivery.id, item);
    const group = this.groups.get(delivery.group);
    if (group) group.push(item);
    else {
      this.groups.set(delivery.group, [item]);
      this.ready.add(delivery.group);
    }
    this.opts.metrics.depth(this.items.size);
    this.pump();
    return 'queued';
  }

  /** Sends nothing more and cancels the waits; attempts in flight finish unobserved. */
  stop(): void {
    this.stopped = true;
    for (const item of this.items.values()) item.cancelWait?.();
    this.ready.clear();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.opts.concurrency && this.ready.size > 0) {
      const group = this.ready.values().next().value as string;
      this.ready.delete(group);
      const head = this.groups.get(group)?.[0];
      if (head) void this.attempt(head);
    }
  }

  private async attempt(item: Item<About>): Promise<void> {
    item.inFlight = true;
    item.attempts++;
    this.inFlight++;
    let outcome: SendOutcome;
    try {
      outcome = await this.opts.send(item.delivery.request);
    } catch (err) {
      outcome = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    item.inFlight = false;
    this.inFlight--;
    if (this.stopped) return;
    if (outcome.ok) {
      this.opts.metrics.sent();
      this.settle(item, 'sent');
    } else this.failed(item, outcome);
    this.pump();
  }

  private failed(item: Item<About>, outcome: Extract<SendOutcome, { ok: false }>): void {
    this.opts.metrics.failed();
    const wait = this.backoffMs(item.attempts, outcome.retryAfterMs);
    const again =
      retryable(outcome) &&
      item.attempts < this.opts.maxAttempts &&
      this.opts.clock.now() + wait - item.enqueuedAt <= this.opts.maxAgeMs;
    this.opts.onFailure?.(item.delivery, outcome.error, again);
    if (!again) {
      this.opts.metrics.dropped();
      this.settle(item, 'dropped');
      return;
    }
    item.cancelWait = this.opts.clock.after(wait, () => {
      item.cancelWait = undefined;
      this.ready.add(item.delivery.group);
      this.pump();
    });
  }

  /**
   * Exponential with "equal jitter": half the step fixed, half random, so retries of many groups
   * spread out yet never come back at once. A Retry-After the sink asked for is waited at least.
   */
  private backoffMs(attempts: number, retryAfterMs: number | undefined): number {
    const step = Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** Math.min(attempts - 1, 30));
    const jittered = step / 2 + (this.opts.random() * step) / 2;
    return Math.max(jittered, Math.min(retryAfterMs ?? 0, this.opts.maxBackoffMs));
  }

  /** Drops the oldest delivery not in flight; false when every one is in flight. */
  private dropOldest(): boolean {
    for (const item of this.items.values()) {
      if (item.inFlight) continue;
      this.opts.metrics.dropped();
      this.settle(item, 'dropped');
      return true;
    }
    return false;
  }

  /** Removes `item` (sent or dropped); its group's next item, if any, becomes sendable. */
  private settle(item: Item<About>, how: Settlement): void {
    const { id, group: key } = item.delivery;
    item.cancelWait?.();
    this.items.delete(id);
    const group = this.groups.get(key) ?? [];
    const index = group.indexOf(item);
    if (index >= 0) group.splice(index, 1);
    if (group.length === 0) {
      this.groups.delete(key);
      this.ready.delete(key);
    } else if (index === 0 && !group[0]?.inFlight && !group[0]?.cancelWait) this.ready.add(key);
    this.opts.metrics.depth(this.items.size);
    this.opts.onSettled?.(item.delivery, how);
  }
}
