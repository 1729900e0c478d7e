// THE decision: from a Pipeline, its validation result and the Jobs, claims and CronJobs it
// owns, decide the actions and the whole new status. Pure (no I/O, `now` is an input) and
// level-based: status is memory, observed objects are evidence, and names and run ids are
// deterministic, so planning again after a crash with a stale status converges on the same runs
// without duplicating work.
//
// One plan: select (which runs go on, which new ones are asked for: select.ts), advance the ones
// going on (run.ts), decide run-level concurrency for the new ones (concurrency.ts), advance the
// ones that start, stop what is left of inactive runs and prune old ones (history.ts), keep the
// CronJobs of a scheduled pipeline in shape (cronjob.ts), and write status.
import type { V1CronJob } from '@kubernetes/client-node';
import type { CacheEntry, Pipeline, PipelineSpec, PipelineStatus, RunStatus, RunSummary } from '../api/types.ts';
import type { Action, PinnedSpec, Plan, PlanEvent, PlanInput, Problem } from './types.ts';
import { stalled, toConditions } from './conditions.ts';
import { decideConcurrency, policyOf, replacedRuns, stageRoom, withinStageBudget, type ConcurrencyDecision, type ConcurrencyPolicy } from './concurrency.ts';
import { pipelinePhase, progressOf, runConditions, scheduledConditions, scheduledPhase } from './pipeline-status.ts';
import { buildRevision } from './revision.ts';
import { cacheEntriesOf, updateCache } from './cache.ts';
import { cancelReason, cancelRefused, readCancelRequest, type CancelRequest } from './cancel.ts';
import { cronJobActions, isScheduled, scheduleStatus, type ScheduleStatus } from './cronjob.ts';
import { transitionEvents } from './events.ts';
import { cancelRun, historyLimit, pruneHistory, runHistory, stopInactiveRuns, summarize } from './history.ts';
import { compact, isPlainObject } from './merge.ts';
import { observeRuns, ownedBy, trimMessage, type ObservedRun } from './observed.ts';
import { advanceRun, isActiveRun, type RunProgress } from './run.ts';
import { withRunValues } from './select-values.ts';
import { rememberedRuns, selectScheduled, selectUnscheduled, type RunRef, type Selection, type SkippedRun } from './select.ts';
import { iso } from './time.ts';
import { MAX_ACTIVE_RUNS, MAX_ACTIVE_STAGES, RESERVED_RUN_SLOTS } from '../api/schema.ts';
import { backfillRunIds, backfillStatusParts, readBackfill, runEntries, startBackfill, type BackfillState, type BackfillStatusParts, type StartContext } from './backfill.ts';

export type { Action, Plan } from './types.ts';

const MAX_PROBLEMS_MESSAGE = 1000;
/** How far retry-of links are followed to protect a retry's sources from pruning. */
const MAX_RETRY_CHAIN = 10;

