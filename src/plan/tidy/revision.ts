// The pinned spec of a Pipeline generation: an apps/v1 ControllerRevision, the store StatefulSets
// and DaemonSets use for the same purpose. A run executes the spec it started with, so the spec of
// each generation that a run may still need is recorded before that run's first Job exists.
//
// Size: a ControllerRevision is limited like any object (etcd refuses a request over 1.5 MiB).
// Its data is the Pipeline's spec verbatim, and its metadata repeats the Pipeline's name three
// times (its own name, a label, the owner reference). Measured on the local cluster (Kubernetes
// 1.36, etcd 3.6) with a spec padded by one long argument: a Pipeline without status holds at
// most 1,572,347 bytes of padding (one-letter name), its revision 1,572,330 (17 fewer); with a
// 63-character name the revision holds about 220 bytes fewer than the Pipeline. Conveyor's own
// status on the Pipeline (phase, observedGeneration, conditions) takes more than that, so the
// spec of every Pipeline Conveyor can write status to fits in a revision. revision.test.ts keeps
// the revision's metadata under 1 KiB; a limit on spec size (conveyor validate) should leave
// room for status anyway.
import type { V1ControllerRevision } from '@kubernetes/client-node';
import type { Pipeline, PipelineSpec } from '../../api/types.ts';
import { pipelineOwnerReference, stageLabels } from '../run/job.ts';
import { isPlainObject } from '../objects.ts';
import { MAX_LABEL_VALUE, shortHash, shortName } from '../names.ts';
import type { PinnedSpec } from '../types.ts';

/** How much of the Pipeline's uid the name carries: 32 bits, enough to tell predecessors apart. */
const UID_CHARS = 8;

/**
 * `<pipeline>-<uid piece>-g<generation>`, at most 63 characters (so it can also be a label
 * value). The uid piece keeps a re-created Pipeline of the same name clear of its predecessor's
 * revisions while the garbage collector is still deleting them; the suffix is never shortened,
 * only the pipeline part is (with a hash of the whole pipeline name, as for every other name).
 */
export function revisionName(pipeline: Pipeline, generation: number): string {
  const uid = pipeline.metadata.uid ?? '';
  // A real uid is a UUID: its first hex characters are what `kubectl get -o yaml` shows.
  const uidPiece =
    uid
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, UID_CHARS) || shortHash(uid);
  const suffix = `-${uidPiece}-g${generation}`;
  return `${shortName(pipeline.metadata.name ?? '', MAX_LABEL_VALUE - suffix.length)}${suffix}`;
}

/**
 * The ControllerRevision that pins the Pipeline's current spec: `revision` is the generation,
 * `data.spec` the spec as the Pipeline has it (a copy, so the record cannot change under a later
 * edit of the object it was taken from). Owned by the Pipeline: deleting it deletes them.
 */
export function buildRevision(pipeline: Pipeline): V1ControllerRevision {
  const generation = pipeline.metadata.generation ?? 1;
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(pipeline, generation),
      namespace: pipeline.metadata.namespace,
      labels: stageLabels(pipeline),
      ownerReferences: [pipelineOwnerReference(pipeline)],
    },
    revision: generation,
    data: { spec: structuredClone(pipeline.spec) },
  };
}

/**
 * What the planner reads from a revision. Tolerant: a revision whose data is not an object with
 * an object `spec` (made by hand, or by something else using Conveyor's labels) yields no spec,
 * and one without a valid revision number yields generation 0, which no run has.
 */
export function pinnedSpecOf(rev: V1ControllerRevision): PinnedSpec {
  const generation = Number.isSafeInteger(rev.revision) && rev.revision >= 0 ? rev.revision : 0;
  const data: unknown = rev.data;
  const spec = isPlainObject(data) && isPlainObject(data.spec) ? (data.spec as PipelineSpec) : undefined;
  return { name: rev.metadata?.name ?? '', generation, ...(spec ? { spec } : {}) };
}
