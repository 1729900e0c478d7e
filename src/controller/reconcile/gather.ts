// Gather: one function builds the planner's complete, typed input for one Pipeline key — the
// Pipeline, the objects it owns (from the owner indexes), the pinned spec of every generation
// a run may still need, its validation result (cached per uid and generation), the API server's
// refusals and the Jobs created but not yet seen. Nothing else feeds the planner.
import type * as k8s from '@kubernetes/client-node';
import type { Pipeline } from '../../api/types.ts';
import { validatePipeline } from '../../api/validate.ts';
import { findTriggerCycle } from '../../plan/chain.ts';
import { pinnedSpecOf } from '../../plan/revision.ts';
import type { PlanInput, Problem } from '../../plan/types.ts';
import type { Expectations } from './expected-jobs.ts';
import type { Rejections } from './refusals.ts';

/** What the caches hold, as gathering reads it. */
export interface ClusterView {
  pipeline(namespace: string, name: string): Pipeline | undefined;
  pipelines(namespace: string): ReadonlyArray<Pipeline>;
  /** Objects whose controller owner has this uid. */
  jobsOwnedBy(uid: string): k8s.V1Job[];
  cronJobsOwnedBy(uid: string): k8s.V1CronJob[];
  claimsOwnedBy(uid: string): k8s.V1PersistentVolumeClaim[];
  revisionsOwnedBy(uid: string): k8s.V1ControllerRevision[];
}

export type Gathered =
  | { kind: 'gone'; namespace: string; name: string; uid?: string }
  | { kind: 'pipeline'; namespace: string; name: string; pipeline: Pipeline; input: PlanInput };

/** Validation depends only on the spec and name, so one result per uid and generation. */
class ValidationCache {
  private readonly entries = new Map<string, { generation: number | undefined; problems: Problem[] }>();

  problems(pipeline: Pipeline): Problem[] {
    const uid = pipeline.metadata.uid ?? '';
    const generation = pipeline.metadata.generation;
    const cached = this.entries.get(uid);
    if (cached && cached.generation === generation) return cached.problems;
    const { name, namespace } = pipeline.metadata;
    const problems = validatePipeline({ apiVersion: pipeline.apiVersion, kind: pipeline.kind, metadata: { name, namespace }, spec: pipeline.spec });
    this.entries.set(uid, { generation, problems });
    return problems;
  }

  forget(uid: string | undefined): void {
    if (uid) this.entries.delete(uid);
  }
}

export class Gatherer {
  private readonly view: ClusterView;
  private readonly expectations: Expectations;
  private readonly rejections: Rejections;
  private readonly validation = new ValidationCache();

  constructor(view: ClusterView, expectations: Expectations, rejections: Rejections) {
    this.view = view;
    this.expectations = expectations;
    this.rejections = rejections;
  }

  /** `fresher` may replace the cached Pipeline (the status this process just wrote). */
  gather(key: string, now: Date, fresher: (cached: Pipeline | undefined) => Pipeline | undefined): Gathered {
    const [namespace = '', name = ''] = key.split('/');
    const pipeline = fresher(this.view.pipeline(namespace, name));
    if (!pipeline || pipeline.metadata.deletionTimestamp) return { kind: 'gone', namespace, name, ...(pipeline?.metadata.uid ? { uid: pipeline.metadata.uid } : {}) };
    const uid = pipeline.metadata.uid ?? '';
    const cronJobs = this.view.cronJobsOwnedBy(uid);
    // A scheduled run's root Jobs are owned by the CronJob, which is owned by the Pipeline.
    const jobs = [...this.view.jobsOwnedBy(uid), ...cronJobs.flatMap((c) => this.view.jobsOwnedBy(c.metadata?.uid ?? ''))];
    const input: PlanInput = {
      pipeline,
      problems: this.problems(pipeline, now),
      jobs,
      claims: this.view.claimsOwnedBy(uid),
      cronJobs,
      upstream: this.upstream(pipeline, namespace),
      revisions: this.view.revisionsOwnedBy(uid).map(pinnedSpecOf),
      rejections: this.rejections.jobs(uid),
      pendingJobs: this.expectations.pending(namespace),
      now,
    };
    return { kind: 'pipeline', namespace, name, pipeline, input };
  }

  forget(uid: string | undefined): void {
    this.validation.forget(uid);
    this.rejections.forget(uid);
  }

  /** Validation problems, a trigger cycle through this Pipeline, and CronJobs the server refused. */
  private problems(pipeline: Pipeline, now: Date): Problem[] {
    const problems = [...this.validation.problems(pipeline)];
    const name = pipeline.metadata.name ?? '';
    if (pipeline.spec?.triggers?.after?.length) {
      const cycle = findTriggerCycle([...this.view.pipelines(pipeline.metadata.namespace ?? '')], name);
      if (cycle) problems.push({ path: 'spec.triggers.after', message: `trigger cycle: ${cycle.join(' → ')}` });
    }
    for (const [cronJob, message] of this.rejections.cronJobs(pipeline.metadata.uid, now.getTime())) {
      problems.push({ path: 'spec.schedule', message: `CronJob ${cronJob} could not be applied: ${message}` });
    }
    return problems;
  }

  private upstream(pipeline: Pipeline, namespace: string): Pipeline[] {
    const names = new Set((pipeline.spec?.triggers?.after ?? []).map((t) => t.pipeline));
    if (names.size === 0) return [];
    return [...names].flatMap((n) => this.view.pipeline(namespace, n) ?? []);
  }
}