export function plan(input: PlanInput): Plan {
  const pipeline = normalizePipeline(input.pipeline);
  const now = input.now instanceof Date && !Number.isNaN(input.now.getTime()) ? input.now : new Date(0);
  const previous: PipelineStatus = isPlainObject(pipeline.status) ? pipeline.status : {};
  const generation = typeof pipeline.metadata.generation === 'number' ? pipeline.metadata.generation : 0;
  const uid = pipeline.metadata.uid;
  const cronJobs = (Array.isArray(input.cronJobs) ? input.cronJobs : []).filter((c): c is V1CronJob => isPlainObject(c) && ownedBy(c, uid));
  const cronJobUids = new Set(cronJobs.flatMap((c) => (c.metadata?.uid ? [c.metadata.uid] : [])));
  const observed = observeRuns(uid, input.jobs ?? [], input.claims ?? [], cronJobUids);
  const limit = historyLimit(pipeline.spec.runHistoryLimit);
  const problems = Array.isArray(input.problems) ? input.problems : [];
  const revisions = Array.isArray(input.revisions) ? input.revisions : [];

  if (problems.length > 0) return planInvalid(problems, previous, generation, observed, limit, now);

  const spec = pipeline.spec;
  const scheduled = isScheduled(spec);
  const context = { pipeline, previous, observed, upstream: Array.isArray(input.upstream) ? input.upstream : [], generation, now };
  // A pipeline chained after others (and not scheduled) waits for its trigger like a scheduled
  // one waits for its tick: creating or changing it starts no run ("load after ingest" must not
  // load before ingest). Manual runs and retries still start at once.
  const chained = !scheduled && (spec.triggers?.after?.length ?? 0) > 0;
  const waitsForTrigger = scheduled || chained;
  // Every run's logical time, interval and params: recorded ones read back, new ones decided once.
  const selection = withRunValues(context, waitsForTrigger ? selectScheduled(context) : selectUnscheduled(context));
  const advance = runAdvancer({ pipeline, generation, revisions, observed, input, now, cacheEntries: cacheEntriesOf(previous.cache) });
  const cancel = readCancelRequest(pipeline, previous);
  const backfill = { state: readBackfill(pipeline, previous, observed, now), context: { spec, generation } };
  const stagesOf = stageCounter(pipeline, revisions, generation);
  const outcome = planRuns(selection, advance, { policy: policyOf(spec), stagesOf, cancel, backfill }, now);
  const { runs, lastRun } = rememberAll(outcome, previous, selection.supersede, now);
  const backfilled = backfillStatusParts(outcome.backfill, previous, runs, now);

  const activeIds = new Set([...runs.values()].filter((r) => isActiveRun(r.phase)).map((r) => r.id));
  const skipped = new Map(outcome.decision.skipped.concat(selection.skipped).map((s) => [s.id, s]));
  const reasonFor = (id: string): string =>
    outcome.cancelled.get(id) ?? skipped.get(id)?.message ?? (selection.supersede ? supersededBy(lastRun?.id) : `run ${id} has already ended`);
  const keep = protectedRuns(activeIds, lastRun?.id, outcome.refs, observed);
  const activeGenerations = new Set([...runs.values()].filter((r) => isActiveRun(r.phase)).map((r) => r.generation ?? generation));
  const actions = dedupe([
    ...revisionActions({ ...pipeline, spec: input.pipeline.spec }, revisions, { generation, inUse: activeGenerations, outlivesChanges: waitsForTrigger }),
    ...cronJobActions(pipeline, cronJobs, generation),
    ...outcome.actions,
    ...stopInactiveRuns(observed, activeIds, reasonFor),
    ...pruneHistory(observed, keep, limit),
  ]);

  const schedule = scheduled ? scheduleStatus(spec, cronJobs, previous, now) : {};
  const status = pipelineStatus({
    spec, previous, generation, now, lastRun, runs, skipped: [...skipped.values()], selection, schedule, cancel: cancel.value, cacheEntries: outcome.cacheEntries, backfill: backfilled.status,
    holds: waitsForTrigger || spec.suspend === true,
    active: activeIds.size > 0,
    cronChanging: actions.some((a) => a.kind === 'applyCronJob' || a.kind === 'deleteCronJob'),
  });
  const requeues = [...outcome.requeues, ...(schedule.requeueAfterMs !== undefined ? [schedule.requeueAfterMs] : [])];
  if (backfilled.requeueAfterMs !== undefined) requeues.push(backfilled.requeueAfterMs);
  // Events compare every run this plan decided, also those past the ten finished runs runs[] keeps.
  const decided = runSummaries(runs, lastRun, [...skipped.values()], now);
  const reported = { ...status, runs: runHistory(previous.runs, decided, Number.POSITIVE_INFINITY) };
  return compact({
    actions,
    status,
    events: [...transitionEvents(previous, reported), ...selection.events, ...outcome.events, ...backfilled.events],
    requeueAfterMs: requeues.length > 0 ? Math.min(...requeues) : undefined,
  });
}

