// PendingObservations (src/controller/reconcile/pending-observations.ts): what gather adds to the
// cache until the watch shows it — revisions this process created or deleted, refusals — keyed by
// namespace/name with the uid they were made for, and forgotten with one call.
import { describe, expect, it } from 'vitest';
import type { V1ControllerRevision } from '@kubernetes/client-node';
import type { Action } from '../../../src/plan/planner.ts';
import { PendingObservations } from '../../../src/controller/reconcile/pending-observations.ts';

const P = { key: 'data/etl', uid: 'u1' };
const rev = (name: string): V1ControllerRevision => ({ metadata: { name, namespace: 'data' }, revision: 1 });
const create = (name: string): Action => ({ kind: 'createRevision', revision: rev(name), beforeJobs: false });
const remove = (name: string): Action => ({ kind: 'deleteRevision', name, reason: 'no run needs it' });
const names = (revisions: V1ControllerRevision[]) => revisions.map((r) => r.metadata?.name).sort();
const view = (pending: PendingObservations, cached: V1ControllerRevision[], pipeline = P) =>
  pending.view(pipeline, 'data', cached, 0);

describe('PendingObservations', () => {
  it("a revision created shows until the cache holds it; then the cache's own is read", () => {
    const pending = new PendingObservations(() => 0);
    pending.executed(P, [create('etl-g2')]);
    expect(names(view(pending, [rev('etl-g1')]).revisions)).toEqual(['etl-g1', 'etl-g2']);
    const fromCache = rev('etl-g2');
    expect(view(pending, [rev('etl-g1'), fromCache]).revisions).toContain(fromCache);
    // The cache agreed once: a later delete by someone else is the cache's to show.
    expect(names(view(pending, [rev('etl-g1')]).revisions)).toEqual(['etl-g1']);
  });

  it('a revision deleted is hidden while the cache still holds it', () => {
    const pending = new PendingObservations(() => 0);
    pending.executed(P, [remove('etl-g1')]);
    expect(names(view(pending, [rev('etl-g1'), rev('etl-g2')]).revisions)).toEqual(['etl-g2']);
    expect(names(view(pending, [rev('etl-g2')]).revisions)).toEqual(['etl-g2']);
  });

  it('refusals belong to one uid: another Pipeline under the same key does not see them', () => {
    const pending = new PendingObservations(() => 0);
    pending.refused(P, 'Job', 'etl-a-g1', 'HTTP 422', 0);
    pending.refused(P, 'CronJob', 'etl-a', 'taken', 0);
    expect(view(pending, []).refusedJobs).toEqual(new Map([['etl-a-g1', 'HTTP 422']]));
    expect(view(pending, []).refusedCronJobs).toEqual(new Map([['etl-a', 'taken']]));
    const recreated = { key: P.key, uid: 'u2' };
    expect(view(pending, [], recreated).refusedJobs.size).toBe(0);
    expect(view(pending, []).refusedJobs.size).toBe(0);
  });

  it('forget(key) drops everything remembered for the Pipeline', () => {
    const pending = new PendingObservations(() => 0);
    pending.refused(P, 'Job', 'etl-a-g1', 'HTTP 422', 0);
    pending.executed(P, [create('etl-g2'), remove('etl-g1')]);
    pending.forget(P.key);
    const after = view(pending, [rev('etl-g1')]);
    expect(names(after.revisions)).toEqual(['etl-g1']);
    expect(after.refusedJobs.size).toBe(0);
  });

  it("Jobs created and not seen yet are the namespace's pending Jobs until the watch delivers them", () => {
    const pending = new PendingObservations(() => 0);
    pending.jobCreated('data', 'etl-a-g1');
    expect(view(pending, []).pendingJobs).toEqual(new Set(['etl-a-g1']));
    expect(pending.jobObserved('data', 'etl-a-g1')).toBe(true);
    expect(view(pending, []).pendingJobs.size).toBe(0);
  });

  it('a Job never delivered stays pending through any lag, until a Job list begun after its create (NEW-M)', () => {
    let now = 1_000;
    const pending = new PendingObservations(() => now);
    pending.jobCreated('data', 'etl-a-g1');
    now += 72 * 60_000;
    expect(view(pending, []).pendingJobs).toEqual(new Set(['etl-a-g1']));
    // The Job was deleted before the watch showed it: a relist of its namespace settles it.
    pending.jobsListed('data', now);
    expect(view(pending, []).pendingJobs.size).toBe(0);
  });
});
