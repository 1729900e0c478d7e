// Which watch events wake a reconcile: pure functions of the object before and after the event.
//
// Whether an update of a cached object changes anything a reader of the cache can see. Both
// objects are as the cache holds them (slimmed by cache/drop-unread-fields.ts where the kind has a slim), so for a
// Job this compares only what the planner reads. The Job controller updates a running stage's
// Job several times with nothing the planner reads (status.ready, status.terminating,
// uncountedTerminatedPods, the SuccessCriteriaMet condition before Complete, lastProbeTime); each
// used to wake the owning Pipeline for a reconcile that decided nothing new.
import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import type { Pipeline } from '../../api/types.ts';
import { isSuspendedJob, readJob } from '../../plan/observed.ts';
import { jsonEqual } from '../json-equal.ts';

/** Metadata fields that change on every write and that no reader of the caches uses. */
const VOLATILE_METADATA = ['resourceVersion', 'managedFields', 'generation'] as const;

/** True when `before` and `after` differ only in VOLATILE_METADATA. */
export function unchangedForReaders(before: KubernetesObject, after: KubernetesObject): boolean {
  const { metadata: beforeMeta, ...beforeRest } = before;
  const { metadata: afterMeta, ...afterRest } = after;
  return jsonEqual(withoutVolatile(beforeMeta), withoutVolatile(afterMeta)) && jsonEqual(beforeRest, afterRest);
}

/**
 * For a Job, sharper: the planner reads a Job's status only through readJob and isSuspendedJob
 * (src/plan/observed.ts), so a status change that leaves both answers the same is no change to
 * it. The pod finishing before the Job controller writes Complete (active 1 → 0, succeeded
 * 0 → 1: still one attempt, still Running) was a reconcile per stage that decided nothing.
 */
export function jobUnchangedForPlanner(before: V1Job, after: V1Job): boolean {
  const { status: beforeStatus, ...beforeRest } = before;
  const { status: afterStatus, ...afterRest } = after;
  return (
    unchangedForReaders(beforeRest, afterRest) &&
    isSuspendedJob(before) === isSuspendedJob(after) &&
    (jsonEqual(beforeStatus, afterStatus) || jsonEqual(readJob(before), readJob(after)))
  );
}

function withoutVolatile(metadata: KubernetesObject['metadata']): Record<string, unknown> {
  const kept: Record<string, unknown> = { ...metadata };
  for (const field of VOLATILE_METADATA) delete kept[field];
  return kept;
}

/**
 * Whether a Pipeline's change can change what its reconcile decides: a new Pipeline, a new
 * generation (spec), annotations (the requests), a deletion. A change of status alone is (almost
 * always) Conveyor's own write coming back: it needs no reconcile of its own, only of the
 * Pipelines chained after this one.
 */
export function pipelineChangeWakes(before: Pipeline | undefined, after: Pipeline): boolean {
  if (!before) return true;
  const [was, is] = [before.metadata, after.metadata];
  return (
    was.uid !== is.uid ||
    was.generation !== is.generation ||
    (was.deletionTimestamp ?? null) !== (is.deletionTimestamp ?? null) ||
    !jsonEqual(was.annotations ?? {}, is.annotations ?? {})
  );
}

/**
 * The object the watch delivered last for each namespace/name: the "before" of its next update,
 * which client-node's informer does not hand over. It holds the objects the cache holds (no
 * copies), feeds only the wake filters above, and forgets an object when the watch deletes it.
 */
export class LastDelivered<T extends { metadata?: { name?: string; namespace?: string } }> {
  private readonly byKey = new Map<string, T>();

  /** Records `obj` as delivered with `verb`; returns the one it follows (undefined if none). */
  swap(obj: T, verb: 'add' | 'update' | 'delete'): T | undefined {
    const key = `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
    const before = this.byKey.get(key);
    if (verb === 'delete') this.byKey.delete(key);
    else this.byKey.set(key, obj);
    return before;
  }
}
