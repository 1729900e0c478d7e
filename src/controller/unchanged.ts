// Whether an update of a cached object changes anything a reader of the cache can see. Both
// objects are as the cache holds them (slimmed by cache/drop-unread-fields.ts where the kind has a slim), so for a
// Job this compares only what the planner reads. The Job controller updates a running stage's
// Job several times with nothing the planner reads (status.ready, status.terminating,
// uncountedTerminatedPods, the SuccessCriteriaMet condition before Complete, lastProbeTime); each
// used to wake the owning Pipeline for a reconcile that decided nothing new.
import type { KubernetesObject, V1Job } from '@kubernetes/client-node';
import { isSuspendedJob, readJob } from '../plan/observed.ts';
import { jsonEqual } from './json-equal.ts';

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
