// The whole Reconciler (gather → plan → execute → write) over an in-memory cluster: the real
// planner, gatherer and stores; the ClusterView (our own interface) reads a cache that lags the
// "API server" until the test lets the watch deliver (`sync`); the executor and status writer are
// in-memory stand-ins with the contracts of execute.ts and write-status.ts (deterministic names,
// AlreadyExists is success, a status write conditional on the resourceVersion it carries).
// Each policy that holds or defers a write (reconciler.ts header) is driven here: refusal, the
// start-time hold, deferral, conflict, and a crash between execute and write.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { V1ControllerRevision, V1Job } from '@kubernetes/client-node';
import type { Pipeline, PipelineStatus } from '../../../src/api/types.ts';
import type { Action } from '../../../src/plan/planner.ts';
import type { ClusterView, NotifiedLookup } from '../../../src/controller/reconcile/gather.ts';
import type { ActionExecutor, Execution } from '../../../src/controller/reconcile/execute.ts';
import type { EventRecorder } from '../../../src/controller/reconcile/event-recorder.ts';
import { PendingObservations } from '../../../src/controller/reconcile/pending-observations.ts';
import { CONFLICT_REQUEUE_MS, Reconciler } from '../../../src/controller/reconcile/reconciler.ts';
import { START_TIME_HOLD_MS } from '../../../src/controller/reconcile/start-time-hold.ts';
import { normalize, type StatusWriter } from '../../../src/controller/reconcile/write-status.ts';
import { controllerUid } from '../../../src/controller/cache/owner-index.ts';
import { at, jobStatus, pipeline, stage, T0, type JobState } from '../plan/fixtures.ts';

const KEY = 'data/etl';
const conflict = Object.assign(new Error('conflict'), {
  code: 409,
  body: { reason: 'Conflict', message: 'the object has been modified' },
});

/** A write the test lets through when it wants. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Lets pending promise callbacks (a deferred status write) run to their end. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** The API server's objects, and the cache the operator reads, which lags until `sync`. */
class MemoryCluster {
  now = T0;
  private rv = 1;
  pipeline: Pipeline;
  readonly jobs = new Map<string, V1Job>();
  readonly revisions = new Map<string, V1ControllerRevision>();
  /** What the watch has delivered. */
  private cache: { pipeline: Pipeline | undefined; jobs: V1Job[]; revisions: V1ControllerRevision[] };
  /** Stage → the message the API server refuses the create of its Job with. */
  readonly refuse = new Map<string, string>();
  /** The stage of every Job create request, and of the ones that made a new object. */
  readonly createRequests: string[] = [];
  readonly created: string[] = [];
  /** The names of the Jobs created, in order: a name twice is a Job created again (a deleted one). */
  readonly createdNames: string[] = [];
  /** Statuses the API server accepted, in order; and every write asked for (conflicts too). */
  readonly written: PipelineStatus[] = [];
  writeRequests = 0;
  readonly events: string[] = [];
  readonly requeued: [string, number][] = [];
  /** The kinds of the actions of each execute() call, in order. */
  readonly executions: string[][] = [];
  /** This process's memory of what the cache cannot show yet (a restart makes a new one). */
  private pending = new PendingObservations(() => this.now.getTime());
  private jobsCreatedByLastCall = 0;
  /** The next status write: held until opened, refused with a conflict, or failed otherwise. */
  nextWrite: { hold?: Promise<void>; fail?: Error } = {};

  constructor(p: Pipeline) {
    this.pipeline = { ...p, metadata: { ...p.metadata, resourceVersion: String(this.rv) } };
    this.cache = { pipeline: this.pipeline, jobs: [], revisions: [] };
  }

  /** The watch delivers everything the API server holds now (telling the process of Jobs it created). */
  sync(): void {
    const known = new Set(this.cache.jobs.map((j) => j.metadata?.name));
    for (const j of this.jobs.values()) {
      if (!known.has(j.metadata?.name)) this.pending.jobObserved(j.metadata?.namespace, j.metadata?.name);
    }
    this.cache = { pipeline: this.pipeline, jobs: [...this.jobs.values()], revisions: [...this.revisions.values()] };
  }

  /** The Job watch delivers everything; the Pipeline watch lags behind (the cache keeps its old Pipeline). */
  syncJobs(): void {
    const pipeline = this.cache.pipeline;
    this.sync();
    this.cache = { ...this.cache, pipeline };
  }

