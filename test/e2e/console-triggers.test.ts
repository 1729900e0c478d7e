// The Console shows what starts a pipeline and what its stages read and write (issue 19): in a
// real browser (system Chromium) against the real cluster. Deliveries go through the operator:
// the test writes the run request a webhook receiver writes after checking a delivery
// (conveyor.dev/run-requested `webhook:<delivery id>` and its run-options), and the operator's
// planner starts the run with trigger webhook, or refuses the parameters, and records each
// delivery in status.webhook.deliveries. The page shows the Triggers block, the deliveries with
// their runs as links, and the stage panel's Reads and Writes.
//
// status.webhook.path (and status.notify.message) come from what the operator's shell gathers
// from the receiver (src/webhook) and the notifier (src/notify); neither is wired into the
// operator on this branch (i19-webhook-recv is not merged yet), so the receiving path, the copy
// button and a refused sink are read from status written through the status subresource, in a
// namespace no operator watches (status written there stays as written).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../src/api/labels.ts';
import type { Pipeline, PipelineSpec, PipelineStatus } from '../../src/api/types.ts';
import { NOT_REPORTED } from '../../src/console/ui/pipeline/triggers-model.ts';
import { URL_HINT } from '../../src/console/ui/pipeline/triggers.ts';
import { utcTime } from '../../src/console/ui/shared/time.ts';
import { pageErrors, screenshot, showPipeline, useBrowser } from './support/browser.ts';
import { startConsole, type ConsoleProcess } from './support/console.ts';
import { clients, testNamespace, waitFor, type Clients } from './support/kube.ts';
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
const suite = operatorSuite(c, 'console-triggers', ['ct-hook'], () => installCrd(c));
useBrowser();
/** A namespace the operator does not watch: status written there stays as written. */
let still: { name: string; cleanup: () => Promise<void> };
let console_: ConsoleProcess;
const RUN_TIMEOUT_MS = 180_000;

beforeAll(async () => {
  await suite.setUp();
  still = await testNamespace(c, 'ct-still');
  console_ = await startConsole({ args: ['-n', `${suite.ns('ct-hook')},${still.name}`] });
});
afterAll(async () => {
  await console_?.stop();
  await still?.cleanup();
  await suite.tearDown();
});

/** What the webhook receiver writes for a delivery it accepted: the run request and its options. */
async function deliver(namespace: string, name: string, id: string, params: Record<string, string>): Promise<void> {
  const request = `webhook:${id}`;
  await mergePatchPipeline(c, namespace, name, {
    metadata: { annotations: { [ANN_RUN_REQUESTED]: request, [ANN_RUN_OPTIONS]: JSON.stringify({ request, params }) } },
  });
}

/** A stage panel's Reads or Writes list as "namespace name" per dataset. */
const listed = (panel: Locator, role: 'reads' | 'writes') =>
  panel
    .locator(`[data-role="${role}"] li`)
    .evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-namespace')} ${li.getAttribute('data-name')}`));

const deliveryOf = (p: Pipeline, id: string) => p.status?.webhook?.deliveries?.find((d) => d.id === id);

const SPEC: PipelineSpec = {
  params: [{ name: 'commit' }],
  triggers: {
    webhook: {
      type: 'github',
      secretRef: { name: 'gh-hook' },
      events: ['push'],
      params: [{ name: 'commit', from: '/head_commit/id' }],
    },
  },
  stages: [
    stage('extract', {
      inputs: [{ namespace: 's3://raw', name: 'orders/$(params.commit)' }],
      outputs: [{ namespace: 's3://staging', name: 'orders' }],
    }),
    stage('load', { dependsOn: ['extract'], outputs: [{ namespace: 'postgres://wh:5432', name: 'public.orders' }] }),
    stage('report', { dependsOn: ['load'] }),
  ],
};

