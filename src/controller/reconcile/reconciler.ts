// One reconcile of one Pipeline: gather → plan → execute → write.
//   gather  (gather.ts)   the planner's complete input, from the caches;
//   plan    (src/plan)    the pure decision: actions, the whole new status, Events;
//   execute (executor.ts) creates and starts first (a run's pinned spec before or alongside its
//                         Jobs: executor.ts executionPhase) — what the API server refuses outright is fed
//                         back and planned again, so status never claims a Job that was refused;
//   write   (status.ts)   status, only when it changed, conditional on the resourceVersion the
//                         plan saw; then deletions, then Events. When the reconcile created a Job
//                         and deletes nothing, the write goes on without the worker and the next
//                         reconcile waits for it (deferred-status.ts says why that is safe).
// The order is what makes a crash anywhere harmless: new work exists (as evidence) before status
// records it, and nothing is deleted before status records why. A crash after creates replans
// from the Jobs; a crash after the write re-derives the same deletions; a write that conflicts
// discards the whole decision and plans again from the newer Pipeline.
import type { Logger } from 'pino';
import type { Pipeline } from '../../api/types.ts';
import { plan, type Action, type Plan } from '../../plan/planner.ts';
import type { PlanInput } from '../../plan/types.ts';
import { classifyApiError } from '../../kube/errors.ts';
import { apiErrors } from '../../metrics.ts';
import { EventRecorder } from './event-recorder.ts';
import { ActionExecutor, type ActionFailure } from './execute.ts';
import { Gatherer, type ClusterView } from './gather.ts';
import { Expectations } from './expected-jobs.ts';
import { Rejections } from './refusals.ts';
import { StatusWriter, statusChanged } from './write-status.ts';
import type { HandlerResult } from '../runtime/work-queue.ts';
import { forgetPipelineKey, recordTransitions } from './run-metrics.ts';
import { timings } from '../runtime/timings.ts';
import { onlyStartTimesChanged, StartTimeHold } from './start-time-hold.ts';
import { DeferredStatusWrites, mayDefer } from './deferred-writes.ts';

/** How often one reconcile plans again because the API server refused something it created. */
const MAX_PLAN_ROUNDS = 3;
/** A status write that lost a race: plan again soon, from the newer Pipeline the watch brings. */
const CONFLICT_REQUEUE_MS = 200;
/** A deferred status write that failed (no verdict to go by): plan and write again after this. */
const FAILED_WRITE_REQUEUE_MS = 1_000;

const DELETIONS: ReadonlySet<Action['kind']> = new Set(['deleteJob', 'deleteClaim', 'deleteCronJob', 'deleteRevision']);

export type ReconcilerDeps = {
  view: ClusterView;
  executor: ActionExecutor;
  statusWriter: StatusWriter;
  events: EventRecorder;
  log: Logger;
  expectations?: Expectations;
  now?: () => Date;
  /**
   * Asks for another reconcile of `key` after `ms`: a deferred status write that was dropped
   * (conflict, error) is planned again then, without waiting for the next event or the resync.
   */
  requeue?: (key: string, ms: number) => void;
};

export class Reconciler {
  private readonly gatherer: Gatherer;
  private readonly executor: ActionExecutor;
  private readonly statusWriter: StatusWriter;
  private readonly events: EventRecorder;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly requeue: (key: string, ms: number) => void;
  private readonly rejections = new Rejections();
  /** Status we wrote, newer than the cache until the watch delivers it (keyed ns/name). */
  private readonly written = new Map<string, Pipeline>();
  /** Status changes that only fill in stage start times, held for company (coalesce.ts). */
  private readonly startTimes = new StartTimeHold();
  /** Status writes left in flight by the reconcile that decided them (deferred-status.ts). */
  private readonly deferred = new DeferredStatusWrites();

  constructor(deps: ReconcilerDeps) {
    this.executor = deps.executor;
    this.statusWriter = deps.statusWriter;
    this.events = deps.events;
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
    this.requeue = deps.requeue ?? (() => {});
    this.gatherer = new Gatherer(deps.view, deps.expectations ?? new Expectations(), this.rejections);
  }

