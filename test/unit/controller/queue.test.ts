import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue, type Clock } from '../../../src/controller/runtime/work-queue.ts';
import { FairFifo } from '../../../src/controller/runtime/fair-fifo.ts';

/** A promise the test settles by hand, to hold a handler "in flight". */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets pending promise callbacks run (handlers finishing, the queue moving on). */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe('WorkQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('de-duplicates a key that is already waiting', async () => {
    const blocker = gate();
    const calls: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        calls.push(key);
        if (key === 'busy') await blocker.promise;
      },
      { concurrency: 1 },
    );
    queue.add('busy');
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.depth()).toBe(1);
    blocker.open();
    await settle();
    expect(calls).toEqual(['busy', 'ns/a']);
    expect(queue.depth()).toBe(0);
  });

  it('runs a key once more when it was added while being processed', async () => {
    const first = gate();
    const calls: number[] = [];
    const queue = new WorkQueue(async () => {
      calls.push(Date.now());
      if (calls.length === 1) await first.promise;
    });
    queue.add('ns/a');
    await settle();
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.depth()).toBe(0); // not waiting: marked dirty behind the running one
    expect(calls).toHaveLength(1);
    first.open();
    await settle();
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(2);
  });

  it('never processes one key twice at the same time', async () => {
    let running = 0;
    let most = 0;
    const queue = new WorkQueue(
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 50));
        running--;
      },
      { concurrency: 8 },
    );
    for (let i = 0; i < 5; i++) {
      queue.add('ns/a');
      await vi.advanceTimersByTimeAsync(20);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(most).toBe(1);
  });

  it('backs off exponentially per key on errors and resets after a success', async () => {
    const times: number[] = [];
    let failuresLeft = 4;
    const queue = new WorkQueue(async () => {
      times.push(Date.now());
      if (failuresLeft-- > 0) throw new Error('boom');
    });
    queue.add('ns/a');
    await vi.advanceTimersByTimeAsync(10_000);
    // Fails at 0, retried after 100, 200, 400, 800 ms; the fifth call succeeds.
    expect(times).toEqual([0, 100, 300, 700, 1500]);
    expect(queue.backoffFor('ns/a')).toBe(100);

    failuresLeft = 1;
    const start = Date.now();
    queue.add('ns/a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times.slice(5).map((t) => t - start)).toEqual([0, 100]);
  });

  it('caps the backoff', async () => {
    const queue = new WorkQueue(
      async () => {
        throw new Error('always');
      },
      { baseDelayMs: 100, maxDelayMs: 1_000 },
    );
    queue.add('ns/a');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(queue.backoffFor('ns/a')).toBe(1_000);
    expect(queue.backoffFor('ns/other')).toBe(100); // per key
    await queue.shutdown();
  });

  it('keeps only the earliest pending addAfter per key', async () => {
    const times: number[] = [];
    const queue = new WorkQueue(async () => {
      times.push(Date.now());
    });
    queue.addAfter('ns/a', 1_000);
    queue.addAfter('ns/a', 500);
    queue.addAfter('ns/a', 2_000);
    expect(queue.delayed()).toBe(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(times).toEqual([500]);
    expect(queue.delayed()).toBe(0);
  });

  it('requeues after the delay a handler asks for', async () => {
    const times: number[] = [];
    const queue = new WorkQueue(async () => {
      times.push(Date.now());
      return times.length === 1 ? { requeueAfterMs: 3_000 } : undefined;
    });
    queue.add('ns/a');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(times).toEqual([0, 3_000]);
  });

  it('bounds the number of handlers running at once', async () => {
    const gates = new Map<string, ReturnType<typeof gate>>();
    const started: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        started.push(key);
        const g = gate();
        gates.set(key, g);
        await g.promise;
      },
      { concurrency: 2 },
    );
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.add(key);
    await settle();
    expect(started).toEqual(['a', 'b']);
    expect(queue.inFlight()).toBe(2);
    expect(queue.depth()).toBe(3);
    gates.get('a')?.open();
    await settle();
    expect(started).toEqual(['a', 'b', 'c']);
    expect(queue.inFlight()).toBe(2);
  });

  it('shutdown stops taking work and resolves when in-flight handlers finish', async () => {
    const g = gate();
    const calls: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        calls.push(key);
        await g.promise;
      },
      { concurrency: 1 },
    );
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 100);
    await settle();
    let done = false;
    const stopped = queue.shutdown().then(() => {
      done = true;
    });
    queue.add('d');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(done).toBe(false);
    g.open();
    await stopped;
    expect(done).toBe(true);
    expect(calls).toEqual(['a']);
    expect(queue.depth()).toBe(0);
    await expect(new WorkQueue(async () => undefined).shutdown()).resolves.toBeUndefined();
  });

  it('reports every processing to the metrics hook', async () => {
    const seen: [string, number, unknown][] = [];
    const failure = new Error('nope');
    const queue = new WorkQueue(
      async (key) => {
        await new Promise((resolve) => setTimeout(resolve, 25));
        if (key === 'bad') throw failure;
      },
      { onProcessed: (key, ms, error) => seen.push([key, ms, error]) },
    );
    queue.add('good');
    queue.add('bad');
    await vi.advanceTimersByTimeAsync(30);
    await queue.shutdown();
    expect(seen).toEqual([
      ['good', 25, undefined],
      ['bad', 25, failure],
    ]);
  });

  it('survives a handler that throws synchronously and a throwing metrics hook', async () => {
    let calls = 0;
    const queue = new WorkQueue(
      () => {
        calls++;
        if (calls === 1) throw new Error('sync');
      },
      {
        onProcessed: () => {
          throw new Error('hook');
        },
      },
    );
    queue.add('a');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
  });
});