type StatusParts = {
  spec: PipelineSpec;
  previous: PipelineStatus;
  generation: number;
  now: Date;
  lastRun: RunStatus | undefined;
  runs: Map<string, RunStatus>;
  skipped: SkippedRun[];
  selection: Selection;
  schedule: ScheduleStatus;
  cancel: string | undefined;
  /** Results of stages with cache that succeeded in this plan (status.cache). */
  cacheEntries: CacheEntry[];
  /** status.backfill, lastBackfillRequest, succeededTimes and the other fields backfill.ts owns. */
  backfill: BackfillStatusParts;
  /** It waits for a trigger (a schedule, a chain) or is suspended: between runs it is Ready. */
  holds: boolean;
  active: boolean;
  cronChanging: boolean;
};

/** The whole new status: phase and conditions, the latest run, the history, the bookkeeping. */
function pipelineStatus(p: StatusParts): PipelineStatus {
  const { spec, previous, generation, now, lastRun, selection, schedule } = p;
  const desired = p.holds
    ? scheduledConditions({ lastRun, active: p.active, spec, generation, cronChanging: p.cronChanging, next: schedule.nextScheduleTime })
    : runConditions(lastRun, spec);
  const summaries = runSummaries(p.runs, lastRun, p.skipped, now);
  return compact({
    observedGeneration: generation,
    phase: p.holds ? scheduledPhase(lastRun, p.active, spec) : pipelinePhase(lastRun),
    conditions: toConditions(desired, previous.conditions, generation, now),
    progress: lastRun ? progressOf(lastRun, spec) : undefined,
    lastRun,
    runs: summaries.length > 0 || previous.runs ? runHistory(previous.runs, summaries) : undefined,
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.nextScheduleTime,
    lastRunRequest: selection.lastRunRequest,
    lastRetryRequest: selection.lastRetryRequest,
    lastCancelRequest: p.cancel,
    requestCount: selection.requestCount,
    lastTriggers: selection.lastTriggers,
    ...p.backfill,
    cache: updateCache(previous.cache, p.cacheEntries),
  });
}

/** The runs[] entries of the runs this plan advanced, started or skipped. */
function runSummaries(runs: Map<string, RunStatus>, lastRun: RunStatus | undefined, skipped: SkippedRun[], now: Date): RunSummary[] {
  return [
    // lastRun carries its stages itself; its entry in runs[] need not repeat them.
    ...[...runs.values()].map((r) => summarize(r.id === lastRun?.id ? { ...r, stages: [] } : r)),
    ...skipped.map((s): RunSummary => ({ id: s.id, trigger: s.trigger, phase: 'Skipped', generation: s.generation, completionTime: iso(now), message: s.message })),
  ];
}

function supersededBy(id: string | undefined): string {
  return `superseded by run ${id ?? ''}`;
}

type AdvanceInputs = {
  pipeline: Pipeline;
  generation: number;
  revisions: PinnedSpec[];
  observed: Map<string, ObservedRun>;
  input: PlanInput;
  now: Date;
  /** status.cache before this plan. */
  cacheEntries: CacheEntry[];
};

/**
 * How one run moves on: with the spec it started with (its generation's ControllerRevision when
 * the Pipeline has moved on since), its own Jobs, and what status remembers of it.
 */
function runAdvancer(inputs: AdvanceInputs): (ref: RunRef) => RunProgress {
  const { pipeline, generation, revisions, observed, input, now, cacheEntries } = inputs;
  return (ref) => {
    if (ref.hold && ref.previous) return { run: ref.previous, actions: [] };
    const pinned = ref.generation === generation ? pipeline : pinnedPipeline(pipeline, revisions, ref.generation);
    if (!pinned) return { run: specUnavailable(ref, now), actions: [] };
    return advanceRun(
      compact({
        pipeline: pinned,
        runId: ref.id,
        trigger: ref.trigger,
        generation: ref.generation,
        previous: ref.previous,
        observed: observed.get(ref.id),
        kept: ref.kept,
        retryOf: ref.retryOf,
        awaitRootsUntil: ref.awaitRootsUntil,
        rejections: input.rejections,
        pendingJobs: input.pendingJobs,
        values: ref.values,
        cacheEntries,
        now,
      }),
    );
  };
}

/** The Pipeline as it was at `generation`: its spec from that generation's ControllerRevision. */
function pinnedPipeline(pipeline: Pipeline, revisions: PinnedSpec[], generation: number): Pipeline | undefined {
  const spec = revisions.find((r) => r.generation === generation)?.spec;
  return spec ? normalizePipeline({ ...pipeline, spec }) : undefined;
}

