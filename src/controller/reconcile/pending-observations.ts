// What the cache cannot show yet: the reconciler's second store (the first is status-writes.ts),
// read by gather alongside the cache, so the planner sees what this process already did or
// was told by the API server before the watch shows it.
//   - Jobs created and not seen yet (expected-jobs.ts): a stage whose Job is missing from the
//     cache was only deleted when no create of it is on its way;
//   - pinned specs (ControllerRevisions) created or deleted and not yet seen so: a plan that saw a
//     run but not its revision would take the spec as lost and fail the run;
//   - refusals (refusals.ts): a Job or CronJob the API server refused outright is a fact for the
//     next plans, so status never claims a Job that was refused.
// Keyed by the Pipeline's namespace/name, the work queue's key: the reconcile that finds a
// Pipeline gone knows only that, and forgets it here with one call. Each key's entries remember
// the uid they were made for, so a Pipeline re-created under the same name starts clean.
// Expected Jobs are kept by the Job's own name (the watch names a Job, not its Pipeline); they
// end when the watch delivers the Job or a later list of Jobs settles them, with no forget needed.
import type * as k8s from '@kubernetes/client-node';
import type { PipelineStatus } from '../../api/types.ts';
import type { Action } from '../../plan/planner.ts';
import { Expectations } from './expected-jobs.ts';
import { Refusals } from './refusals.ts';

/** A Pipeline as this store knows it: its queue key and the uid of this incarnation. */
export type PipelineRef = { key: string; uid: string };

/** What gather adds to the cache's view of one Pipeline. */
export type PendingView = {
  /** The cache's revisions, with ours not seen yet added and those we deleted left out. */
  revisions: k8s.V1ControllerRevision[];
  /** Names of the Jobs in the Pipeline's namespace created and not seen yet. */
  pendingJobs: Set<string>;
  /** Job name → the API server's refusal. */
  refusedJobs: Map<string, string>;
  /** CronJob name → the API server's refusal, while it is in force. */
  refusedCronJobs: Map<string, string>;
};

/** A revision we created (the object) or deleted (DELETED), by name, until the cache agrees. */
const DELETED = 'deleted';
type RevisionWrites = Map<string, k8s.V1ControllerRevision | typeof DELETED>;

export class PendingObservations {
  private readonly jobs: Expectations;
  private readonly refusals = new Refusals();
  private readonly revisions = new Map<string, RevisionWrites>();
  /** The uid each key's entries were made for. */
  private readonly uids = new Map<string, string>();

  constructor(now: () => number = Date.now) {
    this.jobs = new Expectations(now);
  }

  /** The executor created Job `namespace/name`. */
  jobCreated(namespace: string, name: string): void {
    this.jobs.expect(namespace, name);
  }

  /** The watch delivered a Job: true when this process created it (its add tells nothing new). */
  jobObserved(namespace: string | undefined, name: string | undefined): boolean {
    return this.jobs.observed(namespace, name);
  }

  /** A list of the Jobs of `namespace` (all when undefined) started at `startedAt` is in the cache. */
  jobsListed(namespace: string | undefined, startedAt: number): void {
    this.jobs.listed(namespace, startedAt);
  }

  /** What an execution for `pipeline` did that the watch will show later: its revisions. */
  executed(pipeline: PipelineRef, done: readonly Action[]): void {
    for (const action of done) {
      if (action.kind === 'createRevision') {
        this.revisionWrites(pipeline).set(action.revision.metadata?.name ?? '', action.revision);
      }
      if (action.kind === 'deleteRevision') this.revisionWrites(pipeline).set(action.name, DELETED);
    }
  }

  /** The API server refused a create for good: a Job fails its stage, a CronJob stalls the Pipeline. */
  refused(pipeline: PipelineRef, kind: 'Job' | 'CronJob', name: string, message: string, at: number): void {
    this.claim(pipeline);
    if (kind === 'Job') this.refusals.refuseJob(pipeline.key, name, message, at);
    else this.refusals.refuseCronJob(pipeline.key, name, message, at);
  }

  /** A status write recorded `status`: the Job refusals it records as failed stages are done. */
  settle(pipeline: PipelineRef, status: PipelineStatus): void {
    if (this.uids.get(pipeline.key) !== pipeline.uid) return;
    this.refusals.settle(pipeline.key, status);
    this.tidy(pipeline.key);
  }

  /** What gather adds to the cache for `pipeline`, whose cached revisions are `cached`. */
  view(pipeline: PipelineRef, namespace: string, cached: k8s.V1ControllerRevision[], nowMs: number): PendingView {
    if (this.uids.has(pipeline.key) && this.uids.get(pipeline.key) !== pipeline.uid) this.forget(pipeline.key);
    const view = {
      revisions: this.overlayRevisions(pipeline.key, cached),
      pendingJobs: this.jobs.pending(namespace),
      refusedJobs: this.refusals.jobs(pipeline.key),
      refusedCronJobs: this.refusals.cronJobs(pipeline.key, nowMs),
    };
    this.tidy(pipeline.key);
    return view;
  }

  /** The Pipeline `key` is gone: everything remembered for it goes. */
  forget(key: string): void {
    this.uids.delete(key);
    this.refusals.forget(key);
    this.revisions.delete(key);
  }

  /** Nothing left under `key`: its uid need not be remembered either. */
  private tidy(key: string): void {
    if (!this.revisions.has(key) && !this.refusals.holds(key)) this.uids.delete(key);
  }

  /** Records `pipeline` as the owner of its key's entries; another uid's are an earlier Pipeline's: dropped. */
  private claim(pipeline: PipelineRef): void {
    const known = this.uids.get(pipeline.key);
    if (known === pipeline.uid) return;
    if (known !== undefined) this.forget(pipeline.key);
    this.uids.set(pipeline.key, pipeline.uid);
  }

  private revisionWrites(pipeline: PipelineRef): RevisionWrites {
    this.claim(pipeline);
    let writes = this.revisions.get(pipeline.key);
    if (!writes) this.revisions.set(pipeline.key, (writes = new Map()));
    return writes;
  }

  /** Our revision writes over the cache's; each is dropped once the cache agrees with it. */
  private overlayRevisions(key: string, cached: k8s.V1ControllerRevision[]): k8s.V1ControllerRevision[] {
    const writes = this.revisions.get(key);
    if (!writes) return cached;
    const byName = new Map(cached.map((r) => [r.metadata?.name ?? '', r]));
    for (const [name, write] of writes) {
      const inCache = byName.has(name);
      if (write === DELETED ? !inCache : inCache) writes.delete(name);
      else if (write === DELETED) byName.delete(name);
      else byName.set(name, write);
    }
    if (writes.size === 0) this.revisions.delete(key);
    return [...byName.values()];
  }
}
