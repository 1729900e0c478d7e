// The Console's pipeline view in a real browser (system Chromium) against the real cluster: the
// operator runs the pipelines, `conveyor dashboard` serves the Console, and the tests read what
// the page draws (SVG rects, data attributes), not pictures.
import { appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { StageSpec } from '../../src/api/types.ts';
import { isKwokNode } from '../../src/console/server/canned-logs.ts';
import { utcTime } from '../../src/console/ui/shared/time.ts';
import { pageErrors, screenshot, showPipeline, useBrowser } from './support/browser.ts';
import { startConsole, type ConsoleProcess } from './support/console.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  failsWith,
  getPipeline,
  installCrd,
  pipeline,
  runsFor,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';
import { kubeconfigFor } from './support/rbac.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'console-pipeline', ['cp-live', 'cp-big', 'cp-rbac'], () => installCrd(c));
useBrowser();
let admin: ConsoleProcess;
const consoles: ConsoleProcess[] = [];

beforeAll(async () => {
  await suite.setUp();
  admin = await startConsole({ args: ['-n', `${suite.ns('cp-live')},${suite.ns('cp-big')}`] });
  consoles.push(admin);
});
afterAll(async () => {
  await Promise.all(consoles.map((x) => x.stop()));
  await suite.tearDown();
});

/** Appends a line to every pod's log (hack/kwok-logs.yaml), in the CRI format KWOK reads. */
function appendPodLog(line: string): void {
  appendFileSync(join(dirname(inject('kubeconfig')), 'pod-logs.log'), `${new Date().toISOString()} stdout F ${line}\n`);
}

type Rect = { stage: string; phase: string; kind: string; x: number; y: number; w: number; h: number };

/** Node rects of the DAG as drawn (layout coordinates: the rects' own attributes). */
async function dagRects(page: Page): Promise<Rect[]> {
  return page.$$eval('svg.dag g.dag-node', (nodes) =>
    nodes.map((g) => {
      const r = g.querySelector('rect')!;
      const n = (a: string) => Number(r.getAttribute(a));
      return {
        stage: g.getAttribute('data-stage')!,
        phase: g.getAttribute('data-phase')!,
        kind: g.getAttribute('data-kind')!,
        x: n('x'),
        y: n('y'),
        w: n('width'),
        h: n('height'),
      };
    }),
  );
}

async function phaseOf(page: Page, stageName: string): Promise<string | null> {
  return page.getAttribute(`svg.dag g.dag-node[data-stage="${stageName}"]`, 'data-phase', { timeout: 30_000 });
}

async function waitForPhase(page: Page, stageName: string, phase: string, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    `stage ${stageName} drawn ${phase}`,
    timeoutMs,
    async () => (await phaseOf(page, stageName)) === phase,
    200,
  );
}

function overlapping(rects: Rect[]): [string, string][] {
  const bad: [string, string][] = [];
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i]!;
      const b = rects[j]!;
      if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h) bad.push([a.stage, b.stage]);
    }
  }
  return bad;
}

async function drawingWidth(page: Page): Promise<number> {
  return Number(await page.getAttribute('svg.dag', 'data-width'));
}