/** Stages and onFailure stages of a run of each generation: its pinned spec's, else the current one's. */
function stageCounter(pipeline: Pipeline, revisions: PinnedSpec[], generation: number): (g: number) => number {
  const count = (p: Pipeline | undefined) => (p ? p.spec.stages.length + (p.spec.onFailure?.length ?? 0) : 0);
  const counts = new Map([[generation, count(pipeline)]]);
  return (g) => {
    let n = counts.get(g);
    if (n === undefined) counts.set(g, (n = count(pinnedPipeline(pipeline, revisions, g)) || (counts.get(generation) ?? 0)));
    return n;
  };
}

/** A run whose spec is gone (its ControllerRevision was deleted) cannot go on: it fails, saying why. */
function specUnavailable(ref: RunRef, now: Date): RunStatus {
  const message = `the spec of generation ${ref.generation} that run ${ref.id} started with is no longer available (its ControllerRevision is gone); the run cannot go on`;
  const base: RunStatus = ref.previous ?? { id: ref.id, trigger: ref.trigger, generation: ref.generation, phase: 'Running' };
  return { ...cancelRun(base, message, now), phase: 'Failed' };
}

type RunsOutcome = {
  /** Every run this plan advanced or started, by id, with cancellations applied. */
  runs: Map<string, RunStatus>;
  refs: RunRef[];
  started: RunRef[];
  decision: ConcurrencyDecision;
  /** Runs cancelled now (replaced, or superseded), with the reason. */
  cancelled: Map<string, string>;
  actions: Action[];
  events: PlanEvent[];
  requeues: number[];
  /** Results of stages with cache that succeeded now, in any run (a cancelled one too). */
  cacheEntries: CacheEntry[];
  /** The backfill after this plan's ticks started (backfill.ts); runs that ended are counted later. */
  backfill: BackfillState;
};

/**
 * Runs going on move first: one that ends now no longer blocks a new run (Forbid). A run
 * cancelled on request, or replaced (Replace), is no longer active for what starts next.
 */
type RunRules = {
  policy: ConcurrencyPolicy;
  /** Stages and onFailure stages of a run of that generation (the stage budget, concurrency.ts). */
  stagesOf: (generation: number) => number;
  cancel: CancelRequest;
  backfill: { state: BackfillState; context: Omit<StartContext, 'active' | 'room' | 'runs' | 'now'> };
};

function planRuns(selection: Selection, advance: (ref: RunRef) => RunProgress, rules: RunRules, now: Date): RunsOutcome {
  const going = selection.continuing.map((ref) => ({ ref, progress: advance(ref) }));
  const stillActive = going.filter((g) => isActiveRun(g.progress.run.phase));
  const stopped = requestedCancel(rules.cancel, stillActive.map((g) => g.ref.id));
  for (const [id, reason] of rules.backfill.state.cancel) if (stillActive.some((g) => g.ref.id === id)) stopped.cancelled.set(id, reason);
  const replaced = selection.supersede ? new Map<string, string>() : replacedRuns(rules.policy, stillActive.map((g) => g.ref));
  const active = stillActive.filter((g) => !replaced.has(g.ref.id) && !stopped.cancelled.has(g.ref.id)).map((g) => g.ref.id);
  const decided = decideConcurrency(rules.policy, active, selection.requests, selection.supersede, backfillRunIds(stillActive.map((g) => g.ref)));
  const remaining = active.filter((id) => !decided.cancelled.has(id));
  const { decision, room } = admit(decided, stillActive.filter((g) => remaining.includes(g.ref.id)).map((g) => g.ref), rules);
  const goingRuns = going.map((g) => ({ values: g.ref.values, active: remaining.includes(g.ref.id), phase: g.progress.run.phase }));
  const runs = runEntries([...goingRuns, ...decision.start.map((ref) => ({ values: ref.values, active: true }))]);
  const backfill = startBackfill(rules.backfill.state, { ...rules.backfill.context, active: new Set(remaining), room, runs, now });
  const started = [...backfill.starts, ...decision.start].map((ref) => ({ ref, progress: advance(ref) }));
  const cancelled = new Map([...stopped.cancelled, ...replaced, ...decision.cancelled]);
  const events = [...stopped.events];
  const outcome: RunsOutcome = { runs: new Map(), refs: [], started: started.map((s) => s.ref), decision, cancelled, actions: [], events, requeues: [], cacheEntries: [], backfill: backfill.state };
  for (const { ref, progress } of [...going, ...started]) {
    outcome.refs.push(ref);
    const reason = cancelled.get(ref.id);
    // A cancelled run's stages that succeeded (this plan saw them end) have complete results.
    outcome.cacheEntries.push(...(progress.cacheEntries ?? []));
    if (reason !== undefined) {
      outcome.runs.set(ref.id, cancelRun(progress.run, reason, now));
      continue;
    }
    outcome.runs.set(ref.id, progress.run);
    outcome.actions.push(...progress.actions);
    outcome.events.push(...(progress.events ?? []));
    if (progress.requeueAfterMs !== undefined) outcome.requeues.push(progress.requeueAfterMs);
  }
  return outcome;
}

