// `npm run bench -- --console`: the Console with N Pipelines (default 1,000) on the local cluster.
// Measures (1) time to first render: from navigating to the one-time URL to the overview showing
// its first page of rows, the total count and every Pipeline's phase; (2) time to apply U status
// updates (default 100, Running → Succeeded): from the first status write to the moment the DOM
// shows all U. Also the server's RSS (it runs in this process) and the page's JS heap (CDP).
// Writes bench/RESULTS-console.md; deletes its namespace afterwards. A benchmark, not a test.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import { clusterScript } from '../hack/cluster-script.ts';
import { applyCrd, waitEstablished } from '../src/kube/crd.ts';
import { ConveyorKubeConfig } from '../src/kube/kubeconfig.ts';
import { createKubeBackend } from '../src/console/server/kube-backend.ts';
import { startConsoleServer } from '../src/console/server/server.ts';
import type { ConsoleBackend } from '../src/console/server/backend.ts';
import {
  createNamespace,
  createPipelines,
  deleteNamespace,
  pipelineNames,
  pool,
  runStatus,
  UPDATED_LABEL,
  writeStatus,
} from './console-cluster.ts';
import { consoleReport, type ConsoleFigures, type Memory } from './console-report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.CONVEYOR_CHROMIUM ?? '/usr/bin/chromium';
// As in test/e2e/support/browser.ts: headless, and nothing that talks beyond 127.0.0.1.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PAGE_SIZE = 50; // src/console/ui/pipelines/view.ts
const CREATE_CONCURRENCY = 16;
const UPDATE_CONCURRENCY = 10;
const log = (m: string): void => void process.stderr.write(`[bench:console] ${m}\n`);

export interface ConsoleBenchOptions {
  pipelines: number;
  updates: number;
  out: string;
}

export async function consoleBench(options: ConsoleBenchOptions): Promise<void> {
  if (options.updates > options.pipelines) throw new Error('--updates cannot exceed --pipelines');
  clusterScript(['up']);
  const kc = new ConveyorKubeConfig();
  kc.loadFromFile(clusterScript(['kubeconfig']));
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const crd = parse(readFileSync(`${root}/crds/conveyor.dev_pipelines.yaml`, 'utf8')) as k8s.V1CustomResourceDefinition;
  await applyCrd(kc, crd, 'conveyor-bench');
  await waitEstablished(kc, crd.metadata?.name ?? '');
  const uiBuilt = ensureUiBuilt();
  const namespace = `bench-console-${Date.now().toString(36)}`;
  await createNamespace(core, namespace);
  try {
    const figures = await measure(kc, custom, namespace, options, uiBuilt);
    const report = consoleReport(figures);
    writeFileSync(options.out, report);
    process.stdout.write(report);
  } finally {
    log(`deleting namespace ${namespace}`);
    if (!(await deleteNamespace(core, namespace)))
      log(`namespace ${namespace} was not gone after 3 minutes; delete it by hand`);
  }
}

/** Builds dist/console when it is missing or older than a UI source, so the run measures the code as it is. */
function ensureUiBuilt(): string {
  const bundle = join(root, 'dist/console/app.js');
  const newestSource = newestMtime(join(root, 'src/console'));
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= newestSource) return 'dist/console was up to date';
  log('building the Console (npm run build:console)');
  execFileSync(process.execPath, ['hack/build-console.ts'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return 'dist/console built by this run';
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

async function measure(
  kc: k8s.KubeConfig,
  custom: k8s.CustomObjectsApi,
  namespace: string,
  options: ConsoleBenchOptions,
  uiBuilt: string,
): Promise<ConsoleFigures> {
  const names = pipelineNames(options.pipelines);
  log(`creating ${names.length} Pipelines with a Running status in ${namespace}`);
  let started = performance.now();
  await createPipelines(custom, namespace, names, options.updates, CREATE_CONCURRENCY);
  const createSeconds = (performance.now() - started) / 1000;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const backend = createKubeBackend(kc, { namespaces: [namespace] });
  let server: Awaited<ReturnType<typeof startConsoleServer>> | undefined;
  try {
    const rssBefore = process.memoryUsage().rss;
    started = performance.now();
    await backend.start();
    const backendStartMs = performance.now() - started;
    server = await startConsoleServer({ backend });
    return {
      ...options,
      namespace,
      uiBuilt,
      createSeconds,
      backendStartMs,
      rssBefore,
      browserVersion: browser.version(),
      ...(await inBrowser(browser, server.url, custom, namespace, names, options)),
    };
  } finally {
    await browser.close();
    await server?.close();
    await stopQuietly(backend);
  }
}

async function stopQuietly(backend: ConsoleBackend): Promise<void> {
  await backend.stop().catch((err: unknown) => log(`backend stop: ${String(err)}`));
}

type BrowserFigures = Pick<
  ConsoleFigures,
  'firstRender' | 'update' | 'memoryAfterRender' | 'memoryAfterUpdates' | 'pageProblems'
>;

async function inBrowser(
  browser: Browser,
  url: string,
  custom: k8s.CustomObjectsApi,
  namespace: string,
  names: string[],
  options: ConsoleBenchOptions,
): Promise<BrowserFigures> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => void (msg.type() === 'error' && problems.push(`console: ${msg.text()}`)));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  log('first render');
  const firstRender = await timeFirstRender(page, url, options.pipelines);
  const memoryAfterRender = await memory(cdp);
  log(`first render after ${firstRender.nodeMs.toFixed(0)} ms; ${options.updates} status updates`);
  const update = await timeUpdates(page, custom, namespace, names.slice(0, options.updates), options.pipelines);
  const memoryAfterUpdates = await memory(cdp);
  return { firstRender, update, memoryAfterRender, memoryAfterUpdates, pageProblems: problems };
}

