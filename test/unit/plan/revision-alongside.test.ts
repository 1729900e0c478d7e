// An unscheduled pipeline's ControllerRevision is created alongside its run's first Jobs, not
// before them (planner.ts revisionActions). These are the crash windows that opens: Jobs that
// exist while their generation's revision does not, with the spec unchanged, changed, or
// suspended before the next plan. In each, no stage runs twice and nothing runs on a spec its run
// did not start with.
import { describe, expect, it } from 'vitest';
import type { Action } from '../../../src/plan/planner.ts';
import type { Plan } from '../../../src/plan/planner.ts';
import { FakeCluster, at, createdJobs, createdStages, deletedJobs, pipeline, stage } from './fixtures.ts';

const revisionCreates = (p: Plan) =>
  p.actions.filter((a): a is Extract<Action, { kind: 'createRevision' }> => a.kind === 'createRevision');
const runsOf = (p: Plan) => [...(p.status.runs ?? []), ...(p.status.lastRun ? [p.status.lastRun] : [])];
const jobsOfRun = (cluster: FakeCluster, run: string) =>
  [...cluster.jobs.values()].filter((j) => j.metadata?.labels?.['conveyor.dev/run'] === run);
const image = (p: Plan, stageName: string) =>
  createdJobs(p).find((j) => j.metadata?.labels?.['conveyor.dev/stage'] === stageName)?.spec?.template.spec
    ?.containers[0]?.image;

/** A two-stage unscheduled pipeline whose first plan created its Jobs, then died (or its revision create failed) before the revision and the status write. */
function jobsWithoutRevision(): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: [stage('extract'), stage('load', ['extract'])] }));
  const first = cluster.reconcile(at(0), 'beforeWrite');
  expect(createdStages(first)).toEqual(['extract']);
  cluster.revisions.clear();
  expect(cluster.pipeline.status).toBeUndefined();
  return cluster;
}

describe('when the revision is created', () => {
  it.each([
    ['unscheduled: alongside the first Jobs', {}, false],
    ['scheduled: before any Job is started (its runs outlive changes of spec)', { schedule: '0 * * * *' }, true],
    [
      'chained: before any Job (its runs outlive changes of spec)',
      { triggers: { after: [{ pipeline: 'ingest' }] } },
      true,
    ],
  ])('%s', (_case, extra, beforeJobs) => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('extract')], ...extra }));
    cluster.reconcile(at(0));
    if ('schedule' in extra) {
      cluster.tick(at(3600));
    } else if ('triggers' in extra) {
      cluster.annotate('conveyor.dev/run-requested', 'now');
    }
    const result = 'triggers' in extra || 'schedule' in extra ? cluster.reconcile(at(3601)) : cluster.last!;
    expect(revisionCreates(result).map((a) => a.beforeJobs)).toEqual([beforeJobs]);
  });
});

describe('Jobs of a run exist, its revision does not', () => {
  it('spec unchanged: the next plan adopts the run, creates the revision and no Job twice; the run goes on with its spec', () => {
    const cluster = jobsWithoutRevision();
    const next = cluster.reconcile(at(5));
    expect(createdJobs(next)).toEqual([]);
    expect(revisionCreates(next).map((a) => a.revision.revision)).toEqual([1]);
    expect(next.status.lastRun).toMatchObject({ id: 'g1', phase: 'Running', generation: 1 });
    cluster.set('extract', { state: 'succeeded' });
    const load = cluster.reconcile(at(10));
    expect(createdStages(load)).toEqual(['load']);
    expect(image(load, 'load')).toBe('busybox');
  });

  it('spec changed before the next plan: the run is superseded (its Jobs deleted), the new generation runs its own spec; nothing fails for a lost spec', () => {
    const cluster = jobsWithoutRevision();
    cluster.edit((spec) => (spec.stages[0] = stage('extract', [], { image: 'extract:v2' })));
    const g1Jobs = jobsOfRun(cluster, 'g1').map((j) => j.metadata?.name);
    const next = cluster.reconcile(at(5));
    expect(deletedJobs(next)).toEqual(g1Jobs);
    expect(jobsOfRun(cluster, 'g1')).toEqual([]);
    expect(image(next, 'extract')).toBe('extract:v2');
    expect(revisionCreates(next).map((a) => a.revision.revision)).toEqual([2]);
    expect(next.status.lastRun).toMatchObject({ id: 'g2', phase: 'Running', generation: 2 });
    expect(runsOf(next).filter((r) => r.phase === 'Failed')).toEqual([]);
  });

  it('suspended before the next plan: the unrecorded run is stopped, nothing new starts, nothing fails for a lost spec', () => {
    const cluster = jobsWithoutRevision();
    cluster.edit((spec) => (spec.suspend = true));
    const next = cluster.reconcile(at(5));
    expect(createdJobs(next)).toEqual([]);
    expect(jobsOfRun(cluster, 'g1')).toEqual([]);
    expect(next.status.phase).toBe('Suspended');
    expect(runsOf(next).filter((r) => r.phase === 'Failed')).toEqual([]);
  });

  it('a later generation, crash in its window, then suspended: the run status records goes on with its own pinned spec', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('extract'), stage('load', ['extract'])] }));
    cluster.reconcile(at(0));
    expect(cluster.pipeline.status?.lastRun).toMatchObject({ id: 'g1', phase: 'Running' });
    // Generation 2 starts its run (superseding g1) and dies after g2's Jobs, before its revision and status.
    cluster.edit((spec) => (spec.stages[1] = stage('load', ['extract'], { image: 'load:v2' })));
    cluster.reconcile(at(5), 'beforeWrite');
    for (const [name, rev] of cluster.revisions) if (rev.revision === 2) cluster.revisions.delete(name);
    expect(jobsOfRun(cluster, 'g2')).not.toEqual([]);
    cluster.edit((spec) => (spec.suspend = true));
    const next = cluster.reconcile(at(6));
    expect(jobsOfRun(cluster, 'g2')).toEqual([]);
    expect(next.status.lastRun).toMatchObject({ id: 'g1', phase: 'Running', generation: 1 });
    cluster.setIn('g1', 'extract', { state: 'succeeded' });
    const load = cluster.reconcile(at(10));
    expect(createdStages(load)).toEqual(['load']);
    expect(image(load, 'load')).toBe('busybox');
  });
});
