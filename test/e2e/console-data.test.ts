// The Console shows what a run processed and how (issue 11): in a real browser (system Chromium)
// against the real cluster. A pipeline with params and a cached stage runs twice, the real
// operator serving the stage from the cache the second time: the page shows the run's logical
// time, its params and the Cached badge naming the source run, and never draws the cached stage
// like one that ran. A backfill's progress line is read from status written through the status
// subresource in a namespace no operator watches (a real backfill is backfill.test.ts's subject).
// The "Run with parameters" form starts a third run with other params and no cache.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { Pipeline, PipelineStatus, RunStatus } from '../../src/api/types.ts';
import { CACHED_COLOUR, phaseColour } from '../../src/console/ui/model/phases.ts';
import { utcTime } from '../../src/console/ui/shared/time.ts';
import { pageErrors, screenshot, showPipeline, useBrowser } from './support/browser.ts';
import { startConsole, type ConsoleProcess } from './support/console.ts';
import { clients, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import { createPipeline, installCrd, pipeline, stage, waitForPipeline } from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'console-data', ['cd-cache'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const conveyor = (args: string[]) =>
  promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, ...args, '--kubeconfig', inject('kubeconfig')]);
useBrowser();
/** A namespace the operator does not watch: status written there stays as written. */
let still: { name: string; cleanup: () => Promise<void> };
let console_: ConsoleProcess;
/** Two runs one after the other on a shared, busy cluster. */
const RUN_TIMEOUT_MS = 240_000;

beforeAll(async () => {
  await suite.setUp();
  still = await testNamespace(c, 'cd-still');
  console_ = await startConsole({ args: ['-n', `${suite.ns('cd-cache')},${still.name}`] });
});
afterAll(async () => {
  await console_?.stop();
  await still?.cleanup();
  await suite.tearDown();
});

const fillOf = (page: Page, stageName: string) =>
  page.getAttribute(`svg.dag g.dag-node[data-stage="${stageName}"] rect`, 'fill');

