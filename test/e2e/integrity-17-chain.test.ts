// Issue 17, chaining, end to end against the real operator and API server: case 5 (a 7-tick
// upstream backfill with --max-active 1 runs the chained pipeline once per tick, each with that
// tick's logical time) and case 11 (an upstream deleted and created again fires its chained
// pipeline for its new g1, although the old one's g1 fired it before).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import type { Pipeline } from '../../src/api/types.ts';
import { chainRunId } from '../../src/plan/names.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  getPipeline,
  installCrd,
  pipeline,
  runsFor,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'chain-17', ['bfchain', 'recreate'], () => installCrd(c));
const root = fileURLToPath(new URL('../..', import.meta.url));
const conveyor = (args: string[]) =>
  promisify(execFile)(process.execPath, [`${root}/bin/conveyor.js`, ...args, '--kubeconfig', inject('kubeconfig')]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const chainRuns = (p: Pipeline) => (p.status?.runs ?? []).filter((r) => r.trigger === 'chain');
const succeeded = (p: Pipeline) => chainRuns(p).filter((r) => r.phase === 'Succeeded');
const report = () =>
  pipeline('report', {
    triggers: { after: [{ pipeline: 'ingest' }] },
    concurrencyPolicy: 'Allow',
    stages: [stage('r')],
  });

describe.concurrent('issue 17: chaining', () => {
  it('case 5: a 7-tick upstream backfill (--max-active 1) runs the chained pipeline 7 times, each with its tick', async () => {
    const n = suite.ns('bfchain');
    await createPipeline(
      c,
      n,
      pipeline('ingest', { schedule: '@daily', stages: [stage('x', { podTemplate: runsFor(2) })] }),
    );
    await waitForPipeline(c, n, 'ingest', 'ingest Scheduled', (p) => p.status?.phase === 'Scheduled');
    await createPipeline(c, n, report());
    // The backfill starts only once report has seen ingest: runs ended before that do not fire it.
    await waitForPipeline(
      c,
      n,
      'report',
      'report has seen ingest',
      (p) => p.status?.lastTriggers?.[0]?.pipeline === 'ingest',
    );
    await conveyor([
      'backfill',
      'ingest',
      '-n',
      n,
      '--from',
      '2025-01-01T00:00:00Z',
      '--to',
      '2025-01-08T00:00:00Z',
      '--max-active',
      '1',
    ]);
    const ingest = await waitForPipeline(
      c,
      n,
      'ingest',
      'backfill Succeeded',
      (p) => p.status?.backfill?.phase === 'Succeeded',
      240_000,
    );
    expect(ingest.status?.backfill).toMatchObject({ total: 7, done: 7 });
    const done = await waitForPipeline(
      c,
      n,
      'report',
      '7 chained runs Succeeded',
      (p) => succeeded(p).length === 7,
      120_000,
    );
    const times = (runs: NonNullable<Pipeline['status']>['runs']) =>
      (runs ?? []).map((r) => `${r.logicalTime} ${r.intervalStart} ${r.intervalEnd}`).sort();
    expect(times(succeeded(done))).toEqual(times(ingest.status?.runs?.filter((r) => r.trigger === 'backfill')));
    expect(chainRuns(done)).toHaveLength(7);
  });

  it('case 11: ingest deleted and created again: its new g1 runs report again, under a run id of its own', async () => {
    const n = suite.ns('recreate');
    await createPipeline(c, n, report());
    await waitForPipeline(c, n, 'report', 'report waiting', (p) => p.status?.phase === 'Scheduled');
    const spec = { stages: [stage('pull', { podTemplate: runsFor(3) })] };
    const first = await createPipeline(c, n, pipeline('ingest', spec));
    await waitForPipeline(c, n, 'report', 'a chained run for the first ingest', (p) => succeeded(p).length === 1);

    await c.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: n,
      plural: PLURAL,
      name: 'ingest',
    });
    await waitFor('ingest deleted', 60_000, async () =>
      getPipeline(c, n, 'ingest').then(
        () => false,
        () => true,
      ),
    );
    const second = await createPipeline(c, n, pipeline('ingest', spec));
    expect(second.metadata.uid).not.toBe(first.metadata.uid);
    const p = await waitForPipeline(
      c,
      n,
      'report',
      'a chained run for the second ingest',
      (x) => succeeded(x).length === 2,
      180_000,
    );
    expect(
      succeeded(p)
        .map((r) => r.id)
        .sort(),
    ).toEqual([chainRunId('ingest', first.metadata.uid, 'g1'), chainRunId('ingest', second.metadata.uid, 'g1')].sort());
    expect(p.status?.lastTriggers?.[0]).toMatchObject({ pipeline: 'ingest', uid: second.metadata.uid, run: 'g1' });
  });
});
