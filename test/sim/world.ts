// The simulated world around the REAL planner: an API server (Pipelines, Jobs, CronJobs,
// ControllerRevisions), the CronJob controller (ticks from the same cron code the operator uses),
// Jobs that run and end when a history says so, users who annotate and edit, and the operator's
// loop — gather → plan → execute creates → write status → delete → announce Events — in the
// reconciler's order (src/controller/reconcile/reconciler.ts), with its faults. Deterministic: no wall
// clock, no randomness; uids and resourceVersions are counters.
//
// What happens is recorded as facts (`World.facts`), which the invariants read (invariants.ts).
import type { V1ControllerRevision, V1CronJob, V1Job, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Pipeline, PipelineSpec } from '../../src/api/types.ts';
import { cronWalkSteps, nextScheduleTimes } from '../../src/api/cron.ts';
import { validatePipeline } from '../../src/api/validate.ts';
import { statusChanged } from '../../src/controller/reconcile/write-status.ts';
import { plan, type Action as PlanAction, type Plan } from '../../src/plan/planner.ts';
import { pinnedSpecOf } from '../../src/plan/tidy/revision.ts';
import type { PlanInput, Problem } from '../../src/plan/types.ts';
import {
  ANN_BACKFILL_CANCEL,
  ANN_BACKFILL_REQUESTED,
  ANN_CANCEL_REQUESTED,
  ANN_CRONJOB_INSTANTIATE,
  ANN_RETRY_REQUESTED,
  ANN_RUN_OPTIONS,
  ANN_RUN_REQUESTED,
  ANN_SCHEDULED_TIMESTAMP,
} from '../../src/api/labels.ts';
import { DOWNSTREAM, MAIN, downstreamSpec, mainSpec, newPipeline, scheduleOf, type SimConfig } from './config.ts';
import type { Action, Fault, Op, PipelineRef } from './ops.ts';
import { type Fact, jobFacts } from './facts.ts';
import { STEP_BUDGET } from './invariants.ts';
import { mergePatch } from '../unit/plan/fixtures.ts';

const SECOND = 1000;
/** Earlier versions of a Pipeline (anyone's writes) kept for an informer that lags. */
const STALE_VERSIONS = 4;
/** The CronJob controller creates at most this many missed ticks at once (the newest). */
const MAX_MISSED_TICKS = 5;

type Mode = 'clean' | Fault['kind'];

/** One reconcile of one Pipeline: what the planner read, decided, and what of it happened. */
export type ReconcileRecord = {
  pipeline: string;
  uid: string;
  mode: Mode;
  now: Date;
  /** The Pipeline the planner read (a stale one for `stale`). */
  read: Pipeline;
  /** Names of the Jobs the planner saw. */
  sawJobs: Set<string>;
  /** Uids of the upstream Pipelines the planner saw. */
  sawUpstreams: Set<string>;
  plan: Plan;
  /** Cron walk steps the plan took (src/api/cron.ts cronWalkSteps). */
  steps: number;
  /** The status landed. */
  wrote: boolean;
  /** Its Events were emitted. */
  announced: boolean;
};

export class World {
  readonly config: SimConfig;
  now: number;
  step = 0;
  readonly pipelines = new Map<string, Pipeline>();
  readonly jobs = new Map<string, V1Job>();
  readonly cronJobs = new Map<string, V1CronJob>();
  readonly revisions = new Map<string, V1ControllerRevision>();
  readonly claims = new Map<string, V1PersistentVolumeClaim>();
  readonly facts: Fact[] = [];
  /** Every backfill request's JSON, in order (reapplyBackfill picks one). */
  readonly backfillRequests: string[] = [];
  private readonly versions = new Map<string, Pipeline[]>();
  /**
   * The operator's read-your-writes (src/controller/reconcile/status-writes.ts `written`, `freshest`): its last
   * successful status write per Pipeline, until the informer delivers it or a write conflicts.
   */
  private readonly ownWrite = new Map<string, Pipeline>();
  /** The resourceVersion the operator's informer has reached per Pipeline (uid/rv): it never goes back. */
  private readonly cacheFloor = new Map<string, { uid: string; rv: number }>();
  private readonly problemsByGeneration = new Map<string, Problem[]>();
  /** The operator's Job cache as of its last sync, and its expectations (Job name → created at). */
  private jobCache: Map<string, V1Job> | undefined;
  private readonly expectations = new Map<string, number>();
  private counter = 0;
  /** Cron walk steps one plan() may take before its walk is cut short (invariants.ts STEP_BUDGET). */
  private readonly stepBudget: number;

