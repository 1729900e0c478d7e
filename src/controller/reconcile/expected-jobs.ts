// Jobs this operator created that its cache has not shown yet (controller-runtime calls these
// expectations). The planner reads them as facts: a stage whose Job is missing from the cache was
// only deleted when no create of it is still on its way. An entry ends on evidence, not on a
// clock: when the watch delivers the Job, or when a list of Jobs that started after the create
// returned (a consistent read) is in the cache — the Job was in it (its add came) or was deleted
// before the watch showed it. A time-to-live alone (kube-controller-manager's ControllerExpectations
// lapse after 5 minutes and then act on the cache as it is; a ReplicaSet survives an extra Pod)
// would need the cache never to lag longer, and it can: an API server unreachable for longer, right
// after a create whose status write it refused, then the informer's reconnect backoff (up to 30 s)
// and relist. Here an expectation that lapses too early lets a plan re-decide a run from nothing
// (NEW-M in test/sim/README.md). While the Job informer works, every created Job is either added
// by its watch (which resumes from the last resourceVersion and replays the add, even of a Job
// deleted since) or absent from its relist (after 410 Gone), so nothing is held forever.
/** How long an add that beat the create's answer is remembered (see `early`). */
export const EARLY_ADD_TTL_MS = 60_000;
/** Bounded: past this, the oldest entries go first (which costs at most a redundant reconcile). */
const MAX_EXPECTATIONS = 10_000;

export class Expectations {
  /** namespace → Job name → when it was created. */
  private readonly created = new Map<string, Map<string, number>>();
  /**
   * Jobs the watch delivered before the create that made them returned (the watch can be faster
   * than the create's answer): expecting one of those afterwards would wait for an add that has
   * already come, and a Job deleted meanwhile would look "on its way" until the next relist.
   */
  private readonly early = new Map<string, number>();
  private count = 0;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A Job `namespace/name` was created by this process. */
  expect(namespace: string, name: string): void {
    if (this.early.delete(`${namespace}/${name}`)) return;
    if (this.count >= MAX_EXPECTATIONS) this.dropOldestNamespaceEntry();
    let names = this.created.get(namespace);
    if (!names) this.created.set(namespace, (names = new Map()));
    if (!names.has(name)) this.count++;
    names.set(name, this.now());
  }

  /** The watch delivered it; true when it was expected (its add tells the reconciler nothing new). */
  observed(namespace: string | undefined, name: string | undefined): boolean {
    const names = this.created.get(namespace ?? '');
    if (!names?.delete(name ?? '')) {
      this.rememberEarly(`${namespace ?? ''}/${name ?? ''}`);
      return false;
    }
    this.count--;
    if (names.size === 0) this.created.delete(namespace ?? '');
    return true;
  }

  /** Names of the Jobs in `namespace` created and not yet seen by the watch or a later list. */
  pending(namespace: string): Set<string> {
    return new Set(this.created.get(namespace)?.keys());
  }

  /**
   * A list of the Jobs of `namespace` (every namespace when undefined) that started at `startedAt`
   * is in the cache: an expectation made before it is settled (the Job was listed, or is gone).
   */
  listed(namespace: string | undefined, startedAt: number): void {
    const namespaces = namespace === undefined ? [...this.created.keys()] : [namespace];
    for (const ns of namespaces) {
      for (const [name, at] of this.created.get(ns) ?? []) {
        if (at < startedAt) this.observed(ns, name);
      }
    }
  }

  size(): number {
    return this.count;
  }

  private rememberEarly(key: string): void {
    const now = this.now();
    // Bounded and short-lived: only an add racing a create's answer is of interest.
    for (const [k, at] of this.early) {
      if (this.early.size < MAX_EXPECTATIONS && at >= now - EARLY_ADD_TTL_MS) break;
      this.early.delete(k);
    }
    this.early.set(key, now);
  }

  private dropOldestNamespaceEntry(): void {
    const [namespace, names] = this.created.entries().next().value ?? [];
    const oldest = names?.keys().next().value;
    if (namespace !== undefined && oldest !== undefined) this.observed(namespace, oldest);
  }
}
