// --events warnings: the operator writes Warning Events only. A pipeline runs and succeeds (its
// Normal RunStarted and RunSucceeded would be sent right after the status writes that record
// them), then another fails; once the failure's Warning is there, the earlier Normal ones would
// be too, and are not. The log still names every Event.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import { createPipeline, failsWith, installCrd, pipeline, stage, waitForPipeline } from './support/pipelines.ts';

const c: Clients = clients();
const suite = operatorSuite(c, 'events', ['ev-warn'], () => installCrd(c), ['--events', 'warnings']);
beforeAll(suite.setUp);
afterAll(suite.tearDown);

const conveyorEvents = async (namespace: string) =>
  (await c.core.listNamespacedEvent({ namespace })).items.filter(
    (e) => e.reportingComponent === 'conveyor' || e.source?.component === 'conveyor',
  );

describe('--events warnings', () => {
  it('writes the Warning of a failed run and none of the Normal per-run Events', async () => {
    const n = suite.ns('ev-warn');
    await createPipeline(c, n, pipeline('fine', { stages: [stage('only')] }));
    await waitForPipeline(c, n, 'fine', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
    await createPipeline(c, n, pipeline('broken', { stages: [stage('only', { podTemplate: failsWith(3) })] }));
    await waitForPipeline(c, n, 'broken', 'Failed', (p) => p.status?.phase === 'Failed');
    await waitFor('a RunFailed Event for broken', 30_000, async () =>
      (await conveyorEvents(n)).some(
        (e) => e.reason === 'RunFailed' && e.involvedObject.name === 'broken' && e.type === 'Warning',
      ),
    );

    const events = await conveyorEvents(n);
    expect(events.filter((e) => e.type !== 'Warning').map((e) => `${e.involvedObject.name}: ${e.reason}`)).toEqual([]);
    const log = readFileSync(suite.operator().logFile, 'utf8');
    for (const reason of ['RunStarted', 'RunSucceeded'])
      expect(log, `the log names ${reason}`).toContain(`"reason":"${reason}"`);
  });
});
