import { describe, expect, it } from 'vitest';
import {
  type Delivery,
  DeliveryQueue,
  QUEUE_DEFAULTS,
  type QueueOptions,
  type Settlement,
} from '../../../src/notify/queue.ts';
import { CountingMetrics, FakeClock, failure, flush, HeldSink, OK } from './fakes.ts';

/** A queue on a fake clock and a held sink; jitter fixed at the middle (random 0.5: 3/4 of each step). */
function setUp(options: Partial<QueueOptions> = {}) {
  const clock = new FakeClock();
  const sink = new HeldSink();
  const metrics = new CountingMetrics();
  const settled: [string, Settlement][] = [];
  const queue = new DeliveryQueue({
    send: sink.send,
    clock,
    metrics,
    random: () => 0.5,
    onSettled: (d, how) => settled.push([d.id, how]),
    ...options,
  });
  const add = (id: string, group = 'run-1'): boolean => queue.enqueue(delivery(id, group)) === 'queued';
  return { clock, sink, metrics, settled, queue, add };
}

const delivery = (id: string, group: string): Delivery => ({
  id,
  group,
  request: { url: 'http://sink.test/', headers: {}, body: id },
  about: undefined,
});

describe('DeliveryQueue: order', () => {
  it('sends the deliveries of one group one at a time, in order; groups go side by side', async () => {
    const { sink, add, settled } = setUp();
    add('a1', 'run-a');
    add('a2', 'run-a');
    add('b1', 'run-b');
    await flush();
    expect(sink.bodies()).toEqual(['a1', 'b1']);
    await sink.call('b1').answer(OK);
    expect(sink.bodies()).toEqual(['a1', 'b1']);
    await sink.call('a1').answer(OK);
    expect(sink.bodies()).toEqual(['a1', 'b1', 'a2']);
    await sink.call('a2').answer(OK);
    expect(settled).toEqual([
      ['b1', 'sent'],
      ['a1', 'sent'],
      ['a2', 'sent'],
    ]);
  });

  it('holds a later delivery of a group while the earlier one waits for its retry, not the other groups', async () => {
    const { sink, add, clock } = setUp();
    add('a1', 'run-a');
    add('a2', 'run-a');
    await flush();
    await sink.call('a1').answer(failure(503));
    add('b1', 'run-b');
    await flush();
    expect(sink.bodies()).toEqual(['a1', 'b1']);
    await clock.advance(750);
    expect(sink.bodies()).toEqual(['a1', 'b1', 'a1']);
    await sink.calls[2]?.answer(OK);
    expect(sink.bodies()).toEqual(['a1', 'b1', 'a1', 'a2']);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const { sink, add } = setUp({ concurrency: 2 });
    for (const g of ['r1', 'r2', 'r3', 'r4']) add(g, g);
    await flush();
    expect(sink.bodies()).toEqual(['r1', 'r2']);
    await sink.call('r2').answer(OK);
    expect(sink.bodies()).toEqual(['r1', 'r2', 'r3']);
  });

  it('ignores a delivery whose id is already queued, and takes it again once settled', async () => {
    const { sink, add, queue } = setUp();
    expect(add('e1')).toBe(true);
    expect(queue.enqueue(delivery('e1', 'run-1'))).toBe('duplicate');
    expect(queue.depth()).toBe(1);
    await flush();
    await sink.call('e1').answer(OK);
    expect(add('e1')).toBe(true);
  });
});

describe('DeliveryQueue: retries', () => {
  it.each([
    ['no answer', undefined, true],
    ['408', 408, true],
    ['429', 429, true],
    ['500', 500, true],
    ['503', 503, true],
    ['400', 400, false],
    ['401', 401, false],
    ['404', 404, false],
    ['413', 413, false],
    ['302 (redirects are not followed)', 302, false],
  ])('%s: retried %s', async (_name, status, retried) => {
    const { sink, add, clock, metrics, settled } = setUp();
    add('e1');
    add('e2');
    await flush();
    await sink.call('e1').answer(failure(status));
    expect(metrics.counts.failed).toBe(1);
    if (retried) {
      expect(settled).toEqual([]);
      await clock.advance(750);
      expect(sink.bodies()).toEqual(['e1', 'e1']);
    } else {
      // Dropped at once, counted, and the run's next delivery goes on.
      expect(settled).toEqual([['e1', 'dropped']]);
      expect(metrics.counts.dropped).toBe(1);
      expect(sink.bodies()).toEqual(['e1', 'e2']);
    }
  });

  it('backs off exponentially with jitter, capped', async () => {
    const randoms = [0, 0.5, 0, 0.5];
    const { sink, add, clock } = setUp({ random: () => randoms.shift() ?? 0, maxBackoffMs: 4_000, maxAttempts: 10 });
    add('e1');
    await flush();
    // Wait = half the step + random × half: steps 1000, 2000, 4000, then capped at 4000.
    const waits: number[] = [];
    let last = 0;
    for (let attempt = 1; attempt <= 4; attempt++) {
      await sink.calls[attempt - 1]?.answer(failure(503));
      const before = sink.calls.length;
      while (sink.calls.length === before) await clock.advance(1);
      waits.push(clock.now() - last);
      last = clock.now();
    }
    expect(waits).toEqual([500, 1500, 2000, 3000]);
  });

  it('waits at least what Retry-After asks, within the cap', async () => {
    const { sink, add, clock } = setUp();
    add('e1');
    await flush();
    await sink.call('e1').answer(failure(429, 30_000));
    await clock.advance(29_999);
    expect(sink.calls).toHaveLength(1);
    await clock.advance(1);
    expect(sink.calls).toHaveLength(2);
  });

  it('drops a delivery out of attempts, counting each failed attempt', async () => {
    const { sink, add, clock, metrics, settled } = setUp({ maxAttempts: 3 });
    add('e1');
    await flush();
    for (let i = 0; i < 3; i++) {
      await sink.calls[i]?.answer(failure());
      await clock.advance(10_000);
    }
    expect(sink.calls).toHaveLength(3);
    expect(settled).toEqual([['e1', 'dropped']]);
    expect(metrics.counts).toEqual({ sent: 0, failed: 3, dropped: 1, depth: 0 });
    expect(clock.pending()).toBe(0);
  });

  it('drops a delivery whose next attempt would come after maxAgeMs', async () => {
    const { sink, add, clock, settled } = setUp({ maxAgeMs: 2_000 });
    add('e1');
    await flush();
    await sink.call('e1').answer(failure(500)); // next at 750: within the age
    await clock.advance(750);
    await sink.calls[1]?.answer(failure(500)); // next at 750 + 1500 = 2250 > 2000
    expect(settled).toEqual([['e1', 'dropped']]);
    expect(sink.calls).toHaveLength(2);
  });

  it('treats a send that throws as a failed attempt without an answer', async () => {
    const clock = new FakeClock();
    const metrics = new CountingMetrics();
    let calls = 0;
    const queue = new DeliveryQueue({
      clock,
      metrics,
      random: () => 0.5,
      send: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return OK;
      },
    });
    queue.enqueue(delivery('e1', 'g'));
    await flush();
    await clock.advance(750);
    expect(metrics.counts).toEqual({ sent: 1, failed: 1, dropped: 0, depth: 0 });
  });
});

