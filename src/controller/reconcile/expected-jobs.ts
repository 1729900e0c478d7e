// Jobs this operator created that its cache has not shown yet (controller-runtime calls these
// expectations). The planner reads them as facts: a stage whose Job is missing from the cache was
// only deleted when no create of it is still on its way. An entry ends when the watch delivers
// the Job, or after a while (a watch event raced ahead of the create's answer, or never came).
export const EXPECTATION_TTL_MS = 60_000;
/** Bounded: past this, the oldest entries go first (which costs at most a redundant reconcile). */
const MAX_EXPECTATIONS = 10_000;

export class Expectations {
  /** namespace → Job name → when it was created. */
  private readonly created = new Map<string, Map<string, number>>();
  /**
   * Jobs the watch delivered before the create that made them returned (the watch can be faster
   * than the create's answer): expecting one of those afterwards would wait for an add that has
   * already come, and a Job deleted meanwhile would look "on its way" until the TTL.
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

  /** Names of the Jobs in `namespace` created less than the TTL ago and not seen yet. */
  pending(namespace: string): Set<string> {
    const names = this.created.get(namespace);
    if (!names) return new Set();
    const cutoff = this.now() - EXPECTATION_TTL_MS;
    for (const [name, at] of names) {
      if (at < cutoff) this.observed(namespace, name);
    }
    return new Set(names.keys());
  }

  size(): number {
    return this.count;
  }

  private rememberEarly(key: string): void {
    const now = this.now();
    // Bounded and short-lived: only an add racing a create's answer is of interest.
    for (const [k, at] of this.early) {
      if (this.early.size < MAX_EXPECTATIONS && at >= now - EXPECTATION_TTL_MS) break;
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
