// Status writes that do not hold a worker. A reconcile that hands a stage over creates the next
// Job, then writes status; waiting for that write kept the worker (and every key queued behind
// it) for a second API round trip. When the reconcile created a Job, its status write is sent
// without waiting, and the Pipeline's next reconcile waits for it before gathering.
//
// Why that is safe:
// - order: the write starts only after the creates succeeded (evidence before status), and a plan
//   with deletions is never deferred (nothing is deleted before status records why); Events
//   follow a successful write, as in the synchronous path;
// - conditional: the write carries the resourceVersion the plan saw; a conflict or an error
//   drops it (logged), never overwriting a newer decision;
// - nothing is lost: a dropped write is planned again by the Pipeline's next reconcile, which the
//   reconciler asks for at once (200 ms after a conflict, 1 s after another failure); the Job
//   this reconcile created wakes its Pipeline too when its pods start, end or it is deleted
//   (only a Job this process actually created counts, not one that already existed). A drop is rare: the plan's resourceVersion is the newest this process knows
//   (its own last write included), so only a change by someone else in between conflicts;
// - read-your-writes: that next reconcile first waits for the write left in flight (settle), so it
//   plans from the status written (reconciler.ts `freshest`) until the cache has it, conflict or not;
// - a crash with a write in flight is a crash after the creates: the next plan adopts the Jobs.
/**
 * Whether a reconcile's status write may go on without the worker: not when it deletes anything
 * (deletions wait for the status that records why), not when it created no Job (no Job of ours
 * would wake the Pipeline again to plan a dropped write anew).
 */
export function mayDefer(o: { jobsCreated: number; deletions: number }): boolean {
  return o.deletions === 0 && o.jobsCreated > 0;
}

/** The status writes in flight, one per Pipeline key at most. */
export class DeferredStatusWrites {
  private readonly inFlight = new Map<string, Promise<void>>();

  /** Starts `write` for `key`. It must handle its own failures (they are dropped here). */
  start(key: string, write: () => Promise<void>): void {
    const done: Promise<void> = write()
      .catch(() => {})
      .finally(() => {
        if (this.inFlight.get(key) === done) this.inFlight.delete(key);
      });
    this.inFlight.set(key, done);
  }

  /** Resolves once no write started for `key` is in flight. */
  async settle(key: string): Promise<void> {
    for (let pending = this.inFlight.get(key); pending; pending = this.inFlight.get(key)) await pending;
  }
}
