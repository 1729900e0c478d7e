// One ConsoleBackend per person in the in-cluster Console: a backend watches with one set of
// credentials, so each bearer token gets its own, started on first use and shared by that
// person's requests and tabs, stopped once nobody used it for a while. The pool is bounded: a new
// token pushes out the least recently used idle backend, and when every backend is busy it is
// refused (503). Entries are keyed by the token's SHA-256: tokens are never logged or listed.
import { createHash } from 'node:crypto';
import type { ConsoleBackend } from './backend.ts';

export interface BackendPoolOptions {
  /** Makes (does not start) the backend that acts with `token`. */
  factory: (token: string) => ConsoleBackend;
  /** A backend with no lease, unused this long, is stopped. Default 10 minutes. */
  idleMs?: number;
  /** At most this many backends at once. Default 50. */
  maxBackends?: number;
  now?: () => number;
  /** Told when a backend stops or fails to stop (the key is a hash, never the token). */
  onStopError?: (key: string, error: unknown) => void;
}

/** A backend held for as long as something streams from it (an SSE connection); release() once. */
export interface Lease {
  backend: ConsoleBackend;
  release(): void;
}

export class PoolFullError extends Error {
  readonly status = 503;
  constructor(max: number) {
    super(`the Console serves ${max} people at once already; try again in a few minutes`);
  }
}

interface Entry {
  backend: ConsoleBackend;
  started: Promise<void>;
  lastUsed: number;
  leases: number;
}

export class BackendPool {
  private readonly entries = new Map<string, Entry>();
  private readonly idleMs: number;
  private readonly maxBackends: number;
  private readonly now: () => number;
  private readonly options: BackendPoolOptions;

  constructor(options: BackendPoolOptions) {
    this.options = options;
    this.idleMs = options.idleMs ?? 10 * 60_000;
    this.maxBackends = Math.max(1, options.maxBackends ?? 50);
    this.now = options.now ?? Date.now;
  }

  /** The started backend of `token` (made and started on first use). */
  async get(token: string): Promise<ConsoleBackend> {
    const entry = await this.entryFor(token, false);
    entry.lastUsed = this.now();
    return entry.backend;
  }

  /** The backend of `token`, kept from idle stopping until release(). */
  async lease(token: string): Promise<Lease> {
    const entry = await this.entryFor(token, true);
    entry.lastUsed = this.now();
    let released = false;
    return {
      backend: entry.backend,
      release: () => {
        if (released) return;
        released = true;
        entry.leases -= 1;
        entry.lastUsed = this.now();
      },
    };
  }

  /** Stops the backends unused for idleMs and not leased. Call it from a timer. */
  async sweep(): Promise<void> {
    const now = this.now();
    const idle = [...this.entries].filter(([, e]) => e.leases === 0 && now - e.lastUsed >= this.idleMs);
    await Promise.all(idle.map(([key]) => this.drop(key)));
  }

  /** Stops every backend. */
  async close(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((key) => this.drop(key)));
  }

  get size(): number {
    return this.entries.size;
  }

  /** The pool's key of a token: its SHA-256 (also what may appear in logs). */
  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  /** The started entry of `token`; with `hold`, it stays leased (the caller releases it). */
  private async entryFor(token: string, hold: boolean): Promise<Entry> {
    const key = BackendPool.keyOf(token);
    let entry = this.entries.get(key);
    while (!entry) {
      // Checked and created in one synchronous step, so concurrent first requests cannot overfill.
      if (this.entries.size < this.maxBackends) entry = this.create(key, token);
      else {
        await this.makeRoom();
        entry = this.entries.get(key); // another request may have made it meanwhile
      }
    }
    entry.leases += 1; // a backend still starting for someone is not idle
    try {
      await entry.started;
    } catch (error) {
      entry.leases -= 1;
      if (this.entries.get(key) === entry) this.entries.delete(key); // the next request tries afresh
      throw error;
    }
    if (!hold) entry.leases -= 1;
    return entry;
  }

  private create(key: string, token: string): Entry {
    const backend = this.options.factory(token);
    const entry: Entry = { backend, started: backend.start(), lastUsed: this.now(), leases: 0 };
    entry.started.catch(() => undefined); // awaited by entryFor; an unobserved rejection must not crash
    this.entries.set(key, entry);
    return entry;
  }

  /** Full: stop the least recently used backend in nobody's use, or refuse when all are in use. */
  private async makeRoom(): Promise<void> {
    const idle = [...this.entries].filter(([, e]) => e.leases === 0).sort(([, a], [, b]) => a.lastUsed - b.lastUsed);
    if (idle.length === 0) throw new PoolFullError(this.maxBackends);
    await this.drop(idle[0]![0]);
  }

  private async drop(key: string): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    try {
      await entry.started.catch(() => undefined);
      await entry.backend.stop();
    } catch (error) {
      this.options.onStopError?.(key, error);
    }
  }
}
