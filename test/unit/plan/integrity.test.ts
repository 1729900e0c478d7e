// Run integrity (issue 9): every run runs its own spec, exactly once, and nothing is lost or
// mixed up. One block per finding; each scenario failed before the fix it names.
import { describe, expect, it } from 'vitest';
import type { PipelineSpec, PipelineStatus, RunStatus } from '../../../src/api/types.ts';
import { MAX_ACTIVE_RUNS } from '../../../src/api/schema.ts';
import { plan } from '../../../src/plan/planner.ts';
import { jobName, manualRunId, scheduledRunId } from '../../../src/plan/names.ts';
import { readJob } from '../../../src/plan/observed.ts';
import { requestSeed } from '../../../src/plan/select/select.ts';
import {
  FakeCluster,
  at,
  condition,
  createdJobs,
  createdStages,
  deletedJobs,
  eventReasons,
  pipeline,
  stage,
  stagePhases,
} from './fixtures.ts';

const HOUR = 3600;
const tick = (n: number): Date => at(n * HOUR);
const runAt = (n: number): string => scheduledRunId(tick(n));
const chainSpec = (extra: Partial<PipelineSpec> = {}): PipelineSpec => ({
  stages: [stage('extract'), stage('load', ['extract'])],
  schedule: '0 * * * *',
  ...extra,
});

function scheduled(extra: Partial<PipelineSpec> = {}): FakeCluster {
  const cluster = new FakeCluster(pipeline(chainSpec(extra)));
  cluster.reconcile(at(0));
  return cluster;
}

const runOf = (s: PipelineStatus | undefined, id: string) =>
  [...(s?.runs ?? []), ...(s?.lastRun ? [s.lastRun] : [])].find((r) => r.id === id);
const active = (s: PipelineStatus | undefined) =>
  (s?.runs ?? []).filter((r) => r.phase === 'Running' || r.phase === 'Pending').map((r) => r.id);
const lastRun = (s: PipelineStatus | undefined): RunStatus => {
  if (!s?.lastRun) throw new Error('no lastRun');
  return s.lastRun;
};

describe('finding 2: an active run stays in memory however much history piles up', () => {
  it('Forbid: a long run, a manual run, then 10 skipped ticks — the long run still gets its next stage', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.annotate('conveyor.dev/run-requested', 'now');
    cluster.reconcile(at(HOUR + 2));
    for (let n = 2; n <= 11; n++) {
      cluster.tick(tick(n));
      cluster.reconcile(at(n * HOUR + 1));
    }
    expect(cluster.pipeline.status?.runs?.filter((r) => r.phase === 'Skipped')).toHaveLength(10);
    expect(active(cluster.pipeline.status)).toContain(runAt(1));

    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    const next = cluster.reconcile(at(11 * HOUR + 10));
    expect(createdJobs(next).map((j) => j.metadata?.name)).toContain(jobName('etl', 'load', runAt(1)));
    expect(runOf(cluster.pipeline.status, runAt(1))?.phase).toBe('Running');
  });

  it('Allow: 11 overlapping runs are all remembered and all finish', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    for (let n = 1; n <= 11; n++) {
      cluster.tick(tick(n));
      cluster.reconcile(at(n * HOUR + 1));
    }
    expect(active(cluster.pipeline.status)).toHaveLength(11);
    for (let n = 1; n <= 11; n++) cluster.setIn(runAt(n), 'extract', { state: 'succeeded' });
    const next = cluster.reconcile(at(12 * HOUR));
    expect(createdStages(next)).toEqual(Array(11).fill('load'));
    for (let n = 1; n <= 11; n++) cluster.setIn(runAt(n), 'load', { state: 'succeeded' });
    cluster.reconcile(at(12 * HOUR + 10));
    // All ended; history keeps the newest 10 finished runs.
    expect(active(cluster.pipeline.status)).toEqual([]);
    expect(cluster.pipeline.status?.runs?.map((r) => r.phase)).toEqual(Array(10).fill('Succeeded'));
  });

  it(`at most ${MAX_ACTIVE_RUNS} runs are active at once; a further tick is skipped and says why`, () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    for (let n = 1; n <= MAX_ACTIVE_RUNS + 1; n++) {
      cluster.tick(tick(n));
      cluster.reconcile(at(n * HOUR + 1));
    }
    expect(active(cluster.pipeline.status)).toHaveLength(MAX_ACTIVE_RUNS);
    expect(runOf(cluster.pipeline.status, runAt(MAX_ACTIVE_RUNS + 1))).toMatchObject({
      phase: 'Skipped',
      message: expect.stringContaining('runs are already active'),
    });
  });
});

