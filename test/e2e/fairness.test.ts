// Fairness between namespaces (issue 12, item 4), end to end: the real operator with two
// workers, a burst of Pipelines in one namespace, then one Pipeline in another. The work queue
// serves namespaces in turn, so the small namespace's Pipeline runs to Succeeded while the burst
// still has Pipelines the operator has not reconciled once — observed from the API, not timed.
// With one FIFO over all keys it would wait behind the whole burst.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../src/api/types.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import { createPipeline, getPipeline, installCrd, pipeline, runsFor, stage } from './support/pipelines.ts';

/** As small as still shows the effect on 2 cores; the operator reconciles ~20–60 a second here. */
const BURST = 400;
const CREATES_IN_FLIGHT = 40;

const c: Clients = clients();
const suite = operatorSuite(c, 'fairness', ['fair-big', 'fair-small'], () => installCrd(c), [
  '--workers',
  '2',
  '--log-level',
  'info',
]);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

async function listPipelines(namespace: string): Promise<Pipeline[]> {
  const list = (await c.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
  })) as { items: Pipeline[] };
  return list.items;
}

/** Runs `work` for 0..count-1 with at most `limit` in flight. */
async function pool(count: number, limit: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

const reconciled = (p: Pipeline): boolean => p.status?.phase !== undefined;

describe('fairness between namespaces', () => {
  it(`a Pipeline in a small namespace Succeeds while a burst of ${BURST} in another is still queued`, async () => {
    const big = suite.ns('fair-big');
    const small = suite.ns('fair-small');
    // Stages that run for a while: the burst's own Job updates stay few during the test.
    await pool(BURST, CREATES_IN_FLIGHT, (i) =>
      createPipeline(c, big, pipeline(`burst-${i}`, { stages: [stage('work', { podTemplate: runsFor(120) })] })),
    );
    await createPipeline(c, small, pipeline('small', { stages: [stage('only')] }));

    // Read the small Pipeline first, then the burst: the count of burst Pipelines not reconciled
    // can only have shrunk since the small one was seen Succeeded.
    const outcome = await waitFor(
      'the small Pipeline Succeeded, or every burst Pipeline reconciled first',
      150_000,
      async () => {
        const smallDone = (await getPipeline(c, small, 'small')).status?.phase === 'Succeeded';
        const burst = await listPipelines(big);
        const notYet = burst.filter((p) => !reconciled(p)).length;
        return smallDone || (burst.length === BURST && notYet === 0) ? { smallDone, notYet } : undefined;
      },
      1_000,
    );
    expect(outcome.smallDone, 'the whole burst was reconciled before the small namespace Pipeline Succeeded').toBe(
      true,
    );
    expect(
      outcome.notYet,
      `burst Pipelines not reconciled once when the small one Succeeded: ${outcome.notYet} of ${BURST}`,
    ).toBeGreaterThan(0);

    // Fair, not starving the other way: the whole burst is reconciled too.
    await waitFor(
      `all ${BURST} burst Pipelines reconciled`,
      240_000,
      async () => (await listPipelines(big)).every(reconciled),
      1_000,
    );
  }, 450_000);
});