  /** The Pipeline is deleted, and the watch says so; the garbage collector takes its Jobs. */
  deletePipeline(): void {
    this.jobs.clear();
    this.cache = { pipeline: undefined, jobs: [], revisions: [] };
  }

  /** Someone else changes the Pipeline (a label): its resourceVersion moves on. */
  touch(): void {
    const metadata = { ...this.pipeline.metadata, labels: { touched: 'yes' }, resourceVersion: String(++this.rv) };
    this.pipeline = { ...this.pipeline, metadata };
  }

  /** The Job controller moves the stage's Job on. */
  setJob(stageName: string, state: JobState, started = this.now): void {
    const found = [...this.jobs.values()].find((j) => j.metadata?.labels?.['conveyor.dev/stage'] === stageName);
    if (!found) throw new Error(`no Job for stage ${stageName}`);
    this.jobs.set(found.metadata!.name!, { ...found, status: jobStatus(state, started) });
  }

  /** The stages whose Job the API server holds. */
  jobStages(): string[] {
    return [...this.jobs.values()].map((j) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '').sort();
  }

  view(): ClusterView {
    const owned = <T extends { metadata?: { ownerReferences?: unknown } }>(items: T[], uid: string) =>
      items.filter((o) => controllerUid(o as V1Job) === uid);
    return {
      pipeline: (namespace, name) => (`${namespace}/${name}` === KEY ? this.cache.pipeline : undefined),
      pipelines: () => (this.cache.pipeline ? [this.cache.pipeline] : []),
      jobsOwnedBy: (uid) => owned(this.cache.jobs, uid),
      cronJobsOwnedBy: () => [],
      claimsOwnedBy: () => [],
      revisionsOwnedBy: (uid) => owned(this.cache.revisions, uid),
    };
  }

  /** execute.ts's contract: failures as data, Jobs this call created, the actions that succeeded. */
  executor(): ActionExecutor {
    const execute = async (namespace: string, actions: Action[]): Promise<Execution> => {
      this.executions.push(actions.map((a) => a.kind));
      this.jobsCreatedByLastCall = 0;
      const done: Execution = { failures: [], jobsCreated: 0, done: [] };
      for (const action of actions) {
        const failure = this.apply(namespace, action);
        if (failure) done.failures.push({ action, error: failure, status: 422, terminal: true });
        else done.done.push(action);
      }
      done.jobsCreated = this.jobsCreatedByLastCall;
      return done;
    };
    return { execute } as unknown as ActionExecutor;
  }

  /** One action against the API server: the refusal message, or undefined. */
  private apply(namespace: string, action: Action): string | undefined {
    if (action.kind === 'createJob') {
      const name = action.job.metadata?.name ?? '';
      const stageName = action.job.metadata?.labels?.['conveyor.dev/stage'] ?? '';
      this.createRequests.push(stageName);
      const refusal = this.refuse.get(stageName);
      if (refusal) return refusal;
      if (this.jobs.has(name)) return undefined; // AlreadyExists: ours, the work is done
      const metadata = { ...structuredClone(action.job.metadata), namespace, uid: `job-${name}` };
      this.jobs.set(name, { ...structuredClone(action.job), metadata });
      this.created.push(stageName);
      this.createdNames.push(name);
      this.pending.jobCreated(namespace, name);
      this.jobsCreatedByLastCall++;
    }
    if (action.kind === 'createRevision') {
      this.revisions.set(action.revision.metadata?.name ?? '', structuredClone(action.revision));
    }
    if (action.kind === 'deleteJob') this.jobs.delete(action.name);
    if (action.kind === 'deleteRevision') this.revisions.delete(action.name);
    return undefined;
  }

  /** write-status.ts's contract: conditional on the resourceVersion the plan saw. */
  statusWriter(): StatusWriter {
    const write = async (p: Pipeline, status: PipelineStatus): Promise<Pipeline> => {
      this.writeRequests++;
      const { hold, fail } = this.nextWrite;
      this.nextWrite = {};
      if (hold) await hold;
      if (fail) throw fail;
      if (p.metadata.resourceVersion !== this.pipeline.metadata.resourceVersion) throw conflict;
      const metadata = { ...this.pipeline.metadata, resourceVersion: String(++this.rv) };
      this.pipeline = { ...this.pipeline, metadata, status: normalize(status) };
      this.written.push(normalize(status));
      return this.pipeline;
    };
    return { write } as unknown as StatusWriter;
  }

