// A Pipeline's ControllerRevision of its current generation holds a copy of the spec the cached
// Pipeline itself holds (revision.ts: data.spec is the spec verbatim). Both caches keep them, so
// every idle Pipeline's spec was held twice. When the two are equal, the revision is made to
// point at the Pipeline's spec object instead. Nothing mutates a cached spec (the planner is
// pure, and the informer replaces an updated Pipeline by a new object), so when the spec later
// changes the revision keeps the old spec object, which is exactly the generation it pins.
import type * as k8s from '@kubernetes/client-node';
import type { Pipeline } from '../../api/types.ts';
import { jsonEqual } from '../json-equal.ts';
import { controllerUid } from './owner-index.ts';

/**
 * Points `revision.data.spec` at `pipeline.spec` when the revision belongs to this Pipeline
 * (controller uid), pins its current generation and holds an equal spec. Returns whether it did.
 */
export function shareSpec(revision: k8s.V1ControllerRevision, pipeline: Pipeline | undefined): boolean {
  if (!pipeline?.spec || !pipeline.metadata.uid || controllerUid(revision) !== pipeline.metadata.uid) return false;
  if (revision.revision !== pipeline.metadata.generation) return false;
  const data: unknown = revision.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
  const pinned = (data as { spec?: unknown }).spec;
  if (pinned === pipeline.spec) return true;
  if (!jsonEqual(pinned, pipeline.spec)) return false;
  revision.data = { ...(data as object), spec: pipeline.spec };
  return true;
}
