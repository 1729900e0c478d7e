// One reconcile of one Pipeline, in four steps: gather → plan → execute → write.
//   gather  (gather.ts)        the planner's complete input: the caches, and what they cannot show
//                              yet (pending-observations.ts);
//   plan    (src/plan)         the pure decision: actions, the whole new status, Events;
//   execute (execute.ts)       creates and starts first (claims, CronJobs, a run's pinned spec
//                              before or alongside its Jobs: execute.ts executionPhase);
//   write   (write-status.ts)  status, only when it changed, conditional on the resourceVersion
//                              the plan saw; then deletions; then Events.
// The order is what makes a crash anywhere harmless: new work exists (as evidence) before status
// records it, and nothing is deleted before status records why. A crash after the creates replans
// from the Jobs (names are deterministic: none is created twice); a crash after the write
// re-derives the same deletions.
//
// Every policy that holds or defers a write (their memory: status-writes.ts, pending-observations.ts):
// - read-your-writes: a reconcile first waits for its key's status write still in flight, then
//   plans from the status it wrote while the watch has not delivered it yet;
// - refusal feedback: a create the API server refuses for good (invalid, or a name taken by someone
//   else's object) is remembered and the plan made again (up to MAX_PLAN_ROUNDS), so the status
//   written never claims a Job that was refused: its stage fails with the server's message (a
//   refused CronJob stalls the Pipeline);
// - the start-time hold: a change that only fills in stage start times (no Events, no deletions)
//   waits up to START_TIME_HOLD_MS (30 s) for company, so one write carries it with the next
//   change; the reconcile asks to run again when the hold ends;
// - deferral: when the reconcile created a Job and deletes nothing, its status write goes on
//   without the worker (deferred-writes.ts says why that is safe); the next reconcile waits for it;
// - conflict requeue: a status write answered 409 Conflict discards the whole decision (no
//   deletions, no Events); the key is reconciled again after CONFLICT_REQUEUE_MS from the newer Pipeline;
// - failed-write requeue: a deferred write that fails otherwise is dropped and the key reconciled
//   again after FAILED_WRITE_REQUEUE_MS; a failed synchronous write, or a failed action, throws and
//   the work queue retries the key with backoff.
import type { Logger } from 'pino';
import type { Pipeline } from '../../api/types.ts';
import { plan, type Action, type Plan } from '../../plan/planner.ts';
import type { PlanInput } from '../../plan/types.ts';
import { classifyApiError } from '../../kube/errors.ts';
import { apiErrors } from '../../metrics.ts';
import type { EventRecorder } from './event-recorder.ts';
import type { ActionExecutor, ActionFailure } from './execute.ts';
import { Gatherer, type ClusterView, type Gathered, type NotifiedLookup } from './gather.ts';
import { PendingObservations, type PipelineRef } from './pending-observations.ts';
import { StatusWrites } from './status-writes.ts';
import { type StatusWriter, statusChanged } from './write-status.ts';
import type { HandlerResult } from '../runtime/work-queue.ts';
import { forgetPipelineKey, recordTransitions } from './run-metrics.ts';
import { timings } from '../runtime/timings.ts';
import { onlyStartTimesChanged } from './start-time-hold.ts';
import { mayDefer } from './deferred-writes.ts';

/** How often one reconcile plans again because the API server refused something it created. */
const MAX_PLAN_ROUNDS = 3;
/** A status write that lost a race: plan again soon, from the newer Pipeline the watch brings. */
export const CONFLICT_REQUEUE_MS = 200;
/** A deferred status write that failed (no verdict to go by): plan and write again after this. */
export const FAILED_WRITE_REQUEUE_MS = 1_000;

const DELETIONS: ReadonlySet<Action['kind']> = new Set(['deleteJob', 'deleteClaim', 'deleteCronJob', 'deleteRevision']);

export type ReconcilerDeps = {
  view: ClusterView;
  executor: ActionExecutor;
  statusWriter: StatusWriter;
  events: EventRecorder;
  log: Logger;
  /** What the cache cannot show yet; shared with the watch, which tells it of Jobs it delivers. */
  pending?: PendingObservations;
  now?: () => Date;
  /**
   * Asks for another reconcile of `key` after `ms`: a deferred status write that was dropped
   * (conflict, error) is planned again then, without waiting for the next event or the resync.
   */
  requeue?: (key: string, ms: number) => void;
  /** What the lifecycle notifier says of each Pipeline's runs (gather.ts); absent: nothing is sent. */
  notified?: NotifiedLookup;
};