/**
 * The new runs that also fit the stage budget (every active run's stages are remembered in
 * status: concurrency.ts), and the room left for backfill ticks: what the other new runs leave,
 * less RESERVED_RUN_SLOTS kept for the ticks and manual runs to come and their share of the stage
 * budget (250: more than the largest run has). `remaining`: the runs still active after this plan.
 */
function admit(decided: ConcurrencyDecision, remaining: RunRef[], rules: RunRules): { decision: ConcurrencyDecision; room: number } {
  const { stagesOf } = rules;
  const held = remaining.reduce((sum, ref) => sum + stagesOf(ref.generation), 0);
  const decision = withinStageBudget(decided, held, stagesOf);
  const starting = decision.start.reduce((sum, r) => sum + stagesOf(r.generation), 0);
  const reservedStages = (MAX_ACTIVE_STAGES * RESERVED_RUN_SLOTS) / MAX_ACTIVE_RUNS;
  const slots = MAX_ACTIVE_RUNS - RESERVED_RUN_SLOTS - remaining.length - decision.start.length;
  // Backfill ticks start first, so that a tick or a manual run starting in the same plan is lastRun.
  return { decision, room: Math.min(slots, stageRoom(held + starting + reservedStages, stagesOf(rules.backfill.context.generation))) };
}

/** The run a new cancel request names, if it is active; otherwise an Event that says why not. */
function requestedCancel(request: CancelRequest, active: string[]): { cancelled: Map<string, string>; events: PlanEvent[] } {
  if (request.problem) return { cancelled: new Map(), events: [cancelRefused(request, request.problem)] };
  if (!request.target) return { cancelled: new Map(), events: [] };
  if (active.includes(request.target)) return { cancelled: new Map([[request.target, cancelReason(request)]]), events: [] };
  return { cancelled: new Map(), events: [cancelRefused(request, `run ${request.target} is not active`)] };
}

/**
 * lastRun is the newest run: the one started last, else one adopted from the Jobs that is newer
 * than the one status had, else that one (also when it has ended while an older run still goes
 * on). Active runs status remembers but nobody continues are superseded (an unscheduled
 * pipeline has one run at a time).
 */
function rememberAll(outcome: RunsOutcome, previous: PipelineStatus, supersede: boolean, now: Date): { runs: Map<string, RunStatus>; lastRun?: RunStatus } {
  const runs = outcome.runs;
  const remembered = rememberedRuns(previous);
  const adopted = newestRun([...runs.values()].filter((r) => !remembered.has(r.id)));
  const adoptedIsNewer = adopted && (!previous.lastRun?.startTime || (adopted.startTime ?? '') > previous.lastRun.startTime);
  const lastId =
    outcome.started[outcome.started.length - 1]?.id ?? (adoptedIsNewer ? adopted.id : undefined) ?? previous.lastRun?.id ?? newestRun([...runs.values()])?.id;
  for (const [id, run] of remembered) {
    if (isActiveRun(run.phase) && !runs.has(id)) {
      const reason = supersede ? supersededBy(lastId) : `run ${id} is no longer tracked`;
      runs.set(id, cancelRun(run, reason, now));
      outcome.cancelled.set(id, reason);
    }
  }
  const lastRun = (lastId !== undefined ? runs.get(lastId) : undefined) ?? (previous.lastRun?.id === lastId ? previous.lastRun : undefined);
  return lastRun ? { runs, lastRun } : { runs };
}

