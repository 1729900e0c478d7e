// Data you can trust, end to end (issue 17): the real operator against the real API server, for
// the cases where a run used to say Succeeded over wrong or missing data. Each test is the plain
// sequence of operations the issue describes. Cases 5 and 11 are in integrity-17-chain.test.ts,
// case 6 in backfill.test.ts; the planner-level tests of every case are in
// test/unit/plan/integrity-17-*.test.ts, and the simulator (test/sim) checks the invariants.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline, RunStatus } from '../../src/api/types.ts';
import { clients, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  stage,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'trust', ['interval', 'upstream'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const conveyor = (args: string[]) =>
  promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, ...args, '--kubeconfig', inject('kubeconfig')]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const runOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/run'] ?? '?';
const stageOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
const stageIn = (run: RunStatus | undefined, name: string) => run?.stages?.find((s) => s.name === name);

/** The stages that got a Job in run `runId`, sorted. */
async function jobStagesOf(n: string, name: string, runId: string): Promise<string[]> {
  return (await stageJobs(c, n, name))
    .filter((j) => runOf(j) === runId)
    .map(stageOf)
    .sort();
}

/** The next run of `name` that is not in `seen` and has Succeeded (lastRun). */
async function nextSucceeded(
  n: string,
  name: string,
  seen: string[],
  what: string,
  timeoutMs = 120_000,
): Promise<RunStatus> {
  const p = await waitForPipeline(
    c,
    n,
    name,
    what,
    (x: Pipeline) => {
      const run = x.status?.lastRun;
      return run !== undefined && !seen.includes(run.id) && run.phase === 'Succeeded';
    },
    timeoutMs,
  );
  const run = p.status?.lastRun as RunStatus;
  seen.push(run.id);
  return run;
}

describe.concurrent('data you can trust (issue 17)', () => {
  it('case 2: a cached stage runs again when its upstream ran again (image changed)', async () => {
    const n = suite.ns('upstream');
    const seen: string[] = [];
    const spec = (image: string) => ({
      stages: [
        stage('extract', { image, cache: { key: 'orders', maxAge: '1h' } }),
        stage('clean', { dependsOn: ['extract'], cache: { key: 'orders', maxAge: '30d' } }),
        stage('load', { dependsOn: ['clean'] }),
      ],
    });
    await createPipeline(c, n, pipeline('orders', spec('busybox:1.36')));
    const first = await nextSucceeded(n, 'orders', seen, 'g1 Succeeded');
    expect(await jobStagesOf(n, 'orders', first.id)).toEqual(['clean', 'extract', 'load']);

    // Same spec, another run: both cached stages are served, only load runs.
    await mergePatchPipeline(c, n, 'orders', { metadata: { annotations: { 'conveyor.dev/run-requested': 'again' } } });
    const second = await nextSucceeded(n, 'orders', seen, 'the manual run Succeeded');
    expect(stageIn(second, 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: first.id });
    expect(stageIn(second, 'clean')).toMatchObject({ reason: 'Cached', cachedFrom: first.id });
    expect(await jobStagesOf(n, 'orders', second.id)).toEqual(['load']);

    // extract's image changes: extract runs again, so clean must too (its input changed).
    await mergePatchPipeline(c, n, 'orders', { spec: spec('busybox:1.37') });
    const third = await nextSucceeded(n, 'orders', seen, 'g2 Succeeded');
    expect(stageIn(third, 'extract')?.reason).not.toBe('Cached');
    expect(stageIn(third, 'clean')?.reason).not.toBe('Cached');
    expect(await jobStagesOf(n, 'orders', third.id)).toEqual(['clean', 'extract', 'load']);
  }, 300_000);

  it('case 1: a manual run of a daily pipeline takes the logical date of the interval it processes, not of the request', async () => {
    const n = suite.ns('interval');
    const seen: string[] = [];
    await createPipeline(
      c,
      n,
      pipeline('orders', {
        schedule: '0 3 * * *',
        timeZone: 'Europe/Berlin',
        params: [{ name: 'region', default: 'eu' }],
        stages: [
          stage('extract', { cache: { key: '$(params.region)-$(run.logicalDate)', maxAge: '30d' } }),
          stage('load', { dependsOn: ['extract'] }),
        ],
      }),
    );
    await waitForPipeline(c, n, 'orders', 'Scheduled', (p) => p.status?.phase === 'Scheduled');

    // 01:30 Berlin on 11-05: the last complete interval is 11-03 03:00 -> 11-04 03:00, the one
    // the 11-04 tick processed, so the run's logical time is that tick (02:00Z in November).
    await conveyor(['run', 'orders', '-n', n, '--at', '2026-11-05T00:30:00Z']);
    const early = await nextSucceeded(n, 'orders', seen, 'the 01:30 run Succeeded');
    expect(early).toMatchObject({
      logicalTime: '2026-11-04T02:00:00Z',
      intervalStart: '2026-11-03T02:00:00Z',
      intervalEnd: '2026-11-04T02:00:00Z',
    });
    const cached = await waitForPipeline(c, n, 'orders', 'its extract recorded', (p) =>
      (p.status?.cache ?? []).some((e) => e.run === early.id),
    );
    expect(cached.status?.cache?.find((e) => e.run === early.id)?.key).toBe('eu-2026-11-04');

    // At the 11-05 tick (03:00 Berlin) the interval 11-04 -> 11-05 is new: extract must run.
    await conveyor(['run', 'orders', '-n', n, '--at', '2026-11-05T02:00:00Z']);
    const onTime = await nextSucceeded(n, 'orders', seen, 'the 03:00 run Succeeded');
    expect(onTime).toMatchObject({ logicalTime: '2026-11-05T02:00:00Z', intervalStart: '2026-11-04T02:00:00Z' });
    expect(stageIn(onTime, 'extract')?.reason).not.toBe('Cached');
    expect(await jobStagesOf(n, 'orders', onTime.id)).toEqual(['extract', 'load']);
  }, 300_000);
});