  constructor(config: SimConfig, stepBudget = STEP_BUDGET) {
    this.config = config;
    this.stepBudget = stepBudget;
    this.now = Date.parse(scheduleOf(config).start);
    this.createPipeline(MAIN, mainSpec(config));
    if (config.chained) this.createPipeline(DOWNSTREAM, downstreamSpec());
    this.reconcileAll(undefined);
  }

  /** One operation, then the operator's reconcile of every Pipeline. */
  apply(op: Op): void {
    this.step++;
    this.now += SECOND;
    this.act(op);
    this.reconcileAll(op.fault);
  }

  private fact(fact: Fact): void {
    this.facts.push(fact);
  }

  private nextId(prefix: string): string {
    return `${prefix}-${++this.counter}`;
  }

  // ----------------------------------------------------------------------------------------
  // Users and the cluster

  private act(op: Action): void {
    switch (op.do) {
      case 'advance':
        this.now +=
          Math.max(1, Math.floor((Math.abs(op.percent) * scheduleOf(this.config).periodMinutes) / 100)) * 60 * SECOND;
        this.cronJobController();
        return;
      case 'finish':
        return this.finishJobs(op.seed, op.failPercent, op.all);
      case 'run':
        return this.requestRun(op);
      case 'runFromCronJob':
        return this.createJobFromCronJob();
      case 'backfill':
        return this.requestBackfill(op);
      case 'reapplyBackfill': {
        const raw = this.backfillRequests[Math.abs(op.index) % Math.max(1, this.backfillRequests.length)];
        if (raw !== undefined) this.annotate(MAIN, { [ANN_BACKFILL_REQUESTED]: raw }, 'backfill');
        return;
      }
      case 'cancelBackfill': {
        const running = this.pipelines.get(MAIN)?.status?.backfill;
        if (running?.phase === 'Running')
          this.annotate(MAIN, { [ANN_BACKFILL_CANCEL]: running.request }, 'backfillCancel');
        return;
      }
      case 'cancel':
        return this.requestAboutRun(
          ANN_CANCEL_REQUESTED,
          op.index,
          (phase) => phase === 'Running' || phase === 'Pending',
        );
      case 'retry':
        return this.requestAboutRun(
          ANN_RETRY_REQUESTED,
          op.index,
          (phase) => phase === 'Failed' || phase === 'Cancelled',
        );
      case 'edit':
        return this.edit(op.change, op.value);
      case 'deleteJob':
        return this.deleteJobByHand(op.index);
      case 'recreate':
        return this.recreateMain();
      case 'wait':
        return;
    }
  }

  private createPipeline(name: string, spec: PipelineSpec): void {
    const uid = this.nextId(`uid-${name}`);
    const p = freeze(newPipeline(name, uid, spec));
    this.pipelines.set(name, p);
    this.versions.set(name, []);
    this.remember(name, p);
    this.fact({ type: 'spec', step: this.step, pipeline: name, uid, generation: 1, spec: structuredClone(spec) });
  }

  /** A change of the stored Pipeline (annotations, spec): a new resourceVersion. */
  private store(name: string, change: (p: Pipeline) => Pipeline): Pipeline | undefined {
    const p = this.pipelines.get(name);
    if (!p) return undefined;
    const next = change(p);
    const rv = String(Number(p.metadata.resourceVersion ?? '0') + 1);
    const stored = freeze({ ...next, metadata: { ...next.metadata, resourceVersion: rv } });
    this.pipelines.set(name, stored);
    this.remember(name, stored);
    return stored;
  }

  private annotate(name: string, annotations: Record<string, string>, kind: RequestKind): void {
    const p = this.store(name, (old) => ({
      ...old,
      metadata: { ...old.metadata, annotations: { ...old.metadata.annotations, ...annotations } },
    }));
    if (!p) return;
    const key = Object.keys(annotations)[0] ?? '';
    this.fact({
      type: 'request',
      step: this.step,
      pipeline: name,
      uid: p.metadata.uid ?? '',
      kind,
      value: annotations[key] ?? '',
    });
  }

