// The system's Debian Chromium driven by playwright-core, for Console tests. One browser per
// test file (launched on first use, closed by useBrowser's afterAll); one fresh context per
// openConsole, so every page logs in through its own one-time token and shares no cookies.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll } from 'vitest';

const CHROMIUM = process.env.CONVEYOR_CHROMIUM ?? '/usr/bin/chromium';
// Headless, and nothing that would make Chromium talk to anything beyond 127.0.0.1.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));

let launched: Promise<Browser> | undefined;
const problems = new WeakMap<Page, string[]>();

export function browser(): Promise<Browser> {
  launched ??= chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  return launched;
}

export async function closeBrowser(): Promise<void> {
  const b = launched;
  launched = undefined;
  await (await b?.catch(() => undefined))?.close();
}

/** Registers closeBrowser for the calling test file's teardown; call at the file's top level. */
export function useBrowser(): void {
  afterAll(closeBrowser);
}

/**
 * Opens the Console at its one-time login URL (startConsole's `url`) in a fresh context and
 * waits until the stream's first snapshot has arrived (the header says "live").
 */
export async function openConsole(url: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await (await browser()).newContext({ viewport, deviceScaleFactor: 1, colorScheme: 'light' });
  const page = await context.newPage();
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('pageerror', (err) => seen.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector('[data-connection="live"]', { timeout: 30_000 });
  return page;
}

/** Uncaught errors and console errors the page reported so far (for assertions and failure messages). */
export function pageProblems(page: Page): string[] {
  return [...(problems.get(page) ?? [])];
}

/** Writes docs/screenshots/<name>.png (the viewport), returning its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}
