// The Console's builder in a real browser against the real cluster: a pipeline drawn from the
// palette, connected by dragging handles, edited in the schema form; its problems are the ones
// `conveyor validate` prints for the exported file; the fixed export passes the CLI, is accepted
// by `kubectl apply --server-side` and runs to Succeeded under the operator. A pasted cycle shows.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openConsole, pageProblems, screenshot, useBrowser } from './support/browser.ts';
import { startConsole, type ConsoleProcess } from './support/console.ts';
import { clients, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import { installCrd, waitForPipeline } from './support/pipelines.ts';
import { kubeconfigFor } from './support/rbac.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'console-builder', ['cb-draw', 'cb-cycle'], () => installCrd(c));
useBrowser();
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'conveyor-builder-'));
let consoleProcess: ConsoleProcess;

beforeAll(async () => {
  await suite.setUp();
  consoleProcess = await startConsole({ args: ['-n', `${suite.ns('cb-draw')},${suite.ns('cb-cycle')}`] });
});
afterAll(async () => {
  await consoleProcess?.stop();
  await suite.tearDown();
  rmSync(dir, { recursive: true, force: true });
});

/** `conveyor validate FILE`: exit code and its problem lines without the file name. */
async function cliValidate(file: string): Promise<{ code: number; lines: string[] }> {
  const result = await promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, 'validate', file]).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );
  return {
    code: result.code,
    lines: result.out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(file.length + 1)),
  };
}

async function openBuilder(url = consoleProcess.url): Promise<Page> {
  const page = await openConsole(url, { width: 1440, height: 1000 });
  await page.evaluate(() => void (location.hash = '#/builder'));
  await page.waitForSelector('[data-testid="builder-canvas"]', { timeout: 30_000 });
  return page;
}

/** Downloads the exported YAML through the Download button, as a user would. */
async function exportYaml(page: Page, name: string): Promise<{ file: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('builder-download').click()]);
  const file = join(dir, name);
  await download.saveAs(file);
  return { file, text: readFileSync(file, 'utf8') };
}

async function setField(page: Page, testId: string, value: string): Promise<void> {
  const input = page.getByTestId(testId);
  await input.fill(value);
  await input.blur();
}

async function drag(page: Page, from: string, to: string): Promise<void> {
  const a = (await page.locator(from).boundingBox())!;
  const b = (await page.locator(to).boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 8 });
  await page.mouse.up();
}

const node = (stage: string) => `[data-testid="builder-node"][data-stage="${stage}"]`;
const handle = (stage: string) => `${node(stage)} [data-testid="builder-handle-out"]`;
const problemTexts = (page: Page) => page.getByTestId('builder-problem').allInnerTexts();

