import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Pipeline, PipelineStatus, RunStatus } from '../../../src/api/types.ts';
import type { CloudEvent } from '../../../src/notify/cloudevents.ts';
import { Notifier, type NotifierOptions, origin } from '../../../src/notify/notifier.ts';
import type { LineageRunEvent } from '../../../src/notify/openlineage.ts';
import type { HttpRequest } from '../../../src/notify/transport.ts';
import { CountingMetrics, FakeClock, failure, flush, HeldSink } from './fakes.ts';
import { pipelineWith, run, stage, T } from './fixtures.ts';
import { cloudEventProblems, lineageProblems } from './schemas.ts';

const OPS_SINK = 'http://ops.test/events';
const TEAM_PREFIX = 'http://team.test/';
const LINEAGE = 'http://marquez.test:5000/';
const KEY = 'data/orders';

function setUp(overrides: Partial<NotifierOptions> = {}) {
  const cloudEvents = new HeldSink();
  const lineage = new HeldSink();
  const metrics = { cloudevents: new CountingMetrics(), openlineage: new CountingMetrics() };
  const requeued: string[] = [];
  const notifier = new Notifier({
    cloudEvents: { sink: OPS_SINK, allowedSinks: [TEAM_PREFIX], send: cloudEvents.send },
    openLineage: { url: LINEAGE, namespace: 'conveyor', send: lineage.send },
    clock: new FakeClock(),
    metrics: (sink) => metrics[sink],
    queueSize: 100,
    requeue: (key) => requeued.push(key),
    log: pino({ level: 'silent' }),
    queue: { random: () => 0.5 },
    ...overrides,
  });
  return { notifier, cloudEvents, lineage, metrics, requeued };
}

/** A run whose second stage failed: the events a run with a failed stage produces. */
function failedRun(id = 'r1', fields: Partial<RunStatus> = {}): RunStatus {
  return run(id, 'Failed', {
    completionTime: T(5),
    message: 'stage load failed',
    stages: [
      stage('extract', 'Succeeded', { startTime: T(1), completionTime: T(2), attempts: 1, job: `${id}-extract` }),
      stage('load', 'Failed', {
        startTime: T(3),
        completionTime: T(4),
        attempts: 2,
        job: `${id}-load`,
        reason: 'BackoffLimitExceeded',
      }),
    ],
    ...fields,
  });
}

const withStatus = (status: PipelineStatus, spec = {}): Pipeline => pipelineWith(status, spec);
const events = (sink: HeldSink, url?: string): CloudEvent[] =>
  sink.calls
    .filter((c) => url === undefined || c.request.url === url)
    .map((c) => JSON.parse(c.request.body) as CloudEvent);
const kinds = (list: CloudEvent[]): string[] =>
  list.map((e) => `${e.type.replace('dev.conveyor.', '').replace('.v1', '')} ${e.subject}`);

