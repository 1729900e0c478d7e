// The planner's contract: what it reads (PlanInput) and what it decides (Plan).
import type { V1Job, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Pipeline, PipelineStatus } from '../api/types.ts';

/** One validation problem (src/api/validate.ts). */
export type Problem = { path: string; message: string };

export type PlanInput = {
  pipeline: Pipeline;
  /** Validation result for this spec; [] when valid. */
  problems: Problem[];
  /** Every Job labelled conveyor.dev/pipeline=<name> in the Pipeline's namespace. */
  jobs: V1Job[];
  /** Every staging claim labelled conveyor.dev/pipeline=<name> in the namespace. */
  claims: V1PersistentVolumeClaim[];
  now: Date;
};

export type Action =
  | { kind: 'createJob'; job: V1Job }
  | { kind: 'deleteJob'; name: string; reason: string }
  | { kind: 'createClaim'; claim: V1PersistentVolumeClaim }
  | { kind: 'deleteClaim'; name: string; reason: string };

export type PlanEvent = { type: 'Normal' | 'Warning'; reason: string; message: string };

export type Plan = {
  actions: Action[];
  /** The whole new status; the caller writes it only when it differs from the current one. */
  status: PipelineStatus;
  /** Kubernetes Events for transitions between the previous status and this one. */
  events: PlanEvent[];
  /** Plan again after this long even if nothing changes (the run deadline). */
  requeueAfterMs?: number;
};
