// Issue 17, caching: a stage is served only with the upstream results its entry was computed
// from (case 2), the decision to serve one survives the crash windows like a Job does (case 3),
// and a cancelled run records the results of the stages that succeeded in it (case 12).
import { describe, expect, it } from 'vitest';
import type { PipelineSpec, StageSpec, StageStatus } from '../../../src/api/types.ts';
import { ANN_CACHED_UPSTREAM } from '../../../src/api/labels.ts';
import { iso } from '../../../src/plan/time.ts';
import { FakeCluster, at, createdJobs, createdStages, jobStatus, pipeline, stage, type JobState } from './fixtures.ts';

const RUN = 'conveyor.dev/run-requested';
const CANCEL = 'conveyor.dev/cancel-requested';
const HOUR = 3600;

const cached = (
  name: string,
  dependsOn: string[] | undefined,
  maxAge: string,
  extra: Partial<StageSpec> = {},
): StageSpec => stage(name, dependsOn, { args: [name], cache: { key: `orders-${name}`, maxAge }, ...extra });

/** extract → clean → load; extract and clean cached with their own maxAge. */
const etl = (extractAge = '1h', cleanAge = '30d'): Partial<PipelineSpec> & { stages: StageSpec[] } => ({
  stages: [cached('extract', undefined, extractAge), cached('clean', ['extract'], cleanAge), stage('load', ['clean'])],
});

const lastStage = (cluster: FakeCluster, name: string): StageStatus | undefined =>
  cluster.pipeline.status?.lastRun?.stages?.find((s) => s.name === name);

/** Plan at `seconds`, and let every Job the plan created or started succeed 5 s later. */
function step(cluster: FakeCluster, seconds: number, state: JobState = { state: 'succeeded', at: at(seconds + 5) }) {
  const result = cluster.reconcile(at(seconds));
  const run = result.status.lastRun?.id ?? '';
  for (const name of createdStages(result)) cluster.setIn(run, name, state);
  for (const action of result.actions) {
    const started = action.kind === 'startJob' ? cluster.jobs.get(action.name) : undefined;
    if (started) started.status = jobStatus(state, at(seconds));
  }
  return result;
}

/** Plans every 10 s from `from` until the latest run ends; the stages each plan created. */
function runToEnd(cluster: FakeCluster, from: number): string[][] {
  const created: string[][] = [];
  for (let t = from; t < from + 200; t += 10) {
    const result = step(cluster, t);
    created.push(createdStages(result));
    const phase = result.status.lastRun?.phase;
    if (phase !== 'Running' && phase !== 'Pending') return created;
  }
  throw new Error('the run did not end');
}

function requestRun(cluster: FakeCluster, value: string, seconds: number): string[][] {
  cluster.annotate(RUN, value);
  return runToEnd(cluster, seconds);
}

