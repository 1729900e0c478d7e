// The chart package: `helm package` of a staged copy of charts/conveyor whose values pin the
// image to the digest just built, so `helm install conveyor-<version>.tgz` runs exactly that image.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { run } from './exec.ts';
import { setTarMtimes } from './tar-mtime.ts';

export type ChartInfo = { name: string; version: string; appVersion: string };

export function readChart(chartDir: string): ChartInfo {
  const chart = parseDocument(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')).toJS() as Record<string, unknown>;
  const { name, version, appVersion } = chart;
  if (typeof name !== 'string' || typeof version !== 'string' || typeof appVersion !== 'string')
    throw new Error(`${chartDir}/Chart.yaml needs name, version and appVersion strings`);
  return { name, version, appVersion };
}

/**
 * Sets image.digest (and image.repository when given) in values.yaml, keeping its comments:
 * the packaged chart documents itself the same way as the source one.
 */
export function pinImage(valuesFile: string, digest: string, repository?: string): void {
  const doc = parseDocument(readFileSync(valuesFile, 'utf8'));
  if (!doc.hasIn(['image', 'digest'])) throw new Error(`${valuesFile} has no image.digest to pin`);
  doc.setIn(['image', 'digest'], digest);
  if (repository) doc.setIn(['image', 'repository'], repository);
  writeFileSync(valuesFile, doc.toString({ lineWidth: 0 }));
}

/**
 * Packages the chart into `outDir` and returns the file's path. helm stamps every tar entry with
 * the time of packaging; the entries get `mtime` instead, so one commit gives one archive.
 */
export function packageChart(opts: {
  helm: string;
  chartDir: string;
  stageDir: string;
  outDir: string;
  digest: string;
  repository?: string;
  mtime: number;
}): string {
  const info = readChart(opts.chartDir);
  const staged = join(opts.stageDir, info.name);
  cpSync(opts.chartDir, staged, { recursive: true });
  pinImage(join(staged, 'values.yaml'), opts.digest, opts.repository);
  run(opts.helm, ['lint', staged, '--strict', '--quiet']);
  run(opts.helm, ['package', staged, '--destination', opts.outDir]);
  const file = join(opts.outDir, `${info.name}-${info.version}.tgz`);
  setTarMtimes(file, opts.mtime);
  return file;
}
