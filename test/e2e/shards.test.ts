// Shards end to end (issue 12, item 3): two operator processes side by side on the same
// namespaces, the default shard (no flag: Pipelines without the shard label) and shard "a"
// (--shard-key a), each electing its leader on its own Lease. Which process handled a Pipeline
// is read from each process's own log ('created job' lines name the Pipeline), never from
// anything written to the Pipeline.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, StageSpec } from '../../src/api/types.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite, startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import {
  createPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  runsFor,
  stage,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';

const SHARD_LABEL = 'sharding.conveyor.dev/key';
const c: Clients = clients();
const coordination = c.kc.makeApiClient(k8s.CoordinationV1Api);
const leaseArgs = (ns: (prefix: string) => string) => ['--leader-elect', '--leader-election-namespace', ns('shards')];
// The suite's operator is the default shard.
const suite = operatorSuite(c, 'shards-default', ['shards', 'move'], () => installCrd(c), leaseArgs);
let shardA: OperatorProcess | undefined;

beforeAll(async () => {
  await suite.setUp();
  shardA = await startOperatorProcess('shards-a', [
    '--namespaces',
    `${suite.ns('shards')},${suite.ns('move')}`,
    '--shard-key',
    'a',
    ...leaseArgs(suite.ns),
  ]);
});
afterAll(async () => {
  await shardA?.stop();
  await suite.tearDown();
});

const defaultLog = () => suite.operator().logFile;
const shardALog = () => shardA!.logFile;

type Created = { pipeline: string; stage: string; job: string };
/** The Jobs a process created, from its 'created job' log lines. */
function jobsCreatedBy(logFile: string): Created[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"created job"'))
    .map((line) => JSON.parse(line) as Created);
}

/** The times of a process's log lines about one Pipeline (a reconcile logs with its key). */
function linesAbout(logFile: string, key: string): number[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line.includes(`"pipeline":"${key}"`))
    .map((line) => Date.parse((JSON.parse(line) as { time: string }).time));
}

function labelled(name: string, spec: Pipeline['spec'], shard?: string): Pipeline {
  const p = pipeline(name, spec);
  return shard ? { ...p, metadata: { ...p.metadata, labels: { [SHARD_LABEL]: shard } } } : p;
}

const stageOf = (j: k8s.V1Job) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
const twoStages = (): StageSpec[] => [stage('extract'), stage('load', { dependsOn: ['extract'] })];

describe('shards', () => {
  it('each Pipeline is handled by exactly one shard, and each shard leads on its own Lease', async () => {
    const n = suite.ns('shards');
    const owners: [string, string | undefined][] = [
      ['in-a-1', 'a'],
      ['in-a-2', 'a'],
      ['default-1', undefined],
      ['default-2', undefined],
    ];
    for (const [name, shard] of owners) await createPipeline(c, n, labelled(name, { stages: twoStages() }, shard));
    for (const [name] of owners)
      await waitForPipeline(c, n, name, `${name} Succeeded`, (p) => p.status?.phase === 'Succeeded');

    const byA = jobsCreatedBy(shardALog());
    const byDefault = jobsCreatedBy(defaultLog());
    for (const [name, shard] of owners) {
      const key = `${n}/${name}`;
      const mine = (shard === 'a' ? byA : byDefault).filter((l) => l.pipeline === key);
      const other = (shard === 'a' ? byDefault : byA).filter((l) => l.pipeline === key);
      expect(mine.map((l) => l.stage).sort(), `Jobs of ${name} created by its shard (${shard ?? 'default'})`).toEqual([
        'extract',
        'load',
      ]);
      expect(other, `Jobs of ${name} created by the other shard`).toEqual([]);
      // Not even a status write or a log line: the other shard never reconciled it.
      expect(
        linesAbout(shard === 'a' ? defaultLog() : shardALog(), key),
        `log lines about ${name} in the other shard's log`,
      ).toEqual([]);
      const jobs = await stageJobs(c, n, name);
      expect(jobs.map(stageOf).sort(), `Jobs of ${name} in the API`).toEqual(['extract', 'load']);
    }

    const holder = async (name: string) =>
      (await coordination.readNamespacedLease({ name, namespace: n })).spec?.holderIdentity;
    const [defaultHolder, aHolder] = [await holder('conveyor-leader'), await holder('conveyor-leader-a')];
    expect(defaultHolder).toMatch(new RegExp(`_${suite.operator().child.pid}$`));
    expect(aHolder).toMatch(new RegExp(`_${shardA!.child.pid}$`));
  });

  it('a Pipeline relabelled to shard a while a stage runs is finished by shard a, no stage run twice', async () => {
    const n = suite.ns('move');
    const key = `${n}/mover`;
    await createPipeline(
      c,
      n,
      labelled('mover', {
        stages: [stage('slow', { podTemplate: runsFor(15) }), stage('after', { dependsOn: ['slow'] })],
      }),
    );
    const running = await waitForPipeline(
      c,
      n,
      'mover',
      'stage slow Running',
      (p) => p.status?.lastRun?.stages?.find((s) => s.name === 'slow')?.phase === 'Running',
    );
    const slowJob = running.status?.lastRun?.stages?.find((s) => s.name === 'slow')?.job ?? '';
    const before = await waitFor(
      'the slow Job in the API',
      30_000,
      async () =>
        (await c.batch.readNamespacedJob({ name: slowJob, namespace: n }).catch(() => undefined)) ?? undefined,
    );

    await mergePatchPipeline(c, n, 'mover', { metadata: { labels: { [SHARD_LABEL]: 'a' } } });
    const done = await waitForPipeline(c, n, 'mover', 'mover Succeeded', (p) => p.status?.phase === 'Succeeded');
    expect(done.status?.lastRun?.stages?.map((s) => [s.name, s.phase, s.attempts])).toEqual([
      ['slow', 'Succeeded', 1],
      ['after', 'Succeeded', 1],
    ]);

    const jobs = await stageJobs(c, n, 'mover');
    expect(jobs.map(stageOf).sort(), 'one Job per stage').toEqual(['after', 'slow']);
    expect(jobs.find((j) => stageOf(j) === 'slow')?.metadata?.uid, 'the running Job was kept, not made again').toBe(
      before.metadata?.uid,
    );
    // The default shard started the run; shard a, after the move, created the next stage.
    expect(
      jobsCreatedBy(defaultLog())
        .filter((l) => l.pipeline === key)
        .map((l) => l.stage),
    ).toEqual(['slow']);
    expect(
      jobsCreatedBy(shardALog())
        .filter((l) => l.pipeline === key)
        .map((l) => l.stage),
    ).toEqual(['after']);
    // A clean hand-over: the default shard said its last word about mover before shard a said its first.
    expect(Math.max(...linesAbout(defaultLog(), key))).toBeLessThan(Math.min(...linesAbout(shardALog(), key)));
  });
});