describe('finding 3: a finished stage of an older active run is never run again', () => {
  it('Allow: the succeeded root Job of a run that is not lastRun is pruned; the root is not created again', () => {
    const cluster = scheduled({ concurrencyPolicy: 'Allow' });
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.tick(tick(2));
    cluster.reconcile(at(2 * HOUR + 1)); // run 1 creates load; run 2 starts and is lastRun
    expect(lastRun(cluster.pipeline.status).id).toBe(runAt(2));
    // The CronJob's history limit (or a person) deletes run 1's succeeded root Job.
    const root = [...cluster.jobs.values()].find(
      (j) =>
        j.metadata?.labels?.['conveyor.dev/run'] === runAt(1) &&
        j.metadata?.labels?.['conveyor.dev/stage'] === 'extract',
    );
    cluster.jobs.delete(root?.metadata?.name ?? '');
    for (let i = 0; i < 3; i++) expect(createdJobs(cluster.reconcile(at(2 * HOUR + 10 + i)))).toEqual([]);
    cluster.setIn(runAt(1), 'load', { state: 'succeeded' });
    cluster.reconcile(at(2 * HOUR + 20));
    expect(runOf(cluster.pipeline.status, runAt(1))?.phase).toBe('Succeeded');
  });
});

describe('finding 4: a replaced run stays replaced when the status write after it is lost', () => {
  function replacing(crash: 'beforeWrite' | 'writeLost'): FakeCluster {
    const cluster = scheduled({ concurrencyPolicy: 'Replace' });
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.tick(tick(2));
    cluster.reconcile(at(2 * HOUR + 1), crash);
    expect(lastRun(cluster.pipeline.status).id).toBe(runAt(1)); // the write did not land
    return cluster;
  }

  for (const crash of ['beforeWrite', 'writeLost'] as const) {
    it(`killed ${crash === 'beforeWrite' ? 'after starting the new run, before the write' : 'after every action, the write lost'}: the old run is cancelled, never re-created`, () => {
      const cluster = replacing(crash);
      const next = cluster.reconcile(at(2 * HOUR + 5));
      expect(createdJobs(next)).toEqual([]);
      expect(runOf(cluster.pipeline.status, runAt(1))).toMatchObject({
        phase: 'Cancelled',
        message: `replaced by run ${runAt(2)}`,
      });
      expect(active(cluster.pipeline.status)).toEqual([runAt(2)]);
      expect([...cluster.jobs.values()].filter((j) => j.metadata?.labels?.['conveyor.dev/run'] === runAt(1))).toEqual(
        [],
      );
      expect(createdJobs(cluster.reconcile(at(2 * HOUR + 6)))).toEqual([]);
    });
  }
});

describe('finding 5: a run in flight executes the spec it started with', () => {
  it('a scheduled run keeps its image and its stages after an edit; the next run uses the new spec', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    expect(cluster.revisions.size).toBe(1);
    cluster.edit((spec) => {
      spec.stages[1] = stage('load', ['extract'], { image: 'load:v2' });
      spec.stages.push(stage('report', ['load']));
    });
    cluster.reconcile(at(HOUR + 2));
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    const next = cluster.reconcile(at(HOUR + 3));
    const [load] = createdJobs(next);
    expect(load?.spec?.template.spec?.containers[0]?.image).toBe('busybox');
    expect(load?.metadata?.annotations?.['conveyor.dev/generation']).toBe('1');
    cluster.setIn(runAt(1), 'load', { state: 'succeeded' });
    cluster.reconcile(at(HOUR + 4));
    expect(runOf(cluster.pipeline.status, runAt(1))).toMatchObject({ phase: 'Succeeded', generation: 1 });
    expect(createdStages(cluster.last ?? next)).toEqual([]);
    expect(cluster.revisions.size).toBe(0); // generation 1's revision went with its last run

    cluster.tick(tick(2));
    cluster.reconcile(at(2 * HOUR + 1));
    cluster.setIn(runAt(2), 'extract', { state: 'succeeded' });
    const [newLoad] = createdJobs(cluster.reconcile(at(2 * HOUR + 2)));
    expect(newLoad?.spec?.template.spec?.containers[0]?.image).toBe('load:v2');
    expect([...cluster.revisions.values()].map((r) => r.revision)).toEqual([2]);
  });

  it('a run whose pinned spec is gone fails, saying so, instead of switching to the new spec', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.edit((spec) => (spec.stages[1] = stage('load', ['extract'], { image: 'load:v2' })));
    cluster.revisions.clear();
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    const result = cluster.reconcile(at(HOUR + 3));
    expect(createdJobs(result)).toEqual([]);
    expect(runOf(result.status, runAt(1))).toMatchObject({
      phase: 'Failed',
      message: expect.stringContaining('generation 1'),
    });
  });
});