describe('Notifier: a finished run', () => {
  it('sends its CloudEvents and OpenLineage events in causal order, valid, then asks for notified', async () => {
    const { notifier, cloudEvents, lineage, requeued, metrics } = setUp();
    notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    await cloudEvents.answerAll();
    await lineage.answerAll();
    expect(kinds(events(cloudEvents))).toEqual([
      'run.started r1',
      'stage.started r1/extract',
      'stage.succeeded r1/extract',
      'stage.started r1/load',
      'stage.failed r1/load',
      'stage.started r1/load',
      'stage.failed r1/load',
      'run.failed r1',
    ]);
    for (const e of events(cloudEvents)) expect(cloudEventProblems(e), e.type).toEqual([]);
    expect(cloudEvents.calls.every((c) => c.request.url === OPS_SINK)).toBe(true);
    const runEvents = lineage.calls.map((c) => JSON.parse(c.request.body) as LineageRunEvent);
    expect(runEvents.map((e) => `${e.eventType} ${e.job.name}`)).toEqual([
      'START data.orders',
      'START data.orders.extract',
      'COMPLETE data.orders.extract',
      'START data.orders.load',
      'FAIL data.orders.load',
      'START data.orders.load',
      'FAIL data.orders.load',
      'FAIL data.orders',
    ]);
    for (const e of runEvents) expect(lineageProblems(e), e.eventType).toEqual([]);
    expect(lineage.calls.every((c) => c.request.url === 'http://marquez.test:5000/api/v1/lineage')).toBe(true);
    expect(requeued).toEqual([KEY]);
    expect(notifier.facts(KEY)).toEqual({ runs: new Set(['r1']) });
    expect(metrics.cloudevents.counts).toEqual({ sent: 8, failed: 0, dropped: 0, depth: 0 });
    expect(metrics.openlineage.counts).toEqual({ sent: 8, failed: 0, dropped: 0, depth: 0 });
  });

  it('asks for notified only once every delivery of the run is sent or dropped', async () => {
    const { notifier, cloudEvents, lineage, requeued } = setUp();
    notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    await cloudEvents.answerAll();
    expect(requeued).toEqual([]);
    // The lineage endpoint refuses everything for good: dropped, which settles them too.
    await lineage.answerAll(failure(400));
    expect(requeued).toEqual([KEY]);
  });

  it('forgets the run once status says notified, and never sends it again', async () => {
    const { notifier, cloudEvents, lineage } = setUp();
    notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    await cloudEvents.answerAll();
    await lineage.answerAll();
    const sent = cloudEvents.calls.length;
    notifier.observe(withStatus({ lastRun: failedRun('r1', { notified: true }) }), 'update');
    expect(notifier.trackedRuns()).toBe(0);
    expect(notifier.facts(KEY)).toEqual({ runs: new Set() });
    notifier.observe(withStatus({ lastRun: failedRun('r1', { notified: true }) }), 'update');
    await flush();
    expect(cloudEvents.calls.length).toBe(sent);
  });

  it('sends nothing for runs already notified (as after a restart)', async () => {
    const { notifier, cloudEvents, lineage } = setUp();
    notifier.observe(withStatus({ lastRun: failedRun('r1', { notified: true }) }), 'add');
    await flush();
    expect(cloudEvents.calls).toEqual([]);
    expect(lineage.calls).toEqual([]);
    expect(notifier.trackedRuns()).toBe(0);
  });
});

describe('Notifier: a run going on', () => {
  it('queues each event once across updates, and asks for notified only after the terminal event', async () => {
    const { notifier, cloudEvents, lineage, requeued } = setUp();
    const running = run('r1', 'Running', {
      stages: [stage('extract', 'Running', { startTime: T(1), attempts: 1 }), stage('load', 'Pending')],
    });
    notifier.observe(withStatus({ lastRun: running }), 'add');
    notifier.observe(withStatus({ lastRun: running }), 'update');
    await cloudEvents.answerAll();
    await lineage.answerAll();
    expect(kinds(events(cloudEvents))).toEqual(['run.started r1', 'stage.started r1/extract']);
    expect(requeued).toEqual([]);
    notifier.observe(withStatus({ lastRun: failedRun() }), 'update');
    await cloudEvents.answerAll();
    await lineage.answerAll();
    expect(kinds(events(cloudEvents))).toHaveLength(8);
    expect(new Set(events(cloudEvents).map((e) => e.id)).size).toBe(8);
    expect(requeued).toEqual([KEY]);
  });

  it('closes the stages of a run that ended out of status detail, from the Pipeline delivered before', async () => {
    const { notifier, cloudEvents } = setUp({ openLineage: undefined });
    const r1Running = run('r1', 'Running', { stages: [stage('extract', 'Running', { startTime: T(1), attempts: 1 })] });
    const before = withStatus({ lastRun: r1Running, runs: [r1Running] });
    notifier.observe(before, 'add');
    // A change supersedes r1: it ends Succeeded in runs[] (no stages), r2 is lastRun.
    const r1Ended = run('r1', 'Succeeded', { completionTime: T(3) });
    const r2 = run('r2', 'Running', { startTime: T(3) });
    notifier.observe(withStatus({ lastRun: r2, runs: [r2, r1Ended] }), 'update', before);
    await cloudEvents.answerAll();
    const r1 = kinds(events(cloudEvents)).filter((k) => k.includes(' r1'));
    expect(r1).toEqual([
      'run.started r1',
      'stage.started r1/extract',
      'stage.succeeded r1/extract',
      'run.succeeded r1',
    ]);
  });

  it('sends the events of one run one at a time, runs side by side', async () => {
    const { notifier, cloudEvents } = setUp({ openLineage: undefined });
    notifier.observe(withStatus({ lastRun: failedRun('r2'), runs: [failedRun('r1'), failedRun('r2')] }), 'add');
    await flush();
    // Both runs' first events are in flight at once; neither run's second event is.
    expect(kinds(events(cloudEvents)).sort()).toEqual(['run.started r1', 'run.started r2']);
    await cloudEvents.calls[0]?.answer({ ok: true, status: 200 });
    expect(kinds(events(cloudEvents)).slice(2)).toEqual([`stage.started ${events(cloudEvents)[0]?.subject}/extract`]);
  });
});

