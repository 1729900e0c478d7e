// `npm run release`: every artifact of a release in dist/release/ (or --out DIR), with SHA256SUMS.
//
//   conveyor-image-<version>.oci.tar    the operator image (hack/image.sh), an OCI archive
//   sbom.cdx.json                       its SBOM (CycloneDX), from the same script
//   conveyor-<chart version>.tgz        the Helm chart, image.digest pinned to that image
//   conveyor-cli-<version>.tgz          the CLI, bundled: `npm install -g` it with no registry
//   conveyor-headlamp-<version>.tar.gz  the Headlamp plugin
//   SHA256SUMS                          `sha256sum -c SHA256SUMS` checks them
//
// Options: --out DIR; --image-repository REPO sets the chart's image.repository (default: the
// chart's placeholder; users set theirs with --set image.repository=… after pushing the archive).
// Everything is built in DIR.work and moved into DIR only when all of it succeeded.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureHelm, REPO_ROOT } from '../test/support/tools.ts';
import { packageChart, readChart } from './release/chart.ts';
import { type Artifact, writeChecksums } from './release/checksums.ts';
import { packCli } from './release/cli.ts';
import { packHeadlamp } from './release/headlamp.ts';
import { buildImage } from './release/image.ts';

const CHART_DIR = join(REPO_ROOT, 'charts/conveyor');

/** SOURCE_DATE_EPOCH when set (the reproducible-builds convention), else the commit's time. */
function sourceDate(): number {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined) {
    if (!/^\d+$/.test(env)) throw new Error(`SOURCE_DATE_EPOCH=${env} is not a number of seconds`);
    return Number(env);
  }
  return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim());
}

/** The image is tagged with package.json's version and the chart runs appVersion: they must agree. */
function releaseVersion(): string {
  const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  const chart = readChart(CHART_DIR);
  if (chart.appVersion !== version)
    throw new Error(`charts/conveyor/Chart.yaml appVersion ${chart.appVersion} is not package.json's ${version}`);
  return version;
}

async function buildAll(out: string, work: string, repository: string | undefined): Promise<string> {
  const version = releaseVersion();
  const image = buildImage(REPO_ROOT, join(work, 'image'));
  renameSync(image.archive, join(out, `conveyor-image-${version}.oci.tar`));
  renameSync(image.sbom, join(out, 'sbom.cdx.json'));
  console.error(`[release] image ${image.digest}; packaging the chart, the CLI and the Headlamp plugin`);
  const helm = ensureHelm();
  const chartStage = join(work, 'chart');
  mkdirSync(chartStage);
  const mtime = sourceDate();
  packageChart({
    helm,
    chartDir: CHART_DIR,
    stageDir: chartStage,
    outDir: out,
    digest: image.digest,
    repository,
    mtime,
  });
  packCli(REPO_ROOT, join(work, 'cli'), out);
  const plugin = packHeadlamp(REPO_ROOT);
  // Copied, not moved: the plugin folder may be on another file system than --out.
  copyFileSync(plugin, join(out, basename(plugin)));
  rmSync(plugin);
  return image.digest;
}

function size(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

function summary(rows: Artifact[], out: string, digest: string, seconds: number): string {
  const width = Math.max(...rows.map((r) => r.name.length));
  return [
    `${out} (${seconds.toFixed(0)} s), image ${digest}:`,
    ...rows.map((r) => `  ${r.name.padEnd(width)}  ${size(r.bytes).padStart(8)}  ${r.sha256}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { out: { type: 'string' }, 'image-repository': { type: 'string' } },
    allowPositionals: false,
  });
  const started = performance.now();
  const out = resolve(values.out ?? join(REPO_ROOT, 'dist/release'));
  const [partial, work] = [`${out}.partial`, `${out}.work`];
  for (const dir of [partial, work]) rmSync(dir, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  mkdirSync(work, { recursive: true });
  try {
    const digest = await buildAll(partial, work, values['image-repository']);
    const rows = await writeChecksums(partial);
    rmSync(out, { recursive: true, force: true });
    renameSync(partial, out);
    console.log(summary(rows, out, digest, (performance.now() - started) / 1000));
  } finally {
    rmSync(work, { recursive: true, force: true });
    rmSync(partial, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  console.error(`[release] ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
