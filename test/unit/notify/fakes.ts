// Hand-driven time and a hand-answered sink for the delivery tests: nothing waits on the wall clock.
import type { Clock } from '../../../src/notify/clock.ts';
import type { QueueMetrics } from '../../../src/notify/queue.ts';
import type { HttpRequest, Send, SendOutcome } from '../../../src/notify/transport.ts';

export class FakeClock implements Clock {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  private current = 0;

  now(): number {
    return this.current;
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Timers waiting. */
  pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order, each at its own time. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next || next.at > until) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = next.at;
      next.fn();
      await flush();
    }
    this.current = until;
    await flush();
  }
}

/** Lets every pending promise callback run (sends settling, the queue moving on). */
export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A sink that holds every request until the test answers it. */
export class HeldSink {
  readonly calls: { request: HttpRequest; answer: (outcome: SendOutcome) => Promise<void> }[] = [];
  readonly send: Send = (request) =>
    new Promise<SendOutcome>((resolve) => {
      this.calls.push({
        request,
        answer: async (outcome) => {
          resolve(outcome);
          await flush();
        },
      });
    });

  private answered = 0;

  /** Answers every request, including those the answers let through, until none waits; returns how many. */
  async answerAll(outcome: SendOutcome | ((request: HttpRequest) => SendOutcome) = OK): Promise<number> {
    const start = this.answered;
    await flush();
    while (this.answered < this.calls.length) {
      const call = this.calls[this.answered++] as (typeof this.calls)[number];
      await call.answer(typeof outcome === 'function' ? outcome(call.request) : outcome);
    }
    return this.answered - start;
  }

  /** The bodies of the requests sent so far, in order. */
  bodies(): string[] {
    return this.calls.map((c) => c.request.body);
  }

  /** The request waiting for an answer with this body. */
  call(body: string): (typeof this.calls)[number] {
    const found = this.calls.filter((c) => c.request.body === body).at(-1);
    if (!found) throw new Error(`no request with body ${body}; sent: ${this.bodies().join(', ')}`);
    return found;
  }
}

export const OK: SendOutcome = { ok: true, status: 200 };
export const failure = (status?: number, retryAfterMs?: number): SendOutcome => ({
  ok: false,
  error: status === undefined ? 'ECONNREFUSED' : `HTTP ${status}`,
  ...(status !== undefined ? { status } : {}),
  ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
});

export class CountingMetrics implements QueueMetrics {
  counts = { sent: 0, failed: 0, dropped: 0, depth: 0 };
  sent(): void {
    this.counts.sent++;
  }
  failed(): void {
    this.counts.failed++;
  }
  dropped(): void {
    this.counts.dropped++;
  }
  depth(n: number): void {
    this.counts.depth = n;
  }
}
