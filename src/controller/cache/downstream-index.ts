// Which Pipelines are chained after a given one (spec.triggers.after[].pipeline), kept up to date
// from the Pipeline informers' add, update and delete notifications. A Pipeline's change wakes
// its downstream Pipelines; finding them by scanning every Pipeline of the namespace on each
// event was quadratic (10,000 × 10,000 comparisons in a cold restart of 10,000 Pipelines).
import type { Pipeline } from '../../api/types.ts';

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

export class DownstreamIndex {
  /** "namespace/upstream" → names of the Pipelines in that namespace triggered after it. */
  private readonly after = new Map<string, Set<string>>();
  /** "namespace/pipeline" → the upstream names it is indexed under (to forget them on change). */
  private readonly upstreamsOf = new Map<string, string[]>();

  /** Feed one informer notification. */
  update(p: Pipeline, verb: 'add' | 'update' | 'delete'): void {
    const namespace = p.metadata.namespace ?? '';
    const name = p.metadata.name ?? '';
    this.forget(namespace, name);
    if (verb === 'delete') return;
    const upstreams = upstreamNames(p);
    if (upstreams.length === 0) return;
    this.upstreamsOf.set(key(namespace, name), upstreams);
    for (const upstream of upstreams) {
      let names = this.after.get(key(namespace, upstream));
      if (!names) this.after.set(key(namespace, upstream), (names = new Set()));
      names.add(name);
    }
  }

  /** Names of the Pipelines of `namespace` with a trigger after `upstream`. */
  downstreamOf(namespace: string, upstream: string): string[] {
    const names = this.after.get(key(namespace, upstream));
    return names ? [...names] : [];
  }

  private forget(namespace: string, name: string): void {
    const upstreams = this.upstreamsOf.get(key(namespace, name));
    if (!upstreams) return;
    this.upstreamsOf.delete(key(namespace, name));
    for (const upstream of upstreams) {
      const names = this.after.get(key(namespace, upstream));
      names?.delete(name);
      if (names?.size === 0) this.after.delete(key(namespace, upstream));
    }
  }
}

/** The distinct upstream names of a Pipeline's after-triggers (tolerant of malformed specs). */
function upstreamNames(p: Pipeline): string[] {
  const after: unknown = p.spec?.triggers?.after;
  if (!Array.isArray(after)) return [];
  const names = new Set<string>();
  for (const t of after) {
    const upstream: unknown = (t as { pipeline?: unknown } | null)?.pipeline;
    if (typeof upstream === 'string' && upstream) names.add(upstream);
  }
  return [...names];
}