  /** What `conveyor run` (or the webhook receiver, for a delivery) writes: run-requested and run-options in one patch. */
  private requestRun(op: Extract<Action, { do: 'run' }>): void {
    const value = op.webhook ? `webhook:${this.nextId('delivery')}` : new Date(this.now).toISOString();
    const period = scheduleOf(this.config).periodMinutes * 60 * SECOND;
    const at = op.atPeriodsAgo !== undefined ? this.now - Math.abs(op.atPeriodsAgo) * period : this.now;
    // A delivery's options carry its mapped params only; the run's logical time is when it is handled.
    const options = {
      request: value,
      ...(op.region ? { params: { region: op.region } } : {}),
      ...(op.webhook ? {} : { at: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z') }),
      ...(op.noCache && !op.webhook ? { noCache: true } : {}),
    };
    this.annotate(MAIN, { [ANN_RUN_REQUESTED]: value, [ANN_RUN_OPTIONS]: JSON.stringify(options) }, 'run');
  }

  /** What `conveyor backfill` writes: a new id each time. */
  private requestBackfill(op: Extract<Action, { do: 'backfill' }>): void {
    const period = scheduleOf(this.config).periodMinutes * 60 * SECOND;
    const from = this.now - Math.max(1, Math.abs(op.fromPeriodsAgo)) * period;
    const to = Math.min(this.now, from + Math.max(1, Math.abs(op.periods)) * period);
    const request = {
      id: this.nextId('bf'),
      from: isoSeconds(from),
      to: isoSeconds(to),
      maxActive: op.maxActive,
      ...(op.region ? { params: { region: op.region } } : {}),
      ...(op.rerun ? { rerun: true } : {}),
    };
    const raw = JSON.stringify(request);
    this.backfillRequests.push(raw);
    this.annotate(MAIN, { [ANN_BACKFILL_REQUESTED]: raw }, 'backfill');
  }

  /** `conveyor cancel|retry --run <id>`: `<runId>:<nonce>`, the run picked among status's. */
  private requestAboutRun(annotation: string, index: number, preferred: (phase: string) => boolean): void {
    const status = this.pipelines.get(MAIN)?.status;
    const runs = [...(status?.lastRun ? [status.lastRun] : []), ...(status?.runs ?? [])].filter(
      (r) => r.phase !== 'Skipped',
    );
    const candidates = runs.some((r) => preferred(r.phase)) ? runs.filter((r) => preferred(r.phase)) : runs;
    const target = candidates[Math.abs(index) % Math.max(1, candidates.length)];
    if (!target) return;
    const value = `${target.id}:${(this.now / SECOND).toString(36)}`;
    this.annotate(MAIN, { [annotation]: value }, annotation === ANN_CANCEL_REQUESTED ? 'cancel' : 'retry');
  }

  private edit(change: Extract<Action, { do: 'edit' }>['change'], value: number): void {
    const p = this.pipelines.get(MAIN);
    if (!p || this.config.large === 'dag') return;
    const spec = structuredClone(p.spec);
    const extract = spec.stages.find((s) => s.name === 'extract');
    if (change === 'image' && extract) extract.image = `busybox:1.${Math.abs(value) % 4}`;
    if (change === 'maxAge' && extract?.cache)
      extract.cache.maxAge = ['1h', '90m', '30d', '2h'][Math.abs(value) % 4] ?? '1h';
    if (change === 'suspend') spec.suspend = true;
    if (change === 'resume') delete spec.suspend;
    if (change === 'policy') spec.concurrencyPolicy = (['Allow', 'Forbid', 'Replace'] as const)[Math.abs(value) % 3];
    if (JSON.stringify(spec) === JSON.stringify(p.spec)) return;
    const generation = (p.metadata.generation ?? 1) + 1;
    const stored = this.store(MAIN, (old) => ({ ...old, metadata: { ...old.metadata, generation }, spec }));
    this.fact({
      type: 'spec',
      step: this.step,
      pipeline: MAIN,
      uid: stored?.metadata.uid ?? '',
      generation,
      spec: structuredClone(spec),
    });
  }

  /** orders deleted (the garbage collector takes what it owned) and created again under a new uid. */
  private recreateMain(): void {
    const old = this.pipelines.get(MAIN);
    if (!old || !this.config.chained) return;
    this.pipelines.delete(MAIN);
    this.collectGarbage(old.metadata.uid ?? '');
    this.createPipeline(MAIN, structuredClone(old.spec));
  }

  private collectGarbage(uid: string): void {
    const ownedBy = (o: { metadata?: { ownerReferences?: { uid?: string }[] } }, owner: string) =>
      o.metadata?.ownerReferences?.some((r) => r.uid === owner) ?? false;
    for (const [name, c] of this.cronJobs) {
      if (!ownedBy(c, uid)) continue;
      this.cronJobs.delete(name);
      for (const [jobName, j] of this.jobs) if (ownedBy(j, c.metadata?.uid ?? '')) this.deleteJob(jobName, 'gc');
    }
    for (const [name, j] of this.jobs) if (ownedBy(j, uid)) this.deleteJob(name, 'gc');
    for (const [name, r] of this.revisions) if (ownedBy(r, uid)) this.revisions.delete(name);
    for (const [name, c] of this.claims) if (ownedBy(c, uid)) this.claims.delete(name);
  }

  private deleteJobByHand(index: number): void {
    const names = [...this.jobs.keys()].sort();
    const name = names[Math.abs(index) % Math.max(1, names.length)];
    if (name !== undefined) this.deleteJob(name, 'hand');
  }

  private deleteJob(name: string, by: 'operator' | 'hand' | 'gc'): void {
    const job = this.jobs.get(name);
    if (!job) return;
    this.jobs.delete(name);
    const uid = this.ownerOf(job);
    this.fact({
      type: 'jobDeleted',
      step: this.step,
      by,
      statusSaid: this.statusNames(uid, name),
      ...jobFacts(job, uid),
    });
  }

  /** What the stored status of Pipeline `uid` says of Job `job`: nothing, that its stage runs, or that it has ended. */
  private statusNames(uid: string, job: string): 'nothing' | 'running' | 'ended' {
    const p = [...this.pipelines.values()].find((x) => x.metadata.uid === uid);
    const runs = [...(p?.status?.lastRun ? [p.status.lastRun] : []), ...(p?.status?.runs ?? [])];
    const stage = runs.flatMap((r) => r.stages ?? []).find((s) => s.job === job);
    if (!stage) return 'nothing';
    return stage.phase === 'Running' || stage.phase === 'Pending' ? 'running' : 'ended';
  }

  /** The Pipeline uid a Job belongs to (through its CronJob for a tick's Job). */
  ownerOf(job: V1Job): string {
    const ref = job.metadata?.ownerReferences?.find((r) => r.controller);
    if (ref?.kind === 'CronJob') return this.cronJobOwner.get(ref.uid) ?? '';
    return ref?.uid ?? '';
  }

  private readonly cronJobOwner = new Map<string, string>();

  /** Running Jobs end: all, or those a hash of (seed, name) picks; `failPercent` of them fail. */
  private finishJobs(seed: number, failPercent: number, all: boolean): void {
    for (const name of [...this.jobs.keys()].sort()) {
      const job = this.jobs.get(name);
      if (!job || !isRunning(job)) continue;
      const h = hash(`${seed}/${name}`);
      if (!all && h % 2 === 1) continue;
      const failed = (h >>> 8) % 100 < failPercent;
      const done = new Date(this.now);
      const status = failed ? failedStatus(job, done) : succeededStatus(job, done);
      const next = freeze({ ...job, status });
      this.jobs.set(name, next);
      this.fact({
        type: 'jobFinished',
        step: this.step,
        phase: failed ? 'Failed' : 'Succeeded',
        at: this.now,
        ...jobFacts(next, this.ownerOf(next)),
      });
    }
  }

  /** The CronJob controller: a suspended Job for every tick since the last one (the newest few). */
  private cronJobController(): void {
    for (const cronJob of [...this.cronJobs.values()].sort(byName)) {
      const spec = cronJob.spec;
      if (!spec || spec.suspend) continue;
      const last = toMs(cronJob.status?.lastScheduleTime) ?? toMs(cronJob.metadata?.creationTimestamp) ?? this.now;
      const due = ticksUntil(spec.schedule, spec.timeZone, last, this.now).slice(-MAX_MISSED_TICKS);
      for (const tick of due) this.createTickJob(cronJob, tick);
      const newest = due[due.length - 1];
      if (newest !== undefined) {
        this.cronJobs.set(cronJob.metadata?.name ?? '', {
          ...cronJob,
          status: { ...cronJob.status, lastScheduleTime: new Date(newest) },
        });
      }
    }
  }

  private createTickJob(cronJob: V1CronJob, tick: number): void {
    const name = `${cronJob.metadata?.name}-${Math.floor(tick / 60_000)}`;
    if (this.jobs.has(name)) return;
    const job = this.jobFromCronJob(cronJob, name, { [ANN_SCHEDULED_TIMESTAMP]: new Date(tick).toISOString() });
    this.jobs.set(name, job);
    this.fact({ type: 'tick', step: this.step, uid: this.ownerOf(job), job: name, time: tick });
  }

  /** `kubectl create job --from=cronjob/<first root>`: a manual run. */
  private createJobFromCronJob(): void {
    const cronJob = [...this.cronJobs.values()].sort(byName)[0];
    if (!cronJob) return;
    const name = `${cronJob.metadata?.name}-manual-${++this.counter}`;
    this.jobs.set(name, this.jobFromCronJob(cronJob, name, { [ANN_CRONJOB_INSTANTIATE]: 'manual' }));
  }

  private jobFromCronJob(cronJob: V1CronJob, name: string, annotations: Record<string, string>): V1Job {
    const template = structuredClone(cronJob.spec?.jobTemplate);
    return freeze({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cronJob.metadata?.namespace,
        uid: this.nextId('uid-job'),
        creationTimestamp: new Date(this.now),
        labels: template?.metadata?.labels,
        annotations: { ...template?.metadata?.annotations, ...annotations },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: cronJob.metadata?.name ?? '',
            uid: cronJob.metadata?.uid ?? '',
            controller: true,
          },
        ],
      },
      spec: template?.spec ?? { template: {} },
      status: {},
    });
  }

  // ----------------------------------------------------------------------------------------
  // The operator

  private reconcileAll(fault: Fault | undefined): void {
    for (const [name, ref] of [
      [MAIN, 'main'],
      [DOWNSTREAM, 'downstream'],
    ] as [string, PipelineRef][]) {
      if (this.pipelines.has(name)) this.reconcile(name, fault?.on === ref ? fault : undefined);
    }
  }

  /** gather → plan → execute creates → write → delete → announce, as src/controller/reconcile/reconciler.ts. */
  private reconcile(name: string, fault: Fault | undefined): void {
    const stored = this.pipelines.get(name);
    if (!stored) return;
    const read = this.freshest(name, fault?.kind === 'stale' ? this.staleVersion(name, fault.back) : stored);
    const mode: Mode = fault && !(fault.kind === 'stale' && read === stored) ? fault.kind : 'clean';
    const input = this.planInput(read, this.jobView(mode === 'lag'));
    const { plan: result, steps } = planCounted(input, this.stepBudget);
    const sawJobs = new Set(input.jobs.map((j) => j.metadata?.name ?? ''));
    const sawUpstreams = new Set((input.upstream ?? []).map((u) => u.metadata.uid ?? ''));
    const record: ReconcileRecord = {
      pipeline: name,
      uid: read.metadata.uid ?? '',
      mode,
      now: new Date(this.now),
      read,
      sawJobs,
      sawUpstreams,
      plan: result,
      steps,
      wrote: false,
      announced: false,
    };
    this.execute(record, stored, fault);
    this.fact({ type: 'reconcile', step: this.step, record });
  }

  /** What the gatherer hands the planner for Pipeline `read` (src/controller/reconcile/gather.ts), from a Job cache `view`. */
  planInput(read: Pipeline, view: ReadonlyMap<string, V1Job> = this.jobs): PlanInput {
    const uid = read.metadata.uid ?? '';
    const owned = (o: { metadata?: { ownerReferences?: { uid?: string }[] } }, owners: Set<string | undefined>) =>
      o.metadata?.ownerReferences?.some((r) => owners.has(r.uid)) ?? false;
    const cronJobs = [...this.cronJobs.values()].filter((c) => owned(c, new Set([uid])));
    const jobOwners = new Set([uid, ...cronJobs.map((c) => c.metadata?.uid)]);
    return {
      pipeline: read,
      problems: this.problemsOf(read),
      jobs: [...view.values()].filter((j) => owned(j, jobOwners)),
      claims: [...this.claims.values()].filter((c) => owned(c, new Set([uid]))),
      cronJobs,
      upstream: (read.spec.triggers?.after ?? []).flatMap((t) => this.pipelines.get(t.pipeline) ?? []),
      revisions: [...this.revisions.values()].filter((r) => owned(r, new Set([uid]))).map(pinnedSpecOf),
      rejections: new Map(),
      pendingJobs: this.pendingJobs(view),
      now: new Date(this.now),
    };
  }

  private execute(record: ReconcileRecord, stored: Pipeline, fault: Fault | undefined): void {
    const creates = orderedCreates(record.plan.actions);
    const keep = fault?.kind === 'crash' ? Math.abs(fault.keep) % (creates.length + 1) : creates.length;
    for (const action of creates.slice(0, keep)) this.applyCreate(action);
    if (fault?.kind === 'crash') return this.restartOperator();
    if (record.mode === 'writeLost') return;
    // As reconciler.ts writeStatus: only a changed status is written, conditional on the
    // resourceVersion the plan read; a conflict drops the decision (no deletions, no Events) and
    // keeps the operator's own last write (status-writes.ts `conflicted`).
    const changed = statusChanged(record.read.status, record.plan.status);
    if (changed && record.read.metadata.resourceVersion !== stored.metadata.resourceVersion) return;
    if (changed) {
      const written = this.store(record.pipeline, (p) => ({ ...p, status: structuredClone(record.plan.status) }));
      if (written) this.ownWrite.set(record.pipeline, written);
    }
    // A stale plan that changed nothing wrote nothing: its status is not the stored one.
    record.wrote = record.read === stored || changed;
    if (fault?.kind === 'crashAfterWrite') return this.restartOperator();
    for (const action of record.plan.actions) this.applyDeletion(action);
    record.announced = true;
  }

  /**
   * What a lagging informer holds: the Pipeline `back` writes (anyone's) ago, at least one, but
   * never older than what this operator's informer already delivered (it never goes back; a
   * restarted operator lists afresh).
   */
  private staleVersion(name: string, back: number): Pipeline {
    const stored = this.pipelines.get(name) as Pipeline;
    const floor = this.cacheFloor.get(name);
    const kept = (this.versions.get(name) ?? []).filter(
      (p) =>
        p.metadata.uid === stored.metadata.uid &&
        !(floor !== undefined && floor.uid === p.metadata.uid && rvOf(p) < floor.rv),
    );
    if (kept.length < 2) return stored;
    const index = Math.max(0, kept.length - 1 - Math.max(1, Math.abs(back) % STALE_VERSIONS));
    return kept[index] as Pipeline;
  }

  /**
   * status-writes.ts `freshest`: the informer's Pipeline `cached`, unless the operator's own last
   * write is newer (read-your-writes). The informer has then reached `cached`.
   */
  private freshest(name: string, cached: Pipeline): Pipeline {
    this.cacheFloor.set(name, { uid: cached.metadata.uid ?? '', rv: rvOf(cached) });
    const mine = this.ownWrite.get(name);
    if (!mine) return cached;
    if (mine.metadata.uid !== cached.metadata.uid || rvOf(cached) >= rvOf(mine)) {
      this.ownWrite.delete(name);
      return cached;
    }
    return mine;
  }

  private remember(name: string, p: Pipeline): void {
    const kept = this.versions.get(name) ?? [];
    kept.push(p);
    if (kept.length > STALE_VERSIONS + 1) kept.shift();
    this.versions.set(name, kept);
  }

  /**
   * A lagging reconcile sees the cache as the previous one left it; any other syncs it first. A
   * synced cache settles every expectation (reconcile/expected-jobs.ts: the watch delivered the
   * Job, or a relist showed it gone), whatever the lag before it.
   */
  private jobView(lag: boolean): Map<string, V1Job> {
    if (lag && this.jobCache) return this.jobCache;
    this.jobCache = new Map(this.jobs);
    this.expectations.clear();
    return this.jobCache;
  }

  /** Expectations: Jobs this operator created, not yet in its cache (they lapse on no clock). */
  private pendingJobs(view: ReadonlyMap<string, V1Job>): Set<string> {
    const pending = new Set<string>();
    for (const name of this.expectations.keys()) if (!view.has(name)) pending.add(name);
    return pending;
  }

  /** A new operator process: no expectations, a freshly listed cache. */
  private restartOperator(): void {
    this.expectations.clear();
    this.jobCache = undefined;
    // A new process lists every Pipeline afresh: its informer starts at the stored versions.
    this.ownWrite.clear();
    for (const [name, p] of this.pipelines) this.cacheFloor.set(name, { uid: p.metadata.uid ?? '', rv: rvOf(p) });
  }

  private problemsOf(p: Pipeline): Problem[] {
    const key = `${p.metadata.uid}/${p.metadata.generation}`;
    let problems = this.problemsByGeneration.get(key);
    if (!problems) {
      // As the gatherer validates: the spec, with the name it needs (src/controller/reconcile/gather.ts).
      const doc = {
        apiVersion: p.apiVersion,
        kind: p.kind,
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
        spec: p.spec,
      };
      problems = validatePipeline(doc).map((v) => ({ path: v.path, message: v.message }));
      this.problemsByGeneration.set(key, problems);
    }
    return problems;
  }

  private applyCreate(action: PlanAction): void {
    switch (action.kind) {
      case 'createJob':
        return this.createJob(action.job);
      case 'startJob':
        return this.startJob(action.name, action.patch);
      case 'createClaim': {
        const name = action.claim.metadata?.name ?? '';
        if (!this.claims.has(name))
          this.claims.set(
            name,
            freeze({ ...action.claim, metadata: { ...action.claim.metadata, creationTimestamp: new Date(this.now) } }),
          );
        return;
      }
      case 'applyCronJob':
        return this.applyCronJob(action.cronJob);
      case 'createRevision': {
        const name = action.revision.metadata?.name ?? '';
        if (!this.revisions.has(name)) this.revisions.set(name, freeze(structuredClone(action.revision)));
        return;
      }
      default:
        return;
    }
  }

  private createJob(job: V1Job): void {
    const name = job.metadata?.name ?? '';
    if (this.jobs.has(name)) return; // AlreadyExists: the work is done
    const created = freeze({
      ...structuredClone(job),
      metadata: {
        ...structuredClone(job.metadata),
        uid: this.nextId('uid-job'),
        creationTimestamp: new Date(this.now),
      },
      status: { active: 1, startTime: new Date(this.now) },
    });
    this.jobs.set(name, created);
    this.expectations.set(name, this.now);
    this.fact({
      type: 'jobRuns',
      step: this.step,
      how: 'created',
      at: this.now,
      ...jobFacts(created, this.ownerOf(created)),
    });
  }

  private startJob(name: string, patch: Record<string, unknown>): void {
    const job = this.jobs.get(name);
    if (!job) return; // NotFound: the executor reports it; the next plan sees the Job gone
    const wasSuspended = job.spec?.suspend === true && !job.status?.active && !job.status?.conditions?.length;
    const patched = mergePatch(job, patch) as V1Job;
    const started = freeze(
      wasSuspended ? { ...patched, status: { active: 1, startTime: new Date(this.now) } } : patched,
    );
    this.jobs.set(name, started);
    if (wasSuspended)
      this.fact({
        type: 'jobRuns',
        step: this.step,
        how: 'started',
        at: this.now,
        ...jobFacts(started, this.ownerOf(started)),
      });
  }

  private applyCronJob(cronJob: V1CronJob): void {
    const name = cronJob.metadata?.name ?? '';
    const existing = this.cronJobs.get(name);
    const uid = existing?.metadata?.uid ?? this.nextId('uid-cronjob');
    const owner = cronJob.metadata?.ownerReferences?.find((r) => r.controller)?.uid ?? '';
    this.cronJobOwner.set(uid, owner);
    const created = existing?.metadata?.creationTimestamp ?? new Date(this.now);
    this.cronJobs.set(name, {
      ...structuredClone(cronJob),
      metadata: { ...structuredClone(cronJob.metadata), uid, creationTimestamp: created },
      status: existing?.status ?? {},
    });
  }

  private applyDeletion(action: PlanAction): void {
    switch (action.kind) {
      case 'deleteJob':
        return this.deleteJob(action.name, 'operator');
      case 'deleteClaim':
        this.claims.delete(action.name);
        return;
      case 'deleteRevision':
        this.revisions.delete(action.name);
        return;
      case 'deleteCronJob': {
        const uid = this.cronJobs.get(action.name)?.metadata?.uid;
        this.cronJobs.delete(action.name);
        for (const [jobName, j] of this.jobs)
          if (j.metadata?.ownerReferences?.some((r) => r.uid === uid)) this.deleteJob(jobName, 'gc');
        return;
      }
      default:
        return;
    }
  }
}

