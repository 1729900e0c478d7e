// Gather: one function builds the planner's complete, typed input for one Pipeline key — the
// Pipeline, the objects it owns (from the owner indexes), the pinned spec of every generation
// a run may still need, its validation result (memoized per Pipeline and generation), and what
// the cache cannot show yet (pending-observations.ts: the Jobs and revisions this process wrote
// and the watch has not delivered, the API server's refusals). Nothing else feeds the planner.
import type * as k8s from '@kubernetes/client-node';
import type { Pipeline } from '../../api/types.ts';
import { validatePipeline } from '../../api/validate.ts';
import { findTriggerCycle } from '../../plan/select/chain.ts';
import { pinnedSpecOf } from '../../plan/tidy/revision.ts';
import type { PlanInput, Problem } from '../../plan/types.ts';
import type { PendingObservations, PendingView } from './pending-observations.ts';

/** What the caches hold, as gathering reads it. */
export interface ClusterView {
  pipeline(namespace: string, name: string): Pipeline | undefined;
  pipelines(namespace: string): ReadonlyArray<Pipeline>;
  /** Objects whose controller owner has this uid. */
  jobsOwnedBy(uid: string): k8s.V1Job[];
  cronJobsOwnedBy(uid: string): k8s.V1CronJob[];
  claimsOwnedBy(uid: string): k8s.V1PersistentVolumeClaim[];
  revisionsOwnedBy(uid: string): k8s.V1ControllerRevision[];
  /**
   * What the webhook receiver knows of this Pipeline's webhook (src/webhook/path-index.ts,
   * wired by src/operator.ts): its path, or why it receives nothing. Undefined: no webhook, or
   * its Secret not read yet (the receiver requeues the Pipeline once it is).
   */
  webhook?(pipeline: Pipeline): WebhookFacts | undefined;
}

/** status.webhook's path and message, as the receiver knows them. */
export interface WebhookFacts {
  path?: string;
  message?: string;
}

/**
 * What the lifecycle notifier (src/notify, wired by src/operator.ts) says of a Pipeline's runs, by
 * its namespace/name key: the finished runs whose notifications are all sent or dropped, and why
 * its own sink is refused. Undefined when nothing is sent for the Pipeline.
 */
export type NotifiedLookup = (key: string) => PlanInput['notified'];

export type Gathered =
  | { kind: 'gone'; namespace: string; name: string }
  | { kind: 'pipeline'; namespace: string; name: string; pipeline: Pipeline; input: PlanInput };

/**
 * Validation depends only on the spec and name, so one result per Pipeline (uid) and generation:
 * a memo of a pure function, not a memory that decides anything. Keyed by namespace/name like
 * the stores, so the reconcile that finds a Pipeline gone forgets it with them.
 */
type ValidationEntry = { uid: string | undefined; generation: number | undefined; problems: Problem[] };

class ValidationMemo {
  private readonly entries = new Map<string, ValidationEntry>();

  problems(key: string, pipeline: Pipeline): Problem[] {
    const { uid, generation } = pipeline.metadata;
    const cached = this.entries.get(key);
    if (cached && cached.uid === uid && cached.generation === generation) return cached.problems;
    const { name, namespace } = pipeline.metadata;
    const problems = validatePipeline({
      apiVersion: pipeline.apiVersion,
      kind: pipeline.kind,
      metadata: { name, namespace },
      spec: pipeline.spec,
    });
    this.entries.set(key, { uid, generation, problems });
    return problems;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}

export class Gatherer {
  private readonly view: ClusterView;
  private readonly pending: PendingObservations;
  private readonly validation = new ValidationMemo();
  private readonly notified: NotifiedLookup | undefined;

  constructor(view: ClusterView, pending: PendingObservations, notified?: NotifiedLookup) {
    this.view = view;
    this.pending = pending;
    this.notified = notified;
  }

  /** `fresher` may replace the cached Pipeline (the status this process just wrote). */
  gather(key: string, now: Date, fresher: (cached: Pipeline | undefined) => Pipeline | undefined): Gathered {
    const [namespace = '', name = ''] = key.split('/');
    const pipeline = fresher(this.view.pipeline(namespace, name));
    if (!pipeline || pipeline.metadata.deletionTimestamp) return { kind: 'gone', namespace, name };
    const uid = pipeline.metadata.uid ?? '';
    const pending = this.pending.view({ key, uid }, namespace, this.view.revisionsOwnedBy(uid), now.getTime());
    const cronJobs = this.view.cronJobsOwnedBy(uid);
    // A scheduled run's root Jobs are owned by the CronJob, which is owned by the Pipeline.
    const jobs = [
      ...this.view.jobsOwnedBy(uid),
      ...cronJobs.flatMap((c) => this.view.jobsOwnedBy(c.metadata?.uid ?? '')),
    ];
    const notified = this.notified?.(key);
    const input: PlanInput = {
      pipeline,
      problems: this.problems(key, pipeline, pending),
      jobs,
      claims: this.view.claimsOwnedBy(uid),
      cronJobs,
      upstream: this.upstream(pipeline, namespace),
      revisions: pending.revisions.map(pinnedSpecOf),
      rejections: pending.refusedJobs,
      pendingJobs: pending.pendingJobs,
      now,
      ...(notified ? { notified } : {}),
    };
    const webhook = this.view.webhook?.(pipeline);
    if (webhook) input.webhook = webhook;
    return { kind: 'pipeline', namespace, name, pipeline, input };
  }

  /** The Pipeline `key` is gone: what the cache could not show of it, and its validation. */
  forget(key: string): void {
    this.validation.forget(key);
    this.pending.forget(key);
  }

  /** Validation problems, a trigger cycle through this Pipeline, and CronJobs the server refused. */
  private problems(key: string, pipeline: Pipeline, pending: PendingView): Problem[] {
    const problems = [...this.validation.problems(key, pipeline)];
    const name = pipeline.metadata.name ?? '';
    if (pipeline.spec?.triggers?.after?.length) {
      const cycle = findTriggerCycle([...this.view.pipelines(pipeline.metadata.namespace ?? '')], name);
      if (cycle) problems.push({ path: 'spec.triggers.after', message: `trigger cycle: ${cycle.join(' → ')}` });
    }
    for (const [cronJob, message] of pending.refusedCronJobs) {
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
