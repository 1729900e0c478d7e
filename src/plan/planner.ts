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
import type { Pipeline, PipelinePhase, PipelineSpec, PipelineStatus, RunStatus, RunSummary } from '../api/types.ts';
import type { Action, Plan, PlanInput, Problem } from './types.ts';
import { inProgress, ready, stalled, toConditions, type DesiredCondition } from './conditions.ts';
import { decideConcurrency, policyOf } from './concurrency.ts';
import { cronJobActions, isScheduled, scheduleStatus } from './cronjob.ts';
import { transitionEvents } from './events.ts';
import { cancelRun, historyLimit, pruneHistory, runHistory, stopInactiveRuns, summarize } from './history.ts';
import { compact, isPlainObject } from './merge.ts';
import { observeRuns, ownedBy, trimMessage, type ObservedRun } from './observed.ts';
import { advanceRun, isActiveRun, type RunProgress } from './run.ts';
import { rememberedRuns, selectScheduled, selectUnscheduled, type RunRef } from './select.ts';
import { iso } from './time.ts';

export type { Action, Plan, PlanEvent, PlanInput, Problem } from './types.ts';

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

  if (problems.length > 0) return planInvalid(problems, previous, generation, observed, limit, now);

  const spec = pipeline.spec;
  const scheduled = isScheduled(spec);
  const context = { pipeline, previous, observed, upstream: Array.isArray(input.upstream) ? input.upstream : [], generation, now };
  // A pipeline chained after others (and not scheduled) waits for its trigger like a scheduled
  // one waits for its tick: creating or changing it starts no run ("load after ingest" must not
  // load before ingest). Manual runs and retries still start at once.
  const chained = !scheduled && (spec.triggers?.after?.length ?? 0) > 0;
  const waitsForTrigger = scheduled || chained;
  const selection = waitsForTrigger ? selectScheduled(context) : selectUnscheduled(context);
  const advance = (ref: RunRef): RunProgress =>
    ref.hold && ref.previous
      ? { run: ref.previous, actions: [] }
      : advanceRun(
      compact({
        pipeline,
        runId: ref.id,
        trigger: ref.trigger,
        generation: ref.generation,
        previous: ref.previous,
        observed: observed.get(ref.id),
        kept: ref.kept,
        retryOf: ref.retryOf,
        awaitRootsUntil: ref.awaitRootsUntil,
        now,
      }),
    );

  // Runs going on move first: one that ends now no longer blocks a new run (Forbid).
  const going = selection.continuing.map((ref) => ({ ref, progress: advance(ref) }));
  const active = going.filter((g) => isActiveRun(g.progress.run.phase)).map((g) => g.ref.id);
  const decision = decideConcurrency(policyOf(spec), active, selection.requests, selection.supersede);
  const started = decision.start.map((ref) => ({ ref, progress: advance(ref) }));

  const runs = new Map<string, RunStatus>();
  const runActions: Action[] = [];
  const requeues: number[] = [];
  for (const { ref, progress } of [...going, ...started]) {
    const cancelled = decision.cancelled.get(ref.id);
    if (cancelled !== undefined) {
      runs.set(ref.id, cancelRun(progress.run, cancelled, now));
      continue;
    }
    runs.set(ref.id, progress.run);
    runActions.push(...progress.actions);
    if (progress.requeueAfterMs !== undefined) requeues.push(progress.requeueAfterMs);
  }

  // lastRun is the newest run: the one started last, else one adopted from the Jobs that is
  // newer than the one status had, else that one (also when it has ended while an older run
  // still goes on).
  const remembered = rememberedRuns(previous);
  const adopted = newestRun([...runs.values()].filter((r) => !remembered.has(r.id)));
  const adoptedIsNewer = adopted && (!previous.lastRun?.startTime || (adopted.startTime ?? '') > previous.lastRun.startTime);
  const lastId = started[started.length - 1]?.ref.id ?? (adoptedIsNewer ? adopted.id : undefined) ?? previous.lastRun?.id ?? newestRun([...runs.values()])?.id;

  // Active runs status remembers but nobody continues: superseded (an unscheduled pipeline
  // has one run at a time).
  const supersededBy = `superseded by run ${lastId ?? ''}`;
  for (const [id, run] of remembered) {
    if (isActiveRun(run.phase) && !runs.has(id)) runs.set(id, cancelRun(run, supersededBy, now));
  }
  const lastRun = (lastId !== undefined ? runs.get(lastId) : undefined) ?? (previous.lastRun?.id === lastId ? previous.lastRun : undefined);

  const skipped = new Map(decision.skipped.concat(selection.skipped).map((s) => [s.id, s]));
  const activeIds = new Set([...runs.values()].filter((r) => isActiveRun(r.phase)).map((r) => r.id));
  const reasonFor = (id: string): string =>
    decision.cancelled.get(id) ?? skipped.get(id)?.message ?? (selection.supersede ? supersededBy : `run ${id} has already ended`);
  const keep = protectedRuns(activeIds, lastRun?.id, [...going, ...started].map((g) => g.ref), observed);
  const actions = dedupe([
    ...cronJobActions(pipeline, cronJobs, generation),
    ...runActions,
    ...stopInactiveRuns(observed, activeIds, reasonFor),
    ...pruneHistory(observed, keep, limit),
  ]);

  const summaries: RunSummary[] = [
    ...[...runs.values()].map(summarize),
    ...[...skipped.values()].map((s): RunSummary => ({ id: s.id, trigger: s.trigger, phase: 'Skipped', generation: s.generation, completionTime: iso(now), message: s.message })),
  ];
  const schedule = scheduled ? scheduleStatus(spec, cronJobs, previous, now) : {};
  if (schedule.requeueAfterMs !== undefined) requeues.push(schedule.requeueAfterMs);
  const cronChanging = actions.some((a) => a.kind === 'applyCronJob' || a.kind === 'deleteCronJob');
  const desired = waitsForTrigger
    ? scheduledConditions({ lastRun, active: activeIds.size > 0, spec, generation, cronChanging, next: schedule.nextScheduleTime })
    : runConditions(lastRun, spec);
  const status: PipelineStatus = compact({
    observedGeneration: generation,
    phase: waitsForTrigger ? scheduledPhase(lastRun, activeIds.size > 0, spec) : pipelinePhase(lastRun),
    conditions: toConditions(desired, previous.conditions, generation, now),
    progress: lastRun ? progressOf(lastRun, spec) : undefined,
    lastRun,
    runs: summaries.length > 0 || previous.runs ? runHistory(previous.runs, summaries) : undefined,
    lastScheduleTime: schedule.lastScheduleTime,
    nextScheduleTime: schedule.nextScheduleTime,
    lastRunRequest: selection.lastRunRequest,
    lastRetryRequest: selection.lastRetryRequest,
    lastTriggers: selection.lastTriggers,
  });
  return compact({
    actions,
    status,
    events: [...transitionEvents(previous, status), ...selection.events],
    requeueAfterMs: requeues.length > 0 ? Math.min(...requeues) : undefined,
  });
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
    lastTriggers: previous.lastTriggers,
  });
  return { actions, status, events: transitionEvents(previous, status) };
}

