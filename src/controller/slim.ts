// What the operator's caches keep of the objects they watch: only the fields a reader uses.
// Objects are slimmed in place as they arrive (informer.ts), before they enter the cache.
//
// A stage Job is mostly its pod template (containers, env, volumes: 2–10 KB as JSON), and the
// template is read by nobody once the Job exists: the planner reads a Job's metadata (name,
// labels, annotations, owner references, creation and deletion times), its status, and two
// fields of its spec (src/plan/observed.ts: suspend, activeDeadlineSeconds). Deletes, starts and
// ownership checks go to the API server, never to this copy.
import type * as k8s from '@kubernetes/client-node';

/** The spec fields of a Job that anything reading the cache may look at. */
const JOB_SPEC_KEPT = ['suspend', 'activeDeadlineSeconds'] as const;

/** Replaces a Job's spec with the fields in JOB_SPEC_KEPT. Idempotent. */
export function slimJob(job: k8s.V1Job): void {
  const spec = job.spec;
  if (!spec) return;
  const kept: Record<string, unknown> = {};
  for (const field of JOB_SPEC_KEPT) if (spec[field] !== undefined) kept[field] = spec[field];
  job.spec = kept as unknown as k8s.V1JobSpec;
}