describe('issue 17 case 2: a cached stage is served only with the upstream results its entry was computed from', () => {
  it('same everything: extract and clean are both Cached, load runs', () => {
    const cluster = new FakeCluster(pipeline(etl()));
    runToEnd(cluster, 0);
    expect(requestRun(cluster, 'again', 600).flat()).toEqual(['load']);
    expect(lastStage(cluster, 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: 'g1' });
    expect(lastStage(cluster, 'clean')).toMatchObject({ reason: 'Cached', cachedFrom: 'g1' });
  });

  it("extract's image changes: extract runs again and clean runs again too (not Cached from the old extract)", () => {
    const cluster = new FakeCluster(pipeline(etl()));
    runToEnd(cluster, 0);
    cluster.edit((spec) => {
      spec.stages[0] = { ...(spec.stages[0] as StageSpec), image: 'busybox:2' };
    });
    expect(runToEnd(cluster, 600)).toEqual([['extract'], ['clean'], ['load'], []]);
    expect(lastStage(cluster, 'clean')?.reason).toBeUndefined();
    expect(cluster.pipeline.status?.lastRun?.phase).toBe('Succeeded');
  });

  it('extract maxAge 1h, clean 30d, run again 2 h later: extract runs again, clean is not Cached', () => {
    const cluster = new FakeCluster(pipeline(etl('1h', '30d')));
    runToEnd(cluster, 0);
    expect(requestRun(cluster, 'later', 2 * HOUR)).toEqual([['extract'], ['clean'], ['load'], []]);
    expect(lastStage(cluster, 'clean')).not.toMatchObject({ reason: 'Cached' });
    // The fresh results are what later runs are served: both Cached together again.
    const second = cluster.pipeline.status?.lastRun?.id;
    expect(requestRun(cluster, 'soon after', 2 * HOUR + 600).flat()).toEqual(['load']);
    expect(lastStage(cluster, 'clean')).toMatchObject({ reason: 'Cached', cachedFrom: second });
  });

  it('an entry records the upstream it was computed from; a root stage records none', () => {
    const cluster = new FakeCluster(pipeline(etl()));
    runToEnd(cluster, 0);
    const entries = cluster.pipeline.status?.cache ?? [];
    expect(entries.find((e) => e.stage === 'extract')?.upstream).toBeUndefined();
    expect(entries.find((e) => e.stage === 'clean')?.upstream).toMatch(/^[0-9a-f]{16}$/);
  });

  it('a cached stage after a stage without cache runs every time: its input was computed again', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('prepare'), cached('extract', ['prepare'], '30d')] }));
    runToEnd(cluster, 0);
    expect(requestRun(cluster, 'again', 600)).toEqual([['prepare'], ['extract'], []]);
  });
});

