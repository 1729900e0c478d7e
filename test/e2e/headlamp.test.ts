// The Headlamp plugin in a real Headlamp (0.30.0, server and frontend built from its source) against
// the real cluster, driven with the system Chromium: the operator runs the Pipelines, the plugin
// is installed from its release tarball, and the test reads what the page draws (data attributes,
// SVG fills), then writes docs/screenshots/headlamp-{list,detail,map}.png.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline } from '../../src/api/types.ts';
import { PHASE_COLOUR } from '../../src/console/ui/model/phases.ts';
import { browser, screenshot, useBrowser } from './support/browser.ts';
import { pluginsDir, startHeadlamp, type HeadlampProcess } from './support/headlamp.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  failsWith,
  getPipeline,
  installCrd,
  pipeline,
  stage,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';
import { kubeconfigFor } from './support/rbac.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'headlamp', ['hl-a', 'hl-b'], () => installCrd(c));
useBrowser();
const servers: HeadlampProcess[] = [];
const contexts: BrowserContext[] = [];
let admin: HeadlampProcess;
/** The plugins folder with the unpacked release tarball, shared by every server. */
let plugins: string;
/** Requests the page tried beyond 127.0.0.1 (Headlamp fetches some icons from the internet): all refused. */
const refused: string[] = [];

const finished = (p: Pipeline) => ['Succeeded', 'Failed'].includes(p.status?.lastRun?.phase ?? '');

beforeAll(async () => {
  await suite.setUp();
  plugins = pluginsDir().dir;
  admin = await startHeadlamp({ kubeconfig: inject('kubeconfig'), pluginsDir: plugins });
  servers.push(admin);
  const a = suite.ns('hl-a');
  const b = suite.ns('hl-b');
  await createPipeline(c, a, {
    ...pipeline('hl-etl', {
      stages: [
        stage('extract'),
        stage('transform', { dependsOn: ['extract'], podTemplate: failsWith(3) }),
        stage('load', { dependsOn: ['transform'] }),
        stage('report', { dependsOn: ['extract'] }),
      ],
      onFailure: [stage('alert')],
    }),
  });
  await createPipeline(c, a, pipeline('hl-hourly', { schedule: '0 * * * *', stages: [stage('tick')] }));
  await createPipeline(
    c,
    b,
    pipeline('hl-report', { stages: [stage('fetch'), stage('render', { dependsOn: ['fetch'] })] }),
  );
  await waitForPipeline(c, a, 'hl-etl', 'hl-etl finished', finished);
  await waitForPipeline(c, b, 'hl-report', 'hl-report finished', finished);
  await waitForPipeline(c, a, 'hl-hourly', 'hl-hourly scheduled', (p) => Boolean(p.status?.nextScheduleTime));
});

afterAll(async () => {
  await Promise.all(contexts.map((x) => x.close()));
  await Promise.all(servers.map((s) => s.stop()));
  if (refused.length > 0)
    process.stderr.write(`[headlamp] refused ${refused.length} requests beyond 127.0.0.1, e.g. ${refused[0]}\n`);
  await suite.tearDown();
});

