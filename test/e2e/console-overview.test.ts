// The Console's overview in a real browser (system Chromium) against the real cluster: the
// operator runs the pipelines, `conveyor dashboard` serves the Console, and the tests read what
// the page shows (rows, badges, the pager's words), never timings.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConsole, pageProblems, screenshot, useBrowser } from './support/browser.ts';
import { startConsole, type ConsoleProcess } from './support/console.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  failsWith,
  installCrd,
  mergePatchPipeline,
  pipeline,
  runsFor,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'console-overview', ['co-live', 'co-filter'], () => installCrd(c));
useBrowser();
/** 1,000 Pipelines live here, watched by no operator: the overview only has to show them. */
let many: { name: string; cleanup: () => Promise<void> };
let consoleProcess: ConsoleProcess;

beforeAll(async () => {
  await suite.setUp();
  many = await testNamespace(c, 'co-many');
  consoleProcess = await startConsole({
    args: ['-n', [suite.ns('co-live'), suite.ns('co-filter'), many.name].join(',')],
  });
});
afterAll(async () => {
  await consoleProcess?.stop();
  await many?.cleanup();
  await suite.tearDown();
});

const row = (namespace: string, name: string): string => `tr[data-overview-row="${namespace}/${name}"]`;

async function shownRows(page: Page): Promise<string[]> {
  return page.$$eval('tr[data-overview-row]', (rows) =>
    rows.map((r) => r.getAttribute('data-overview-row')!.split('/')[1]!),
  );
}

/** Waits until the table shows exactly these pipelines (by name, in order): a re-render is not synchronous with an input. */
async function waitForRows(page: Page, names: string[]): Promise<void> {
  await page.waitForFunction(
    (want) =>
      JSON.stringify(
        [...document.querySelectorAll('tr[data-overview-row]')].map(
          (r) => r.getAttribute('data-overview-row')!.split('/')[1],
        ),
      ) === want,
    JSON.stringify(names),
    { timeout: 30_000 },
  );
}

async function pageInfo(page: Page): Promise<string> {
  return ((await page.textContent('[data-role=page-info]')) ?? '').trim();
}

/** Waits until the pager (or the count line) says exactly `text`. */
async function waitForPageInfo(page: Page, text: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (want) => document.querySelector('[data-role=page-info]')?.textContent?.trim() === want,
    text,
    { timeout },
  );
}

/** Creates `count` Pipelines through the API, at most `parallel` requests at a time. */
async function createMany(namespace: string, count: number, parallel = 16): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const name = `bulk-${String(i).padStart(4, '0')}`;
      const p = pipeline(name, { stages: [stage('only')] });
      p.metadata.labels = { shard: String(i % 10) };
      await createPipeline(c, namespace, p);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