export type RequestKind = 'run' | 'retry' | 'cancel' | 'backfill' | 'backfillCancel';

/**
 * plan(), and the cron walk steps it took (src/api/cron.ts cronWalkSteps). Past `budget` the walk
 * is cut short — cron.ts throws, which the planner takes as "no tick" — so a runaway plan ends,
 * and invariant 6 reports it.
 */
export function planCounted(input: PlanInput, budget: number): { plan: Plan; steps: number } {
  const before = cronWalkSteps.steps;
  cronWalkSteps.limit = before + budget + 1;
  try {
    const result = plan(input);
    return { plan: result, steps: cronWalkSteps.steps - before };
  } finally {
    cronWalkSteps.limit = Number.POSITIVE_INFINITY;
  }
}

/** Creates and starts in the executor's phases (src/controller/reconcile/execute.ts executionPhase): claims, CronJobs, pinned specs, then Jobs. */
function orderedCreates(actions: PlanAction[]): PlanAction[] {
  const phase = (a: PlanAction): number =>
    a.kind === 'createClaim' || a.kind === 'applyCronJob' || (a.kind === 'createRevision' && a.beforeJobs)
      ? 0
      : a.kind === 'createRevision'
        ? 1
        : 2;
  return actions.filter((a) => !a.kind.startsWith('delete')).sort((a, b) => phase(a) - phase(b));
}

