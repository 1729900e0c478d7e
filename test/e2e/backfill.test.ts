// Backfill end to end (issue 11 item 3): `conveyor backfill` against the real operator and API
// server. Five daily ticks with --max-active 2 run each tick exactly once (one Job per stage per
// tick, never created twice), never more than two at a time, and complete although the operator
// is SIGKILLed in the middle; a backfill cancelled mid-way stops its run in flight and starts no
// more ticks; a bad request is refused before it is written (CLI) and by the operator (Event);
// ticks and a manual run start next to a backfill at its most parallel (issue 17 case 6).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type * as k8s from '@kubernetes/client-node';
import type { Pipeline } from '../../src/api/types.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backfillRunId } from '../../src/plan/names.ts';
import { succeededEntry } from '../../src/plan/backfill/succeeded.ts';
import { recordJobs } from './support/job-watch.ts';
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
const suite = operatorSuite(c, 'backfill', ['five', 'cancel', 'refused', 'reserve'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const conveyor = (args: string[]) =>
  promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, ...args, '--kubeconfig', inject('kubeconfig')]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const FROM = '2025-01-01T00:00:00Z';
const TO = '2025-01-06T00:00:00Z';
const DAY = 86_400_000;
const ticks = Array.from({ length: 5 }, (_, i) => new Date(Date.parse(FROM) + i * DAY));

const runOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/run'] ?? '?';
const stageOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
const time = (value: unknown): number => new Date(String(value)).getTime();

/**
 * The most backfill runs in flight at once, from their Jobs: a run is in flight from its first
 * Job's creation to its last Job's completion (half-open, so one that ends in the second the
 * next begins does not overlap it).
 */
function maxInFlight(jobs: k8s.V1Job[]): number {
  const byRun = new Map<string, k8s.V1Job[]>();
  for (const j of jobs) byRun.set(runOf(j), [...(byRun.get(runOf(j)) ?? []), j]);
  const edges: [number, number][] = [];
  for (const runJobs of byRun.values()) {
    edges.push([Math.min(...runJobs.map((j) => time(j.metadata?.creationTimestamp))), +1]);
    edges.push([Math.max(...runJobs.map((j) => time(j.status?.completionTime))), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of edges) most = Math.max(most, (now += delta));
  return most;
}

describe.concurrent('backfill', () => {
  it('5 ticks, --max-active 2: each tick once, never more than 2 at a time, done after an operator SIGKILL', async () => {
    const n = suite.ns('five');
    const recorder = await recordJobs(c, n);
    try {
      await createPipeline(
        c,
        n,
        pipeline('daily', {
          schedule: '@daily',
          runHistoryLimit: 10,
          params: [{ name: 'table', default: 'orders' }],
          stages: [
            stage('extract', { podTemplate: runsFor(4) }),
            stage('load', { dependsOn: ['extract'], podTemplate: runsFor(2) }),
          ],
        }),
      );
      await waitForPipeline(c, n, 'daily', 'Scheduled', (p) => p.status?.phase === 'Scheduled');
      const { stdout } = await conveyor([
        'backfill',
        'daily',
        '-n',
        n,
        '--from',
        FROM,
        '--to',
        TO,
        '--max-active',
        '2',
        '--param',
        'table=refunds',
      ]);
      expect(stdout).toMatch(
        /backfill bf-\w+ requested: 5 ticks in \[2025-01-01T00:00:00Z, 2025-01-06T00:00:00Z\), at most 2 at once/,
      );

      // Kill the operator once some ticks are done and others are in flight.
      await waitForPipeline(
        c,
        n,
        'daily',
        'a tick done, more to go',
        (p) => (p.status?.backfill?.done ?? 0) >= 1 && (p.status?.backfill?.next ?? 0) < 5,
        120_000,
      );
      await suite.restart('backfill-after-kill');

      const done = await waitForPipeline(
        c,
        n,
        'daily',
        'backfill Succeeded',
        (p) => p.status?.backfill?.phase === 'Succeeded',
        180_000,
      );
      const request = done.status?.backfill?.request ?? '';
      expect(done.status?.backfill).toMatchObject({
        total: 5,
        next: 5,
        done: 5,
        maxActive: 2,
        progress: '5/5 ticks done, 0 running',
        params: { table: 'refunds' },
      });
      // Each tick, with the backfill's parameter values (a hash of them).
      expect(done.status?.succeededTimes).toEqual(
        [...ticks].reverse().map((t) => succeededEntry(t.toISOString(), { table: 'refunds' })),
      );

      const jobs = await stageJobs(c, n, 'daily');
      expect(done.status?.backfill?.requestedAt).toBeDefined();
      const ids = ticks.map((t) => backfillRunId(request, t, done.status?.backfill?.requestedAt));
      // Exactly one Job per stage per tick, and none created twice under its name (the watch saw every uid).
      expect(jobs.map((j) => `${runOf(j)}/${stageOf(j)}`).sort()).toEqual(
        ids.flatMap((id) => [`${id}/extract`, `${id}/load`]).sort(),
      );
      for (const j of jobs)
        expect(recorder.jobs.get(j.metadata?.name ?? '')?.uids, `uids of ${j.metadata?.name}`).toHaveLength(1);
      expect(recorder.jobs.size).toBe(10);
      // Each run's values: its tick and the params of the backfill, on its Jobs.
      for (const [i, id] of ids.entries()) {
        const extract = jobs.find((j) => runOf(j) === id && stageOf(j) === 'extract');
        expect(extract?.metadata?.annotations).toMatchObject({
          'conveyor.dev/trigger': 'backfill',
          'conveyor.dev/logical-time': ticks[i]?.toISOString().replace('.000Z', 'Z'),
        });
      }
      expect(maxInFlight(jobs)).toBeLessThanOrEqual(2);
      expect(maxInFlight(jobs)).toBe(2);
      await waitFor('a BackfillCompleted Event', 30_000, async () =>
        (await c.core.listNamespacedEvent({ namespace: n })).items.some((e) => e.reason === 'BackfillCompleted'),
      );
    } finally {
      recorder.stop();
    }
  }, 360_000);

  it('cancel mid-way: the run in flight is cancelled, its Jobs deleted, no further tick starts', async () => {
    const n = suite.ns('cancel');
    await createPipeline(
      c,
      n,
      pipeline('slow', { schedule: '@daily', stages: [stage('work', { podTemplate: runsFor(600) })] }),
    );
    await waitForPipeline(c, n, 'slow', 'Scheduled', (p) => p.status?.phase === 'Scheduled');
    await conveyor(['backfill', 'slow', '-n', n, '--from', FROM, '--to', TO]);
    const running = await waitForPipeline(
      c,
      n,
      'slow',
      'first tick running',
      (p) => (p.status?.backfill?.running?.length ?? 0) === 1,
    );
    const first = running.status?.backfill?.running?.[0] ?? '';
    await waitFor('its Job', 60_000, async () => (await stageJobs(c, n, 'slow')).some((j) => runOf(j) === first));

    const { stdout } = await conveyor(['backfill', 'slow', '-n', n, '--cancel']);
    expect(stdout).toContain('cancel of backfill');
    const cancelled = await waitForPipeline(
      c,
      n,
      'slow',
      'backfill Cancelled',
      (p) => p.status?.backfill?.phase === 'Cancelled',
    );
    expect(cancelled.status?.backfill).toMatchObject({ next: 1, done: 0, total: 5 });
    expect(cancelled.status?.runs?.find((r) => r.id === first)?.phase).toBe('Cancelled');
    await waitFor('the cancelled run’s Job deleted', 60_000, async () => (await stageJobs(c, n, 'slow')).length === 0);
    await waitFor('a BackfillCancelled Event', 30_000, async () =>
      (await c.core.listNamespacedEvent({ namespace: n })).items.some((e) => e.reason === 'BackfillCancelled'),
    );
    // Cancelling again is refused: nothing is running.
    await expect(conveyor(['backfill', 'slow', '-n', n, '--cancel'])).rejects.toMatchObject({
      stderr: expect.stringContaining('has no backfill running (backfill'),
    });
  }, 180_000);

  it('a bad request is refused by the CLI before it is written, and by the operator with a Warning Event', async () => {
    const n = suite.ns('refused');
    await createPipeline(
      c,
      n,
      pipeline('plain', {
        schedule: '@daily',
        params: [{ name: 'mode', default: 'full', enum: ['full', 'delta'] }],
        stages: [stage('a')],
      }),
    );
    await waitForPipeline(c, n, 'plain', 'Scheduled', (p) => p.status?.phase === 'Scheduled');
    await expect(conveyor(['backfill', 'plain', '-n', n, '--from', TO, '--to', FROM])).rejects.toMatchObject({
      stderr: expect.stringContaining('backfill refused: --to: must be after from'),
    });
    await expect(
      conveyor(['backfill', 'plain', '-n', n, '--from', FROM, '--to', TO, '--param', 'mode=partial']),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('value "partial" of parameter "mode" is not allowed'),
    });
    const raw = JSON.stringify({ id: 'hand', from: FROM, to: '2030-01-01T00:00:00Z' });
    await mergePatchPipeline(c, n, 'plain', { metadata: { annotations: { 'conveyor.dev/backfill-requested': raw } } });
    const handled = await waitForPipeline(
      c,
      n,
      'plain',
      'request handled',
      (p) => p.status?.lastBackfillRequest === raw,
    );
    expect(handled.status?.backfill).toBeUndefined();
    const refused = await waitFor('a BackfillRefused Event', 30_000, async () =>
      (await c.core.listNamespacedEvent({ namespace: n })).items.find((e) => e.reason === 'BackfillRefused'),
    );
    expect(refused).toMatchObject({
      type: 'Warning',
      message: expect.stringContaining('from: the range holds more than 1000 ticks'),
    });
  }, 120_000);

  it('issue 17 case 6: next to a backfill of 15 at once, three ticks and a manual run all start; maxActive 20 is refused', async () => {
    const n = suite.ns('reserve');
    // Every run lasts 10 minutes: nothing ends during the test, so every slot taken stays taken.
    await createPipeline(
      c,
      n,
      pipeline('busy', {
        schedule: '*/1 * * * *',
        concurrencyPolicy: 'Allow',
        runHistoryLimit: 5,
        stages: [stage('work', { podTemplate: runsFor(600) })],
      }),
    );
    await waitForPipeline(c, n, 'busy', 'Scheduled', (p) => p.status?.phase === 'Scheduled');
    const minute = 60_000;
    const start = Math.floor(Date.now() / minute) * minute;
    const range = [
      '--from',
      new Date(start - 60 * minute).toISOString(),
      '--to',
      new Date(start - 30 * minute).toISOString(),
    ];
    await expect(conveyor(['backfill', 'busy', '-n', n, ...range, '--max-active', '20'])).rejects.toMatchObject({
      stderr: expect.stringContaining('--max-active: must be a whole number from 1 to 15, got 20'),
    });
    await conveyor(['backfill', 'busy', '-n', n, ...range, '--max-active', '15']);
    const others = (p: Pipeline) => (p.status?.runs ?? []).filter((r) => r.trigger !== 'backfill');
    // The backfill takes every slot but the reserved ones: 15, less the runs already active when
    // it was accepted (a tick can fall between the Pipeline's creation and the request; every run
    // lasts 10 minutes, so those are still running). Its runs then last past the test.
    const backfillRoom = (p: Pipeline) =>
      15 -
      others(p).filter((r) => r.phase === 'Running' && time(r.startTime) < time(p.status?.backfill?.startTime)).length;
    const full = await waitForPipeline(
      c,
      n,
      'busy',
      'the backfill at its most parallel',
      (p) => (p.status?.backfill?.running?.length ?? 0) === backfillRoom(p),
      120_000,
    );
    const inFlight = backfillRoom(full);
    expect(inFlight).toBeGreaterThanOrEqual(13);
    await conveyor(['run', 'busy', '-n', n]);
    const done = await waitForPipeline(
      c,
      n,
      'busy',
      'three ticks and the manual run',
      (p) =>
        others(p).filter((r) => r.trigger === 'schedule').length >= 3 && others(p).some((r) => r.trigger === 'manual'),
      300_000,
    );
    const skipped = (done.status?.runs ?? []).filter((r) => r.phase === 'Skipped');
    expect(skipped, JSON.stringify(skipped)).toEqual([]);
    expect(
      others(done).every((r) => r.phase === 'Running'),
      JSON.stringify(others(done)),
    ).toBe(true);
    expect(done.status?.backfill).toMatchObject({ phase: 'Running', maxActive: 15 });
    expect(done.status?.backfill?.running).toHaveLength(inFlight);
  }, 480_000);
});