describe('Console pipeline view', () => {
  it('recolours the DAG as a run progresses, and shows why a stage failed', async () => {
    const n = suite.ns('cp-live');
    await createPipeline(
      c,
      n,
      pipeline('live', {
        stages: [
          stage('extract', { podTemplate: runsFor(8) }),
          stage('transform', { dependsOn: ['extract'], podTemplate: runsFor(8) }),
          stage('load', { dependsOn: ['transform'], podTemplate: failsWith(3) }),
        ],
        onFailure: [stage('alert')],
      }),
    );
    const page = await showPipeline(admin.url, n, 'live');
    // Every stage of the spec is drawn from the start, pending ones included, onFailure apart.
    await page.waitForSelector('svg.dag g.dag-node[data-stage="load"]', { timeout: 30_000 });
    expect((await dagRects(page)).map((r) => `${r.stage}:${r.kind}`).sort()).toEqual([
      'alert:onFailure',
      'extract:stage',
      'load:stage',
      'transform:stage',
    ]);
    await waitForPhase(page, 'extract', 'Running');
    expect(await phaseOf(page, 'load')).toBe('Pending');
    await waitForPhase(page, 'transform', 'Running');
    expect(await phaseOf(page, 'extract')).toBe('Succeeded');
    // The running stage's logs stream into its panel and are followed (KWOK serves every pod
    // the cluster's pod-logs file).
    const mark = `console-pipeline-${process.pid}-${Date.now()}`;
    appendPodLog(`${mark} transforming`);
    await page.click('svg.dag g.dag-node[data-stage="transform"]');
    await page.waitForSelector('aside.stage-panel[data-stage="transform"]');
    const logs = page.locator('aside.stage-panel pre[data-logs]');
    await waitFor("the running stage's logs", 30_000, async () =>
      (await logs.textContent())?.includes(`${mark} transforming`),
    );
    appendPodLog(`${mark} followed`);
    await waitFor('a line written after the panel opened', 30_000, async () =>
      (await logs.textContent())?.includes(`${mark} followed`),
    );
    // Lines every pod prints are not this stage's output: the panel says so, naming the KWOK node.
    const note = page.locator('aside.stage-panel [data-role="canned-logs"]');
    expect(await note.textContent()).toContain('Canned logs.');
    const kwokNodes = (await c.core.listNode()).items.filter(isKwokNode).map((node) => node.metadata?.name);
    expect(kwokNodes).toContain(await note.getAttribute('data-node'));
    await screenshot(page, 'pipeline-running');

    await waitForPhase(page, 'load', 'Failed');
    const failed = await waitForPipeline(c, n, 'live', 'live failed', (p) => p.status?.phase === 'Failed');
    const load = failed.status!.lastRun!.stages!.find((s) => s.name === 'load')!;
    expect(load.reason).toBeTruthy();
    await page.click('svg.dag g.dag-node[data-stage="load"]');
    const panel = page.locator('aside.stage-panel[data-stage="load"]');
    await waitFor('the panel to show the failure reason', 30_000, async () =>
      (await panel.textContent())?.includes(load.reason!),
    );
    expect(await panel.getAttribute('data-phase')).toBe('Failed');
    expect(await panel.textContent()).toContain('see logs');
    // Its times in UTC, as the rest of the Console writes them (not in the browser's locale).
    expect(load.startTime && load.completionTime).toBeTruthy();
    expect(await panel.locator('tr[data-fact="Started"] td').textContent()).toBe(utcTime(load.startTime));
    expect(await panel.locator('tr[data-fact="Finished"] td').textContent()).toBe(utcTime(load.completionTime));
    // The header says why the pipeline stalled, in words.
    const stalled = failed.status!.conditions!.find((x) => x.type === 'Stalled')!;
    await waitFor('the Stalled condition in the header', 30_000, async () =>
      (await page.textContent('[data-condition="Stalled"]'))?.includes(`Stalled: ${stalled.message}`),
    );
    // The grid's row for this run has a red cell for load.
    const run = failed.status!.lastRun!.id;
    await waitFor(
      'the grid cell of load',
      30_000,
      async () =>
        (await page.getAttribute(`.run-grid td[data-run="${run}"][data-stage="load"]`, 'data-phase')) === 'Failed',
    );
    await screenshot(page, 'pipeline-failed');
    // A whole run of status changes recoloured the drawing: it was laid out once.
    expect(await page.getAttribute('svg.dag', 'data-layouts')).toBe('1');
    // When the stage's pods are gone, the panel says so in the server's words.
    await c.core.deleteCollectionNamespacedPod({
      namespace: n,
      labelSelector: `job-name=${load.job}`,
      gracePeriodSeconds: 0,
    });
    await waitFor(
      'the pods of load gone',
      30_000,
      async () =>
        (await c.core.listNamespacedPod({ namespace: n, labelSelector: `job-name=${load.job}` })).items.length === 0,
    );
    await page.click('svg.dag g.dag-node[data-stage="extract"]');
    await page.click('svg.dag g.dag-node[data-stage="load"]');
    await waitFor('the logs message', 30_000, async () =>
      (await page.textContent('aside.stage-panel[data-stage="load"] .logs-message', { timeout: 1000 }))?.includes(
        `the pods of Job ${load.job} are gone`,
      ),
    );
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('lays out a 200-stage pipeline with no overlapping nodes', async () => {
    const n = suite.ns('cp-big');
    // 20 layers of 10; each stage after two stages of the layer before, so no two stages are
    // interchangeable and nothing is grouped. Suspended: the layout is the subject, not a run.
    const stages: StageSpec[] = [];
    for (let layer = 0; layer < 20; layer++) {
      for (let i = 0; i < 10; i++) {
        const dependsOn = layer === 0 ? [] : [`l${layer - 1}-${i}`, `l${layer - 1}-${(i + 1) % 10}`];
        stages.push(stage(`l${layer}-${i}`, dependsOn.length ? { dependsOn } : {}));
      }
    }
    await createPipeline(c, n, { ...pipeline('big', { stages, suspend: true }) });
    const page = await showPipeline(admin.url, n, 'big');
    await waitFor('200 nodes drawn', 60_000, async () => (await dagRects(page)).length === 200);
    const rects = await dagRects(page);
    expect(rects.every((r) => r.kind === 'stage' && r.w > 0 && r.h > 0)).toBe(true);
    expect(overlapping(rects)).toEqual([]);
    // Layered left to right: every stage is right of what it depends on.
    const at = new Map(rects.map((r) => [r.stage, r]));
    for (const s of stages)
      for (const d of s.dependsOn ?? []) expect(at.get(s.name)!.x).toBeGreaterThan(at.get(d)!.x + at.get(d)!.w);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('keeps a 1→150→1 fan-out readable: one group node, expandable without overlap', async () => {
    const n = suite.ns('cp-big');
    const mids = Array.from({ length: 150 }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
    await createPipeline(
      c,
      n,
      pipeline('fan', {
        suspend: true,
        stages: [
          stage('first'),
          ...mids.map((m) => stage(m, { dependsOn: ['first'] })),
          stage('last', { dependsOn: mids }),
        ],
      }),
    );
    const page = await showPipeline(admin.url, n, 'fan');
    await page.waitForSelector('svg.dag g.dag-node[data-kind="group"]', { timeout: 30_000 });
    const grouped = await dagRects(page);
    expect(grouped.map((r) => r.stage)).toEqual(['first', 'group:s001', 'last']);
    expect(await page.getAttribute('svg.dag g.dag-node[data-kind="group"]', 'data-members')).toBe('150');
    expect(await page.textContent('svg.dag g.dag-node[data-kind="group"]')).toContain('150 stages: s001…s150');
    expect(await drawingWidth(page)).toBeLessThan(1000);
    // Expanded, the 150 are drawn one by one, still without overlap and no wider.
    await page.click('svg.dag g.dag-node[data-kind="group"]');
    await waitFor('152 nodes drawn', 30_000, async () => (await dagRects(page)).length === 152);
    const expanded = await dagRects(page);
    expect(overlapping(expanded)).toEqual([]);
    expect(await drawingWidth(page)).toBeLessThan(1000);
    await page.click('button.dag-regroup');
    await waitFor('the group back', 30_000, async () => (await dagRects(page)).length === 3);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('shows actions only as RBAC allows: a viewer sees none (and is refused), an editor runs and retries', async () => {
    const n = suite.ns('cp-rbac');
    await createPipeline(c, n, pipeline('rights', { stages: [stage('only', { podTemplate: runsFor(1) })] }));
    const first = await waitForPipeline(c, n, 'rights', 'first run Succeeded', (p) => p.status?.phase === 'Succeeded');
    const viewer = await startConsole({ kubeconfig: await kubeconfigFor(c, n, 'view'), args: ['-n', n] });
    consoles.push(viewer);
    const viewPage = await showPipeline(viewer.url, n, 'rights');
    await viewPage.waitForSelector('.pipeline-actions[data-access="loaded"]', { state: 'attached', timeout: 30_000 });
    expect(await viewPage.$$('.pipeline-actions button')).toHaveLength(0);
    // Hidden is not all: the server refuses the viewer's action too (same session, same origin).
    const cookie = (await viewPage.context().cookies()).map((k) => `${k.name}=${k.value}`).join('; ');
    const refused = await fetch(`${viewer.origin}/api/pipelines/${n}/rights/run`, {
      method: 'POST',
      headers: { cookie, origin: viewer.origin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(403);
    await viewPage.close();

    const editor = await startConsole({ kubeconfig: await kubeconfigFor(c, n, 'edit'), args: ['-n', n] });
    consoles.push(editor);
    const editPage = await showPipeline(editor.url, n, 'rights');
    await editPage.click('.pipeline-actions button[data-action="run"]', { timeout: 30_000 });
    await editPage.waitForSelector('.action-result[data-ok="true"]', { timeout: 30_000 });
    const again = await waitForPipeline(
      c,
      n,
      'rights',
      'a manual run Succeeded',
      (p) => p.status?.lastRun?.trigger === 'manual' && p.status.lastRun.phase === 'Succeeded',
    );
    expect(again.status!.lastRun!.id).not.toBe(first.status!.lastRun!.id);
    // The page follows the latest run: the new run is selected and drawn green.
    await waitFor(
      'the page on the manual run',
      30_000,
      async () => (await editPage.getAttribute('section.pipeline-view', 'data-run')) === again.status!.lastRun!.id,
    );
    await waitForPhase(editPage, 'only', 'Succeeded', 30_000);
    expect((await getPipeline(c, n, 'rights')).status?.runs?.some((r) => r.trigger === 'manual')).toBe(true);
    expect(pageErrors(editPage)).toEqual([]);
    await editPage.close();

    // Retry from failure: offered for the failed run, and a retry run follows.
    await createPipeline(c, n, pipeline('broken', { stages: [stage('fails', { podTemplate: failsWith(2) })] }));
    const failed = await waitForPipeline(c, n, 'broken', 'broken Failed', (p) => p.status?.phase === 'Failed');
    const retryPage = await showPipeline(editor.url, n, 'broken');
    await waitForPhase(retryPage, 'fails', 'Failed', 30_000);
    await retryPage.click('.pipeline-actions button[data-action="retry"]:not([disabled])', { timeout: 30_000 });
    await retryPage.waitForSelector('.action-result[data-ok="true"]', { timeout: 30_000 });
    const retried = await waitForPipeline(
      c,
      n,
      'broken',
      'a retry run finished',
      (p) => p.status?.lastRun?.trigger === 'retry' && p.status.lastRun.phase === 'Failed',
    );
    expect(retried.status!.lastRun!.id).not.toBe(failed.status!.lastRun!.id);
    await waitFor(
      'the page on the retry run',
      30_000,
      async () => (await retryPage.getAttribute('section.pipeline-view', 'data-run')) === retried.status!.lastRun!.id,
    );
    expect(pageErrors(retryPage)).toEqual([]);
    await retryPage.close();
  });
});