/** One reconcile's decision once its creates are done. */
type Decided = { plan: Plan; failures: ActionFailure[]; jobsCreated: number };
/** The Pipeline a decision was made from (its key, namespace, object), and its logger. */
type Subject = { key: string; namespace: string; pipeline: Pipeline; log: Logger };

export class Reconciler {
  private readonly gatherer: Gatherer;
  private readonly pending: PendingObservations;
  private readonly executor: ActionExecutor;
  private readonly statusWriter: StatusWriter;
  private readonly events: EventRecorder;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly requeue: (key: string, ms: number) => void;
  /** What this process wrote, or holds back from writing (status-writes.ts). */
  private readonly writes = new StatusWrites();

  constructor(deps: ReconcilerDeps) {
    this.executor = deps.executor;
    this.statusWriter = deps.statusWriter;
    this.events = deps.events;
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
    this.requeue = deps.requeue ?? (() => {});
    this.pending = deps.pending ?? new PendingObservations();
    this.gatherer = new Gatherer(deps.view, this.pending, deps.notified);
  }

  async reconcile(key: string): Promise<HandlerResult> {
    // Read-your-writes: the status the last reconcile of this key left in flight comes first.
    await this.writes.settle(key);
    const now = this.now();
    const planStart = performance.now();
    const gathered = this.gather(key, now);
    if (gathered.kind === 'gone') return this.forget(key);
    const { namespace, pipeline } = gathered;
    const subject: Subject = { key, namespace, pipeline, log: this.log.child({ pipeline: key }) };
    const decided = await this.planAndCreate(subject, gathered.input, planStart);
    if (decided.failures.length > 0) throw actionsFailed(decided.failures);
    return this.write(subject, decided);
  }

  private gather(key: string, now: Date): Gathered {
    return this.gatherer.gather(key, now, (cached) => this.writes.freshest(key, cached));
  }

  /**
   * Deleted (or relabelled to another shard): one forget per store. The garbage collector removes
   * what the Pipeline owned through owner references.
   */
  private forget(key: string): HandlerResult {
    this.writes.forget(key);
    this.gatherer.forget(key);
    timings.forget(key);
    forgetPipelineKey(key);
    return undefined;
  }

  /**
   * Plan, then create and start what the plan asks for. A create the API server refuses for good
   * (invalid, or a name taken by someone else's object) becomes a fact, and gathering and
   * planning are done again, so the status written next tells the truth about it.
   */
  private async planAndCreate(subject: Subject, input: PlanInput, planStart: number): Promise<Decided> {
    const { key, namespace, log } = subject;
    const owner: PipelineRef = { key, uid: input.pipeline.metadata.uid ?? '' };
    let decision = plan(input);
    let jobsCreated = 0;
    timings.planned(input.pipeline.spec?.stages?.length ?? 0, performance.now() - planStart);
    for (let round = 1; ; round++) {
      const done = await this.executor.execute(
        namespace,
        decision.actions.filter((a) => !DELETIONS.has(a.kind)),
        log,
      );
      this.pending.executed(owner, done.done);
      jobsCreated += done.jobsCreated;
      const failures = this.countFailures(done.failures);
      const refused = failures.filter((f) => this.absorbRefusal(owner, f, log));
      const others = failures.filter((f) => !refused.includes(f));
      if (refused.length === 0 || others.length > 0 || round >= MAX_PLAN_ROUNDS)
        return { plan: decision, failures: others, jobsCreated };
      const again = this.gather(key, input.now);
      if (again.kind === 'gone') return { plan: decision, failures: [], jobsCreated };
      decision = plan(again.input);
    }
  }

  /** A terminal refusal of a Job or CronJob is remembered (true); anything else is retried. */
  private absorbRefusal(owner: PipelineRef, failure: ActionFailure, log: Logger): boolean {
    const { action } = failure;
    if (!failure.terminal) return false;
    const at = this.now().getTime();
    if (action.kind === 'createJob') {
      const name = action.job.metadata?.name ?? '';
      log.warn({ job: name, err: failure.error }, 'the API server refused a stage Job');
      this.pending.refused(owner, 'Job', name, failure.error, at);
      return true;
    }
    if (action.kind === 'applyCronJob') {
      const name = action.cronJob.metadata?.name ?? '';
      log.warn({ cronJob: name, err: failure.error }, 'the API server refused a CronJob');
      this.pending.refused(owner, 'CronJob', name, failure.error, at);
      return true;
    }
    return false;
  }