/** Between runs a scheduled pipeline waits for its next tick. */
function scheduledPhase(lastRun: RunStatus | undefined, active: boolean, spec: PipelineSpec): PipelinePhase {
  if (active) return lastRun?.phase === 'Pending' ? 'Pending' : 'Running';
  return spec.suspend === true ? 'Suspended' : 'Scheduled';
}

/**
 * kstatus for a scheduled pipeline. Its runs are routine, not a rollout: no Reconciling while
 * one runs (Argo CD would show every tick as Progressing). Ready=True once the CronJobs of this
 * generation are in place, unless the latest run of this generation failed (Ready=False,
 * Stalled=True naming the stage, as for a one-shot pipeline; a run of an older generation
 * does not count — the change may be the fix). Reconciling while CronJobs are being changed.
 */
function scheduledConditions(s: {
  lastRun: RunStatus | undefined;
  active: boolean;
  spec: PipelineSpec;
  generation: number;
  cronChanging: boolean;
  next: string | undefined;
}): DesiredCondition[] {
  const { lastRun, spec } = s;
  if (lastRun?.phase === 'Failed' && (lastRun.generation === undefined || lastRun.generation === s.generation)) {
    return runConditions(lastRun, spec);
  }
  if (s.cronChanging) return inProgress('CronJobsUpdating', `applying the CronJobs of generation ${s.generation}`);
  const last = lastRun ? `; last run ${lastRun.id}: ${lastRun.phase}` : '';
  if (s.active && lastRun && isActiveRun(lastRun.phase)) {
    return ready('RunInProgress', `run ${lastRun.id} in progress: ${countSucceeded(lastRun, spec)}/${spec.stages.length} stages succeeded`);
  }
  if (s.active) return ready('RunInProgress', `runs in progress${last}`);
  if (spec.suspend === true) return ready('Suspended', `schedule suspended: no new runs start${last}`);
  const waiting = spec.schedule ? (s.next ? `next run at ${s.next}` : 'no next run') : `waiting for ${(spec.triggers?.after ?? []).map((t) => `${t.pipeline} to end ${t.phase ?? 'Succeeded'}`).join(' or ')}`;
  return ready('Scheduled', `${waiting}${last}`);
}

function pipelinePhase(run: RunStatus | undefined): PipelinePhase {
  if (!run) return 'Pending';
  switch (run.phase) {
    case 'Succeeded':
    case 'Failed':
    case 'Running':
    case 'Pending':
      return run.phase;
    default:
      return 'Failed';
  }
}

function countSucceeded(run: RunStatus, spec: PipelineSpec): number {
  const names = new Set(spec.stages.map((s) => s.name));
  return (run.stages ?? []).filter((s) => names.has(s.name) && s.phase === 'Succeeded').length;
}

/** `<succeeded>/<total>` over the DAG's stages (onFailure stages not counted). */
function progressOf(run: RunStatus, spec: PipelineSpec): string {
  return `${countSucceeded(run, spec)}/${spec.stages.length}`;
}

function runConditions(run: RunStatus | undefined, spec: PipelineSpec): DesiredCondition[] {
  if (!run) return inProgress('RunPending', 'no run yet');
  const progress = `${countSucceeded(run, spec)}/${spec.stages.length} stages succeeded`;
  switch (run.phase) {
    case 'Succeeded':
      return ready('Succeeded', `run ${run.id} succeeded (${progress})`);
    case 'Failed': {
      const deadline = run.stages?.some((s) => s.reason === 'RunDeadlineExceeded');
      return stalled(deadline ? 'RunDeadlineExceeded' : 'StageFailed', run.message ?? `run ${run.id} failed`);
    }
    case 'Pending':
      return inProgress('RunPending', `run ${run.id} is waiting to start`);
    default: {
      const failure = run.message ? `; ${run.message}` : '';
      return inProgress('RunInProgress', `run ${run.id} in progress: ${progress}${failure}`);
    }
  }
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