describe('console builder', () => {
  it('draws three stages, shows the CLI problem for an empty image, exports YAML that applies and runs', async () => {
    const ns = suite.ns('cb-draw');
    const page = await openBuilder();
    await setField(page, 'builder-meta-name', 'drawn');
    await setField(page, 'builder-meta-namespace', ns);
    const canvas = page.getByTestId('builder-canvas');
    for (const [kind, x] of [
      ['ingest', 120],
      ['transform', 360],
      ['load', 600],
    ] as const) {
      await page.getByTestId(`builder-palette-${kind}`).dragTo(canvas, { targetPosition: { x, y: 120 } });
      await page.waitForSelector(node(kind));
    }
    await drag(page, handle('ingest'), node('transform'));
    await drag(page, handle('transform'), node('load'));
    await expect.poll(() => page.getByTestId('builder-edge').count()).toBe(2);

    await page.locator(node('load')).click();
    await setField(page, 'builder-field-image', '');
    await expect.poll(() => page.locator(`${node('load')}`).getAttribute('data-problems')).toBe('1');
    const broken = await exportYaml(page, 'drawn-broken.yaml');
    const cli = await cliValidate(broken.file);
    expect(cli.code).toBe(1);
    expect(cli.lines).toEqual(
      ['spec.stages[2].image: stage "load" has no image, and spec.defaults.image is not set'].map((l) =>
        expect.stringContaining(l),
      ),
    );
    expect(await problemTexts(page)).toEqual(cli.lines);

    await setField(page, 'builder-field-image', 'busybox:1.36');
    await page.waitForSelector('[data-testid="builder-problems"][data-count="0"]');
    const fixed = await exportYaml(page, 'drawn.yaml');
    expect(fixed.text).not.toMatch(/status:|uid:|resourceVersion:/);
    expect(await cliValidate(fixed.file)).toEqual({ code: 0, lines: [] });

    await page.getByTestId('builder-check').click();
    await expect
      .poll(() => page.getByTestId('builder-check-result').getAttribute('data-ok'), { timeout: 30_000 })
      .toBe('true');
    // The suite's user may create Pipelines: Apply is offered, as the secondary choice.
    await page.waitForSelector(`[data-testid="builder-export"][data-namespace="${ns}"][data-create-access="allowed"]`);
    expect(await page.getByTestId('builder-apply').getAttribute('class')).toBe('link');
    await screenshot(page, 'builder');

    await promisify(execFile)(inject('kubectl'), [
      'apply',
      '--server-side',
      '-f',
      fixed.file,
      '--kubeconfig',
      inject('kubeconfig'),
    ]);
    const done = await waitForPipeline(
      c,
      ns,
      'drawn',
      'the drawn pipeline Succeeded',
      (p) => p.status?.phase === 'Succeeded',
    );
    expect(done.spec.stages.map((s) => [s.name, s.dependsOn ?? []])).toEqual([
      ['ingest', []],
      ['transform', ['ingest']],
      ['load', ['transform']],
    ]);

    // Back into the builder from the cluster: the live object, without its status or server fields.
    await page.getByTestId('builder-start-empty').click();
    await expect.poll(() => page.getByTestId('builder-node').count()).toBe(0);
    await page.getByTestId('builder-start-existing').selectOption(`${ns}/drawn`);
    await expect.poll(() => page.getByTestId('builder-edge').count()).toBe(2);
    const again = await exportYaml(page, 'drawn-again.yaml');
    expect(again.text).not.toMatch(/status:|uid:|resourceVersion:|managedFields:|creationTimestamp:/);
    expect(again.text).toContain('name: drawn');
    expect(await cliValidate(again.file)).toEqual({ code: 0, lines: [] });
    expect(pageProblems(page)).toEqual([]);
  });

  it('a pasted YAML with a dependency cycle shows the cycle, as conveyor validate does', async () => {
    const ns = suite.ns('cb-cycle');
    const text = [
      'apiVersion: conveyor.dev/v1alpha1',
      'kind: Pipeline',
      'metadata:',
      '  name: loop',
      `  namespace: ${ns}`,
      'spec:',
      '  defaults: { image: busybox:1.36 }',
      '  stages:',
      '    - name: a',
      '      dependsOn: [c]',
      '    - name: b',
      '      dependsOn: [a]',
      '    - name: c',
      '      dependsOn: [b]',
      '',
    ].join('\n');
    const file = join(dir, 'loop.yaml');
    writeFileSync(file, text);
    const cli = await cliValidate(file);
    expect(cli.lines.join('\n')).toContain('dependency cycle');

    const page = await openBuilder();
    await page.getByTestId('builder-start-paste').click();
    await page.getByTestId('builder-paste').fill(text);
    await page.getByTestId('builder-paste-load').click();
    await page.waitForSelector(node('c'));
    await expect.poll(() => problemTexts(page)).toEqual(cli.lines);
    expect(await page.getByTestId('builder-edge').count()).toBe(3);
    expect(await page.locator('[data-testid="builder-node"][data-problems="1"]').count()).toBe(1);
    // Picking the problem selects the stage it names.
    const cycleStage = ['a', 'b', 'c'][
      Number(await page.getByTestId('builder-problem').first().getAttribute('data-stage'))
    ];
    await page.getByTestId('builder-problem').first().getByRole('button').click();
    await page.waitForSelector(`${node(cycleStage!)}[aria-selected="true"]`);
    expect(await page.getByTestId('builder-form').getAttribute('aria-label')).toBe(`Stage ${cycleStage}`);

    // Typed in the YAML pane: the drawing follows as soon as the text parses.
    await page.locator('[data-testid="builder-yaml"] .cm-content').click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.insertText(text.replace('      dependsOn: [c]\n', ''));
    await page.waitForSelector('[data-testid="builder-problems"][data-count="0"]');
    expect(await page.getByTestId('builder-edge').count()).toBe(2);
    expect(pageProblems(page)).toEqual([]);
  });

  it('a user who may only view Pipelines gets no Apply, and the dry run answers with their rights', async () => {
    const ns = suite.ns('cb-cycle');
    const viewer = await startConsole({ kubeconfig: await kubeconfigFor(c, ns, 'view'), args: ['-n', ns] });
    try {
      const page = await openBuilder(viewer.url);
      await setField(page, 'builder-meta-namespace', ns);
      await page.waitForSelector(`[data-testid="builder-export"][data-namespace="${ns}"][data-create-access="denied"]`);
      expect(await page.getByTestId('builder-apply').count()).toBe(0);
      // The dry run goes out with the viewer's own credentials, so the API server refuses it.
      await page.getByTestId('builder-palette-custom').click(); // the palette without a mouse drag
      await page.waitForSelector(node('custom'));
      await page.getByTestId('builder-start-template').click();
      await setField(page, 'builder-meta-namespace', ns);
      await page.getByTestId('builder-check').click();
      await expect
        .poll(() => page.getByTestId('builder-check-result').getAttribute('data-ok'), { timeout: 30_000 })
        .toBe('false');
      expect(await page.getByTestId('builder-check-result').textContent()).toMatch(
        /forbidden|not allowed|cannot create/i,
      );
    } finally {
      await viewer.stop();
    }
  });
});