  async reconcile(key: string): Promise<HandlerResult> {
    // Read-your-writes: the status the last reconcile of this key left in flight comes first.
    await this.deferred.settle(key);
    const now = this.now();
    const planStart = performance.now();
    const gathered = this.gatherer.gather(key, now, (cached) => this.freshest(key, cached));
    if (gathered.kind === 'gone') {
      timings.forget(key);
      this.startTimes.forget(key);
      // Deleted: the garbage collector removes what it owned through owner references.
      this.written.delete(key);
      this.gatherer.forget(gathered.uid);
      forgetPipelineKey(key);
      return;
    }
    const { namespace, pipeline } = gathered;
    const log = this.log.child({ pipeline: key });
    const decided = await this.planAndCreate(key, gathered.input, namespace, log, planStart);
    if (decided.failures.length > 0) throw actionsFailed(decided.failures);

    const held = this.holdStartTimes(key, pipeline, decided.plan);
    if (held !== undefined) return { requeueAfterMs: Math.min(held, decided.plan.requeueAfterMs ?? Infinity) };
    const requeue = decided.plan.requeueAfterMs !== undefined ? { requeueAfterMs: decided.plan.requeueAfterMs } : undefined;
    const deletions = decided.plan.actions.filter((a) => DELETIONS.has(a.kind));
    if (mayDefer({ jobsCreated: decided.jobsCreated, deletions: deletions.length })) {
      this.deferred.start(key, () => this.writeThenAnnounce(key, pipeline, decided.plan, log));
      return requeue;
    }
    const written = await this.writeStatus(key, pipeline, decided.plan, log);
    if (written === 'conflict') return { requeueAfterMs: CONFLICT_REQUEUE_MS };
    const failed = this.countFailures((await this.executor.execute(namespace, deletions, log)).failures);
    this.announce(pipeline, decided.plan, log);
    if (failed.length > 0) throw actionsFailed(failed);
    return requeue;
  }

  /** The write of a deferred reconcile, then its Events; a failure is dropped (deferred-status.ts). */
  private async writeThenAnnounce(key: string, pipeline: Pipeline, decision: Plan, log: Logger): Promise<void> {
    try {
      if ((await this.writeStatus(key, pipeline, decision, log)) === 'conflict') {
        this.requeue(key, CONFLICT_REQUEUE_MS);
        return;
      }
    } catch (err) {
      log.warn({ err: err instanceof Error ? err.message : String(err) }, 'status write failed; the next reconcile writes it');
      this.requeue(key, FAILED_WRITE_REQUEUE_MS);
      return;
    }
    this.announce(pipeline, decision, log);
  }

  private announce(pipeline: Pipeline, decision: Plan, log: Logger): void {
    for (const event of decision.events) {
      log.info({ reason: event.reason, eventType: event.type }, event.message);
      this.events.emit(pipeline, event);
    }
  }

  /**
   * Plan, then create and start what the plan asks for. A create the API server refuses for good
   * (invalid, or a name taken by someone else's object) becomes a fact, and gathering and
   * planning are done again, so the status written next tells the truth about it.
   */
  private async planAndCreate(key: string, input: PlanInput, namespace: string, log: Logger, planStart: number): Promise<{ plan: Plan; failures: ActionFailure[]; jobsCreated: number }> {
    const uid = input.pipeline.metadata.uid ?? '';
    let decision = plan(input);
    let jobsCreated = 0;
    timings.planned(input.pipeline.spec?.stages?.length ?? 0, performance.now() - planStart);
    for (let round = 1; ; round++) {
      const work = decision.actions.filter((a) => !DELETIONS.has(a.kind));
      const done = await this.executor.execute(namespace, work, log);
      jobsCreated += done.jobsCreated;
      const failures = this.countFailures(done.failures);
      const refused = failures.filter((f) => this.absorbRefusal(uid, f, log));
      const others = failures.filter((f) => !refused.includes(f));
      if (refused.length === 0 || others.length > 0 || round >= MAX_PLAN_ROUNDS) return { plan: decision, failures: others, jobsCreated };
      const again = this.gatherer.gather(key, input.now, (cached) => this.freshest(key, cached));
      if (again.kind === 'gone') return { plan: decision, failures: [], jobsCreated };
      decision = plan(again.input);
    }
  }