  /**
   * The write step: held (start times only), deferred (a Job created, nothing deleted), or now —
   * then the deletions, which wait for the status that records why, then the Events.
   */
  private async write(subject: Subject, decided: Decided): Promise<HandlerResult> {
    const { key, namespace, pipeline, log } = subject;
    const decision = decided.plan;
    const requeue = decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : undefined;
    const held = this.holdStartTimes(key, pipeline, decision);
    if (held !== undefined) return { requeueAfterMs: Math.min(held, decision.requeueAfterMs ?? Infinity) };
    const deletions = decision.actions.filter((a) => DELETIONS.has(a.kind));
    if (mayDefer({ jobsCreated: decided.jobsCreated, deletions: deletions.length })) {
      this.writes.defer(key, () => this.writeThenAnnounce(subject, decision));
      return requeue;
    }
    if ((await this.writeStatus(subject, decision)) === 'conflict') return { requeueAfterMs: CONFLICT_REQUEUE_MS };
    const failed = this.countFailures((await this.executor.execute(namespace, deletions, log)).failures);
    this.announce(pipeline, decision, log);
    if (failed.length > 0) throw actionsFailed(failed);
    return requeue;
  }

  /** The write of a deferred reconcile, then its Events; a failure is dropped and requeued. */
  private async writeThenAnnounce(subject: Subject, decision: Plan): Promise<void> {
    const { key, pipeline, log } = subject;
    try {
      if ((await this.writeStatus(subject, decision)) === 'conflict') {
        this.requeue(key, CONFLICT_REQUEUE_MS);
        return;
      }
    } catch (err) {
      log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'status write failed; the next reconcile writes it',
      );
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
   * A plan whose only news is when running stages started (no Events, no deletions) may wait
   * for the next change, so one write carries both (start-time-hold.ts): the ms it waits, or undefined.
   */
  private holdStartTimes(key: string, pipeline: Pipeline, decision: Plan): number | undefined {
    const quiet = decision.events.length === 0 && !decision.actions.some((a) => DELETIONS.has(a.kind));
    const onlyStartTimes =
      quiet &&
      statusChanged(pipeline.status, decision.status) &&
      onlyStartTimesChanged(pipeline.status, decision.status);
    return this.writes.hold(key, this.now().getTime(), onlyStartTimes);
  }

  /** Writes status when it changed; 'conflict' when the Pipeline moved on since it was read. */
  private async writeStatus(subject: Subject, decision: Plan): Promise<'written' | 'unchanged' | 'conflict'> {
    const { key, pipeline, log } = subject;
    if (!statusChanged(pipeline.status, decision.status)) return 'unchanged';
    try {
      this.writes.wrote(key, await this.statusWriter.write(pipeline, decision.status));
    } catch (err) {
      const verdict = classifyApiError(err);
      if (verdict.verdict !== 'conflict') throw err;
      log.debug({ err: verdict.message }, 'status write conflicted; planning again once the cache has the change');
      // The status we wrote last stays the floor of what the next plan reads (`freshest` lets it
      // go once the cache reaches it). Forgetting it here let a plan read a lagging cache's older
      // status: a run it had started looked unstarted, and a Job deleted by hand was created
      // again under the same name (the simulator's NEW-N). Plans from our own write conflict
      // again, and are retried, until the watch delivers the other writer's change.
      return 'conflict';
    }
    this.pending.settle({ key, uid: pipeline.metadata.uid ?? '' }, decision.status);
    recordTransitions(pipeline.status, decision.status, pipeline.metadata);
    log.debug({ phase: decision.status.phase, progress: decision.status.progress }, 'status written');
    return 'written';
  }

  private countFailures(failures: ActionFailure[]): ActionFailure[] {
    for (const f of failures) apiErrors.inc({ action: f.action.kind });
    return failures;
  }
}

function actionsFailed(failures: ActionFailure[]): Error {
  return new Error(
    `${failures.length} action(s) failed: ${failures.map((f) => `${describe(f.action)}: ${f.error}`).join('; ')}`,
  );
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
