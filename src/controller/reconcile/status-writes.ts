// What this process wrote to Pipelines' status, or holds back from writing: one of the reconciler's
// two stores (the other is pending-observations.ts), keyed by the Pipeline's namespace/name.
//   - read-your-writes: the status we wrote, newer than the cache until the watch delivers it;
//   - writes left in flight: a status write that goes on without the worker after a create
//     (deferred-writes.ts says why that is safe); the key's next reconcile waits for it;
//   - the start-time hold: a change that only fills in stage start times waits up to 30 s for
//     company (start-time-hold.ts).
// Keyed by namespace/name, the work queue's key: a reconcile of a Pipeline that has left the
// cache knows nothing else, and it is the one that forgets. The uid is checked where it matters
// (`freshest`): a Pipeline re-created under the same name never reads the old one's status.
import type { Pipeline } from '../../api/types.ts';
import { DeferredStatusWrites } from './deferred-writes.ts';
import { StartTimeHold } from './start-time-hold.ts';

export class StatusWrites {
  /** Status we wrote, newer than the cache until the watch delivers it. */
  private readonly written = new Map<string, Pipeline>();
  /** Since when a start-time-only change of each key has been held. */
  private readonly startTimes = new StartTimeHold();
  /** Status writes left in flight by the reconcile that decided them. */
  private readonly inFlight = new DeferredStatusWrites();

  /** Resolves once no status write of `key` is in flight (read-your-writes for the next plan). */
  settle(key: string): Promise<void> {
    return this.inFlight.settle(key);
  }

  /** The cached Pipeline, unless the status we just wrote is newer than what the watch delivered. */
  freshest(key: string, cached: Pipeline | undefined): Pipeline | undefined {
    const mine = this.written.get(key);
    if (!mine || !cached) return cached;
    if (cached.metadata.uid !== mine.metadata.uid || resourceVersionOf(cached) >= resourceVersionOf(mine)) {
      this.written.delete(key);
      return cached;
    }
    return mine;
  }

  /** The API server accepted a status write: `updated` is the Pipeline it stored. */
  wrote(key: string, updated: Pipeline): void {
    this.written.set(key, updated);
  }

  /**
   * Whether to hold a change (the ms to wait before writing it anyway), or write now (undefined).
   * Only a change that is nothing but stage start times is held (start-time-hold.ts).
   */
  hold(key: string, nowMs: number, onlyStartTimes: boolean): number | undefined {
    return this.startTimes.hold(key, nowMs, onlyStartTimes);
  }

  /** Sends `write` without waiting; it must handle its own failures. The next reconcile settles it. */
  defer(key: string, write: () => Promise<void>): void {
    this.inFlight.start(key, write);
  }

  /**
   * The Pipeline is gone. A write still in flight ends by itself (its promise removes itself) and
   * is settled by a reconcile of the key should the name come back.
   */
  forget(key: string): void {
    this.written.delete(key);
    this.startTimes.forget(key);
  }
}

// resourceVersions are opaque strings; etcd-backed servers issue increasing integers, which is
// the only case where this comparison matters. Non-numeric ones fall back to the cache.
function resourceVersionOf(p: Pipeline): number {
  const n = Number(p.metadata.resourceVersion);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}
