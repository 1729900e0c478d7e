// The Console benchmark's figures as bench/RESULTS-console.md (the same header as RESULTS.md:
// command, machine, versions).
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface Memory {
  /** The page's JS heap (CDP Performance.getMetrics, after HeapProfiler.collectGarbage), bytes. */
  jsHeapUsed: number;
  jsHeapTotal: number;
  /** DOM nodes in the page. */
  nodes: number;
  /** This process's RSS (the Console server, its watches, and the bench's own clients), bytes. */
  rss: number;
}

export interface ConsoleFigures {
  pipelines: number;
  updates: number;
  namespace: string;
  uiBuilt: string;
  browserVersion: string;
  createSeconds: number;
  /** backend.start(): the watch cache's first lists. */
  backendStartMs: number;
  /** RSS before the backend started (pipelines created, browser launched). */
  rssBefore: number;
  firstRender: {
    nodeMs: number;
    pageMs: number;
    navigation?: { responseEnd: number; domContentLoaded: number; load: number };
  };
  /** rowLatencies: per visible row, its write returned → the row shows Succeeded (ms, sorted). */
  update: { nodeMs: number; pageMs: number; writesMs: number; concurrency: number; rowLatencies: number[] };
  memoryAfterRender: Memory;
  memoryAfterUpdates: Memory;
  pageProblems: string[];
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (value: number): string => `${value.toFixed(0)} ms`;

function percentiles(sorted: number[]): string {
  if (sorted.length === 0) return 'n/a';
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return `${ms(at(50))} / ${ms(at(95))} / ${ms(sorted[sorted.length - 1]!)}`;
}

function peakRss(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
}

function versions(browserVersion: string): string {
  const cluster = readFileSync(`${root}/hack/versions.env`, 'utf8')
    .match(/^[A-Z_]+=.*$/gm)
    ?.join(', ');
  const playwright = (
    JSON.parse(readFileSync(`${root}/node_modules/playwright-core/package.json`, 'utf8')) as { version: string }
  ).version;
  return `Node ${process.version}; Chromium ${browserVersion} (Debian, headless) driven by playwright-core ${playwright}; ${cluster}`;
}

export function consoleReport(f: ConsoleFigures): string {
  const nav = f.firstRender.navigation;
  const command = `npm run bench -- --console${f.pipelines !== 1000 ? ` --pipelines ${f.pipelines}` : ''}${f.updates !== 100 ? ` --updates ${f.updates}` : ''}`;
  return `# Console benchmark results

Written by \`${command}\` (bench/console.ts) on ${new Date().toISOString()}.

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${versions(f.browserVersion)}.
Cluster: the local KWOK cluster. No operator: the bench writes the statuses itself through the status subresource.
Workload: ${f.pipelines} one-stage Pipelines in a fresh namespace, each with a Running status (created in ${f.createSeconds.toFixed(1)} s, ${16} in flight); the Console server in the bench process, its backend scoped to that namespace; ${f.uiBuilt}.

| figure | value |
|---|---|
| time to first render: navigation of the one-time URL → overview shows ${Math.min(50, f.pipelines)} rows, "of ${f.pipelines}" and ${f.pipelines} Running | ${ms(f.firstRender.nodeMs)} (page clock: ${ms(f.firstRender.pageMs)} after navigation start) |
| of which: HTML received / DOMContentLoaded / load (page clock) | ${nav ? `${ms(nav.responseEnd)} / ${ms(nav.domContentLoaded)} / ${ms(nav.load)}` : 'n/a'} |
| time to apply ${f.updates} status updates: first write → DOM shows all ${f.updates} Succeeded | ${ms(f.update.nodeMs)} (page clock: ${ms(f.update.pageMs)}) |
| of which: the ${f.updates} status writes (${f.update.concurrency} in flight) / the last write returned → DOM shows all | ${ms(f.update.writesMs)} / ${ms(f.update.nodeMs - f.update.writesMs)} |
| per update, for the ${f.update.rowLatencies.length} rows on screen: its write returned → its row shows Succeeded, p50 / p95 / max | ${percentiles(f.update.rowLatencies)} |
| backend start (the watch cache's first lists of Pipelines, Jobs, Events) | ${ms(f.backendStartMs)} |
| bench process RSS: before the backend started / after first render / after the updates / peak | ${mib(f.rssBefore)} / ${mib(f.memoryAfterRender.rss)} / ${mib(f.memoryAfterUpdates.rss)} / ${mib(peakRss())} |
| page JS heap used (after a GC): after first render / after the updates | ${mib(f.memoryAfterRender.jsHeapUsed)} / ${mib(f.memoryAfterUpdates.jsHeapUsed)} (heap total ${mib(f.memoryAfterUpdates.jsHeapTotal)}) |
| DOM nodes: after first render / after the updates (filtered to the ${f.updates}) | ${f.memoryAfterRender.nodes} / ${f.memoryAfterUpdates.nodes} |
| page errors | ${f.pageProblems.length === 0 ? 'none' : f.pageProblems.join('; ')} |

"Rendered" and "updated" are read from the DOM, polled every animation frame
(\`page.waitForFunction\`, polling \`raf\`). For the updates the overview is first filtered (its
Labels box) to the ${f.updates} labelled Pipelines, so the updated ones are the rows on screen; the
overview pages at 50 rows, so the rows show ${Math.min(50, f.updates)} of them and the phase chips,
counted over every Pipeline the page holds, show the rest: done means every visible row Succeeded,
the Succeeded chip at ${f.updates} and the Running chip at ${f.pipelines - f.updates}. The bench
clock includes the round trip of the last poll; the page clock is the page's own time of the frame
that met the condition (for the updates, against the bench's wall clock at the first write: same
machine, millisecond resolution).

The RSS is the bench process's: the Console server and its watch cache run in it, along with the
bench's own Kubernetes client and playwright-core's driver, so the server's share is roughly the
growth from "before the backend started". Numbers vary with what else the 2 cores do.
`;
}
