// Writes a delivery's run requests onto its Pipeline: the same two annotations as `conveyor run`
// (run-requested = the request value, run-options = its JSON) in one JSON merge patch, with the
// resourceVersion it was decided on as a precondition, so a concurrent write (the CLI, the
// Console, another delivery) is never overwritten. Deliveries for one Pipeline are written one at
// a time (keyed-queue.ts), and each waits until the request before it is handled by the planner
// (status.lastRunRequest), so no request replaces one not yet handled: nothing is lost, and a
// value already known is not written again, so nothing starts twice: known from status (pending,
// handled, or among the last 10 deliveries), or written by this process before (recent-requests.ts).
import type { Pipeline } from '../api/types.ts';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../api/labels.ts';
import { isConflict, isNotFound } from '../kube/errors.ts';
import { KeyedQueue } from './keyed-queue.ts';
import { RecentRequests } from './recent-requests.ts';
import { knownRequest, newer, settled } from './run-requests.ts';
import type { PipelineSource } from './source.ts';

/** One run request: the run-requested value and the run-options JSON. */
export interface PlannedRequest {
  value: string;
  options: string;
}

export type WriteResult =
  | { kind: 'accepted'; written: string[] }
  | { kind: 'duplicate' }
  | { kind: 'unavailable'; message: string }
  | { kind: 'gone' };

/** How long a delivery waits for the request before it to be handled, then answers 503. */
export const HANDLED_WAIT_MS = 10_000;
const MAX_CONFLICTS = 10;

export interface WriterDeps {
  source: PipelineSource;
  /** A merge patch of these annotations with `pipeline`'s resourceVersion as precondition; the patched object. */
  patch(pipeline: Pipeline, annotations: Record<string, string>): Promise<Pipeline>;
  /** The Pipeline as the API server has it now (after a Conflict); undefined when gone. */
  read(namespace: string, name: string): Promise<Pipeline | undefined>;
  waitMs?: number;
}

export class RequestWriter {
  private readonly queue = new KeyedQueue();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly recent = new RecentRequests();

  private readonly deps: WriterDeps;

  constructor(deps: WriterDeps) {
    this.deps = deps;
    deps.source.onChange((p) => this.wake(`${p.metadata.namespace}/${p.metadata.name}`));
  }

  /** Writes `requests` in order after any earlier delivery for `key`; skips those already known. */
  write(key: string, requests: PlannedRequest[]): Promise<WriteResult> {
    const queued = this.queue.run(key, () => this.writeNow(key, requests));
    return queued ?? Promise.resolve({ kind: 'unavailable', message: 'too many deliveries waiting for this Pipeline' });
  }

  private async writeNow(key: string, requests: PlannedRequest[]): Promise<WriteResult> {
    const [namespace = '', name = ''] = key.split('/');
    const deadline = Date.now() + (this.deps.waitMs ?? HANDLED_WAIT_MS);
    let fresh: Pipeline | undefined;
    let conflicts = 0;
    const written: string[] = [];
    for (const request of requests) {
      for (;;) {
        const p = newer(this.deps.source.get(namespace, name), fresh);
        if (!p) return { kind: 'gone' };
        const uid = p.metadata.uid ?? '';
        if (knownRequest(p, request.value) || this.recent.has(uid, request.value)) break;
        if (!settled(p)) {
          if (await this.changed(key, deadline)) continue;
          return { kind: 'unavailable', message: 'the run request before this one is not handled yet' };
        }
        try {
          fresh = await this.deps.patch(p, { [ANN_RUN_REQUESTED]: request.value, [ANN_RUN_OPTIONS]: request.options });
          written.push(request.value);
          this.recent.add(uid, request.value);
          break;
        } catch (err) {
          if (isNotFound(err)) return { kind: 'gone' };
          if (!isConflict(err) || ++conflicts > MAX_CONFLICTS) throw err;
          fresh = await this.deps.read(namespace, name);
        }
      }
    }
    return written.length > 0 ? { kind: 'accepted', written } : { kind: 'duplicate' };
  }

  /** Resolves true at the next change of `key` in the cache, false at the deadline. */
  private changed(key: string, deadline: number): Promise<boolean> {
    const ms = deadline - Date.now();
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, set);
      const done = (changed: boolean): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve(changed);
      };
      const wake = (): void => done(true);
      const timer = setTimeout(() => done(false), ms);
      set.add(wake);
    });
  }

  private wake(key: string): void {
    const set = this.waiters.get(key);
    if (set) for (const w of [...set]) w();
  }
}