/**
 * A clock whose timers behave like Node's: a delay above 2^31-1 ms, below 1 ms, or not a number
 * fires after 1 ms (Node prints a TimeoutOverflowWarning and does exactly that). It records
 * every delay it was asked for.
 */
function nodeLikeClock() {
  let now = 0;
  let next = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  const requested: number[] = [];
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      requested.push(ms);
      const effective = ms >= 1 && ms <= 2 ** 31 - 1 ? ms : 1;
      const id = next++;
      timers.push({ at: now + effective, fn, id });
      return id;
    },
    clearTimeout: (id) => {
      const at = timers.findIndex((t) => t.id === id);
      if (at >= 0) timers.splice(at, 1);
    },
  };
  /**
   * Moves time forward, firing due timers in order, and lets the queue react after each. A queue
   * in a tight timer loop would never let this return, so it gives up after 1,000 firings.
   */
  const advance = async (ms: number) => {
    const until = now + ms;
    for (let fired = 0; ; fired++) {
      if (fired === 1_000) throw new Error(`more than 1,000 timers fired before t=${until} ms: a tight loop`);
      const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers.splice(timers.indexOf(due), 1);
      now = Math.max(now, due.at);
      due.fn();
      await new Promise((resolve) => setImmediate(resolve));
    }
    now = until;
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { clock, timers, requested, advance, now: () => now };
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const DAY_MS = 24 * 60 * 60 * 1000;

describe('WorkQueue with an injected clock', () => {
  it('schedules through the clock it was given', async () => {
    const { clock, timers, advance, now } = nodeLikeClock();
    const calls: number[] = [];
    const queue = new WorkQueue(
      async () => {
        calls.push(now());
      },
      { clock },
    );
    queue.addAfter('ns/a', 300);
    queue.addAfter('ns/a', 200);
    expect(timers).toHaveLength(1);
    await advance(199);
    expect(calls).toEqual([]);
    await advance(1);
    expect(calls).toEqual([200]);
  });

  it('turns a requeue beyond the timer limit into one wake-up at the limit, not a tight loop', async () => {
    const { clock, timers, requested, advance, now } = nodeLikeClock();
    const calls: number[] = [];
    // A @monthly schedule: the handler asks to be called again in 40 days, every time.
    const queue = new WorkQueue(
      async () => {
        calls.push(now());
        return { requeueAfterMs: 40 * DAY_MS };
      },
      { clock },
    );
    queue.add('ns/monthly');
    await advance(0);
    expect(calls).toEqual([0]);
    expect(timers).toHaveLength(1);
    expect(requested).toEqual([MAX_TIMER_MS]);

    await advance(60_000);
    expect(calls).toEqual([0]); // not re-run within the minute (Node would fire after 1 ms)

    await advance(MAX_TIMER_MS - 60_000);
    expect(calls).toEqual([0, MAX_TIMER_MS]); // the wake-up: the handler re-plans
    expect(requested).toEqual([MAX_TIMER_MS, MAX_TIMER_MS]);
    await queue.shutdown();
  });

  it('clamps addAfter itself, and keeps the earliest of a clamped and a shorter delay', async () => {
    const { clock, requested, timers, advance, now } = nodeLikeClock();
    const calls: number[] = [];
    const queue = new WorkQueue(
      async () => {
        calls.push(now());
      },
      { clock },
    );
    queue.addAfter('ns/a', 365 * DAY_MS);
    queue.addAfter('ns/a', Number.POSITIVE_INFINITY);
    expect(requested).toEqual([MAX_TIMER_MS]);
    queue.addAfter('ns/a', 5_000);
    expect(requested).toEqual([MAX_TIMER_MS, 5_000]);
    expect(timers).toHaveLength(1);
    await advance(10_000);
    expect(calls).toEqual([5_000]);
    await advance(MAX_TIMER_MS);
    expect(calls).toEqual([5_000]); // the cleared far timer never fires
  });

  it('a handler asking for Infinity wakes at the limit; NaN, zero and negative ask for no timed requeue', async () => {
    const { clock, requested, advance } = nodeLikeClock();
    const answers = new Map<string, number>([
      ['ns/infinite', Number.POSITIVE_INFINITY],
      ['ns/nan', Number.NaN],
      ['ns/zero', 0],
      ['ns/negative', -5_000],
    ]);
    const calls: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        calls.push(key);
        return { requeueAfterMs: answers.get(key) };
      },
      { clock },
    );
    for (const key of answers.keys()) queue.add(key);
    await advance(60_000);
    expect(calls.sort()).toEqual(['ns/infinite', 'ns/nan', 'ns/negative', 'ns/zero']);
    expect(requested).toEqual([MAX_TIMER_MS]);
    expect(queue.delayed()).toBe(1);
    await queue.shutdown();
  });

  it('addAfter with NaN, zero or a negative delay adds the key now, without a timer', async () => {
    const { clock, requested, advance } = nodeLikeClock();
    const calls: string[] = [];
    const queue = new WorkQueue(
      async (key) => {
        calls.push(key);
      },
      { clock },
    );
    queue.addAfter('ns/nan', Number.NaN);
    queue.addAfter('ns/zero', 0);
    queue.addAfter('ns/negative', -1);
    await advance(0);
    expect(calls).toEqual(['ns/nan', 'ns/zero', 'ns/negative']);
    expect(requested).toEqual([]);
  });

  it('clamps the error backoff when the configured cap is beyond the timer limit', async () => {
    const { clock, requested, advance, now } = nodeLikeClock();
    const calls: number[] = [];
    const queue = new WorkQueue(
      async () => {
        calls.push(now());
        throw new Error('always');
      },
      { clock, baseDelayMs: 40 * DAY_MS, maxDelayMs: Number.POSITIVE_INFINITY },
    );
    queue.add('ns/a');
    await advance(60_000);
    expect(calls).toEqual([0]);
    expect(requested).toEqual([MAX_TIMER_MS]);
    await queue.shutdown();
  });

  it('falls back to the default backoff when given delays that are not positive numbers', async () => {
    const { clock, requested, advance } = nodeLikeClock();
    let calls = 0;
    // A NaN delay used to mean "retry now" with no timer at all: a loop of promise callbacks that
    // starves the event loop. The handler gives up failing after 100 calls so that a regression
    // fails the assertions below instead of hanging the test run.
    const queue = new WorkQueue(
      async () => {
        if (++calls < 100) throw new Error('failing');
      },
      { clock, baseDelayMs: Number.NaN, maxDelayMs: -1 },
    );
    queue.add('ns/a');
    await advance(0);
    expect(calls).toBe(1);
    expect(requested).toEqual([100]);
    expect(queue.backoffFor('ns/a')).toBe(200);
    await queue.shutdown();
  });
});