describe('issue 17 case 3: the decision to serve an entry survives a lost status write', () => {
  const served = (crash: 'writeLost' | 'beforeWrite') => {
    // extract's entry (from g1, time at(5)) expires at at(5 + 1h).
    const cluster = new FakeCluster(
      pipeline({ stages: [cached('extract', undefined, '1h'), stage('load', ['extract'])] }),
    );
    runToEnd(cluster, 0);
    expect(cluster.pipeline.status?.cache?.map((e) => [e.stage, e.time])).toEqual([['extract', iso(at(5))]]);
    cluster.annotate(RUN, 'just in time');
    const decided = cluster.reconcile(at(5 + HOUR - 1), crash);
    expect(createdStages(decided)).toEqual(['load']);
    return { cluster, decided };
  };

  it.each(['writeLost', 'beforeWrite'] as const)(
    '%s: the next plan, after maxAge, keeps extract Cached and does not start it while load runs',
    (crash) => {
      const { cluster, decided } = served(crash);
      const [load] = createdJobs(decided);
      expect(JSON.parse(load?.metadata?.annotations?.[ANN_CACHED_UPSTREAM] ?? '{}')).toEqual({
        extract: ['g1', expect.stringMatching(/^[0-9a-f]{16}$/)],
      });

      const next = cluster.reconcile(at(5 + HOUR + 1));
      expect(createdStages(next)).toEqual([]);
      // The lost plan's StageCached Event was never emitted (Events follow the write): now it is.
      expect(next.events.filter((e) => e.reason === 'StageCached').map((e) => e.message)).toEqual([
        `run ${next.status.lastRun?.id}: stage "extract" served from the cache (key "orders-extract", run g1)`,
      ]);
      expect(cluster.jobsOf('extract')).toHaveLength(1); // g1's only
      expect(lastStage(cluster, 'extract')).toMatchObject({ phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' });
      expect(lastStage(cluster, 'load')?.phase).toBe('Running');
      cluster.set('load', { state: 'succeeded', at: at(5 + HOUR + 10) });
      expect(cluster.reconcile(at(5 + HOUR + 20)).status.lastRun?.phase).toBe('Succeeded');
    },
  );

  it('NEW-H (found by the simulator): the Job carrying the decision is not in the lagging cache yet: the run waits for it instead of starting extract', () => {
    const { cluster, decided } = served('writeLost');
    const [load] = createdJobs(decided);
    const name = load?.metadata?.name ?? '';
    // The operator created load's Job; its informer has not delivered it (an expectation only).
    const created = cluster.jobs.get(name);
    cluster.jobs.delete(name);
    cluster.pendingJobs.add(name);
    const lagging = cluster.reconcile(at(5 + HOUR + 1));
    expect(createdStages(lagging)).toEqual([]);
    expect(lagging.actions.filter((a) => a.kind === 'startJob')).toEqual([]);
    // The cache shows it: the decision is read from it, extract stays Cached, nothing starts.
    if (created) cluster.jobs.set(name, created);
    cluster.pendingJobs.delete(name);
    const caught = cluster.reconcile(at(5 + HOUR + 2));
    expect(createdStages(caught)).toEqual([]);
    expect(lastStage(cluster, 'extract')).toMatchObject({ phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' });
    expect(lastStage(cluster, 'load')?.phase).toBe('Running');
  });

  it('served stages reached through other served stages are named too: a rebuilt run keeps both', () => {
    const cluster = new FakeCluster(pipeline(etl('1h', '1h')));
    runToEnd(cluster, 0);
    cluster.annotate(RUN, 'both');
    const decided = cluster.reconcile(at(5 + HOUR - 1), 'writeLost');
    const [load] = createdJobs(decided);
    expect(Object.keys(JSON.parse(load?.metadata?.annotations?.[ANN_CACHED_UPSTREAM] ?? '{}')).sort()).toEqual([
      'clean',
      'extract',
    ]);
    expect(createdStages(cluster.reconcile(at(2 * HOUR)))).toEqual([]);
    expect(lastStage(cluster, 'extract')?.reason).toBe('Cached');
    expect(lastStage(cluster, 'clean')?.reason).toBe('Cached');
  });

  it('with no downstream Job (every stage served), nothing used the lost decision: the next plan decides again and runs what expired', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [cached('extract', undefined, '1h'), cached('clean', ['extract'], '1h')] }),
    );
    runToEnd(cluster, 0);
    cluster.annotate(RUN, 'all cached');
    const decided = cluster.reconcile(at(5 + HOUR - 1), 'writeLost');
    expect(createdJobs(decided)).toEqual([]);
    expect(decided.status.lastRun?.phase).toBe('Succeeded');
    // The write did not land: no Job, no status, no Event says the run was served. Deciding
    // again after expiry runs the stages, in order, and records their fresh results.
    expect(runToEnd(cluster, 5 + HOUR + 1)).toEqual([['extract'], ['clean'], []]);
    const run = cluster.pipeline.status?.lastRun;
    expect(run?.id).toBe(decided.status.lastRun?.id);
    expect(run?.stages?.map((s) => s.reason)).toEqual([undefined, undefined]);
    expect(cluster.pipeline.status?.cache?.map((e) => e.run)).toEqual([run?.id, run?.id]);
  });

  it.each(['writeLost', 'beforeWrite'] as const)(
    "%s on a scheduled tick: the served root's suspended Job is not started after expiry",
    (crash) => {
      const cluster = new FakeCluster(
        pipeline({ schedule: '0 * * * *', stages: [cached('extract', undefined, '1h'), stage('load', ['extract'])] }),
      );
      cluster.reconcile(at(0));
      cluster.tick(at(HOUR));
      runToEnd(cluster, HOUR + 1); // extract succeeds at HOUR + 6
      const first = cluster.pipeline.status?.lastRun?.id;
      const [suspended] = cluster.tick(at(2 * HOUR));
      const decided = cluster.reconcile(at(2 * HOUR + 1), crash); // 5 s before extract's entry expires
      expect(createdStages(decided)).toEqual(['load']);
      expect(decided.actions.filter((a) => a.kind === 'startJob')).toEqual([]);

      const next = cluster.reconcile(at(2 * HOUR + 30));
      expect(next.actions.filter((a) => a.kind === 'startJob' || a.kind === 'createJob')).toEqual([]);
      expect(cluster.jobs.has(suspended?.metadata?.name ?? '')).toBe(false);
      expect(lastStage(cluster, 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: first });
    },
  );

  it('a Job created again after it was deleted by hand still names the served stages', () => {
    const cluster = new FakeCluster(
      pipeline({ stages: [cached('extract', undefined, '1h'), stage('load', ['extract'])] }),
    );
    runToEnd(cluster, 0);
    cluster.annotate(RUN, 'again');
    cluster.reconcile(at(600));
    const [first] = cluster.jobsOf('load').filter((j) => j.metadata?.labels?.['conveyor.dev/run'] !== 'g1');
    cluster.jobs.delete(first?.metadata?.name ?? '');
    const recreated = createdJobs(cluster.reconcile(at(700)));
    expect(recreated.map((j) => j.metadata?.annotations?.[ANN_CACHED_UPSTREAM])).toEqual([
      first?.metadata?.annotations?.[ANN_CACHED_UPSTREAM],
    ]);
  });
});

