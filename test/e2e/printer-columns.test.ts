// What `kubectl get pipelines` prints, column by column, for a scheduled Pipeline, a one-shot
// Pipeline and one no operator has seen yet. No operator runs here: status is written through the
// status subresource, as the operator writes it (src/plan/time.ts: RFC 3339, UTC, no fraction),
// so each column can be checked against a known value.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { PipelineStatus } from '../../src/api/types.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { createPipeline, installCrd, pipeline, stage } from './support/pipelines.ts';

const exec = promisify(execFile);
const c: Clients = clients();
let ns: { name: string; cleanup: () => Promise<void> };

/** A time in the future, as the operator writes nextScheduleTime. */
const NEXT = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const LAST = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

const STATUS: Record<string, PipelineStatus> = {
  nightly: {
    observedGeneration: 1,
    phase: 'Scheduled',
    progress: '3/3',
    lastRun: { id: 's-20250101-0200', trigger: 'schedule', phase: 'Succeeded', startTime: LAST, completionTime: LAST },
    lastScheduleTime: LAST,
    nextScheduleTime: NEXT,
  },
  once: {
    observedGeneration: 1,
    phase: 'Succeeded',
    progress: '2/2',
    lastRun: { id: 'g1', trigger: 'create', phase: 'Succeeded', startTime: LAST, completionTime: LAST },
  },
};

async function writeStatus(name: string, status: PipelineStatus): Promise<void> {
  await c.custom.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace: ns.name, plural: PLURAL, name, body: { status } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

beforeAll(async () => {
  await installCrd(c);
  ns = await testNamespace(c, 'printcols');
  const stages = [
    stage('extract'),
    stage('transform', { dependsOn: ['extract'] }),
    stage('load', { dependsOn: ['transform'] }),
  ];
  await createPipeline(c, ns.name, pipeline('nightly', { schedule: '0 2 * * *', stages }));
  await createPipeline(c, ns.name, pipeline('once', { stages: stages.slice(0, 2) }));
  await createPipeline(c, ns.name, pipeline('fresh', { stages: stages.slice(0, 1) }));
  for (const [name, status] of Object.entries(STATUS)) await writeStatus(name, status);
});
afterAll(async () => ns?.cleanup());

/** `kubectl get pipelines` as rows of {COLUMN: value}, cut at the header's column starts. */
async function kubectlGet(
  ...args: string[]
): Promise<{ header: string[]; rows: Record<string, Record<string, string>> }> {
  const { stdout } = await exec(inject('kubectl'), [
    '--kubeconfig',
    inject('kubeconfig'),
    '-n',
    ns.name,
    'get',
    'pipelines',
    ...args,
  ]);
  const [headerLine = '', ...lines] = stdout.trimEnd().split('\n');
  const header = headerLine.trim().split(/ {2,}/);
  const starts = header.map((name) => headerLine.indexOf(name));
  const rows: Record<string, Record<string, string>> = {};
  for (const line of lines) {
    const row = Object.fromEntries(header.map((name, i) => [name, line.slice(starts[i], starts[i + 1]).trim()]));
    rows[row.NAME ?? ''] = row;
  }
  return { header, rows };
}

describe('kubectl get pipelines', () => {
  it('prints every column: the next run as its RFC 3339 time, never <invalid>', async () => {
    const { header, rows } = await kubectlGet();
    expect(header).toEqual(['NAME', 'PHASE', 'PROGRESS', 'LAST RUN', 'NEXT RUN', 'AGE']);
    expect(rows.nightly).toMatchObject({
      PHASE: 'Scheduled',
      PROGRESS: '3/3',
      'LAST RUN': 's-20250101-0200',
      'NEXT RUN': NEXT,
    });
    // kubectl leaves the cell of a field that is not set empty (custom columns print no <none>).
    expect(rows.once).toMatchObject({ PHASE: 'Succeeded', PROGRESS: '2/2', 'LAST RUN': 'g1', 'NEXT RUN': '' });
    expect(rows.fresh).toMatchObject({ PHASE: '', PROGRESS: '', 'LAST RUN': '', 'NEXT RUN': '' });
    for (const row of Object.values(rows)) expect(row.AGE, row.NAME).toMatch(/^\d+(s|m\d*s?)$/);
    expect(Object.keys(rows).sort()).toEqual(['fresh', 'nightly', 'once']);
  });

  it('-o wide adds the schedule', async () => {
    const { header, rows } = await kubectlGet('-o', 'wide');
    expect(header).toEqual(['NAME', 'PHASE', 'PROGRESS', 'LAST RUN', 'NEXT RUN', 'SCHEDULE', 'AGE']);
    expect(rows.nightly).toMatchObject({ 'NEXT RUN': NEXT, SCHEDULE: '0 2 * * *' });
    expect(rows.once).toMatchObject({ 'NEXT RUN': '', SCHEDULE: '' });
  });
});