describe('FairFifo: round-robin over namespaces, FIFO within one', () => {
  const cases: { name: string; pushed: string[]; served: string[] }[] = [
    { name: 'one namespace keeps arrival order', pushed: ['a/1', 'a/2', 'a/3'], served: ['a/1', 'a/2', 'a/3'] },
    {
      name: 'two namespaces alternate',
      pushed: ['a/1', 'a/2', 'a/3', 'b/1', 'b/2'],
      served: ['a/1', 'b/1', 'a/2', 'b/2', 'a/3'],
    },
    {
      name: 'a namespace is served in the order it first arrived',
      pushed: ['b/1', 'a/1', 'c/1', 'a/2'],
      served: ['b/1', 'a/1', 'c/1', 'a/2'],
    },
    { name: 'keys without a namespace share the namespace ""', pushed: ['x', 'a/1', 'y'], served: ['x', 'a/1', 'y'] },
    {
      name: 'a small namespace behind a big burst is served second',
      pushed: [...Array.from({ length: 5_000 }, (_, i) => `big/${i}`), 'small/1', 'small/2'],
      served: ['big/0', 'small/1', 'big/1', 'small/2', 'big/2', 'big/3'],
    },
  ];
  it.each(cases)('$name', ({ pushed, served }) => {
    const fifo = new FairFifo();
    for (const key of pushed) fifo.push(key);
    expect(fifo.size).toBe(pushed.length);
    const taken = served.map(() => fifo.take());
    expect(taken).toEqual(served);
    expect(fifo.size).toBe(pushed.length - served.length);
  });

  it('a namespace that empties and comes back joins the back of the turns', () => {
    const fifo = new FairFifo();
    for (const key of ['a/1', 'b/1', 'b/2']) fifo.push(key);
    expect(fifo.take()).toBe('a/1'); // a is empty now and leaves the turns
    fifo.push('c/1');
    fifo.push('a/2');
    expect([fifo.take(), fifo.take(), fifo.take(), fifo.take(), fifo.take()]).toEqual([
      'b/1',
      'c/1',
      'a/2',
      'b/2',
      undefined,
    ]);
    expect(fifo.size).toBe(0);
  });

  it('keeps order across the compaction of a long FIFO', () => {
    const fifo = new FairFifo();
    for (let i = 0; i < 3_000; i++) fifo.push(`a/${i}`);
    const taken: (string | undefined)[] = [];
    for (let i = 0; i < 2_000; i++) taken.push(fifo.take());
    for (let i = 3_000; i < 3_010; i++) fifo.push(`a/${i}`);
    while (fifo.size > 0) taken.push(fifo.take());
    expect(taken).toEqual(Array.from({ length: 3_010 }, (_, i) => `a/${i}`));
    fifo.push('b/1');
    fifo.clear();
    expect([fifo.size, fifo.take()]).toEqual([0, undefined]);
  });
});