describe('Console: triggers and datasets', () => {
  it(
    'shows the webhook, its deliveries with their runs, runs with trigger webhook, and what each stage reads and writes',
    async () => {
      const n = suite.ns('ct-hook');
      await createPipeline(c, n, pipeline('on-push', SPEC));
      await deliver(n, 'on-push', 'd1', { commit: 'a1b2c3' });
      const first = await waitForPipeline(
        c,
        n,
        'on-push',
        'the run of delivery d1 Succeeded',
        (p) => deliveryOf(p, 'd1')?.outcome === 'Started' && p.status?.lastRun?.phase === 'Succeeded',
        RUN_TIMEOUT_MS,
      );
      const run1 = deliveryOf(first, 'd1')!.run!;
      expect(first.status!.lastRun).toMatchObject({ id: run1, trigger: 'webhook', params: { commit: 'a1b2c3' } });
      // Parameters the Pipeline does not declare: refused, recorded with why, nothing started.
      await deliver(n, 'on-push', 'd2', { nope: 'x' });
      const refused = await waitForPipeline(c, n, 'on-push', 'delivery d2 refused', (p) =>
        Boolean(deliveryOf(p, 'd2')),
      );
      expect(deliveryOf(refused, 'd2')).toMatchObject({ outcome: 'Refused' });
      expect(refused.status!.lastRun!.id).toBe(run1);
      await deliver(n, 'on-push', 'd3', { commit: 'd4e5f6' });
      const done = await waitForPipeline(
        c,
        n,
        'on-push',
        'the run of delivery d3 Succeeded',
        (p) => deliveryOf(p, 'd3')?.outcome === 'Started' && p.status?.lastRun?.phase === 'Succeeded',
        RUN_TIMEOUT_MS,
      );
      const run3 = deliveryOf(done, 'd3')!.run!;
      expect(run3).not.toBe(run1);
      const deliveries = done.status!.webhook!.deliveries!;
      expect(deliveries.map((d) => d.id)).toEqual(['d3', 'd2', 'd1']);

      const page = await showPipeline(console_.url, n, 'on-push');
      const block = page.locator('[data-role="triggers"]');
      await waitFor(
        'the page on the latest webhook run',
        30_000,
        async () => (await page.getAttribute('section.pipeline-view', 'data-run')) === run3,
      );
      // The Triggers block: no schedule, the webhook in words, why it shows no path.
      expect(await block.locator('[data-trigger="schedule"]').textContent()).toContain('No schedule');
      expect(await block.locator('[data-role="webhook-words"]').textContent()).toBe(
        'github · Secret gh-hook (key token) · events push · params commit ← /head_commit/id',
      );
      expect(await block.locator('[data-role="webhook-message"]').textContent()).toBe(`Not receiving: ${NOT_REPORTED}`);
      // The deliveries, newest first: time (UTC), outcome, run (a link), message.
      await waitFor(
        'three deliveries listed',
        30_000,
        async () => (await block.locator('[data-role="deliveries"] tbody tr').count()) === 3,
      );
      const rows = block.locator('[data-role="deliveries"] tbody tr');
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery')))).toEqual(
        deliveries.map((d) => d.id),
      );
      for (const d of deliveries) {
        const row = block.locator(`tr[data-delivery="${d.id}"]`);
        expect(await row.getAttribute('data-outcome')).toBe(d.outcome);
        expect(await row.locator('time').textContent()).toBe(utcTime(d.time));
        expect(await row.locator('td').nth(3).textContent()).toBe(d.message ?? '');
      }
      expect(deliveryOf(done, 'd2')!.message).toContain('nope');
      expect(await block.locator('tr[data-delivery="d2"] [data-role="delivery-run"]').count()).toBe(0);
      // Runs started by a webhook say so, as runs started otherwise do.
      expect(await page.textContent('.run-selector select')).toContain(`${run1}`);
      expect(await page.textContent(`.run-facts[data-run="${run3}"]`)).toContain('webhook · Succeeded');
      // A delivery's run is a link: it selects that run.
      await block.locator('tr[data-delivery="d1"] [data-role="delivery-run"]').click();
      await waitFor(
        "the page on d1's run",
        30_000,
        async () => (await page.getAttribute('section.pipeline-view', 'data-run')) === run1,
      );
      // The stage panel: what extract reads and writes, as the spec declares it.
      await page.click('svg.dag g.dag-node[data-stage="extract"]');
      const panel = page.locator('aside.stage-panel[data-stage="extract"]');
      await panel.waitFor({ timeout: 30_000 });
      expect(await listed(panel, 'reads')).toEqual(['s3://raw orders/$(params.commit)']);
      expect(await listed(panel, 'writes')).toEqual(['s3://staging orders']);
      expect(await panel.locator('[data-role="reads"] li').textContent()).toContain('s3://raw orders/$(params.commit)');
      await screenshot(page, 'pipeline-triggers');
      // A stage that writes only: Reads says none; a stage that declares nothing has no lists.
      await page.click('svg.dag g.dag-node[data-stage="load"]');
      const load = page.locator('aside.stage-panel[data-stage="load"]');
      await load.waitFor({ timeout: 30_000 });
      expect(await load.locator('[data-role="reads"]').textContent()).toBe('None declared.');
      expect(await listed(load, 'writes')).toEqual(['postgres://wh:5432 public.orders']);
      await page.click('svg.dag g.dag-node[data-stage="report"]');
      const report = page.locator('aside.stage-panel[data-stage="report"]');
      await report.waitFor({ timeout: 30_000 });
      expect(await report.locator('[data-role="reads"], [data-role="writes"]').count()).toBe(0);
      expect(pageErrors(page)).toEqual([]);
    },
    RUN_TIMEOUT_MS * 2 + 120_000,
  );

  it('shows the receiving path with a copy button and the URL hint, chains, and a refused CloudEvents sink', async () => {
    const n = still.name;
    await createPipeline(
      c,
      n,
      pipeline('hooked', {
        ...SPEC,
        schedule: '0 2 * * *',
        triggers: { ...SPEC.triggers, after: [{ pipeline: 'ingest' }, { pipeline: 'audit', phase: 'Failed' }] },
        notify: { cloudevents: { url: 'https://events.example.com/conveyor', mode: 'binary' } },
      }),
    );
    const path = `/hook/${'0123456789abcdef'.repeat(4)}`;
    const status: PipelineStatus = {
      webhook: { path, deliveries: [{ id: 'x1', time: '2026-12-06T22:00:05Z', outcome: 'Started', run: 'wgone' }] },
      notify: { message: 'https://events.example.com/conveyor is not under an allowed sink prefix' },
      lastTriggers: [{ pipeline: 'ingest', run: 'g4' }],
    };
    await c.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace: n, plural: PLURAL, name: 'hooked', body: { status } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const page = await showPipeline(console_.url, n, 'hooked');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const block = page.locator('[data-role="triggers"]');
    await block.locator('[data-role="webhook-path"]').waitFor({ timeout: 30_000 });
    expect(await block.locator('[data-role="webhook-path"]').textContent()).toBe(path);
    expect(await block.locator('.hint').textContent()).toBe(URL_HINT);
    expect(await block.locator('[data-role="webhook-message"]').count()).toBe(0);
    // Copy puts the path alone on the clipboard.
    await block.locator('[data-role="copy-path"]').click();
    await block.locator('[data-role="copy-outcome"][data-outcome="copied"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(path);
    // A delivery whose run the page no longer knows: its id, not a link.
    expect(await block.locator('tr[data-delivery="x1"] [data-role="delivery-run"]').evaluate((e) => e.tagName)).toBe(
      'SPAN',
    );
    // The schedule and the chains, each upstream a link to its pipeline.
    expect(await block.locator('[data-trigger="schedule"]').textContent()).toContain('Schedule 0 2 * * *');
    const chains = block.locator('[data-trigger="after"] li');
    expect((await chains.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
      'when ingest succeeds · last handled run g4',
      'when audit fails',
    ]);
    expect(await chains.first().locator('a').getAttribute('href')).toBe(`#/p/${n}/ingest`);
    // The sink and why the operator sends it nothing.
    expect(await block.locator('[data-trigger="cloudevents"] code').textContent()).toBe(
      'https://events.example.com/conveyor',
    );
    expect(await block.locator('[data-role="sink-refused"]').textContent()).toBe(`Refused: ${status.notify!.message}`);
    await screenshot(page, 'pipeline-webhook-path');
    expect(pageErrors(page)).toEqual([]);
  });
});