  /** The operator's reconciler; each call is a new process (a restart), with empty stores. */
  reconciler(notified?: NotifiedLookup): Reconciler {
    this.pending = new PendingObservations(() => this.now.getTime());
    const emit = (_p: Pipeline, e: { reason: string }) => this.events.push(e.reason);
    const events = { emit } as unknown as EventRecorder;
    return new Reconciler({
      view: this.view(),
      executor: this.executor(),
      statusWriter: this.statusWriter(),
      events,
      log: pino({ level: 'silent' }),
      pending: this.pending,
      now: () => this.now,
      requeue: (key, ms) => this.requeued.push([key, ms]),
      ...(notified ? { notified } : {}),
    });
  }
}

const stageOf = (status: PipelineStatus | undefined, name: string) =>
  status?.lastRun?.stages?.find((s) => s.name === name);
/** The Job of stage `name` in the first run (names carry a hash after the run id). */
const jobOf = (name: string) => expect.stringMatching(new RegExp(`^etl-${name}-g1`));
const time = (value: unknown) => new Date(String(value)).getTime();
const lastWritten = (c: MemoryCluster) => c.written.at(-1);

/** A one-stage Pipeline whose first reconcile created stage a's Job and wrote its status. */
async function oneStageStarted(): Promise<{ c: MemoryCluster; r: Reconciler }> {
  const c = new MemoryCluster(pipeline({ stages: [stage('a')] }));
  const r = c.reconciler();
  await r.reconcile(KEY);
  await settle();
  return { c, r };
}

