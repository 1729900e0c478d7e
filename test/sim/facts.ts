// What happened in the world, as data the invariants read (invariants.ts). Each fact carries the
// step (the index of the operation in the history, 0 for the initial reconcile) it happened in.
import type { V1Job } from '@kubernetes/client-node';
import type { PipelineSpec } from '../../src/api/types.ts';
import {
  ANN_CACHED_UPSTREAM,
  ANN_GENERATION,
  ANN_PRIOR_ATTEMPTS,
  ANN_RETRY_OF,
  ANN_SCHEDULED_TIMESTAMP,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_STAGE,
} from '../../src/api/labels.ts';
import type { ReconcileRecord, RequestKind } from './world.ts';

/** Who a Job belongs to and what it runs, read from its labels and annotations. */
export type JobFacts = {
  /** The Pipeline's uid (through its CronJob for a tick's Job). */
  uid: string;
  name: string;
  /** Run id; undefined for a CronJob's Job nobody started yet. */
  run?: string;
  stage?: string;
  role: string;
  /** 0 for a stage's first Job; the attempts of the Jobs deleted before it otherwise. */
  attempt: number;
  generation?: number;
  retryOf?: string;
  /** The tick a CronJob created it for. */
  scheduledAt?: string;
  /** Started (not a suspended Job waiting) and not finished. */
  running: boolean;
  finished: boolean;
  /** The served stages it builds on and the run each was served from, as its cached-upstream annotation records them (src/plan/cache/evidence.ts). */
  servedUpstream?: [stage: string, from: string][];
};

export function jobFacts(job: V1Job, uid: string): JobFacts {
  const labels = job.metadata?.labels ?? {};
  const annotations = job.metadata?.annotations ?? {};
  const generation = Number(annotations[ANN_GENERATION]);
  const finished =
    job.status?.conditions?.some((c) => c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed')) ?? false;
  return {
    uid,
    name: job.metadata?.name ?? '',
    ...(labels[LABEL_RUN] ? { run: labels[LABEL_RUN] } : {}),
    ...(labels[LABEL_STAGE] ? { stage: labels[LABEL_STAGE] } : {}),
    role: labels[LABEL_ROLE] ?? 'stage',
    attempt: Number(annotations[ANN_PRIOR_ATTEMPTS] ?? 0) || 0,
    ...(Number.isFinite(generation) ? { generation } : {}),
    ...(annotations[ANN_RETRY_OF] ? { retryOf: annotations[ANN_RETRY_OF] } : {}),
    ...(annotations[ANN_SCHEDULED_TIMESTAMP] ? { scheduledAt: annotations[ANN_SCHEDULED_TIMESTAMP] } : {}),
    running: (job.status?.active ?? 0) > 0 && !finished,
    finished,
    ...servedOn(annotations[ANN_CACHED_UPSTREAM]),
  };
}

/** The (stage, run served from) pairs a cached-upstream annotation records; nothing when it is absent or unreadable. */
function servedOn(value: string | undefined): { servedUpstream?: [string, string][] } {
  if (value === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(value);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    return {
      servedUpstream: Object.entries(parsed).map(([stage, entry]) => [
        stage,
        Array.isArray(entry) ? String(entry[0]) : '',
      ]),
    };
  } catch {
    return {};
  }
}

export type Fact =
  /** A Pipeline was created (generation 1) or its spec edited. */
  | { type: 'spec'; step: number; pipeline: string; uid: string; generation: number; spec: PipelineSpec }
  /** A Job of a run began to run: created by the operator, or a CronJob's suspended Job started. */
  | ({ type: 'jobRuns'; step: number; how: 'created' | 'started'; at: number } & JobFacts)
  | ({ type: 'jobFinished'; step: number; phase: 'Succeeded' | 'Failed'; at: number } & JobFacts)
  /** `statusSaid`: what the stored status said of the Job then (a run's memory of it). */
  | ({
      type: 'jobDeleted';
      step: number;
      by: 'operator' | 'hand' | 'gc';
      statusSaid: 'nothing' | 'running' | 'ended';
    } & JobFacts)
  /** The CronJob controller created the Job of a tick. */
  | { type: 'tick'; step: number; uid: string; job: string; time: number }
  /** A user's request annotation. */
  | { type: 'request'; step: number; pipeline: string; uid: string; kind: RequestKind; value: string }
  | { type: 'reconcile'; step: number; record: ReconcileRecord };