  /** A terminal refusal of a Job or CronJob is remembered (true); anything else is retried. */
  private absorbRefusal(uid: string, failure: ActionFailure, log: Logger): boolean {
    const { action } = failure;
    if (!failure.terminal) return false;
    const at = this.now().getTime();
    if (action.kind === 'createJob') {
      const name = action.job.metadata?.name ?? '';
      log.warn({ job: name, err: failure.error }, 'the API server refused a stage Job');
      this.rejections.refuseJob(uid, name, failure.error, at);
      return true;
    }
    if (action.kind === 'applyCronJob') {
      const name = action.cronJob.metadata?.name ?? '';
      log.warn({ cronJob: name, err: failure.error }, 'the API server refused a CronJob');
      this.rejections.refuseCronJob(uid, name, failure.error, at);
      return true;
    }
    return false;
  }

  /**
   * A plan whose only news is when running stages started (no Events, no deletions) may wait
   * for the next change, so one write carries both (coalesce.ts): the ms it waits, or undefined.
   */
  private holdStartTimes(key: string, pipeline: Pipeline, decision: Plan): number | undefined {
    const quiet = decision.events.length === 0 && !decision.actions.some((a) => DELETIONS.has(a.kind));
    const onlyStartTimes = quiet && statusChanged(pipeline.status, decision.status) && onlyStartTimesChanged(pipeline.status, decision.status);
    return this.startTimes.hold(key, this.now().getTime(), onlyStartTimes);
  }

  /** Writes status when it changed; 'conflict' when the Pipeline moved on since it was read. */
  private async writeStatus(key: string, pipeline: Pipeline, decision: Plan, log: Logger): Promise<'written' | 'unchanged' | 'conflict'> {
    if (!statusChanged(pipeline.status, decision.status)) return 'unchanged';
    try {
      const updated = await this.statusWriter.write(pipeline, decision.status);
      this.written.set(key, updated);
    } catch (err) {
      const verdict = classifyApiError(err);
      if (verdict.verdict !== 'conflict') throw err;
      log.debug({ err: verdict.message }, 'status write conflicted; planning again from the newer Pipeline');
      this.written.delete(key);
      return 'conflict';
    }
    this.rejections.settle(pipeline.metadata.uid, decision.status);
    recordTransitions(pipeline.status, decision.status, pipeline.metadata);
    log.debug({ phase: decision.status.phase, progress: decision.status.progress }, 'status written');
    return 'written';
  }

  private countFailures(failures: ActionFailure[]): ActionFailure[] {
    for (const f of failures) apiErrors.inc({ action: f.action.kind });
    return failures;
  }

  /** The cache, unless the status we just wrote is newer than what the watch delivered. */
  private freshest(key: string, cached: Pipeline | undefined): Pipeline | undefined {
    const mine = this.written.get(key);
    if (!mine || !cached) return cached;
    if (cached.metadata.uid !== mine.metadata.uid || resourceVersionOf(cached) >= resourceVersionOf(mine)) {
      this.written.delete(key);
      return cached;
    }
    return mine;
  }
}

// resourceVersions are opaque strings; etcd-backed servers issue increasing integers, which is
// the only case where this comparison matters. Non-numeric ones fall back to the cache.
function resourceVersionOf(p: Pipeline): number {
  const n = Number(p.metadata.resourceVersion);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

function actionsFailed(failures: ActionFailure[]): Error {
  return new Error(`${failures.length} action(s) failed: ${failures.map((f) => `${describe(f.action)}: ${f.error}`).join('; ')}`);
}

function describe(a: Action): string {
  switch (a.kind) {
    case 'createJob':
      return `create job ${a.job.metadata?.name}`;
    case 'createClaim':
      return `create claim ${a.claim.metadata?.name}`;
    case 'applyCronJob':
      return `apply cronjob ${a.cronJob.metadata?.name}`;
    case 'createRevision':
      return `create controllerrevision ${a.revision.metadata?.name}`;
    default:
      return `${a.kind} ${a.name}`;
  }
}