describe('Notifier: sinks', () => {
  it("sends to the Pipeline's own sink when it is allowed, in its mode", async () => {
    const { notifier, cloudEvents } = setUp({ openLineage: undefined });
    const own = `${TEAM_PREFIX}orders`;
    notifier.observe(
      withStatus({ lastRun: failedRun() }, { notify: { cloudevents: { url: own, mode: 'binary' } } }),
      'add',
    );
    await cloudEvents.answerAll();
    const toOwn = cloudEvents.calls.filter((c) => c.request.url === own).map((c) => c.request);
    expect(toOwn).toHaveLength(8);
    expect(toOwn.map((r: HttpRequest) => r.headers['ce-type'])).toEqual(
      events(cloudEvents, OPS_SINK).map((e) => e.type),
    );
    expect(toOwn.map((r: HttpRequest) => r.headers['ce-id'])).toEqual(events(cloudEvents, OPS_SINK).map((e) => e.id));
    expect(notifier.facts(KEY)).toEqual({ runs: new Set(['r1']) });
  });

  it("sends once per mode when the Pipeline's own sink is the operator's: once structured, once binary", async () => {
    const sink = new HeldSink();
    const both = setUp({
      openLineage: undefined,
      cloudEvents: { sink: `${TEAM_PREFIX}all`, allowedSinks: [TEAM_PREFIX], send: sink.send },
    });
    const spec = (mode: 'structured' | 'binary') => ({ notify: { cloudevents: { url: `${TEAM_PREFIX}all`, mode } } });
    both.notifier.observe(withStatus({ lastRun: failedRun() }, spec('binary')), 'add');
    await sink.answerAll();
    expect(sink.calls.filter((c) => c.request.headers['ce-id'])).toHaveLength(8);
    expect(sink.calls).toHaveLength(16);
    // The same URL and mode as the operator's: sent once.
    const same = setUp({
      openLineage: undefined,
      cloudEvents: { sink: `${TEAM_PREFIX}all`, allowedSinks: [TEAM_PREFIX], send: sink.send },
    });
    same.notifier.observe(withStatus({ lastRun: failedRun() }, spec('structured')), 'add');
    expect(await sink.answerAll()).toBe(8);
  });

  it("refuses a Pipeline's own sink that is not allowed: nothing goes there, and the facts say why", async () => {
    const { notifier, cloudEvents } = setUp({ openLineage: undefined });
    const spec = { notify: { cloudevents: { url: 'http://169.254.169.254/latest' } } };
    notifier.observe(withStatus({ lastRun: failedRun() }, spec), 'add');
    await cloudEvents.answerAll();
    expect(cloudEvents.calls.map((c) => c.request.url)).toEqual(Array(8).fill(OPS_SINK));
    expect(notifier.facts(KEY)).toEqual({
      runs: new Set(['r1']),
      message: expect.stringContaining('is under none of the operator'),
    });
  });

  it('without any sink: only the refusal of a Pipeline sink is reported, nothing is queued', async () => {
    const { notifier, cloudEvents } = setUp({ cloudEvents: undefined, openLineage: undefined });
    expect(notifier.enabled()).toBe(false);
    notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    expect(notifier.facts(KEY)).toEqual({ runs: new Set() });
    const spec = { notify: { cloudevents: { url: `${TEAM_PREFIX}orders` } } };
    notifier.observe(withStatus({ lastRun: failedRun() }, spec), 'update');
    await flush();
    expect(cloudEvents.calls).toEqual([]);
    expect(notifier.facts(KEY)).toEqual({
      runs: new Set(),
      message: expect.stringContaining('--cloudevents-allowed-sinks is not set'),
    });
    expect(notifier.trackedRuns()).toBe(0);
    notifier.observe(withStatus({ lastRun: failedRun() }), 'update');
    expect(notifier.facts(KEY)).toEqual({ runs: new Set() });
  });
});