describe('finding 7: suspend on a pipeline without a schedule holds new runs', () => {
  it('a pipeline created suspended does not run; Ready=True, phase Suspended; resuming runs the current spec', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')], suspend: true }));
    const first = cluster.reconcile(at(0));
    expect(createdJobs(first)).toEqual([]);
    expect(first.status.phase).toBe('Suspended');
    expect(condition(first.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Suspended' });
    cluster.edit((spec) => (spec.suspend = false));
    const resumed = cluster.reconcile(at(10));
    expect(createdStages(resumed)).toEqual(['a']);
    expect(lastRun(resumed.status)).toMatchObject({ id: 'g2', trigger: 'change' });
  });

  it('suspending during a run lets that run finish and starts nothing new; requests are refused with an Event', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])] }));
    cluster.reconcile(at(0));
    cluster.edit((spec) => (spec.suspend = true));
    const suspended = cluster.reconcile(at(5));
    expect(createdJobs(suspended)).toEqual([]);
    expect(deletedJobs(suspended)).toEqual([]);
    expect(lastRun(suspended.status)).toMatchObject({ id: 'g1', phase: 'Running' });
    cluster.annotate('conveyor.dev/run-requested', 'please');
    const refused = cluster.reconcile(at(6));
    expect(eventReasons(refused)).toEqual(['RunRefused']);
    expect(refused.status.lastRunRequest).toBe('please');
    cluster.set('a', { state: 'succeeded' });
    expect(createdStages(cluster.reconcile(at(10)))).toEqual(['b']);
    cluster.set('b', { state: 'succeeded' });
    const done = cluster.reconcile(at(20));
    expect(done.status.phase).toBe('Suspended');
    expect(lastRun(done.status).phase).toBe('Succeeded');
  });
});

describe('finding 8: a request value used again starts a new run', () => {
  it('run-requested A, B, A: three runs, each with its own Jobs', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'succeeded' });
    const ids: string[] = [];
    ['A', 'B', 'A'].forEach((value, i) => {
      cluster.annotate('conveyor.dev/run-requested', value);
      const result = cluster.reconcile(at(10 + i * 10));
      ids.push(lastRun(result.status).id);
      expect(createdStages(result)).toEqual(['a']);
      cluster.set('a', { state: 'succeeded' });
      cluster.reconcile(at(15 + i * 10));
    });
    expect(new Set(ids).size).toBe(3);
    expect(ids[2]).toBe(manualRunId(requestSeed('A', 2)));
    expect(cluster.pipeline.status?.requestCount).toBe(3);
  });

  it('retry-requested 1, 2, 1: the third is a new retry, not the first one again', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    const ids: string[] = [];
    ['1', '2', '1'].forEach((value, i) => {
      cluster.set('a', { state: 'failed' });
      cluster.reconcile(at(5 + i * 10));
      cluster.annotate('conveyor.dev/retry-requested', value);
      const result = cluster.reconcile(at(10 + i * 10));
      expect(createdStages(result)).toEqual(['a']);
      ids.push(lastRun(result.status).id);
    });
    expect(new Set(ids).size).toBe(3);
  });
});

describe('finding 9: a chained pipeline sees the first run of a re-created upstream', () => {
  it('the upstream is deleted and created again; its new g1 fires although the old g1 was handled', () => {
    const upstream = (uid: string, phase: 'Running' | 'Succeeded') =>
      pipeline(
        { stages: [stage('x')] },
        {
          name: 'ingest',
          uid,
          status: {
            lastRun: {
              id: 'g1',
              trigger: 'create',
              phase,
              ...(phase === 'Succeeded' ? { completionTime: '2025-01-01T00:10:00Z' } : {}),
            },
          },
        },
      );
    const cluster = new FakeCluster(
      pipeline(
        { stages: [stage('r')], triggers: { after: [{ pipeline: 'ingest' }] } },
        { name: 'report', uid: 'uid-report' },
      ),
    );
    cluster.upstream = [upstream('uid-old', 'Succeeded')];
    cluster.reconcile(at(0));
    expect(cluster.pipeline.status?.lastTriggers).toEqual([
      { pipeline: 'ingest', run: 'g1', uid: 'uid-old', ended: ['g1'] },
    ]);
    cluster.upstream = [upstream('uid-new', 'Running')];
    expect(createdJobs(cluster.reconcile(at(10)))).toEqual([]);
    cluster.upstream = [upstream('uid-new', 'Succeeded')];
    const fired = cluster.reconcile(at(20));
    expect(createdStages(fired)).toEqual(['r']);
    expect(lastRun(fired.status).trigger).toBe('chain');
  });
});

