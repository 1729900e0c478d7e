// Status writes that go on without the worker (reconcile/deferred-writes.ts): when, and read-your-writes.
import { describe, expect, it } from 'vitest';
import { DeferredStatusWrites, mayDefer } from '../../../src/controller/reconcile/deferred-writes.ts';

describe('mayDefer', () => {
  it.each([
    ['a created Job, no deletions', 1, 0, true],
    ['several created Jobs', 3, 0, true],
    ['no Job created (a run ends, start times, a request handled)', 0, 0, false],
    ['a created Job and deletions (a new run superseding the old one)', 1, 2, false],
    ['deletions only', 0, 1, false],
  ])('%s: %s', (_case, jobsCreated, deletions, defer) => {
    expect(mayDefer({ jobsCreated, deletions })).toBe(defer);
  });
});

/** A write the test ends when it wants, recording the order of events. */
function gate(): { promise: Promise<void>; open: () => void; fail: (err: Error) => void } {
  let open = () => {};
  let fail: (err: Error) => void = () => {};
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

/** Starts a write of `key` that ends when `until` opens, noting `label` in `order` then. */
function startNoted(
  writes: DeferredStatusWrites,
  key: string,
  until: Promise<void>,
  order: string[],
  label: string,
): void {
  writes.start(key, async () => {
    await until;
    order.push(label);
  });
}

describe('DeferredStatusWrites', () => {
  it('settle waits for the write in flight for that key, and only that key', async () => {
    const writes = new DeferredStatusWrites();
    const a = gate();
    const order: string[] = [];
    startNoted(writes, 'ns/a', a.promise, order, 'a written');
    await writes.settle('ns/b');
    order.push('b settled');
    const settled = writes.settle('ns/a').then(() => order.push('a settled'));
    a.open();
    await settled;
    expect(order).toEqual(['b settled', 'a written', 'a settled']);
  });

  it('settle also waits for a write started while it waited', async () => {
    const writes = new DeferredStatusWrites();
    const first = gate();
    const second = gate();
    const order: string[] = [];
    startNoted(writes, 'k', first.promise, order, 'first');
    const settled = writes.settle('k').then(() => order.push('settled'));
    startNoted(writes, 'k', second.promise, order, 'second');
    first.open();
    await Promise.resolve();
    second.open();
    await settled;
    expect(order).toEqual(['first', 'second', 'settled']);
  });

  it('a write that fails is dropped: settle resolves, nothing is thrown', async () => {
    const writes = new DeferredStatusWrites();
    const g = gate();
    writes.start('k', () => g.promise);
    g.fail(new Error('409 Conflict'));
    await expect(writes.settle('k')).resolves.toBeUndefined();
    await expect(writes.settle('k')).resolves.toBeUndefined();
  });
});
