// The Console shows what starts a pipeline and what its stages read and write (issue 19): in a
// real browser (system Chromium) against the real cluster and the real operator. The operator runs
// with its webhook receiver (--webhook-address 127.0.0.1:0) and an allow-list of CloudEvents sinks
// that does not cover the Pipelines' own sink; the test creates the token Secrets and sends signed
// GitHub pushes to the receiver. So everything the page shows was written by the operator: the
// receiving path (status.webhook.path, checked against sha256(token + name + namespace)), the
// deliveries with their outcomes and runs (one refused by the planner: the Pipeline was suspended;
// one refused by the receiver with 422 leaves no trace), the runs with trigger webhook, the
// refusal of the sink (status.notify.message), and a chain trigger's last handled run
// (status.lastTriggers). Nothing is written by hand.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import type { Pipeline, PipelineSpec } from '../../src/api/types.ts';
import { URL_HINT } from '../../src/console/ui/pipeline/triggers.ts';
import { utcTime } from '../../src/console/ui/shared/time.ts';
import { pageErrors, screenshot, showPipeline, useBrowser } from './support/browser.ts';
import { startConsole, type ConsoleProcess } from './support/console.ts';
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
import { createHooked, githubPush, receiverBase, type Sent, tokenSecret } from './support/webhook.ts';

const c: Clients = clients();
/** A sink prefix no Pipeline here uses: the Pipelines' own sink is refused, and nothing is ever sent. */
const ALLOWED_SINKS = 'http://127.0.0.1:9/allowed/';
/** Never contacted: the operator refuses it (it is not under ALLOWED_SINKS). */
const OWN_SINK = 'https://events.example.com/conveyor';
const suite = operatorSuite(c, 'console-triggers', ['ct-hook', 'ct-chain'], () => installCrd(c), [
  '--webhook-address',
  '127.0.0.1:0',
  '--cloudevents-allowed-sinks',
  ALLOWED_SINKS,
]);
useBrowser();
let console_: ConsoleProcess;
let base = '';
const RUN_TIMEOUT_MS = 180_000;

beforeAll(async () => {
  await suite.setUp();
  base = await receiverBase(suite.operator());
  console_ = await startConsole({ args: ['-n', `${suite.ns('ct-hook')},${suite.ns('ct-chain')}`] });
});
afterAll(async () => {
  await console_?.stop();
  await suite.tearDown();
});

/** A signed push to main of `commit` (ref: the branch pushed to, a parameter with an enum). */
const push = (path: string, token: string, id: string, commit: string, ref = 'refs/heads/main'): Promise<Sent> =>
  githubPush(base, path, token, id, { ref, head_commit: { id: commit } });

/** A stage panel's Reads or Writes list as "namespace name" per dataset. */
const listed = (panel: Locator, role: 'reads' | 'writes') =>
  panel
    .locator(`[data-role="${role}"] li`)
    .evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-namespace')} ${li.getAttribute('data-name')}`));

const deliveryOf = (p: Pipeline, id: string) => p.status?.webhook?.deliveries?.find((d) => d.id === id);

const SPEC: PipelineSpec = {
  params: [
    { name: 'commit' },
    { name: 'ref', default: 'refs/heads/main', enum: ['refs/heads/main', 'refs/heads/release'] },
  ],
  triggers: {
    webhook: {
      type: 'github',
      secretRef: { name: 'gh-hook' },
      events: ['push'],
      params: [
        { name: 'commit', from: '/head_commit/id' },
        { name: 'ref', from: '/ref' },
      ],
    },
  },
  notify: { cloudevents: { url: OWN_SINK, mode: 'binary' } },
  stages: [
    stage('extract', {
      inputs: [{ namespace: 's3://raw', name: 'orders/$(params.commit)' }],
      outputs: [{ namespace: 's3://staging', name: 'orders' }],
    }),
    stage('load', { dependsOn: ['extract'], outputs: [{ namespace: 'postgres://wh:5432', name: 'public.orders' }] }),
    stage('report', { dependsOn: ['load'] }),
  ],
};