describe('Reconciler over an in-memory cluster', () => {
  it('refusal: a refused create is planned again in the same reconcile; status never claims the Job', async () => {
    const c = new MemoryCluster(pipeline({ stages: [stage('a')] }));
    c.refuse.set('a', 'HTTP 422: spec.template is invalid');
    const r = c.reconciler();
    await r.reconcile(KEY);
    // Planned twice (the refusal fed back): the second plan asks for no Job, nor again for the
    // run's pinned spec (the revision created, not in the cache yet: gather shows it all the same).
    // Created nothing, and wrote the truth at once (then its deletions: none).
    expect(c.executions).toEqual([['createRevision', 'createJob'], [], []]);
    expect(c.createRequests).toEqual(['a']);
    expect(c.jobStages()).toEqual([]);
    expect(c.written).toHaveLength(1);
    expect(stageOf(lastWritten(c), 'a')).toMatchObject({ phase: 'Failed', reason: 'JobRejected' });
    expect(stageOf(lastWritten(c), 'a')?.message).toContain('spec.template is invalid');
    expect(lastWritten(c)?.lastRun?.phase).toBe('Failed');
    // The next reconcile, from the written status: the Job is not asked for again.
    c.sync();
    await r.reconcile(KEY);
    expect(c.createRequests).toEqual(['a']);
    expect(c.written).toHaveLength(1);
  });

  it('the start-time hold: a change that is only a start time waits up to 30 s, then is written', async () => {
    const { c, r } = await oneStageStarted();
    expect(c.written).toHaveLength(1);
    expect(stageOf(lastWritten(c), 'a')?.startTime).toBeUndefined();
    // The Job starts: status would only gain the stage's start time.
    c.now = at(5);
    c.setJob('a', { state: 'running' }, at(2));
    c.sync();
    expect(await r.reconcile(KEY)).toEqual({ requeueAfterMs: START_TIME_HOLD_MS });
    expect(c.written).toHaveLength(1);
    c.now = at(20);
    expect(await r.reconcile(KEY)).toEqual({ requeueAfterMs: START_TIME_HOLD_MS - 15_000 });
    expect(c.written).toHaveLength(1);
    // The hold ends: written then, with nothing else to carry.
    c.now = at(35);
    await r.reconcile(KEY);
    expect(c.written).toHaveLength(2);
    expect(time(stageOf(lastWritten(c), 'a')?.startTime)).toBe(at(2).getTime());
  });

  it('the start-time hold: a change that comes meanwhile carries the start time in one write', async () => {
    const { c, r } = await oneStageStarted();
    c.now = at(5);
    c.setJob('a', { state: 'running' }, at(2));
    c.sync();
    await r.reconcile(KEY);
    c.now = at(12);
    c.setJob('a', { state: 'succeeded', at: at(11) }, at(2));
    c.sync();
    await r.reconcile(KEY);
    expect(c.written).toHaveLength(2);
    expect(stageOf(lastWritten(c), 'a')?.phase).toBe('Succeeded');
    expect(time(stageOf(lastWritten(c), 'a')?.startTime)).toBe(at(2).getTime());
    expect(c.events).toContain('RunSucceeded');
  });

  it("the notifier's facts reach the planner: a run it reports delivered is written notified, a refusal in status", async () => {
    const { c } = await oneStageStarted();
    const facts: { runs: Set<string>; message?: string } = { runs: new Set() };
    const asked: string[] = [];
    const r = c.reconciler((key) => {
      asked.push(key);
      return facts;
    });
    c.now = at(12);
    c.setJob('a', { state: 'succeeded', at: at(11) }, at(2));
    c.sync();
    await r.reconcile(KEY);
    const run = lastWritten(c)?.lastRun;
    expect(run?.phase).toBe('Succeeded');
    expect(run?.notified).toBeUndefined();
    // The notifier reports the run's deliveries settled, and the Pipeline's own sink refused.
    facts.runs.add(run?.id ?? '');
    facts.message = 'spec.notify.cloudevents.url is not sent to: the operator allows no per-Pipeline sinks';
    c.sync();
    await r.reconcile(KEY);
    expect(asked.every((key) => key === KEY)).toBe(true);
    expect(lastWritten(c)?.lastRun?.notified).toBe(true);
    expect(lastWritten(c)?.notify?.message).toBe(facts.message);
  });

  it('deferral: after a create the write goes on without the worker, and the next reconcile waits for it', async () => {
    const c = new MemoryCluster(pipeline({ stages: [stage('a')] }));
    const r = c.reconciler();
    const write = gate();
    c.nextWrite = { hold: write.promise };
    await r.reconcile(KEY);
    // The reconcile is done; the Job exists; its status write is still in flight.
    expect(c.created).toEqual(['a']);
    expect(c.written).toEqual([]);
    expect(c.events).toEqual([]);
    let second = false;
    const next = r.reconcile(KEY).then((result) => {
      second = true;
      return result;
    });
    await settle();
    expect(second).toBe(false);
    expect(c.executions).toHaveLength(1);
    write.open();
    // The next reconcile planned from the status written (the cache still shows none): it found
    // nothing to change (no write asked for, so no conflict), created nothing again, and the
    // first write's Events came after that write.
    expect(await next).toBeUndefined();
    expect(c.writeRequests).toBe(1);
    expect(c.written).toHaveLength(1);
    expect(stageOf(lastWritten(c), 'a')).toMatchObject({ phase: 'Running', job: jobOf('a') });
    expect(c.created).toEqual(['a']);
    expect(c.events).toContain('RunStarted');
  });

  it('conflict: a 409 on the status write discards the decision and asks for a reconcile soon', async () => {
    const { c, r } = await oneStageStarted();
    c.now = at(12);
    c.setJob('a', { state: 'succeeded', at: at(11) }, at(2));
    c.sync();
    const events = c.events.length;
    // Someone else writes the Pipeline after the cache delivered it: the plan's view is stale.
    c.touch();
    expect(await r.reconcile(KEY)).toEqual({ requeueAfterMs: CONFLICT_REQUEUE_MS });
    expect(c.written).toHaveLength(1);
    expect(c.events).toHaveLength(events);
    // Planned again from the newer Pipeline, the same decision is written once, with its Events.
    c.sync();
    await r.reconcile(KEY);
    expect(c.written).toHaveLength(2);
    expect(lastWritten(c)?.lastRun?.phase).toBe('Succeeded');
    expect(c.events.slice(events)).toContain('RunSucceeded');
  });

  it('a conflict keeps our own write as the floor: a lagging cache never makes a started run look unstarted (NEW-N)', async () => {
    // The cache's Pipeline stays the one from before our first write throughout.
    const { c, r } = await oneStageStarted();
    expect(stageOf(lastWritten(c), 'a')).toMatchObject({ phase: 'Running', job: jobOf('a') });
    c.now = at(12);
    c.setJob('a', { state: 'succeeded', at: at(11) }, at(2));
    c.syncJobs();
    c.touch();
    // Planned from our own write; the label someone else wrote makes the write conflict.
    expect(await r.reconcile(KEY)).toEqual({ requeueAfterMs: CONFLICT_REQUEUE_MS });
    // The user deletes the Job by hand before the Pipeline watch catches up.
    c.jobs.clear();
    c.syncJobs();
    const started = c.events.filter((e) => e === 'RunStarted').length;
    await r.reconcile(KEY);
    await settle();
    // Forgetting our write here read the cache's Pipeline with no run: run g1 started again and
    // its Job was created again under the same name. From our write, the stage's Job is known
    // deleted while it ran: it is created again as the next attempt, under a new name.
    expect(new Set(c.createdNames).size).toBe(c.createdNames.length);
    expect(c.events.filter((e) => e === 'RunStarted')).toHaveLength(started);
    // Once the watch delivers the label, the decision is written, still without a Job twice.
    c.sync();
    await r.reconcile(KEY);
    await settle();
    expect(new Set(c.createdNames).size).toBe(c.createdNames.length);
    expect(c.events.filter((e) => e === 'RunStarted')).toHaveLength(started);
    expect(stageOf(lastWritten(c), 'a')?.attempts).toBe(2);
  });

  it('a deferred write that conflicts is dropped and requeued; nothing is announced', async () => {
    const c = new MemoryCluster(pipeline({ stages: [stage('a')] }));
    const r = c.reconciler();
    c.nextWrite = { fail: conflict };
    await r.reconcile(KEY);
    await settle();
    expect(c.written).toEqual([]);
    expect(c.events).toEqual([]);
    expect(c.requeued).toEqual([[KEY, CONFLICT_REQUEUE_MS]]);
    // The requeued reconcile writes the status for the Job that exists; it creates none again.
    c.sync();
    await r.reconcile(KEY);
    await settle();
    expect(c.created).toEqual(['a']);
    expect(stageOf(lastWritten(c), 'a')).toMatchObject({ phase: 'Running', job: jobOf('a') });
  });

  it('crash between execute and write: the next process adopts the Jobs, none is created twice', async () => {
    const c = new MemoryCluster(pipeline({ stages: [stage('a'), stage('b', ['a'])] }));
    // The first process creates the Job, then dies with its status write never sent.
    c.nextWrite = { hold: new Promise(() => {}) };
    await c.reconciler().reconcile(KEY);
    expect(c.created).toEqual(['a']);
    expect(c.written).toEqual([]);
    // A new process: empty stores, a cache listed afresh.
    c.sync();
    const restarted = c.reconciler();
    await restarted.reconcile(KEY);
    await settle();
    expect(c.created).toEqual(['a']);
    expect(stageOf(lastWritten(c), 'a')).toMatchObject({ phase: 'Running', job: jobOf('a') });
    // And it goes on: a finishes, b is created once.
    c.now = at(20);
    c.setJob('a', { state: 'succeeded', at: at(15) }, at(1));
    c.sync();
    await restarted.reconcile(KEY);
    await settle();
    c.sync();
    await restarted.reconcile(KEY);
    await settle();
    expect(c.created).toEqual(['a', 'b']);
    expect(stageOf(lastWritten(c), 'b')).toMatchObject({ phase: 'Running', job: jobOf('b') });
  });

  it.each([
    { how: 'the reconcile saw it gone (one forget per store)', seenGone: true },
    { how: 'the reconcile never saw it gone (a new uid under the same key)', seenGone: false },
  ])('a Pipeline deleted and created again starts clean: $how', async ({ seenGone }) => {
    const c = new MemoryCluster(pipeline({ stages: [stage('a')] }));
    c.refuse.set('a', 'HTTP 422: invalid');
    const r = c.reconciler();
    await r.reconcile(KEY);
    expect(stageOf(lastWritten(c), 'a')?.reason).toBe('JobRejected');
    c.deletePipeline();
    if (seenGone) expect(await r.reconcile(KEY)).toBeUndefined();
    // Created again (a new uid), and the refusal lifted: the old one's memory must not answer.
    c.refuse.clear();
    const again = pipeline({ stages: [stage('a')] }, { uid: 'uid-2' });
    c.pipeline = { ...again, metadata: { ...again.metadata, resourceVersion: '100' } };
    c.sync();
    await r.reconcile(KEY);
    await settle();
    expect(c.created).toEqual(['a']);
    expect(stageOf(lastWritten(c), 'a')).toMatchObject({ phase: 'Running', job: jobOf('a') });
  });
});