/** From navigation to the overview's first page: PAGE_SIZE rows, "of N", and N pipelines counted as Running. */
async function timeFirstRender(page: Page, url: string, total: number): Promise<ConsoleFigures['firstRender']> {
  const started = performance.now();
  await page.goto(url, { waitUntil: 'commit' });
  const handle = await page.waitForFunction(
    ({ rows, total }) => {
      const shown = document.querySelectorAll('tr[data-overview-row]').length;
      const info = document.querySelector('[data-role="page-info"]')?.textContent ?? '';
      const running = document.querySelector('[data-phase-count="Running"] b')?.textContent;
      return shown === rows && new RegExp(`of ${total}(\\D|$)`).test(info) && running === String(total)
        ? performance.now()
        : false;
    },
    { rows: Math.min(PAGE_SIZE, total), total },
    { polling: 'raf', timeout: 120_000 },
  );
  const nodeMs = performance.now() - started;
  const pageMs = (await handle.jsonValue()) as number;
  const navigation = await page.evaluate(() => {
    const entry = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return entry
      ? { responseEnd: entry.responseEnd, domContentLoaded: entry.domContentLoadedEventEnd, load: entry.loadEventEnd }
      : undefined;
  });
  return { nodeMs, pageMs, ...(navigation ? { navigation } : {}) };
}

/**
 * Filters the overview to the labelled Pipelines (so the updated ones are the rows on screen),
 * then writes the status changes and waits until the DOM shows all of them: every row of the
 * visible page Succeeded, and the Succeeded chip (counted over every Pipeline in the store)
 * at U with the Running chip at N − U.
 */
async function timeUpdates(
  page: Page,
  custom: k8s.CustomObjectsApi,
  namespace: string,
  targets: string[],
  total: number,
): Promise<ConsoleFigures['update']> {
  const rows = Math.min(PAGE_SIZE, targets.length);
  await page.fill('input[aria-label="Labels"]', `${UPDATED_LABEL}=yes`);
  await page.waitForFunction(
    ({ rows, count }) =>
      document.querySelectorAll('tr[data-overview-row]').length === rows &&
      new RegExp(`of ${count}(\\D|$)`).test(document.querySelector('[data-role="page-info"]')?.textContent ?? ''),
    { rows, count: targets.length },
    { polling: 'raf', timeout: 30_000 },
  );
  const done = page.waitForFunction(
    ({ rows, count, others }) => {
      const badges = [...document.querySelectorAll('tr[data-overview-row] td:first-child .badge')];
      const chip = (phase: string) => document.querySelector(`[data-phase-count="${phase}"] b`)?.textContent ?? '0';
      const allShown = badges.length === rows && badges.every((b) => b.getAttribute('data-phase') === 'Succeeded');
      return allShown && chip('Succeeded') === String(count) && chip('Running') === String(others) ? Date.now() : false;
    },
    { rows, count: targets.length, others: total - targets.length },
    { polling: 'raf', timeout: 120_000 },
  );
  await watchRowsTurnSucceeded(page);
  const startTime = new Date(Date.now() - 60_000).toISOString();
  const written = new Map<string, number>();
  const firstWriteWall = Date.now();
  const started = performance.now();
  await pool(targets, UPDATE_CONCURRENCY, async (name) => {
    await writeStatus(custom, namespace, name, runStatus('Succeeded', startTime));
    written.set(`${namespace}/${name}`, Date.now());
  });
  const writesMs = performance.now() - started;
  const pageWall = (await (await done).jsonValue()) as number;
  const nodeMs = performance.now() - started;
  const seen = await page.evaluate(() => (window as unknown as { benchSeen: Record<string, number> }).benchSeen);
  const rowLatencies = Object.entries(seen)
    .map(([row, at]) => at - (written.get(row) ?? NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return { nodeMs, pageMs: pageWall - firstWriteWall, writesMs, concurrency: UPDATE_CONCURRENCY, rowLatencies };
}

/**
 * Records, in the page, when each visible row first shows Succeeded (a MutationObserver runs
 * right after the DOM changes): with the time each write returned, the per-update latency.
 */
async function watchRowsTurnSucceeded(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { benchSeen: Record<string, number> }).benchSeen = seen;
    const scan = (): void => {
      for (const row of document.querySelectorAll('tr[data-overview-row]')) {
        const key = row.getAttribute('data-overview-row') ?? '';
        if (!(key in seen) && row.querySelector('td:first-child .badge')?.getAttribute('data-phase') === 'Succeeded')
          seen[key] = Date.now();
      }
    };
    new MutationObserver(scan).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
}

/** The page's JS heap after a full GC (CDP), and this process's RSS (where the Console server runs). */
async function memory(cdp: CDPSession): Promise<Memory> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  return {
    jsHeapUsed: metric('JSHeapUsedSize'),
    jsHeapTotal: metric('JSHeapTotalSize'),
    nodes: metric('Nodes'),
    rss: process.memoryUsage().rss,
  };
}