describe('finding 11: a refused Job fails its stage and is never deleted', () => {
  it('the refusal is a fact, not a Job: no deleteJob for it, ever', () => {
    const p = pipeline({ stages: [stage('a'), stage('b', ['a'])], onFailure: [stage('alert')] });
    const cluster = new FakeCluster(p);
    // The reconciler plans, creates — and the server refuses the Job: it plans again at once,
    // with the refusal as a fact, before any status is written.
    const first = cluster.reconcile(at(0), 'beforeWrite');
    const name = jobName('etl', 'a', 'g1');
    cluster.jobs.delete(name);
    cluster.rejections.set(name, 'HTTP 422: spec.template.spec.containers[0].image: Required value');
    const second = cluster.reconcile(at(1));
    expect(stagePhases(second)).toEqual({ a: 'Failed', b: 'Skipped', alert: 'Running' });
    expect(lastRun(second.status).stages?.[0]).toMatchObject({
      reason: 'JobRejected',
      message: expect.stringContaining('422'),
    });
    expect(createdStages(second)).toEqual(['alert']);
    expect(first.actions.some((a) => a.kind === 'createJob')).toBe(true);
    cluster.rejections.clear(); // the reconciler forgets it once status records the failure
    for (let i = 2; i < 5; i++) expect(deletedJobs(cluster.reconcile(at(i)))).toEqual([]);
  });
});

describe('finding 12: a Job deleted by hand mid-run', () => {
  it('is created again (under a new name) with the attempts it had made, and an Event says so', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a', undefined, { retries: 3 })] }));
    cluster.reconcile(at(0));
    cluster.set('a', { state: 'running', active: 1, failed: 1 });
    expect(lastRun(cluster.reconcile(at(5)).status).stages?.[0]?.attempts).toBe(2);
    const name = jobName('etl', 'a', 'g1');
    cluster.jobs.delete(name);
    const again = cluster.reconcile(at(10));
    const [recreated] = createdJobs(again);
    // A new name: the Job controller can leave a Job created under a just-deleted name unsynced.
    expect(recreated?.metadata?.name).toBe(`${name}-x2`);
    expect(recreated?.metadata?.labels).toMatchObject({ 'conveyor.dev/stage': 'a', 'conveyor.dev/run': 'g1' });
    expect(recreated?.metadata?.annotations?.['conveyor.dev/prior-attempts']).toBe('2');
    expect(lastRun(again.status).stages?.[0]).toMatchObject({ phase: 'Running', attempts: 3 });
    expect(again.events).toEqual([
      expect.objectContaining({
        type: 'Warning',
        reason: 'StageJobDeleted',
        message: expect.stringContaining(`Job ${name}`),
      }),
    ]);
    // The new Job's own pods add to the count.
    expect(readJob({ ...recreated, status: { failed: 1, active: 1 } }).attempts).toBe(4);
  });

  it('a Job the operator just created and the cache does not show yet is not "deleted"', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    const name = jobName('etl', 'a', 'g1');
    cluster.jobs.delete(name);
    cluster.pendingJobs.add(name);
    const result = cluster.reconcile(at(1));
    expect(createdJobs(result)).toEqual([]);
    expect(result.events).toEqual([]);
  });
});

describe('an upgrade that renames CronJobs', () => {
  it('the old-named CronJob of a root stage is replaced, and the run in flight keeps its finished root', () => {
    const cluster = scheduled();
    cluster.tick(tick(1));
    cluster.reconcile(at(HOUR + 1));
    cluster.setIn(runAt(1), 'extract', { state: 'succeeded' });
    cluster.reconcile(at(HOUR + 2)); // load created
    // As an older Conveyor named it: same stage label, another name.
    const [current] = [...cluster.cronJobs.values()];
    const old = structuredClone(current!);
    old.metadata = { ...old.metadata, name: 'etl-extract', uid: 'uid-old-cronjob' };
    cluster.cronJobs.set('etl-extract', old);
    const result = cluster.reconcile(at(HOUR + 3));
    expect(result.actions.filter((a) => a.kind === 'deleteCronJob')).toEqual([
      { kind: 'deleteCronJob', name: 'etl-extract', reason: 'replaced by a CronJob under its current name' },
    ]);
    // Its Jobs go with it (the run's root Job among them): memory keeps the root Succeeded.
    for (const [name, j] of cluster.jobs)
      if (j.metadata?.labels?.['conveyor.dev/stage'] === 'extract') cluster.jobs.delete(name);
    expect(createdJobs(cluster.reconcile(at(HOUR + 4)))).toEqual([]);
    cluster.setIn(runAt(1), 'load', { state: 'succeeded' });
    cluster.reconcile(at(HOUR + 5));
    expect(runOf(cluster.pipeline.status, runAt(1))?.phase).toBe('Succeeded');
  });
});

describe('crash safety of the plan itself', () => {
  it('planning the same input twice gives the same decision', () => {
    const p = pipeline({ stages: [stage('a'), stage('b', ['a'])] });
    const input = { pipeline: p, problems: [], jobs: [], claims: [], now: at(0) };
    expect(plan(structuredClone(input))).toEqual(plan(structuredClone(input)));
  });
});
