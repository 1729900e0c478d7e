// Stage caching end to end (issue 11 item 4): the real operator against the real API server. A
// second run with the same key creates no Job for the cached stage and its downstream still runs;
// another key, a change of the stage's spec and --no-cache each run it again.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline, RunStatus } from '../../src/api/types.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'cache', ['cache'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const conveyor = (args: string[]) =>
  promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, ...args, '--kubeconfig', inject('kubeconfig')]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const NAME = 'orders';
/** Six runs one after the other on a shared, busy cluster: each may take a while. */
const RUN_TIMEOUT_MS = 240_000;
const stageOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
const extractOf = (run: RunStatus | undefined) => run?.stages?.find((s) => s.name === 'extract');

/** The stages that got a Job in run `runId`, by the run label, sorted. */
async function jobStagesOf(n: string, runId: string): Promise<string[]> {
  const list = await c.batch.listNamespacedJob({
    namespace: n,
    labelSelector: `conveyor.dev/pipeline=${NAME},conveyor.dev/run=${runId}`,
  });
  return list.items.map(stageOf).sort();
}

/** A run that has ended Succeeded and is not one of `seen`: lastRun once it is done. */
async function nextRunDone(n: string, seen: string[], what: string): Promise<RunStatus> {
  const p = await waitForPipeline(
    c,
    n,
    NAME,
    what,
    (x: Pipeline) => {
      const run = x.status?.lastRun;
      return run !== undefined && !seen.includes(run.id) && run.phase === 'Succeeded';
    },
    RUN_TIMEOUT_MS,
  );
  seen.push(p.status?.lastRun?.id ?? '');
  return p.status?.lastRun as RunStatus;
}

describe('stage caching', () => {
  it(
    'reuses a result by key (no Job), runs again for another key, a spec change and --no-cache',
    async () => {
      const n = suite.ns('cache');
      const seen: string[] = [];
      await createPipeline(
        c,
        n,
        pipeline(NAME, {
          params: [{ name: 'day', default: '2026-11-02' }],
          stages: [
            stage('extract', { args: ['$(params.day)'], cache: { key: 'orders-$(params.day)', maxAge: '1h' } }),
            stage('load', { dependsOn: ['extract'] }),
          ],
        }),
      );

      // Run 1 (g1) runs both stages and records the extract result.
      const first = await nextRunDone(n, seen, 'run g1 Succeeded');
      expect(first.id).toBe('g1');
      expect(await jobStagesOf(n, 'g1')).toEqual(['extract', 'load']);
      const recorded = await waitForPipeline(
        c,
        n,
        NAME,
        'status.cache recorded',
        (p) => (p.status?.cache?.length ?? 0) > 0,
      );
      expect(recorded.status?.cache).toEqual([
        expect.objectContaining({ stage: 'extract', key: 'orders-2026-11-02', run: 'g1' }),
      ]);

      // Run 2, same key: extract is served from the cache (no Job in this run), load runs.
      await requestRun(n, 'same-key', {});
      const second = await nextRunDone(n, seen, 'run 2 Succeeded');
      expect(extractOf(second)).toMatchObject({ phase: 'Succeeded', reason: 'Cached', cachedFrom: 'g1' });
      expect(await jobStagesOf(n, second.id)).toEqual(['load']);
      await waitFor('a StageCached Event', 30_000, async () =>
        (await c.core.listNamespacedEvent({ namespace: n })).items.some(
          (e) => e.reason === 'StageCached' && e.message?.includes(`run ${second.id}`),
        ),
      );

      // Another key (conveyor run --param): extract runs.
      await conveyor(['run', NAME, '-n', n, '--param', 'day=2026-11-03']);
      const third = await nextRunDone(n, seen, 'run 3 (another key) Succeeded');
      expect(third.params).toEqual({ day: '2026-11-03' });
      expect(extractOf(third)?.reason).not.toBe('Cached');
      expect(await jobStagesOf(n, third.id)).toEqual(['extract', 'load']);

      // A change of the stage's spec (args): the change run runs it again.
      await mergePatchPipeline(c, n, NAME, {
        spec: {
          stages: [
            stage('extract', {
              args: ['--day', '$(params.day)'],
              cache: { key: 'orders-$(params.day)', maxAge: '1h' },
            }),
            stage('load', { dependsOn: ['extract'] }),
          ],
        },
      });
      const changed = await nextRunDone(n, seen, 'run g2 (spec change) Succeeded');
      expect(changed.id).toBe('g2');
      expect(await jobStagesOf(n, 'g2')).toEqual(['extract', 'load']);

      // The new spec's result is cached now...
      await requestRun(n, 'cached-again', {});
      const fifth = await nextRunDone(n, seen, 'run 5 Succeeded');
      expect(extractOf(fifth)).toMatchObject({ reason: 'Cached', cachedFrom: 'g2' });
      expect(await jobStagesOf(n, fifth.id)).toEqual(['load']);

      // ...and --no-cache runs it anyway.
      await conveyor(['run', NAME, '-n', n, '--no-cache']);
      const bypass = await nextRunDone(n, seen, 'run with --no-cache Succeeded');
      expect(bypass.noCache).toBe(true);
      expect(extractOf(bypass)?.reason).not.toBe('Cached');
      expect(await jobStagesOf(n, bypass.id)).toEqual(['extract', 'load']);
    },
    6 * RUN_TIMEOUT_MS,
  );
});

/** run-requested with its run-options in one patch, as `conveyor run` writes them; waits until handled. */
async function requestRun(n: string, value: string, options: { params?: Record<string, string> }): Promise<void> {
  const annotations = {
    'conveyor.dev/run-requested': value,
    'conveyor.dev/run-options': JSON.stringify({ request: value, ...options }),
  };
  await mergePatchPipeline(c, n, NAME, { metadata: { annotations } });
  await waitForPipeline(c, n, NAME, `run request ${value} handled`, (p) => p.status?.lastRunRequest === value, 60_000);
}