describe('issue 17 case 2, retries: a kept stage carries the version of the result it keeps', () => {
  it("a retry's clean is recorded with extract's result from the failed run, and served with it later", () => {
    const cluster = new FakeCluster(pipeline(etl('1d', '1d')));
    step(cluster, 0); // extract succeeds
    step(cluster, 10, { state: 'failed' }); // clean fails
    cluster.reconcile(at(20));
    expect(cluster.pipeline.status?.lastRun?.phase).toBe('Failed');
    cluster.annotate('conveyor.dev/retry-requested', 'once');
    expect(runToEnd(cluster, 30)).toEqual([['clean'], ['load'], []]);
    const retry = cluster.pipeline.status?.lastRun;
    expect(retry?.stages?.[0]).toMatchObject({
      reason: 'FromRun',
      dataVersion: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(requestRun(cluster, 'after the retry', 100).flat()).toEqual(['load']);
    expect(lastStage(cluster, 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: 'g1' });
    expect(lastStage(cluster, 'clean')).toMatchObject({ reason: 'Cached', cachedFrom: retry?.id });
  });
});

describe('issue 17 case 12: a cancelled run records the results of the stages that succeeded in it', () => {
  it('cancelled after extract succeeded: extract is recorded, the next run is served it', () => {
    const cluster = new FakeCluster(pipeline(etl('1d', '1d')));
    step(cluster, 0); // extract
    step(cluster, 10, { state: 'running' }); // clean starts
    cluster.annotate(CANCEL, 'g1');
    const cancelled = cluster.reconcile(at(20));
    expect(cancelled.status.lastRun?.phase).toBe('Cancelled');
    expect(cancelled.status.cache?.map((e) => [e.stage, e.run])).toEqual([['extract', 'g1']]);
    expect(requestRun(cluster, 'after cancel', 60)).toEqual([['clean'], ['load'], []]);
    expect(lastStage(cluster, 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: 'g1' });
  });

  it('cancelled in the plan that sees extract succeed: recorded all the same', () => {
    const cluster = new FakeCluster(pipeline(etl('1d', '1d')));
    cluster.reconcile(at(0));
    cluster.set('extract', { state: 'succeeded', at: at(5) });
    cluster.annotate(CANCEL, 'g1');
    const cancelled = cluster.reconcile(at(10));
    expect(cancelled.status.lastRun?.phase).toBe('Cancelled');
    expect(cancelled.status.cache?.map((e) => e.stage)).toEqual(['extract']);
  });

  it('a run superseded by a change of another stage: the new run is served what succeeded in it', () => {
    const cluster = new FakeCluster(pipeline(etl('1d', '1d')));
    step(cluster, 0);
    step(cluster, 10, { state: 'running' });
    cluster.edit((spec) => {
      spec.stages[2] = stage('load', ['clean'], { args: ['--fast'] });
    });
    const changed = cluster.reconcile(at(20));
    expect(changed.status.runs?.find((r) => r.id === 'g1')?.phase).toBe('Cancelled');
    expect(createdStages(changed)).toEqual(['clean']);
    expect(changed.status.lastRun?.stages?.[0]).toMatchObject({ reason: 'Cached', cachedFrom: 'g1' });
  });

  it('a stage whose Job was stopped by the cancel is not recorded', () => {
    const cluster = new FakeCluster(pipeline(etl('1d', '1d')));
    step(cluster, 0, { state: 'running' });
    cluster.annotate(CANCEL, 'g1');
    expect(cluster.reconcile(at(10)).status.cache).toBeUndefined();
  });
});