async function patchStatus(namespace: string, name: string, status: PipelineStatus): Promise<void> {
  await c.custom.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

describe('Console: run values, cached stages, backfill progress', () => {
  it(
    "shows a run's logical time and params, and a stage served from the cache as Cached with its source run",
    async () => {
      const n = suite.ns('cd-cache');
      await createPipeline(
        c,
        n,
        pipeline('daily', {
          params: [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }],
          stages: [
            stage('extract', {
              args: ['$(params.table)'],
              cache: { key: '$(params.table)-$(run.logicalDate)', maxAge: '1h' },
            }),
            stage('load', { dependsOn: ['extract'] }),
          ],
        }),
      );
      const first = await waitForPipeline(
        c,
        n,
        'daily',
        'g1 Succeeded with its extract result cached',
        (p) => p.status?.lastRun?.phase === 'Succeeded' && (p.status.cache?.length ?? 0) > 0,
        RUN_TIMEOUT_MS,
      );
      expect(first.status!.lastRun!.id).toBe('g1');
      await conveyor(['run', 'daily', '-n', n, '--param', 'table=orders']);
      const done = await waitForPipeline(
        c,
        n,
        'daily',
        'the manual run Succeeded',
        (p) => p.status?.lastRun?.trigger === 'manual' && p.status.lastRun.phase === 'Succeeded',
        RUN_TIMEOUT_MS,
      );
      const second = done.status!.lastRun as RunStatus;
      // The operator's record, which the page must tell: extract did not run, g1's result was used.
      expect(second.stages?.find((s) => s.name === 'extract')).toMatchObject({ reason: 'Cached', cachedFrom: 'g1' });
      expect(second.logicalTime).toBeTruthy();

      const page = await showPipeline(console_.url, n, 'daily');
      await waitFor(
        'the page on the manual run',
        30_000,
        async () => (await page.getAttribute('section.pipeline-view', 'data-run')) === second.id,
      );
      // The run line: logical time next to the id (interval in its title), the params as chips.
      const facts = page.locator(`.run-facts[data-run="${second.id}"]`);
      expect(await facts.locator('[data-role="logical-time"]').getAttribute('datetime')).toBe(second.logicalTime);
      expect(await facts.locator('[data-role="logical-time"]').textContent()).toBe(`@ ${utcTime(second.logicalTime)}`);
      expect(await facts.locator('[data-role="param"]').allTextContents()).toEqual(['table=orders']);
      expect(await facts.locator('[data-role="no-cache"]').count()).toBe(0);
      expect(await page.textContent('.run-selector select')).toContain(`${second.id} @ ${utcTime(second.logicalTime)}`);

      // The DAG: extract Succeeded but Cached from g1, drawn pale (not the green of load, which ran).
      await page.waitForSelector('svg.dag g.dag-node[data-stage="extract"][data-cached="g1"]', { timeout: 30_000 });
      expect(await page.getAttribute('svg.dag g.dag-node[data-stage="extract"]', 'data-phase')).toBe('Succeeded');
      expect(await page.textContent('svg.dag g.dag-node[data-stage="extract"]')).toContain('cached · run g1');
      expect(await fillOf(page, 'extract')).toBe(CACHED_COLOUR);
      expect(await page.getAttribute('svg.dag g.dag-node[data-stage="load"]', 'data-cached')).toBeNull();
      expect(await fillOf(page, 'load')).toBe(phaseColour('Succeeded'));
      // The grid: the cached cell in this run's row only; g1's extract ran.
      expect(
        await page.getAttribute(`.run-grid td[data-run="${second.id}"][data-stage="extract"]`, 'data-cached'),
      ).toBe('g1');
      expect(await page.getAttribute('.run-grid td[data-run="g1"][data-stage="extract"]', 'data-cached')).toBeNull();
      expect(await page.getAttribute('.run-grid td[data-run="g1"][data-stage="extract"]', 'data-phase')).toBe(
        'Succeeded',
      );

      // The panel says so in words and leads to the run that computed the result.
      await page.click('svg.dag g.dag-node[data-stage="extract"]');
      const panel = page.locator('aside.stage-panel[data-stage="extract"]');
      await panel.waitFor({ timeout: 30_000 });
      expect(await panel.getAttribute('data-cached')).toBe('g1');
      expect(await panel.locator('[data-role="phase"]').textContent()).toBe('Succeeded · Cached');
      expect(await panel.locator('[data-role="cached"]').textContent()).toContain('Cached: result of run g1');
      expect(await panel.textContent()).toContain('none in this run: served from the cache');
      await screenshot(page, 'pipeline-cached');

      // Run with parameters: the form writes the options `conveyor run --param … --no-cache` writes;
      // the operator runs extract again (another key, and no cache), and the page follows that run.
      await page.click('.pipeline-actions button[data-action="run-form"]');
      await page.selectOption('form[data-role="run-form"] select[data-param="table"]', 'users');
      await page.check('form[data-role="run-form"] input[data-role="no-cache"]');
      await page.click('form[data-role="run-form"] button[data-action="run-with-options"]');
      await page.waitForSelector('.action-result[data-ok="true"]', { timeout: 30_000 });
      expect(await page.textContent('.action-result')).toContain(
        'a manual run was requested with table=users, no cache',
      );
      const third = (
        await waitForPipeline(
          c,
          n,
          'daily',
          'the run with options Succeeded',
          (p) =>
            p.status?.lastRun?.id !== second.id &&
            p.status?.lastRun?.trigger === 'manual' &&
            p.status.lastRun.phase === 'Succeeded',
          RUN_TIMEOUT_MS,
        )
      ).status!.lastRun as RunStatus;
      expect(third).toMatchObject({ params: { table: 'users' }, noCache: true });
      expect(third.stages?.find((s) => s.name === 'extract')?.reason).not.toBe('Cached');
      await waitFor(
        'the page on the run with options',
        30_000,
        async () => (await page.getAttribute('section.pipeline-view', 'data-run')) === third.id,
      );
      const thirdFacts = page.locator(`.run-facts[data-run="${third.id}"]`);
      await waitFor(
        'the params chip of the run with options',
        30_000,
        async () => (await thirdFacts.locator('[data-role="param"]').allTextContents()).join() === 'table=users',
      );
      expect(await thirdFacts.locator('[data-role="no-cache"]').textContent()).toBe('no cache');
      await waitFor(
        'extract drawn as run, not cached',
        30_000,
        async () => (await page.getAttribute('svg.dag g.dag-node[data-stage="extract"]', 'data-phase')) === 'Succeeded',
      );
      expect(await page.getAttribute('svg.dag g.dag-node[data-stage="extract"]', 'data-cached')).toBeNull();

      // Back to the cached run through its grid row, then to the run that computed the result.
      await page.click(`.run-grid td[data-run="${second.id}"][data-stage="extract"]`);
      await panel.locator('[data-role="cached-source"]').click();
      await waitFor(
        'the page on g1',
        30_000,
        async () => (await page.getAttribute('section.pipeline-view', 'data-run')) === 'g1',
      );
      expect(await page.getAttribute('aside.stage-panel[data-stage="extract"]', 'data-cached')).toBeNull();
      expect(await fillOf(page, 'extract')).toBe(phaseColour('Succeeded'));
      expect(pageErrors(page)).toEqual([]);
      await page.close();
    },
    3 * RUN_TIMEOUT_MS + 120_000,
  );

  it("shows a backfill's progress while it runs and its final phase, and a run's no-cache and backfill", async () => {
    const n = still.name;
    await createPipeline(
      c,
      n,
      pipeline('nightly', { schedule: '0 3 * * *', suspend: true, stages: [stage('load')] }) as Pipeline,
    );
    const backfill = {
      request: 'bf-e2e',
      from: '2026-11-02T00:00:00Z',
      to: '2026-11-09T00:00:00Z',
      maxActive: 2,
      total: 7,
    };
    const run: RunStatus = {
      id: 'b1x',
      trigger: 'backfill',
      phase: 'Running',
      logicalTime: '2026-11-05T03:00:00Z',
      intervalStart: '2026-11-04T03:00:00Z',
      intervalEnd: '2026-11-05T03:00:00Z',
      params: { table: 'users' },
      noCache: true,
      backfill: 'bf-e2e',
      stages: [{ name: 'load', phase: 'Running' }],
    };
    await patchStatus(n, 'nightly', {
      lastRun: run,
      backfill: {
        ...backfill,
        phase: 'Running',
        next: 5,
        done: 3,
        running: ['b1x', 'b2x'],
        progress: '3/7 ticks done, 2 running',
      },
    });
    const page = await showPipeline(console_.url, n, 'nightly');
    const line = page.locator('.pipeline-header [data-role="backfill"]');
    await waitFor(
      'the backfill line',
      30_000,
      async () => (await line.getAttribute('data-phase', { timeout: 1000 }).catch(() => null)) === 'Running',
    );
    expect(await line.textContent()).toBe(
      'Backfill bf-e2e Running, 3/7 ticks done, 2 running; 2026-11-02 00:00Z → 2026-11-09 00:00Z (end excluded), at most 2 at once',
    );
    const facts = page.locator('.run-facts[data-run="b1x"]');
    expect(await facts.locator('[data-role="interval"]').textContent()).toBe(
      'interval 2026-11-04 03:00Z → 2026-11-05 03:00Z',
    );
    expect(await facts.locator('[data-role="logical-time"]').getAttribute('title')).toContain(
      'data interval 2026-11-04 03:00Z → 2026-11-05 03:00Z',
    );
    expect(await facts.locator('[data-role="param"]').allTextContents()).toEqual(['table=users']);
    expect(await facts.locator('[data-role="no-cache"]').textContent()).toBe('no cache');
    expect(await facts.locator('[data-role="backfill-of"]').textContent()).toBe('backfill bf-e2e');

    await patchStatus(n, 'nightly', {
      lastRun: { ...run, phase: 'Succeeded', stages: [{ name: 'load', phase: 'Succeeded' }] },
      backfill: {
        ...backfill,
        phase: 'Failed',
        next: 7,
        done: 7,
        failed: 1,
        running: [],
        progress: '7/7 ticks done',
        message: '1 of 7 ticks failed',
      },
    });
    await waitFor('the final phase', 30_000, async () => (await line.getAttribute('data-phase')) === 'Failed');
    expect(await line.textContent()).toBe(
      'Backfill bf-e2e Failed, 7/7 ticks done (1 failed); 2026-11-02 00:00Z → 2026-11-09 00:00Z (end excluded), at most 2 at once — 1 of 7 ticks failed',
    );
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });
});