/** Every tick of `schedule` in (after, until]. */
function ticksUntil(schedule: string, timeZone: string | undefined, after: number, until: number): number[] {
  const ticks: number[] = [];
  let cursor = after;
  for (;;) {
    const batch = nextScheduleTimes(schedule, timeZone, new Date(cursor), 16).map((d) => d.getTime());
    for (const t of batch) {
      if (t > until) return ticks;
      ticks.push(t);
    }
    if (batch.length < 16) return ticks;
    cursor = batch[batch.length - 1] as number;
  }
}

function isRunning(job: V1Job): boolean {
  return (
    (job.status?.active ?? 0) > 0 &&
    !job.status?.conditions?.some((c) => c.status === 'True' && (c.type === 'Complete' || c.type === 'Failed'))
  );
}

function succeededStatus(job: V1Job, done: Date): V1Job['status'] {
  return {
    succeeded: 1,
    startTime: job.status?.startTime,
    completionTime: done,
    conditions: [
      { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: done },
      { type: 'Complete', status: 'True', lastTransitionTime: done },
    ],
  };
}

function failedStatus(job: V1Job, done: Date): V1Job['status'] {
  const reason = 'BackoffLimitExceeded';
  return {
    failed: 1,
    startTime: job.status?.startTime,
    conditions: [
      { type: 'FailureTarget', status: 'True', reason, lastTransitionTime: done },
      {
        type: 'Failed',
        status: 'True',
        reason,
        message: 'Job has reached the specified backoff limit',
        lastTransitionTime: done,
      },
    ],
  };
}

/**
 * Objects the world hands the planner are frozen: the planner is pure, and one that wrote into
 * its input would throw here (strict mode) instead of corrupting the world.
 */
export function freeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) freeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

/** FNV-1a: a Job's fate from the history's seed and its name. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function toMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const byName = (a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }) =>
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

function rvOf(p: Pipeline): number {
  return Number(p.metadata.resourceVersion ?? '0');
}
