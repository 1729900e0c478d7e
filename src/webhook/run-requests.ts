// Whether a run request is new, already known, or has to wait: pure reads of a Pipeline. A value
// is known when it is the pending run-requested annotation, the last one the planner handled
// (status.lastRunRequest) or a delivery status.webhook lists; a Pipeline is free for a new
// request once the pending one (if any) is handled, so a write never replaces an unhandled one.
import { ANN_RUN_REQUESTED } from '../api/labels.ts';
import type { Pipeline } from '../api/types.ts';
import { alreadyHandled } from './delivery.ts';

/** True when the Pipeline already holds or handled the request `value` (`webhook:<delivery id>`). */
export function knownRequest(p: Pipeline, value: string): boolean {
  if (p.metadata.annotations?.[ANN_RUN_REQUESTED] === value) return true;
  return alreadyHandled(p.status, value);
}

/** True when no run request is pending: the annotation is absent, blank, or the one last handled. */
export function settled(p: Pipeline): boolean {
  const pending = p.metadata.annotations?.[ANN_RUN_REQUESTED];
  return pending === undefined || pending.trim() === '' || pending === p.status?.lastRunRequest;
}

/**
 * The more recent of two views of one Pipeline by resourceVersion. The API server's versions are
 * etcd revisions (integers) in practice; if either is not, the first (the cache's) is kept.
 */
export function newer(a: Pipeline | undefined, b: Pipeline | undefined): Pipeline | undefined {
  if (!a || !b) return a ?? b;
  if (a.metadata.uid !== b.metadata.uid) return a;
  const ra = a.metadata.resourceVersion ?? '';
  const rb = b.metadata.resourceVersion ?? '';
  if (!/^\d{1,30}$/.test(ra) || !/^\d{1,30}$/.test(rb)) return a;
  return BigInt(rb) > BigInt(ra) ? b : a;
}