/**
 * A run of the current generation has its ControllerRevision from its first plan on, so that a
 * later change of spec cannot reach it; revisions that are not the current generation's and that
 * no active run uses are deleted.
 *
 * When it is created. A run needs its generation's revision only once the Pipeline has moved on
 * to a newer generation and the run still goes on. Runs of a pipeline that waits for triggers (a
 * schedule, a chain) do go on across changes of spec, so for them the revision is created before
 * any Job is created or started (beforeJobs). An unscheduled pipeline's first Jobs of a
 * generation are created alongside it, one round trip sooner, because no run can need a revision
 * that is missing:
 * - status records a run only after a reconcile whose creates all succeeded, the revision's
 *   included (reconciler.ts writes status only then), so a run whose revision is missing is known
 *   from its Jobs alone;
 * - the unscheduled selection continues such a run only at its own generation (select.ts
 *   newestRunOf; a suspended pipeline continues only the run status records), and at its own
 *   generation the run reads the Pipeline's spec, which is that generation's, and this plan
 *   creates the revision again;
 * - at a newer generation the run is superseded (or, suspended, stopped): its Jobs are deleted,
 *   the newer generation's run uses the Pipeline's current spec; nothing runs on a spec it did
 *   not start with.
 * Crash windows: killed after the Jobs and before the revision, or the revision's create failing,
 * the next plan at the same generation adopts the run and creates the revision; at a newer one it
 * supersedes the run (test/unit/plan/revision-alongside.test.ts).
 */
function revisionActions(pipeline: Pipeline, revisions: PinnedSpec[], g: { generation: number; inUse: Set<number>; outlivesChanges: boolean }): Action[] {
  const actions: Action[] = [];
  const needed = g.inUse.has(g.generation) && !revisions.some((r) => r.generation === g.generation);
  if (needed) actions.push({ kind: 'createRevision', revision: buildRevision(pipeline), beforeJobs: g.outlivesChanges });
  for (const r of revisions) {
    if (r.generation !== g.generation && !g.inUse.has(r.generation)) {
      actions.push({ kind: 'deleteRevision', name: r.name, reason: `no active run uses generation ${r.generation}` });
    }
  }
  return actions;
}

function newestRun(runs: RunStatus[]): RunStatus | undefined {
  const time = (r: RunStatus) => (r.startTime ? Date.parse(r.startTime) : 0);
  return runs.reduce<RunStatus | undefined>((best, r) => (!best || time(r) > time(best) ? r : best), undefined);
}

/** Runs pruning must not touch: active ones, the latest, and what an active retry keeps stages of. */
function protectedRuns(active: Set<string>, lastId: string | undefined, refs: RunRef[], observed: Map<string, ObservedRun>): Set<string> {
  const keep = new Set(active);
  if (lastId) keep.add(lastId);
  for (const ref of refs) {
    if (!active.has(ref.id)) continue;
    let source = ref.retryOf;
    for (let depth = 0; source && depth < MAX_RETRY_CHAIN && !keep.has(source); depth++) {
      keep.add(source);
      source = observed.get(source)?.retryOf;
    }
  }
  return keep;
}

/**
 * An invalid spec creates nothing. Choice: a newer invalid generation supersedes the runs in
 * flight (they ran an older spec the user has replaced), so they are cancelled and their Jobs
 * deleted, like any superseded run; finished runs and their history are left as they were.
 * CronJobs are left as they are (their template cannot be rebuilt from an invalid spec); the
 * ticks they create meanwhile are deleted unstarted.
 */
