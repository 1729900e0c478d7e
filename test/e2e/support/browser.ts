// The system's Debian Chromium driven by playwright-core, for Console tests. One browser per
// test file (launched on first use, closed by useBrowser's afterAll). The login URL's token works
// once, so each Console URL gets one browser context (its session cookie): the first
// openConsole(url) logs in with the token, later ones open another page in that session.
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll } from 'vitest';

const CHROMIUM = process.env.CONVEYOR_CHROMIUM ?? '/usr/bin/chromium';
// Headless, and nothing that would make Chromium talk to anything beyond 127.0.0.1.
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
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const UI_BUNDLE = fileURLToPath(new URL('../../../dist/console/app.js', import.meta.url));

let launched: Promise<Browser> | undefined;
/** Logged-in contexts by login URL. */
const sessions = new Map<string, Promise<{ context: BrowserContext; page: Page }>>();
const problems = new WeakMap<Page, string[]>();

export function browser(): Promise<Browser> {
  launched ??= chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  return launched;
}

export async function closeBrowser(): Promise<void> {
  const b = launched;
  launched = undefined;
  sessions.clear();
  await (await b?.catch(() => undefined))?.close();
}

/** Registers closeBrowser for the calling test file's teardown; call at the file's top level. */
export function useBrowser(): void {
  afterAll(closeBrowser);
}

function watchProblems(page: Page): void {
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (err) => seen.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.push(`console: ${msg.text()}`);
  });
}

/** A new context whose first page has traded the token for the session cookie. */
async function logIn(
  url: string,
  viewport: { width: number; height: number },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await (await browser()).newContext({ viewport, deviceScaleFactor: 1, colorScheme: 'light' });
  const page = await context.newPage();
  watchProblems(page);
  await page.goto(url);
  return { context, page };
}

/**
 * Opens the Console (startConsole's one-time login URL) in a new page and waits until the
 * stream's first snapshot has arrived (the header says "live"). The first call per URL logs in
 * with the token; later calls open another page in that session, at the Console's start page.
 */
export async function openConsole(url: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  // npm test builds it; a single e2e file run by hand may not have.
  if (!existsSync(UI_BUNDLE))
    throw new Error('the Console UI is not built (dist/console/app.js): run npm run build:console first');
  const known = sessions.get(url);
  let page: Page;
  if (known) {
    page = await (await known).context.newPage();
    watchProblems(page);
    await page.setViewportSize(viewport);
    await page.goto(`${new URL(url).origin}/`);
  } else {
    const login = logIn(url, viewport);
    sessions.set(url, login);
    page = (await login).page;
  }
  await waitLive(page);
  return page;
}

/**
 * Waits for the stream's first snapshot. Once in a long CI run the first load of a fresh Console
 * never went live; a reload (same session) is what a person would do, and the failure message
 * says what the page showed, so a real fault is still reported.
 */
async function waitLive(page: Page): Promise<void> {
  const live = '[data-connection="live"]';
  if (
    await page.waitForSelector(live, { timeout: 15_000 }).then(
      () => true,
      () => false,
    )
  )
    return;
  const before = `page text: ${(await page.textContent('body').catch(() => ''))?.slice(0, 300)}; problems: ${pageProblems(page).join(' | ')}`;
  process.stderr.write(`[browser] the Console did not go live within 15 s; reloading once (${before})\n`);
  await page.reload();
  await page.waitForSelector(live, { timeout: 30_000 }).catch((error: unknown) => {
    throw new Error(
      `the Console never went live (before the reload: ${before}; after: ${pageProblems(page).join(' | ')}): ${String(error)}`,
    );
  });
}

/** Uncaught errors and console errors the page reported so far (for assertions and failure messages). */
export function pageProblems(page: Page): string[] {
  return [...(problems.get(page) ?? [])];
}

/** Uncaught errors and console errors, less the browser's note on a 404 answer (a log request for a gone pod is one). */
export function pageErrors(page: Page): string[] {
  return pageProblems(page).filter((p) => !p.includes('Failed to load resource'));
}

/** Opens the Console (openConsole) on the pipeline view of namespace/name, in a 1440×1000 viewport. */
export async function showPipeline(consoleUrl: string, namespace: string, name: string): Promise<Page> {
  const page = await openConsole(consoleUrl, { width: 1440, height: 1000 });
  await page.evaluate((hash) => {
    location.hash = hash;
  }, `#/p/${namespace}/${name}`);
  await page.waitForSelector(`[data-pipeline="${namespace}/${name}"]`, { timeout: 30_000 });
  return page;
}

/** Writes docs/screenshots/<name>.png (the viewport), returning its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}
