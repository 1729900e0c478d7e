// One task at a time per key, in arrival order: two deliveries for one Pipeline are written one
// after the other, never racing for its run-requested annotation.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly waiting = new Map<string, number>();

  private readonly maxWaitingPerKey: number;

  constructor(maxWaitingPerKey = 64) {
    this.maxWaitingPerKey = maxWaitingPerKey;
  }

  /** Runs `task` after every earlier task of `key`; undefined (not run) when too many already wait. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> | undefined {
    const waiting = this.waiting.get(key) ?? 0;
    if (waiting >= this.maxWaitingPerKey) return undefined;
    this.waiting.set(key, waiting + 1);
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      const left = (this.waiting.get(key) ?? 1) - 1;
      if (left <= 0) {
        this.waiting.delete(key);
        if (this.tails.get(key) === tail) this.tails.delete(key);
      } else this.waiting.set(key, left);
    });
    return result;
  }

  /** Keys with tasks queued or running. */
  size(): number {
    return this.tails.size;
  }
}