describe('Console overview', () => {
  it('lists a pipeline created after the page loaded, without a reload, and follows it to Succeeded', async () => {
    const ns = suite.ns('co-live');
    const page = await openConsole(consoleProcess.url);
    await page.evaluate(() => ((window as unknown as { loadedOnce: boolean }).loadedOnce = true));
    expect(await page.locator(`tr[data-overview-row^="${ns}/"]`).count()).toBe(0);

    await createPipeline(
      c,
      ns,
      pipeline('arrives-later', {
        stages: [stage('extract', { podTemplate: runsFor(2) }), stage('load', { dependsOn: ['extract'] })],
      }),
    );
    await page.waitForSelector(row(ns, 'arrives-later'), { timeout: 60_000 });
    await page.waitForSelector(`${row(ns, 'arrives-later')} .badge[data-phase="Succeeded"]`, { timeout: 120_000 });

    const cells = page.locator(row(ns, 'arrives-later'));
    expect(await cells.locator('.progress-text').textContent()).toBe('2/2');
    expect(await cells.locator('.run-square[data-phase="Succeeded"]').count()).toBeGreaterThanOrEqual(1);
    expect(await cells.locator('.run-id').textContent()).not.toBe('');
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('narrows the list by namespace, phase, labels and text; a row leads to the pipeline', async () => {
    const ns = suite.ns('co-filter');
    const make = (name: string, team: string, spec: Parameters<typeof pipeline>[1]) => {
      const p = pipeline(name, spec);
      p.metadata.labels = { team };
      return createPipeline(c, ns, p);
    };
    await make('orders-ingest', 'data', { stages: [stage('fetch'), stage('store', { dependsOn: ['fetch'] })] });
    await make('sales-transform', 'analytics', {
      stages: [stage('clean'), stage('aggregate', { dependsOn: ['clean'], podTemplate: failsWith(3) })],
    });
    await make('nightly-report', 'analytics', { schedule: '0 2 * * *', stages: [stage('report')] });
    await make('warehouse-load', 'data', {
      stages: [stage('extract'), stage('load', { dependsOn: ['extract'], podTemplate: runsFor(600) })],
    });
    await waitForPipeline(c, ns, 'orders-ingest', 'orders-ingest Succeeded', (p) => p.status?.phase === 'Succeeded');
    // A change starts a second run: two squares in "recent runs".
    await mergePatchPipeline(c, ns, 'orders-ingest', {
      spec: { stages: [stage('fetch'), stage('store', { dependsOn: ['fetch'], command: ['sh', '-c', 'echo again'] })] },
    });
    await waitForPipeline(
      c,
      ns,
      'orders-ingest',
      'orders-ingest ran twice',
      (p) => p.status?.phase === 'Succeeded' && (p.status.runs?.length ?? 0) >= 2,
    );
    await waitForPipeline(c, ns, 'warehouse-load', 'warehouse-load Running', (p) => p.status?.phase === 'Running');
    await waitForPipeline(c, ns, 'sales-transform', 'sales-transform Failed', (p) => p.status?.phase === 'Failed');
    const nightly = await waitForPipeline(
      c,
      ns,
      'nightly-report',
      'nightly-report has a phase',
      (p) => !!p.status?.phase && !!p.status.nextScheduleTime,
    );

    const page = await openConsole(consoleProcess.url);
    await page.waitForSelector(`${row(ns, 'sales-transform')} .badge[data-phase="Failed"]`);
    await page.getByLabel('Namespace').selectOption(ns);
    await waitForPageInfo(page, `4 of ${await page.locator('.chip b').first().textContent()} pipelines`);
    expect(await shownRows(page)).toEqual(['nightly-report', 'orders-ingest', 'sales-transform', 'warehouse-load']);
    expect(await page.locator(`${row(ns, 'orders-ingest')} .run-square[data-phase="Succeeded"]`).count()).toBe(2);
    expect(await page.locator(`${row(ns, 'warehouse-load')} .badge`).getAttribute('data-phase')).toBe('Running');
    expect(await page.locator(`${row(ns, 'nightly-report')} .badge`).getAttribute('data-phase')).toBe(
      nightly.status!.phase,
    );

    await page.getByLabel('Phase').selectOption('Failed');
    await waitForRows(page, ['sales-transform']);
    await page.getByLabel('Phase').selectOption('');

    await page.getByLabel('Labels').fill('team=analytics');
    await waitForRows(page, ['nightly-report', 'sales-transform']);
    await page.getByLabel('Labels').fill('team!=analytics');
    await waitForRows(page, ['orders-ingest', 'warehouse-load']);
    await page.getByLabel('Labels').fill('=analytics');
    expect(await page.getByRole('alert').textContent()).toContain('is not key=value');

    await page.getByLabel('Labels').fill('');
    await page.getByLabel('Search').fill('NIGHTLY');
    await waitForRows(page, ['nightly-report']);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Namespace').selectOption('');
    await page.waitForSelector(row(suite.ns('co-live'), 'arrives-later'));
    await page.getByLabel('Search').blur();
    await screenshot(page, 'overview');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });

    // A row leads to its pipeline; back again, the filters are as they were (and in the URL).
    await page.getByLabel('Phase').selectOption('Failed');
    await waitForRows(page, ['sales-transform']);
    // The hash follows the filter after the render (an effect): wait for it.
    await page.waitForFunction(() => location.hash === '#/?phase=Failed');
    await page.click(row(ns, 'sales-transform'));
    expect(await page.evaluate(() => location.hash)).toBe(`#/p/${ns}/sales-transform`);
    await page.waitForSelector('.tab.active >> text=Overview');
    await page.goBack();
    await page.waitForSelector(row(ns, 'sales-transform'));
    expect(await shownRows(page)).toEqual(['sales-transform']);
    expect(await page.getByLabel('Phase').inputValue()).toBe('Failed');
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  it('shows 1,000 pipelines a page at a time and answers a text filter', async () => {
    await createMany(many.name, 1000);
    const page = await openConsole(consoleProcess.url);
    // preact sets an option's value as a property, not an attribute: ask the select itself.
    await page.waitForFunction(
      (ns) =>
        [...document.querySelector<HTMLSelectElement>('select[aria-label="Namespace"]')!.options].some(
          (o) => o.value === ns,
        ),
      many.name,
      { timeout: 60_000 },
    );
    await page.getByLabel('Namespace').selectOption(many.name);
    await waitForPageInfo(page, '1–50 of 1000', 120_000);
    const first = await shownRows(page);
    expect(first).toHaveLength(50);
    expect(first[0]).toBe('bulk-0000');
    expect(first[49]).toBe('bulk-0049');

    await page.getByLabel('Next page').click();
    await waitForPageInfo(page, '51–100 of 1000');
    expect((await shownRows(page))[0]).toBe('bulk-0050');

    await page.getByLabel('Labels').fill('shard=7');
    await waitForPageInfo(page, '1–50 of 100');
    expect((await shownRows(page)).every((name) => Number(name.slice(-4)) % 10 === 7)).toBe(true);

    await page.getByLabel('Labels').fill('');
    await page.getByLabel('Search').fill('bulk-0777');
    await waitForRows(page, ['bulk-0777']);
    expect(await pageInfo(page)).toMatch(/^1 of \d{4} pipelines$/);
    expect(pageProblems(page)).toEqual([]);
    await page.close();
  });

  // Last: it stops the Console process.
  it('says "reconnecting…" while the stream is lost, keeping what it showed', async () => {
    const page = await openConsole(consoleProcess.url);
    await page.waitForSelector(row(suite.ns('co-live'), 'arrives-later'));
    await consoleProcess.stop();
    await page.waitForSelector('[data-connection="reconnecting"]', { timeout: 30_000 });
    expect((await page.textContent('[data-connection]'))?.trim()).toBe('reconnecting…');
    expect(await page.locator(row(suite.ns('co-live'), 'arrives-later')).count()).toBe(1);
    await page.close();
  });
});
