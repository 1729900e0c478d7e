// A run executes the spec it started with (issue 9, finding 5). A scheduled or chained run is
// in flight when the spec is edited (a new image for the downstream stage, an added stage): the
// run must create its downstream Job from the old spec, pinned in a ControllerRevision owned by
// the Pipeline, while the next run uses the new spec; revisions nobody needs any more go away.
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, PipelineSpec, RunStatus } from '../../src/api/types.ts';
import {
  ANN_GENERATION,
  ANN_RUN_REQUESTED,
  LABEL_RUN,
  LABEL_STAGE,
  MANAGED_BY,
  MANAGED_BY_VALUE,
} from '../../src/api/labels.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  getPipeline,
  installCrd,
  mergePatchPipeline,
  pipeline,
  runsFor,
  stage,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const apps = c.kc.makeApiClient(k8s.AppsV1Api);
const suite = operatorSuite(c, 'pinned-spec', ['pin-sched', 'pin-chain'], () => installCrd(c));
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const OLD_IMAGE = 'busybox:1.36';
const NEW_IMAGE = 'busybox:1.37';
/** Long enough to edit the spec while the root runs, short enough to keep the test quick. */
const ROOT_SECONDS = 25;

/** Before: extract (long) → load (OLD_IMAGE). */
const oldStages = (): PipelineSpec['stages'] => [
  stage('extract', { podTemplate: runsFor(ROOT_SECONDS) }),
  stage('load', { dependsOn: ['extract'], image: OLD_IMAGE }),
];
/** After: load gets NEW_IMAGE, and a stage is added after it. */
const newStages = (): PipelineSpec['stages'] => [
  stage('extract', { podTemplate: runsFor(ROOT_SECONDS) }),
  stage('load', { dependsOn: ['extract'], image: NEW_IMAGE }),
  stage('publish', { dependsOn: ['load'] }),
];

const imageOf = (job: k8s.V1Job): string | undefined =>
  job.spec?.template.spec?.containers.find((x) => x.name === 'stage')?.image;
const stageOf = (job: k8s.V1Job): string => job.metadata?.labels?.[LABEL_STAGE] ?? '?';

/** lastRun and runs[], for finding one run whatever its place in status. */
const allRuns = (p: Pipeline): RunStatus[] => [
  ...(p.status?.lastRun ? [p.status.lastRun] : []),
  ...((p.status?.runs ?? []) as RunStatus[]),
];
const findRun = (p: Pipeline, match: (r: RunStatus) => boolean): RunStatus | undefined => allRuns(p).find(match);

async function revisionsOf(namespace: string, uid: string): Promise<k8s.V1ControllerRevision[]> {
  const list = await apps.listNamespacedControllerRevision({
    namespace,
    labelSelector: `${MANAGED_BY}=${MANAGED_BY_VALUE}`,
  });
  return list.items.filter((r) => r.metadata?.ownerReferences?.some((o) => o.uid === uid));
}

const specOf = (rev: k8s.V1ControllerRevision): PipelineSpec => (rev.data as { spec: PipelineSpec }).spec;

/** The revision of `generation` exists, is owned (controller) by the Pipeline and pins `stages`. */
async function expectPinned(
  namespace: string,
  p: Pipeline,
  generation: number,
  stages: PipelineSpec['stages'],
): Promise<void> {
  const revisions = await revisionsOf(namespace, p.metadata.uid ?? '');
  const rev = revisions.find((r) => r.revision === generation);
  expect(
    rev,
    `revision of generation ${generation} among ${revisions.map((r) => `${r.metadata?.name}@${r.revision}`).join(', ')}`,
  ).toBeDefined();
  expect(rev!.metadata?.ownerReferences).toEqual([
    expect.objectContaining({ kind: 'Pipeline', name: p.metadata.name, uid: p.metadata.uid, controller: true }),
  ]);
  expect(rev!.metadata?.labels?.[MANAGED_BY]).toBe(MANAGED_BY_VALUE);
  expect(specOf(rev!).stages).toEqual(stages);
}

/** The Jobs of one run: exactly `stages`, `load` on `image`, each stamped with `generation`. */
async function expectRunJobs(
  namespace: string,
  name: string,
  runId: string,
  expected: { stages: string[]; image: string; generation: number },
): Promise<void> {
  const jobs = (await stageJobs(c, namespace, name)).filter((j) => j.metadata?.labels?.[LABEL_RUN] === runId);
  expect(jobs.map(stageOf).sort(), `stages of run ${runId}`).toEqual([...expected.stages].sort());
  expect(imageOf(jobs.find((j) => stageOf(j) === 'load')!), `load image in run ${runId}`).toBe(expected.image);
  for (const j of jobs)
    expect(j.metadata?.annotations?.[ANN_GENERATION], `generation of ${j.metadata?.name}`).toBe(
      String(expected.generation),
    );
}

/**
 * The whole story once a run of generation `g1` is in flight: edit the spec, watch the run finish
 * on the old spec, start the next run (`next`), check it runs the new spec, and wait for the
 * revision of `g1` to be dropped.
 */
