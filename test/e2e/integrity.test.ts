// Run integrity end to end (issue 9): requests used again, many overlapping runs remembered,
// and a Job deleted by hand mid-run — the real operator against the real API server.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  runsFor,
  stage,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'integrity', ['reuse', 'overlap', 'deleted', 'cancel'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const conveyor = (args: string[]) =>
  promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, ...args, '--kubeconfig', inject('kubeconfig')]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const runOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/run'] ?? '?';
const stageOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
const complete = (j: k8s.V1Job) =>
  j.status?.conditions?.some((x) => x.type === 'Complete' && x.status === 'True') === true;

/** Sets run-requested to `value` and waits until the operator has handled it. */
async function requestRun(n: string, name: string, value: string): Promise<void> {
  await mergePatchPipeline(c, n, name, { metadata: { annotations: { 'conveyor.dev/run-requested': value } } });
  await waitForPipeline(c, n, name, `run request ${value} handled`, (p) => p.status?.lastRunRequest === value, 60_000);
}

describe.concurrent('run integrity', () => {
  it('run-requested A, B, A starts three runs, each with its own Jobs (finding 8)', async () => {
    const n = await suite.ns('reuse');
    await createPipeline(c, n, pipeline('reuse', { stages: [stage('a')] }));
    await waitForPipeline(c, n, 'reuse', 'first run Succeeded', (p) => p.status?.phase === 'Succeeded');
    const runs: string[] = [];
    for (const value of ['A', 'B', 'A']) {
      await requestRun(n, 'reuse', value);
      const done = await waitForPipeline(
        c,
        n,
        'reuse',
        `run for ${value} Succeeded`,
        (p) => p.status?.phase === 'Succeeded' && !runs.includes(p.status.lastRun?.id ?? ''),
      );
      runs.push(done.status?.lastRun?.id ?? '');
    }
    expect(new Set(runs).size, `run ids ${runs.join(', ')}`).toBe(3);
    const jobs = await stageJobs(c, n, 'reuse');
    // g1 and the three manual runs: one Job each, all Complete.
    expect(jobs.map(runOf).sort()).toEqual(['g1', ...runs].sort());
    expect(jobs.every(complete)).toBe(true);
  });

  it('11 overlapping runs of an Allow pipeline are all remembered and each runs its next stage once (finding 2)', async () => {
    const n = await suite.ns('overlap');
    // Scheduled far away: only the manual runs below run; manual runs always start and overlap.
    await createPipeline(
      c,
      n,
      pipeline('overlap', {
        schedule: '0 0 1 1 *',
        concurrencyPolicy: 'Allow',
        runHistoryLimit: 20,
        stages: [stage('extract', { podTemplate: runsFor(25) }), stage('load', { dependsOn: ['extract'] })],
      }),
    );
    await waitForPipeline(c, n, 'overlap', 'Scheduled', (p) => p.status?.phase === 'Scheduled');
    for (let i = 1; i <= 11; i++) await requestRun(n, 'overlap', `r${i}`);
    const all = await waitForPipeline(
      c,
      n,
      'overlap',
      '11 active runs in status',
      (p) => (p.status?.runs ?? []).filter((r) => r.phase === 'Running').length === 11,
      60_000,
    );
    const ids = (all.status?.runs ?? []).map((r) => r.id);
    await waitFor('every run Succeeded', 150_000, async () => {
      const jobs = await stageJobs(c, n, 'overlap');
      const loads = jobs.filter((j) => stageOf(j) === 'load' && complete(j));
      return loads.length === 11 ? true : undefined;
    });
    const jobs = await stageJobs(c, n, 'overlap');
    for (const id of ids) {
      const own = jobs.filter((j) => runOf(j) === id);
      expect(own.map(stageOf).sort(), `Jobs of run ${id}`).toEqual(['extract', 'load']);
    }
    const settled = await waitForPipeline(
      c,
      n,
      'overlap',
      'no run active',
      (p) => !(p.status?.runs ?? []).some((r) => r.phase === 'Running'),
    );
    expect(settled.status?.runs?.filter((r) => r.phase === 'Succeeded')).toHaveLength(10);
  });

  it('a Job deleted by hand mid-run is created again, its attempts counted, and an Event says so (finding 12)', async () => {
    const n = await suite.ns('deleted');
    await createPipeline(c, n, pipeline('deleted', { stages: [stage('slow', { podTemplate: runsFor(20) })] }));
    const running = await waitForPipeline(
      c,
      n,
      'deleted',
      'stage running',
      (p) => p.status?.lastRun?.stages?.[0]?.phase === 'Running',
    );
    const name = running.status?.lastRun?.stages?.[0]?.job ?? '';
    const first = await waitFor(
      'the Job in the API',
      30_000,
      async () => (await c.batch.readNamespacedJob({ name, namespace: n }).catch(() => undefined)) ?? undefined,
    );
    await c.batch.deleteNamespacedJob({ name, namespace: n, propagationPolicy: 'Background' });
    const again = await waitFor('the Job created again', 60_000, async () => {
      const j = (await stageJobs(c, n, 'deleted')).find(
        (x) => x.metadata?.uid !== first.metadata?.uid && !x.metadata?.deletionTimestamp,
      );
      return j ?? undefined;
    });
    expect(again.metadata?.name).toBe(`${name}-x1`);
    expect(again.metadata?.annotations?.['conveyor.dev/prior-attempts']).toBe('1');
    const done = await waitForPipeline(c, n, 'deleted', 'Succeeded', (p) => p.status?.phase === 'Succeeded', 90_000);
    expect(done.status?.lastRun?.stages?.[0]).toMatchObject({ attempts: 2, job: `${name}-x1` });
    await waitFor('a StageJobDeleted Event naming the Job', 30_000, async () =>
      (await c.core.listNamespacedEvent({ namespace: n })).items.some(
        (e) => e.reason === 'StageJobDeleted' && e.message?.includes(name),
      ),
    );
  });

  it('conveyor cancel stops the run in flight: its Job is deleted, the run is Cancelled, nothing new starts', async () => {
    const n = await suite.ns('cancel');
    await createPipeline(
      c,
      n,
      pipeline('cancel', {
        stages: [stage('slow', { podTemplate: runsFor(60) }), stage('after', { dependsOn: ['slow'] })],
      }),
    );
    await waitForPipeline(c, n, 'cancel', 'stage running', (p) => p.status?.lastRun?.stages?.[0]?.phase === 'Running');
    const { stdout } = await conveyor(['cancel', 'cancel', '-n', n]);
    expect(stdout).toContain('cancel of run g1 requested');
    const done = await waitForPipeline(
      c,
      n,
      'cancel',
      'run Cancelled',
      (p) => p.status?.lastRun?.phase === 'Cancelled',
    );
    expect(done.status?.lastRun?.stages?.map((s) => [s.name, s.phase])).toEqual([
      ['slow', 'Failed'],
      ['after', 'Skipped'],
    ]);
    await waitFor('the stage Job deleted', 30_000, async () =>
      (await stageJobs(c, n, 'cancel')).length === 0 ? true : undefined,
    );
    // Events are recorded after the status write and the deletions: wait for it.
    await waitFor('a RunCancelled Event', 30_000, async () =>
      (await c.core.listNamespacedEvent({ namespace: n })).items.some((e) => e.reason === 'RunCancelled'),
    );
  });
});