describe('Notifier: at least once', () => {
  it('a new notifier (restart, new leader) sends every run without notified again, with the same ids', async () => {
    const first = setUp();
    const pipeline = withStatus({ lastRun: failedRun() });
    first.notifier.observe(pipeline, 'add');
    await first.cloudEvents.answerAll();
    await first.lineage.answerAll();
    first.notifier.stop();
    const second = setUp();
    second.notifier.observe(pipeline, 'add');
    await second.cloudEvents.answerAll();
    await second.lineage.answerAll();
    expect(events(second.cloudEvents).map((e) => e.id)).toEqual(events(first.cloudEvents).map((e) => e.id));
    expect(second.lineage.bodies()).toEqual(first.lineage.bodies());
  });

  it('a full queue drops the oldest, counts it, and the run still ends notified', async () => {
    const { notifier, cloudEvents, requeued, metrics } = setUp({ openLineage: undefined, queueSize: 3 });
    notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    await cloudEvents.answerAll();
    expect(metrics.cloudevents.counts.dropped).toBe(5);
    expect(kinds(events(cloudEvents))).toEqual(['run.started r1', 'stage.failed r1/load', 'run.failed r1']);
    expect(requeued).toEqual([KEY]);
  });
});

describe('Notifier: memory', () => {
  it('forgets a deleted Pipeline; its deliveries still settle without effect', async () => {
    const { notifier, cloudEvents, lineage, requeued } = setUp();
    notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    notifier.observe(withStatus({ lastRun: failedRun() }), 'delete');
    expect(notifier.trackedRuns()).toBe(0);
    await cloudEvents.answerAll();
    await lineage.answerAll();
    expect(requeued).toEqual([]);
    expect(notifier.facts(KEY)).toEqual({ runs: new Set() });
  });

  it('forgets a run that leaves status before it is notified', async () => {
    const { notifier } = setUp();
    notifier.observe(withStatus({ lastRun: failedRun('r1') }), 'add');
    notifier.observe(withStatus({ lastRun: failedRun('r2') }), 'update');
    expect(notifier.trackedRuns()).toBe(1);
  });

  it('stays flat over 200 runs: nothing is kept for a notified run', async () => {
    const { notifier, cloudEvents, lineage, requeued } = setUp();
    const history: RunStatus[] = [];
    let peak = 0;
    for (let i = 0; i < 200; i++) {
      const id = `r${i}`;
      notifier.observe(withStatus({ lastRun: failedRun(id), runs: history.slice(0, 10) }), 'update');
      peak = Math.max(peak, notifier.trackedRuns());
      await cloudEvents.answerAll();
      await lineage.answerAll();
      history.unshift(failedRun(id, { notified: true, stages: undefined }));
      notifier.observe(
        withStatus({ lastRun: failedRun(id, { notified: true }), runs: history.slice(0, 10) }),
        'update',
      );
    }
    expect(peak).toBe(1);
    expect(notifier.trackedRuns()).toBe(0);
    expect(requeued).toHaveLength(200);
    expect(notifier.facts(KEY)).toEqual({ runs: new Set() });
  });
});

describe('Notifier: logs', () => {
  it('logs drops at most once per 10 s per sink, with the count, and only the sink origin', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const clock = new FakeClock();
    const secretSink = 'http://ops.test/hooks/T000/SECRET-PATH';
    const sink = new HeldSink();
    const refusing = setUp({
      log,
      clock,
      openLineage: undefined,
      cloudEvents: { sink: secretSink, allowedSinks: [], send: sink.send },
    });
    refusing.notifier.observe(withStatus({ lastRun: failedRun() }), 'add');
    await sink.answerAll(failure(400));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ sink: 'cloudevents', url: 'http://ops.test', dropped: 1 });
    expect(JSON.stringify(lines)).not.toContain('SECRET-PATH');
    await clock.advance(10_000);
    refusing.notifier.observe(withStatus({ lastRun: failedRun('r2') }), 'add');
    await sink.answerAll(failure(400));
    expect(lines).toHaveLength(2);
    // The second line counts the 7 drops held back after the first, and its own.
    expect(lines[1]).toMatchObject({ dropped: 8 });
  });

  it.each([
    ['https://hooks.example.com/T000/B000/XXXX?token=1', 'https://hooks.example.com'],
    ['http://127.0.0.1:8080/ce', 'http://127.0.0.1:8080'],
    ['not a url', '(not a URL)'],
  ])('origin(%s) is %s', (url, expected) => {
    expect(origin(url)).toBe(expected);
  });
});