/** A page of Headlamp at `origin`, at the cluster's start page (/c/<context>/); returns it and that base URL. */
async function openHeadlamp(
  origin: string,
  viewport = { width: 1440, height: 1000 },
): Promise<{ page: Page; base: string }> {
  const context = await (await browser()).newContext({ viewport, colorScheme: 'light' });
  contexts.push(context);
  await context.route(
    (url) => url.hostname !== '127.0.0.1',
    (route) => {
      refused.push(route.request().url());
      return route.abort();
    },
  );
  const page = await context.newPage();
  await page.goto(origin);
  await page.waitForURL(/\/c\/[^/]+\//, { timeout: 30_000 });
  const base = /^(.*\/c\/[^/]+)\//.exec(page.url())![1]!;
  return { page, base };
}

type Row = { name: string; namespace: string; phase: string; progress: string; lastRunPhase: string; nextRun: string };

async function listRows(page: Page): Promise<Row[]> {
  return page.$$eval('[data-conveyor-list="loaded"] tbody tr', (trs) =>
    trs.map((tr) => {
      const cells = [...tr.querySelectorAll('td')];
      const text = (i: number) => cells[i]?.textContent?.trim() ?? '';
      return {
        name: text(0),
        namespace: text(1),
        phase: cells[2]?.querySelector('[data-phase]')?.getAttribute('data-phase') ?? '',
        progress: text(3),
        lastRunPhase: cells[4]?.querySelector('[data-last-run-phase]')?.getAttribute('data-last-run-phase') ?? '',
        nextRun: text(5),
      };
    }),
  );
}

type Node = { stage: string; phase: string; fill: string };

async function dagNodes(page: Page): Promise<Node[]> {
  return page.$$eval('svg.conveyor-dag g.conveyor-dag-node', (gs) =>
    gs.map((g) => ({
      stage: g.getAttribute('data-stage')!,
      phase: g.getAttribute('data-phase')!,
      fill: g.querySelector('rect')!.getAttribute('fill')!,
    })),
  );
}

async function actionButtons(page: Page): Promise<string[]> {
  await page.waitForSelector('.conveyor-actions[data-access="loaded"]', { state: 'attached', timeout: 30_000 });
  return page.$$eval('.conveyor-actions [data-action]', (bs) => bs.map((b) => b.getAttribute('data-action')!));
}

async function openDetail(page: Page, base: string, namespace: string, name: string): Promise<void> {
  await page.goto(`${base}/conveyor/pipelines/${namespace}/${name}`);
  await page.waitForSelector(`[data-conveyor-pipeline="${namespace}/${name}"] svg.conveyor-dag`, { timeout: 30_000 });
}

describe('Conveyor in Headlamp', () => {
  it('lists the Pipelines of every namespace from the sidebar entry, with phase, progress, last and next run', async () => {
    const { page } = await openHeadlamp(admin.origin);
    await page.click('a:has-text("Pipelines")');
    await waitFor('the three Pipelines listed with their phases', 60_000, async () => {
      const rows = (await listRows(page)).filter((r) => r.name.startsWith('hl-'));
      return rows.length === 3 && rows.every((r) => r.phase !== 'Pending') && rows;
    });
    const rows = Object.fromEntries((await listRows(page)).map((r) => [r.name, r]));
    expect(rows['hl-etl']).toMatchObject({
      namespace: suite.ns('hl-a'),
      phase: 'Failed',
      lastRunPhase: 'Failed',
      nextRun: '—',
    });
    expect(rows['hl-etl']!.progress).toMatch(/^\d\/4 \(\d+%\)$/);
    expect(rows['hl-report']).toMatchObject({
      namespace: suite.ns('hl-b'),
      phase: 'Succeeded',
      progress: '2/2 (100%)',
    });
    expect(rows['hl-hourly']!.nextRun).toMatch(/^in \d+m \(\d{4}-\d\d-\d\d \d\d:00Z\)$/);
    await screenshot(page, 'headlamp-list');
  });

  it('shows the DAG coloured by the latest run and the stage table; Run writes the request and a run follows', async () => {
    const { page, base } = await openHeadlamp(admin.origin);
    const a = suite.ns('hl-a');
    const before = await getPipeline(c, a, 'hl-etl');
    await page.goto(`${base}/conveyor/pipelines`);
    await page.click('a:has-text("hl-etl")');
    await page.waitForSelector(`[data-conveyor-pipeline="${a}/hl-etl"] svg.conveyor-dag`, { timeout: 30_000 });
    const nodes = Object.fromEntries((await dagNodes(page)).map((n) => [n.stage, n]));
    for (const s of before.status!.lastRun!.stages!) {
      expect(nodes[s.name], s.name).toMatchObject({ phase: s.phase, fill: PHASE_COLOUR[s.phase] });
    }
    expect(nodes.transform).toMatchObject({ phase: 'Failed', fill: PHASE_COLOUR.Failed });
    expect(nodes.extract).toMatchObject({ phase: 'Succeeded', fill: PHASE_COLOUR.Succeeded });
    expect(Object.keys(nodes).sort()).toEqual(['alert', 'extract', 'load', 'report', 'transform']);
    const table = await page.$$eval('.conveyor-stages tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')),
    );
    expect(table.map((r) => r[0])).toEqual(['extract', 'transform', 'load', 'report', 'alert']);
    expect(table[1]![1]).toContain('Failed');
    expect(table[1]![2]).toMatch(/^\d+$/);
    expect(await actionButtons(page)).toEqual(['run', 'retry', 'cancel']);
    await screenshot(page, 'headlamp-detail');

    await page.click('[data-action="run"]');
    await page.waitForSelector('.conveyor-action-result[data-ok="true"]', { timeout: 30_000 });
    expect(await page.textContent('.conveyor-action-result')).toContain('a manual run was requested');
    const after = await waitForPipeline(
      c,
      a,
      'hl-etl',
      'a manual run after the click',
      (p) => p.status?.lastRun?.trigger === 'manual' && p.status.lastRun.id !== before.status?.lastRun?.id,
    );
    expect(after.metadata.annotations?.['conveyor.dev/run-requested']).toMatch(/^\d{4}-\d\d-\d\dT/);
    // Headlamp watches the Pipeline: the page follows the new run without a reload.
    await page.waitForSelector(`[data-latest-run="${after.status!.lastRun!.id}"]`, { timeout: 30_000 });
  });

  it('shows no action to a user who may only read Pipelines', async () => {
    const b = suite.ns('hl-b');
    const viewer = await startHeadlamp({ kubeconfig: await kubeconfigFor(c, b, 'view'), pluginsDir: plugins });
    servers.push(viewer);
    const { page, base } = await openHeadlamp(viewer.origin);
    await openDetail(page, base, b, 'hl-report');
    expect(await actionButtons(page)).toEqual([]);
    expect((await dagNodes(page)).map((n) => [n.stage, n.phase])).toEqual([
      ['fetch', 'Succeeded'],
      ['render', 'Succeeded'],
    ]);
  });

  it('puts each Pipeline on the map, linked to its Jobs', async () => {
    const a = suite.ns('hl-a');
    const p = await getPipeline(c, a, 'hl-etl');
    const jobs = await stageJobs(c, a, 'hl-etl');
    expect(jobs.length).toBeGreaterThan(0);
    // Wide enough for the map and the node's panel (900 px) side by side.
    const { page, base } = await openHeadlamp(admin.origin, { width: 1920, height: 1000 });
    await page.goto(`${base}/map`);
    await page.waitForSelector('.react-flow__node', { timeout: 60_000 });
    await page.getByText('Expand All', { exact: true }).click();
    for (const job of jobs) {
      await page.waitForSelector(`[data-testid="rf__edge-${p.metadata.uid}-${job.metadata!.uid}"]`, {
        state: 'attached',
        timeout: 30_000,
      });
    }
    await page.waitForSelector(`.react-flow__node[data-id="${p.metadata.uid}"]`, { timeout: 30_000 });
    // The Pipeline's node opens the plugin's panel: its facts and its DAG.
    await page.click(`.react-flow__node[data-id="${p.metadata.uid}"]`);
    await page.waitForSelector(`[data-conveyor-map-details="${a}/hl-etl"] svg.conveyor-dag`, { timeout: 30_000 });
    await screenshot(page, 'headlamp-map');
  });
});