/** The run of delivery `id` has started and is the latest run, Succeeded. */
const succeeded = (id: string) => (p: Pipeline) => {
  const run = deliveryOf(p, id)?.run;
  return (
    deliveryOf(p, id)?.outcome === 'Started' &&
    p.status?.lastRun?.id === run &&
    p.status?.lastRun?.phase === 'Succeeded'
  );
};

/** Suspends or resumes the Pipeline and waits until the operator has seen that spec. */
async function setSuspend(namespace: string, name: string, suspend: boolean): Promise<void> {
  const patched = await mergePatchPipeline(c, namespace, name, { spec: { suspend } });
  const generation = patched.metadata.generation;
  await waitForPipeline(
    c,
    namespace,
    name,
    `generation ${generation} observed`,
    (p) => p.status?.observedGeneration === generation,
  );
}

describe('Console: triggers and datasets', () => {
  it(
    'shows the path, the deliveries with their outcomes and runs, runs with trigger webhook, the refused sink, and what each stage reads and writes',
    async () => {
      const n = suite.ns('ct-hook');
      const token = `ct-${randomUUID()}`;
      await tokenSecret(c, n, 'gh-hook', token);
      // Waits for status.webhook.path to be the one computed from the token: sha256(token + name + namespace).
      const path = await createHooked(c, n, pipeline('on-push', SPEC), token);

      expect((await push(path, token, 'd1', 'a1b2c3')).status).toBe(202);
      const first = await waitForPipeline(
        c,
        n,
        'on-push',
        'the run of delivery d1 Succeeded',
        succeeded('d1'),
        RUN_TIMEOUT_MS,
      );
      const run1 = deliveryOf(first, 'd1')!.run!;
      expect(first.status!.lastRun).toMatchObject({ id: run1, trigger: 'webhook', params: { commit: 'a1b2c3' } });
      // A push to a branch outside the parameter's enum: the receiver answers 422 and writes nothing
      // (status lists no such delivery: the next one recorded is d2, below).
      expect((await push(path, token, 'd-wip', 'ffffff', 'refs/heads/wip')).status).toBe(422);
      // While the Pipeline is suspended the receiver still takes a delivery; the planner refuses it and says why.
      await setSuspend(n, 'on-push', true);
      expect((await push(path, token, 'd2', 'b2c3d4')).status).toBe(202);
      const refused = await waitForPipeline(c, n, 'on-push', 'delivery d2 refused', (p) =>
        Boolean(deliveryOf(p, 'd2')),
      );
      expect(deliveryOf(refused, 'd2')).toMatchObject({ outcome: 'Refused' });
      expect(deliveryOf(refused, 'd2')!.message).toContain('suspended');
      expect(refused.status!.lastRun!.id).toBe(run1);
      await setSuspend(n, 'on-push', false);
      expect((await push(path, token, 'd3', 'd4e5f6')).status).toBe(202);
      const done = await waitForPipeline(
        c,
        n,
        'on-push',
        'the run of delivery d3 Succeeded',
        succeeded('d3'),
        RUN_TIMEOUT_MS,
      );
      const run3 = deliveryOf(done, 'd3')!.run!;
      expect(run3).not.toBe(run1);
      const deliveries = done.status!.webhook!.deliveries!;
      expect(deliveries.map((d) => [d.id, d.outcome])).toEqual([
        ['d3', 'Started'],
        ['d2', 'Refused'],
        ['d1', 'Started'],
      ]);
      expect(done.status!.webhook!.path).toBe(path);
      // The operator refuses the Pipeline's own sink (not under --cloudevents-allowed-sinks) and says why.
      const notify = await waitForPipeline(c, n, 'on-push', 'the sink refusal in status', (p) =>
        Boolean(p.status?.notify?.message),
      );
      const sinkRefusal = notify.status!.notify!.message!;
      expect(sinkRefusal).toContain("is under none of the operator's allowed sinks");

      const page = await showPipeline(console_.url, n, 'on-push');
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      const block = page.locator('[data-role="triggers"]');
      await waitFor(
        'the page on the latest webhook run',
        30_000,
        async () => (await page.getAttribute('section.pipeline-view', 'data-run')) === run3,
      );
      // The Triggers block: no schedule (it waits for deliveries), the webhook in words, the path the operator reports.
      expect(await block.locator('[data-trigger="schedule"]').textContent()).toContain(
        'No schedule: runs on webhook deliveries, and on request (not on create or change).',
      );
      expect(await block.locator('[data-role="webhook-words"]').textContent()).toBe(
        'github · Secret gh-hook (key token) · events push · params commit ← /head_commit/id, ref ← /ref',
      );
      await block.locator('[data-role="webhook-path"]').waitFor({ timeout: 30_000 });
      expect(await block.locator('[data-role="webhook-path"]').textContent()).toBe(path);
      expect(await block.locator('.hint').textContent()).toBe(URL_HINT);
      expect(await block.locator('[data-role="webhook-message"]').count()).toBe(0);
      // Copy puts the path alone on the clipboard.
      await block.locator('[data-role="copy-path"]').click();
      await block.locator('[data-role="copy-outcome"][data-outcome="copied"]').waitFor({ timeout: 10_000 });
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(path);
      // The deliveries, newest first: time (UTC), outcome, run (a link), message.
      await waitFor(
        'three deliveries listed',
        30_000,
        async () => (await block.locator('[data-role="deliveries"] tbody tr').count()) === 3,
      );
      const rows = block.locator('[data-role="deliveries"] tbody tr');
      expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-delivery')))).toEqual([
        'd3',
        'd2',
        'd1',
      ]);
      for (const d of deliveries) {
        const row = block.locator(`tr[data-delivery="${d.id}"]`);
        expect(await row.getAttribute('data-outcome')).toBe(d.outcome);
        expect(await row.locator('time').textContent()).toBe(utcTime(d.time));
        expect(await row.locator('td').nth(3).textContent()).toBe(d.message ?? '');
      }
      expect(await block.locator('tr[data-delivery="d2"] [data-role="delivery-run"]').count()).toBe(0);
      // The sink and why the operator sends it nothing.
      expect(await block.locator('[data-trigger="cloudevents"] code').textContent()).toBe(OWN_SINK);
      expect(await block.locator('[data-role="sink-refused"]').textContent()).toBe(`Refused: ${sinkRefusal}`);
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
    RUN_TIMEOUT_MS * 2 + 180_000,
  );

  it(
    'shows the schedule, the chains with the last handled upstream run, and a delivery whose run is gone as its id',
    async () => {
      const n = suite.ns('ct-chain');
      const token = `ct-${randomUUID()}`;
      await tokenSecret(c, n, 'gh-hook', token);
      const path = await createHooked(
        c,
        n,
        pipeline('hooked', {
          ...SPEC,
          schedule: '0 2 * * *',
          runHistoryLimit: 1,
          triggers: { ...SPEC.triggers, after: [{ pipeline: 'ingest' }, { pipeline: 'audit', phase: 'Failed' }] },
        }),
        token,
      );
      // x1 first; its run is pushed out of status.runs (the last 10 finished runs) by the 10 runs
      // after it — the chain run and x2..x10 — while status still lists x1 among the last 10
      // deliveries, and its Jobs are pruned (runHistoryLimit 1): the page no longer knows its run.
      expect((await push(path, token, 'x1', 'c0ffee')).status).toBe(202);
      const first = await waitForPipeline(c, n, 'hooked', 'the run of x1 Succeeded', succeeded('x1'), RUN_TIMEOUT_MS);
      const gone = deliveryOf(first, 'x1')!.run!;
      // The upstream's first run succeeds; it fires hooked's chain trigger (status.lastTriggers).
      await createPipeline(c, n, pipeline('ingest', { stages: [stage('pull')] }));
      const ingest = await waitForPipeline(
        c,
        n,
        'ingest',
        'ingest Succeeded',
        (p) => p.status?.lastRun?.phase === 'Succeeded',
      );
      const upstreamRun = ingest.status!.lastRun!.id;
      await waitForPipeline(
        c,
        n,
        'hooked',
        `the chain run for ingest's ${upstreamRun} Succeeded`,
        (p) =>
          p.status?.lastTriggers?.some((t) => t.pipeline === 'ingest' && t.run === upstreamRun) === true &&
          p.status?.lastRun?.trigger === 'chain' &&
          p.status.lastRun.phase === 'Succeeded',
        RUN_TIMEOUT_MS,
      );
      let done = first;
      for (let i = 2; i <= 10; i++) {
        expect((await push(path, token, `x${i}`, `c0ffee${i}`)).status).toBe(202);
        done = await waitForPipeline(c, n, 'hooked', `the run of x${i} Succeeded`, succeeded(`x${i}`), RUN_TIMEOUT_MS);
      }
      const kept = deliveryOf(done, 'x2')!.run!;
      expect(done.status!.webhook!.deliveries!.map((d) => d.id)).toEqual(
        Array.from({ length: 10 }, (_, i) => `x${10 - i}`),
      );
      expect(done.status!.runs!.map((r) => r.id)).not.toContain(gone);
      expect(done.status!.runs!.map((r) => r.id)).toContain(kept);

      const page = await showPipeline(console_.url, n, 'hooked');
      const block = page.locator('[data-role="triggers"]');
      await block.locator('tr[data-delivery="x1"]').waitFor({ timeout: 30_000 });
      expect(await block.locator('[data-role="webhook-path"]').textContent()).toBe(path);
      // A delivery whose run the page no longer knows (history and Jobs pruned): its id, not a link.
      await waitFor(
        `x1's run ${gone} shown as its id once pruned`,
        RUN_TIMEOUT_MS,
        async () =>
          (await block.locator('tr[data-delivery="x1"] [data-role="delivery-run"]').evaluate((e) => e.tagName)) ===
          'SPAN',
      );
      expect(await block.locator('tr[data-delivery="x1"] [data-role="delivery-run"]').textContent()).toBe(gone);
      expect(await block.locator('tr[data-delivery="x2"] [data-role="delivery-run"]').evaluate((e) => e.tagName)).toBe(
        'BUTTON',
      );
      expect(await block.locator('tr[data-delivery="x2"] [data-role="delivery-run"]').textContent()).toBe(kept);
      // The schedule and the chains, each upstream a link to its pipeline, with the run last handled.
      expect(await block.locator('[data-trigger="schedule"]').textContent()).toContain('Schedule 0 2 * * *');
      const chains = block.locator('[data-trigger="after"] li');
      expect((await chains.allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
        `when ingest succeeds · last handled run ${upstreamRun}`,
        'when audit fails',
      ]);
      expect(await chains.first().locator('a').getAttribute('href')).toBe(`#/p/${n}/ingest`);
      // Its own sink is refused too (the screenshot shows path, deliveries, chains and the refusal together).
      const refusal = (
        await waitForPipeline(c, n, 'hooked', 'the sink refusal', (p) => Boolean(p.status?.notify?.message))
      ).status?.notify?.message;
      expect(refusal).toContain("is under none of the operator's allowed sinks");
      expect(await block.locator('[data-role="sink-refused"]').textContent()).toBe(`Refused: ${refusal}`);
      await screenshot(page, 'pipeline-webhook-path');
      expect(pageErrors(page)).toEqual([]);
    },
    RUN_TIMEOUT_MS * 6 + 120_000,
  );
});
