// Lifecycle notifications end to end (issue 19, parts 2 and 3): the operator POSTs CloudEvents and
// OpenLineage RunEvents to an in-test receiver on 127.0.0.1. A run with a failed stage produces
// both, each valid against the official schema (test/schemas), in causal order per run, and the
// set of distinct ids is exactly what the final status implies. SIGKILL mid-run: the next
// operator sends the run's events again (same ids) and every terminal event arrives. A Pipeline's
// own sink outside the allow-list receives nothing, and status says why.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../src/api/types.ts';
import { type CloudEvent, pipelineSource } from '../../src/notify/cloudevents.ts';
import { type LifecycleEvent, lifecycleEvents } from '../../src/notify/lifecycle.ts';
import type { LineageRunEvent } from '../../src/notify/openlineage.ts';
import { cloudEventProblems, lineageProblems } from '../unit/notify/schemas.ts';
import { clients, waitFor, type Clients } from './support/kube.ts';
import { operatorSuite } from './support/operator.ts';
import {
  createPipeline,
  failsWith,
  installCrd,
  pipeline,
  runsFor,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';

/** One POST the receiver got, in arrival order. */
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const TOKEN = 'e2e-lineage-token-19';
const received: Received[] = [];
let server: Server;
let base = '';

/** CloudEvents sink, the allowed per-Pipeline sinks, a refused one, and the OpenLineage endpoint. */
async function startReceiver(): Promise<void> {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      // The lineage endpoint checks the bearer token read from --openlineage-token-file.
      if (path === '/api/v1/lineage' && req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const c: Clients = clients();
const tokenDir = mkdtempSync(join(tmpdir(), 'conveyor-notify-'));
const suite = operatorSuite(
  c,
  'notify',
  ['failed', 'kill', 'refused'],
  async () => {
    await installCrd(c);
    await startReceiver();
    writeFileSync(join(tokenDir, 'token'), `${TOKEN}\n`);
  },
  () => [
    '--cloudevents-sink',
    `${base}/ce`,
    '--cloudevents-allowed-sinks',
    `${base}/team/`,
    '--openlineage-url',
    base,
    '--openlineage-token-file',
    join(tokenDir, 'token'),
  ],
);
beforeAll(suite.setUp);
afterAll(async () => {
  await suite.tearDown();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** The structured CloudEvents the operator sink got for one Pipeline, in arrival order. */
function cloudEventsOf(namespace: string, name: string): CloudEvent[] {
  const source = pipelineSource(namespace, name);
  return received
    .filter((r) => r.path === '/ce')
    .map((r) => JSON.parse(r.body) as CloudEvent)
    .filter((e) => e.source === source);
}

/** The lineage events of one Pipeline's jobs (conveyor/<ns>.<name>[.<stage>]), in arrival order. */
function lineageOf(namespace: string, name: string): LineageRunEvent[] {
  const job = `${namespace}.${name}`;
  return received
    .filter((r) => r.path === '/api/v1/lineage')
    .map((r) => JSON.parse(r.body) as LineageRunEvent)
    .filter((e) => e.job.name === job || e.job.name.startsWith(`${job}.`));
}

const short = (type: string): string => type.replace('dev.conveyor.', '').replace('.v1', '');

/** Each id once, at its first arrival: the order a receiver that de-duplicates sees. */
function firstArrivals(events: CloudEvent[]): CloudEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.id) && seen.add(e.id));
}

/**
 * Causal order within one run: the run starts first and ends last (one terminal event); each
 * stage's attempt starts before it ends, attempts in order; a stage starts only after the stages
 * it depends on succeeded.
 */
function causalProblems(events: CloudEvent[], dependsOn: Record<string, string[]>): string[] {
  const problems: string[] = [];
  const at = (type: string, subject: string): number =>
    events.findIndex((e) => short(e.type) === type && e.subject === subject);
  const run = events[0]?.subject ?? '';
  if (short(events[0]?.type ?? '') !== 'run.started') problems.push(`first is ${events[0]?.type}`);
  const terminal = events.filter((e) => /^run\.(succeeded|failed|cancelled)$/.test(short(e.type)));
  if (terminal.length !== 1 || events.at(-1) !== terminal[0]) problems.push('the run end is not the one last event');
  for (const [stageName, deps] of Object.entries(dependsOn)) {
    const subject = `${run}/${stageName}`;
    const started = at('stage.started', subject);
    const ended = Math.max(at('stage.succeeded', subject), at('stage.failed', subject));
    if (started >= 0 && ended >= 0 && ended < started) problems.push(`${subject} ends before it starts`);
    for (const dep of deps) {
      const depDone = at('stage.succeeded', `${run}/${dep}`);
      if (started >= 0 && (depDone < 0 || depDone > started))
        problems.push(`${subject} starts before ${dep} succeeded`);
    }
  }
  return problems;
}

/** The ids the final status implies, and checks that what arrived is exactly those (duplicates share ids). */
function expectIdsAsStatusImplies(final: Pipeline, events: CloudEvent[]): LifecycleEvent[] {
  const implied = lifecycleEvents(final);
  expect(new Set(events.map((e) => e.id))).toEqual(new Set(implied.map((e) => e.id)));
  const byId = new Map(implied.map((e) => [e.id, e]));
  for (const e of events) {
    const expected = byId.get(e.id);
    expect(e.type, e.id).toBe(expected?.type);
    expect(e.subject, e.id).toBe(expected?.stage ? `${expected.run}/${expected.stage}` : expected?.run);
  }
  return implied;
}

const notifiedRun = (p: Pipeline): boolean =>
  ['Succeeded', 'Failed'].includes(p.status?.lastRun?.phase ?? '') && p.status?.lastRun?.notified === true;

describe('lifecycle notifications', () => {
  it('a run with a failed stage: valid CloudEvents and OpenLineage events, in causal order, ids as status implies', async () => {
    const n = suite.ns('failed');
    const own = `${base}/team/orders`;
    await createPipeline(
      c,
      n,
      pipeline('orders', {
        notify: { cloudevents: { url: own, mode: 'binary' } },
        stages: [
          stage('extract', { outputs: [{ namespace: 's3://raw', name: 'orders/2026-12-06' }] }),
          stage('load', {
            dependsOn: ['extract'],
            podTemplate: failsWith(3),
            inputs: [{ namespace: 's3://raw', name: 'orders/2026-12-06' }],
            outputs: [{ namespace: 'postgres://wh:5432', name: 'public.orders' }],
          }),
        ],
      }),
    );
    const final = await waitForPipeline(c, n, 'orders', 'the failed run notified', notifiedRun);
    expect(final.status?.lastRun?.phase).toBe('Failed');

    const events = cloudEventsOf(n, 'orders');
    for (const e of events) expect(cloudEventProblems(e), `${e.type} ${e.subject}`).toEqual([]);
    // Nothing was sent twice: one operator, one attempt each.
    expect(events.map((e) => e.id)).toEqual(firstArrivals(events).map((e) => e.id));
    const implied = expectIdsAsStatusImplies(final, events);
    const run = final.status?.lastRun?.id;
    expect(events.map((e) => `${short(e.type)} ${e.subject}`)).toEqual([
      `run.started ${run}`,
      `stage.started ${run}/extract`,
      `stage.succeeded ${run}/extract`,
      `stage.started ${run}/load`,
      `stage.failed ${run}/load`,
      `run.failed ${run}`,
    ]);
    expect(causalProblems(events, { extract: [], load: ['extract'] })).toEqual([]);

    // The Pipeline's own (allowed) sink got the same events in binary mode: ce-* headers, the data as body.
    const binary = received.filter((r) => r.path === '/team/orders');
    expect(binary.map((r) => r.headers['ce-id'])).toEqual(events.map((e) => e.id));
    expect(binary.map((r) => r.headers['ce-type'])).toEqual(events.map((e) => e.type));
    expect(binary.map((r) => JSON.parse(r.body))).toEqual(events.map((e) => e.data));
    expect(final.status?.notify).toBeUndefined();

    // OpenLineage: the pipeline run and one run per stage attempt, all valid, parented, with datasets.
    const lineage = lineageOf(n, 'orders');
    for (const e of lineage) expect(lineageProblems(e), `${e.eventType} ${e.job.name}`).toEqual([]);
    const job = `${n}.orders`;
    expect(lineage.map((e) => `${e.eventType} ${e.job.name}`)).toEqual([
      `START ${job}`,
      `START ${job}.extract`,
      `COMPLETE ${job}.extract`,
      `START ${job}.load`,
      `FAIL ${job}.load`,
      `FAIL ${job}`,
    ]);
    const pipelineRun = lineage[0]?.run.runId;
    for (const e of lineage.filter((x) => x.job.name !== job)) {
      expect(e.run.facets.parent).toMatchObject({
        run: { runId: pipelineRun },
        job: { namespace: 'conveyor', name: job },
      });
    }
    const loadFail = lineage.find((e) => e.eventType === 'FAIL' && e.job.name === `${job}.load`);
    expect(loadFail?.run.facets.errorMessage).toMatchObject({ message: expect.any(String) });
    expect(loadFail?.inputs).toEqual([{ namespace: 's3://raw', name: 'orders/2026-12-06' }]);
    expect(loadFail?.outputs).toEqual([{ namespace: 'postgres://wh:5432', name: 'public.orders' }]);
    expect(lineage.length).toBe(implied.filter((e) => short(e.type) !== 'stage.cached').length);
  });

  it('SIGKILL mid-run: the next operator sends the run again with the same ids, and every terminal event arrives', async () => {
    const n = suite.ns('kill');
    await createPipeline(
      c,
      n,
      pipeline('relay', {
        stages: [
          stage('a', { podTemplate: runsFor(3) }),
          stage('b', { dependsOn: ['a'], podTemplate: runsFor(3) }),
          stage('c', { dependsOn: ['b'], podTemplate: runsFor(1) }),
        ],
      }),
    );
    // Kill once the run has visibly begun and before it ends.
    await waitFor('stage a started, seen by the sink', 60_000, async () =>
      cloudEventsOf(n, 'relay').some((e) => short(e.type) === 'stage.started' && e.subject.endsWith('/a')),
    );
    const beforeKill = cloudEventsOf(n, 'relay');
    expect(beforeKill.some((e) => short(e.type).startsWith('run.') && short(e.type) !== 'run.started')).toBe(false);
    await suite.restart('notify-after-kill');
    const final = await waitForPipeline(c, n, 'relay', 'the run notified after the kill', notifiedRun);
    expect(final.status?.lastRun?.phase).toBe('Succeeded');

    const events = cloudEventsOf(n, 'relay');
    for (const e of events) expect(cloudEventProblems(e), `${e.type} ${e.subject}`).toEqual([]);
    const implied = expectIdsAsStatusImplies(final, events);
    // Every terminal event arrived: the run's end, and each stage's.
    const ids = new Set(events.map((e) => e.id));
    for (const e of implied.filter((x) => x.terminal || short(x.type) === 'stage.succeeded')) {
      expect(ids.has(e.id), `${e.type} ${e.stage ?? ''}`).toBe(true);
    }
    // The run was not notified when the first operator died: the second sent its events again.
    const runStarted = implied.find((e) => short(e.type) === 'run.started')?.id;
    expect(events.filter((e) => e.id === runStarted).length).toBeGreaterThanOrEqual(2);
    expect(causalProblems(firstArrivals(events), { a: [], b: ['a'], c: ['b'] })).toEqual([]);
    // Lineage too: each (run, event type) once or more, all valid, the pipeline's COMPLETE last.
    const lineage = lineageOf(n, 'relay');
    for (const e of lineage) expect(lineageProblems(e), `${e.eventType} ${e.job.name}`).toEqual([]);
    expect(lineage.at(-1)).toMatchObject({ eventType: 'COMPLETE', job: { name: `${n}.relay` } });
    const distinct = new Set(lineage.map((e) => `${e.run.runId} ${e.eventType}`));
    expect(distinct.size).toBe(implied.length);
  });

  it("a Pipeline's own sink outside the allow-list receives nothing, and status says why", async () => {
    const n = suite.ns('refused');
    await createPipeline(
      c,
      n,
      pipeline('outside', {
        notify: { cloudevents: { url: `${base}/elsewhere/outside` } },
        stages: [stage('only')],
      }),
    );
    // The operator sink getting the run's terminal event proves the refused sink's turn came and went.
    await waitFor('the run end at the operator sink', 60_000, async () =>
      cloudEventsOf(n, 'outside').some((e) => short(e.type) === 'run.succeeded'),
    );
    const final = await waitForPipeline(c, n, 'outside', 'the refusal in status', (p) => !!p.status?.notify?.message);
    expect(final.status?.notify?.message).toContain("is under none of the operator's allowed sinks");
    expect(received.filter((r) => r.path.startsWith('/elsewhere'))).toEqual([]);
    const runEnded = await waitForPipeline(c, n, 'outside', 'the run notified', notifiedRun);
    expect(runEnded.status?.lastRun?.phase).toBe('Succeeded');
  });
});