function planInvalid(
  problems: Problem[],
  previous: PipelineStatus,
  generation: number,
  observed: Map<string, ObservedRun>,
  limit: number,
  now: Date,
): Plan {
  const message =
    trimMessage(problems.map((p) => `${p?.path ?? ''}: ${p?.message ?? ''}`).join('; '), MAX_PROBLEMS_MESSAGE) ?? 'invalid spec';
  const before = previous.lastRun;
  const reason = `cancelled: generation ${generation} is invalid`;
  const lastRun = before && isActiveRun(before.phase) ? cancelRun(before, reason, now) : before;
  const cancelled: RunSummary[] = [];
  for (const run of rememberedRuns(previous).values()) {
    if (run.id === before?.id) continue;
    if (isActiveRun(run.phase)) cancelled.push(summarize(cancelRun(run, reason, now)));
  }
  const actions = dedupe([
    ...stopInactiveRuns(observed, new Set(), () => reason),
    ...pruneHistory(observed, new Set(before?.id ? [before.id] : []), limit),
  ]);
  const changed = [...(lastRun ? [summarize(lastRun)] : []), ...cancelled];
  const status: PipelineStatus = compact({
    observedGeneration: generation,
    phase: 'Invalid' as const,
    conditions: toConditions(stalled('InvalidSpec', message), previous.conditions, generation, now),
    lastRun,
    runs: changed.length > 0 ? runHistory(previous.runs, changed) : previous.runs,
    lastScheduleTime: previous.lastScheduleTime,
    lastRunRequest: previous.lastRunRequest,
    lastRetryRequest: previous.lastRetryRequest,
    lastCancelRequest: previous.lastCancelRequest,
    lastTriggers: previous.lastTriggers,
    cache: updateCache(previous.cache, []),
    backfill: previous.backfill,
    lastBackfillRequest: previous.lastBackfillRequest,
    lastBackfillRefusal: previous.lastBackfillRefusal,
    backfillIds: previous.backfillIds,
    backfillIdsForgottenUntil: previous.backfillIdsForgottenUntil,
    succeededTimes: previous.succeededTimes,
  });
  const reported = { ...status, runs: runHistory(previous.runs, changed, Number.POSITIVE_INFINITY) };
  return { actions, status, events: transitionEvents(previous, reported) };
}

/** One action per object (the first wins): a Job may be both superseded and past the history limit. */
function dedupe(actions: Action[]): Action[] {
  const seen = new Set<string>();
  return actions.filter((action) => {
    const key = objectKey(action);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function objectKey(action: Action): string {
  switch (action.kind) {
    case 'createJob':
      return `job:${action.job.metadata?.name}`;
    case 'startJob':
    case 'deleteJob':
      return `job:${action.name}`;
    case 'createClaim':
      return `claim:${action.claim.metadata?.name}`;
    case 'deleteClaim':
      return `claim:${action.name}`;
    case 'applyCronJob':
      return `cronjob:${action.cronJob.metadata?.name}`;
    case 'deleteCronJob':
      return `cronjob:${action.name}`;
    case 'createRevision':
      return `revision:${action.revision.metadata?.name}`;
    case 'deleteRevision':
      return `revision:${action.name}`;
  }
}

/** Odd input (missing metadata, stages without names) must not make the planner throw. */
function normalizePipeline(pipeline: Pipeline): Pipeline {
  const metadata = isPlainObject(pipeline?.metadata) ? pipeline.metadata : {};
  const spec: Partial<PipelineSpec> = isPlainObject(pipeline?.spec) ? pipeline.spec : {};
  const named = <T extends { name?: unknown }>(list: unknown): T[] =>
    Array.isArray(list) ? list.filter((s): s is T => isPlainObject(s) && typeof s.name === 'string' && s.name !== '') : [];
  const dependsOn = (value: unknown): string[] | undefined =>
    Array.isArray(value) ? value.filter((d): d is string => typeof d === 'string') : undefined;
  return {
    ...pipeline,
    metadata,
    spec: {
      ...spec,
      stages: named<PipelineSpec['stages'][number]>(spec.stages).map((s) => compact({ ...s, dependsOn: dependsOn(s.dependsOn) })),
      onFailure: named<NonNullable<PipelineSpec['onFailure']>[number]>(spec.onFailure),
    },
  } as Pipeline;
}