describe('DeliveryQueue: bound', () => {
  it('when full, drops the oldest delivery not in flight, counts it, and lets its group go on', async () => {
    const { sink, add, metrics, settled, queue } = setUp({ capacity: 3, concurrency: 1 });
    add('a1', 'run-a'); // in flight
    add('a2', 'run-a');
    add('b1', 'run-b');
    await flush();
    expect(add('c1', 'run-c')).toBe(true); // full: a2 (oldest not in flight) goes
    expect(settled).toEqual([['a2', 'dropped']]);
    expect(metrics.counts).toMatchObject({ dropped: 1, depth: 3 });
    expect(queue.depth()).toBe(3);
    await sink.call('a1').answer(OK);
    await sink.call('b1').answer(OK);
    await sink.call('c1').answer(OK);
    expect(sink.bodies()).toEqual(['a1', 'b1', 'c1']);
    expect(metrics.counts).toEqual({ sent: 3, failed: 0, dropped: 1, depth: 0 });
  });

  it('drops a group head waiting for its retry, cancelling the wait, and sends the next one', async () => {
    const { sink, add, clock, settled } = setUp({ capacity: 2 });
    add('a1', 'run-a');
    await flush();
    await sink.call('a1').answer(failure(503));
    add('a2', 'run-a');
    add('b1', 'run-b'); // full: a1, waiting, is the oldest
    await flush();
    expect(settled).toEqual([['a1', 'dropped']]);
    expect(sink.bodies()).toEqual(['a1', 'a2', 'b1']);
    expect(clock.pending()).toBe(0);
  });

  it('with every queued delivery in flight, drops the new one', async () => {
    const { add, settled, metrics, queue } = setUp({ capacity: 1 });
    add('a1', 'run-a');
    await flush();
    expect(queue.enqueue(delivery('b1', 'run-b'))).toBe('dropped');
    expect(settled).toEqual([['b1', 'dropped']]);
    expect(metrics.counts.dropped).toBe(1);
  });

  it('holds the queue at its capacity under a dead sink, dropping the oldest', async () => {
    const { add, queue, metrics } = setUp({ capacity: 100, concurrency: 4 });
    for (let i = 0; i < 1_000; i++) add(`e${i}`, `run-${i % 10}`);
    await flush();
    expect(queue.depth()).toBe(100);
    expect(metrics.counts.dropped).toBe(900);
  });

  it('sends nothing after stop and leaves no timer behind', async () => {
    const { sink, add, clock, queue } = setUp();
    add('a1', 'run-a');
    await flush();
    await sink.call('a1').answer(failure(503));
    queue.stop();
    expect(clock.pending()).toBe(0);
    expect(add('b1', 'run-b')).toBe(false);
    await clock.advance(60_000);
    expect(sink.calls).toHaveLength(1);
  });
});

describe('DeliveryQueue: defaults (as docs/integrations.md states them)', () => {
  it('8 in flight, 12 attempts, an hour, backoff from 1 s to 5 min, 10,000 deliveries', async () => {
    expect(QUEUE_DEFAULTS).toEqual({
      capacity: 10_000,
      concurrency: 8,
      maxAttempts: 12,
      maxAgeMs: 3_600_000,
      baseBackoffMs: 1_000,
      maxBackoffMs: 300_000,
    });
    const { sink, add } = setUp();
    for (let i = 0; i < 20; i++) add(`e${i}`, `run-${i}`);
    await flush();
    expect(sink.calls).toHaveLength(8);
  });
});