describe('WorkQueue fairness between namespaces', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /**
   * Makes every add while the one worker is held busy (so the adds, not the timing of the
   * first one, decide the order), then returns the order of the handler calls.
   */
  async function order(
    adds: string[],
    opts: { failOnce?: string; reAddWhileRunning?: string } = {},
  ): Promise<string[]> {
    const calls: string[] = [];
    const failed = new Set<string>();
    const hold = gate();
    const queue = new WorkQueue(
      async (key) => {
        if (key === 'hold/0') return hold.promise;
        calls.push(key);
        if (key === opts.reAddWhileRunning && calls.filter((k) => k === key).length === 1) queue.add(key);
        if (key === opts.failOnce && !failed.has(key)) {
          failed.add(key);
          throw new Error('once');
        }
      },
      { concurrency: 1, baseDelayMs: 1 },
    );
    queue.add('hold/0');
    for (const key of adds) queue.add(key);
    hold.open();
    await vi.advanceTimersByTimeAsync(1_000);
    await queue.shutdown();
    return calls;
  }

  const big = (n: number) => Array.from({ length: n }, (_, i) => `big/p${i}`);
  const cases: { name: string; adds: string[]; opts?: Parameters<typeof order>[1]; firstCalls: string[] }[] = [
    {
      name: 'a small namespace added after a burst is served at once',
      adds: [...big(200), 'small/a'],
      firstCalls: ['big/p0', 'small/a', 'big/p1', 'big/p2'],
    },
    {
      name: 'three namespaces take turns',
      adds: ['x/1', 'x/2', 'y/1', 'y/2', 'z/1'],
      firstCalls: ['x/1', 'y/1', 'z/1', 'x/2', 'y/2'],
    },
    {
      name: 'a duplicate add keeps its first place',
      adds: ['a/1', 'a/2', 'a/1', 'b/1'],
      firstCalls: ['a/1', 'b/1', 'a/2'],
    },
    {
      name: 'a key added while it runs is run once more, behind its namespace',
      adds: ['a/1', 'a/2', 'b/1'],
      opts: { reAddWhileRunning: 'a/1' },
      firstCalls: ['a/1', 'b/1', 'a/2', 'a/1'],
    },
    {
      name: 'a failed key comes back after its backoff',
      adds: ['a/1', 'b/1'],
      opts: { failOnce: 'a/1' },
      firstCalls: ['a/1', 'b/1', 'a/1'],
    },
  ];
  it.each(cases)('$name', async ({ adds, opts, firstCalls }) => {
    const calls = await order(adds, opts);
    expect(calls.slice(0, firstCalls.length)).toEqual(firstCalls);
    // Every key ran exactly once (plus the re-add or retry asked for): nothing lost, nothing doubled.
    const expected = new Set(adds).size + (opts?.failOnce || opts?.reAddWhileRunning ? 1 : 0);
    expect(calls).toHaveLength(expected);
  });
});