async function editWhileInFlight(
  namespace: string,
  created: Pipeline,
  inFlight: RunStatus,
  next: () => Promise<void>,
): Promise<void> {
  const name = created.metadata.name!;
  const g1 = created.metadata.generation!;
  expect(inFlight.generation).toBe(g1);
  // Recorded before any Job of the run exists, so it is there as soon as the run is.
  await expectPinned(namespace, created, g1, oldStages());

  const edited = await mergePatchPipeline(c, namespace, name, { spec: { stages: newStages() } });
  const g2 = edited.metadata.generation!;
  expect(g2).toBeGreaterThan(g1);
  // Still needed: the run of g1 has not created its downstream stage yet.
  const root = (await stageJobs(c, namespace, name)).find(
    (j) => j.metadata?.labels?.[LABEL_RUN] === inFlight.id && stageOf(j) === 'extract',
  );
  expect(root, `root Job of run ${inFlight.id}`).toBeDefined();
  expect(root!.status?.succeeded ?? 0, 'the root of the run in flight is still running after the edit').toBe(0);
  await expectPinned(namespace, created, g1, oldStages());

  const finished = await waitForPipeline(
    c,
    namespace,
    name,
    `run ${inFlight.id} Succeeded`,
    (p) => findRun(p, (r) => r.id === inFlight.id)?.phase === 'Succeeded',
    90_000,
  );
  const done = findRun(finished, (r) => r.id === inFlight.id)!;
  expect(done.generation).toBe(g1);
  await expectRunJobs(namespace, name, inFlight.id, { stages: ['extract', 'load'], image: OLD_IMAGE, generation: g1 });

  await next();
  const later = await waitForPipeline(
    c,
    namespace,
    name,
    `a run after ${inFlight.id} Succeeded`,
    (p) =>
      findRun(p, (r) => r.trigger === inFlight.trigger && r.id !== inFlight.id && r.phase === 'Succeeded') !==
      undefined,
    150_000,
  );
  const second = findRun(
    later,
    (r) => r.trigger === inFlight.trigger && r.id !== inFlight.id && r.phase === 'Succeeded',
  )!;
  expect(second.generation).toBe(g2);
  await expectRunJobs(namespace, name, second.id, {
    stages: ['extract', 'load', 'publish'],
    image: NEW_IMAGE,
    generation: g2,
  });

  // No run of g1 is active any more: only the current generation's revision stays.
  const remaining = await waitFor('only the revision of the current generation left', 30_000, async () => {
    const revisions = await revisionsOf(namespace, created.metadata.uid ?? '');
    return revisions.length === 1 && revisions[0]!.revision === g2 ? revisions : undefined;
  });
  expect(specOf(remaining[0]!).stages).toEqual(newStages());
}

describe.concurrent('a run in flight keeps the spec it started with', () => {
  it('a scheduled run: the edit reaches the next tick, not the run in flight', async () => {
    const n = suite.ns('pin-sched');
    const created = await createPipeline(c, n, pipeline('nightly', { schedule: '*/1 * * * *', stages: oldStages() }));
    const running = await waitForPipeline(
      c,
      n,
      'nightly',
      'a scheduled run Running',
      (p) => findRun(p, (r) => r.trigger === 'schedule' && r.phase === 'Running') !== undefined,
      90_000,
    );
    const inFlight = findRun(running, (r) => r.trigger === 'schedule' && r.phase === 'Running')!;
    // The next tick comes by itself.
    await editWhileInFlight(n, created, inFlight, async () => {});
  }, 300_000);

  it('a chained run: the edit reaches the next run the upstream starts, not the run in flight', async () => {
    const n = suite.ns('pin-chain');
    const created = await createPipeline(
      c,
      n,
      pipeline('report', { triggers: { after: [{ pipeline: 'ingest' }] }, stages: oldStages() }),
    );
    await waitForPipeline(c, n, 'report', 'report waiting for its upstream', (p) => p.status?.phase === 'Scheduled');
    await createPipeline(c, n, pipeline('ingest', { stages: [stage('pull', { podTemplate: runsFor(1) })] }));
    const running = await waitForPipeline(
      c,
      n,
      'report',
      'a chained run Running',
      (p) => findRun(p, (r) => r.trigger === 'chain' && r.phase === 'Running') !== undefined,
      60_000,
    );
    const inFlight = findRun(running, (r) => r.trigger === 'chain' && r.phase === 'Running')!;
    await editWhileInFlight(n, created, inFlight, async () => {
      // Another upstream run, asked for by hand, starts the next chained run.
      const before = await getPipeline(c, n, 'ingest');
      await mergePatchPipeline(c, n, 'ingest', {
        metadata: { annotations: { [ANN_RUN_REQUESTED]: `again-${Date.now()}` } },
      });
      await waitForPipeline(
        c,
        n,
        'ingest',
        'a manual ingest run Succeeded',
        (p) =>
          p.status?.lastRun?.trigger === 'manual' &&
          p.status.lastRun.phase === 'Succeeded' &&
          p.status.lastRun.id !== before.status?.lastRun?.id,
      );
    });
  }, 300_000);
});
