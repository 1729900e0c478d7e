// THE decision: from a Pipeline, its validation result and the Jobs/claims it owns, decide the
// actions and the whole new status. Pure (no I/O, `now` is an input) and level-based: status is
// memory, observed Jobs are evidence, and Job names are deterministic, so planning again after a
// crash with a stale status converges on the same run without duplicating work.
import type { Pipeline, PipelinePhase, PipelineSpec, PipelineStatus, RunStatus } from '../api/types.ts';
import type { Action, Plan, PlanInput, Problem } from './types.ts';
import { inProgress, ready, stalled, toConditions, type DesiredCondition } from './conditions.ts';
import { transitionEvents } from './events.ts';
import { cancelRun, historyLimit, pruneHistory, runHistory, stopOtherRuns, summarize } from './history.ts';
import { compact, isPlainObject } from './merge.ts';
import { observeRuns, trimMessage, type ObservedRun } from './observed.ts';
import { advanceRun, isActiveRun } from './run.ts';
import { chooseRun } from './select.ts';

export type { Action, Plan, PlanEvent, PlanInput, Problem } from './types.ts';

const MAX_PROBLEMS_MESSAGE = 1000;

export function plan(input: PlanInput): Plan {
  const pipeline = normalizePipeline(input.pipeline);
  const now = input.now instanceof Date && !Number.isNaN(input.now.getTime()) ? input.now : new Date(0);
  const previous: PipelineStatus = isPlainObject(pipeline.status) ? pipeline.status : {};
  const generation = typeof pipeline.metadata.generation === 'number' ? pipeline.metadata.generation : 0;
  const observed = observeRuns(pipeline.metadata.uid, input.jobs ?? [], input.claims ?? []);
  const limit = historyLimit(pipeline.spec.runHistoryLimit);
  const problems = Array.isArray(input.problems) ? input.problems : [];

  if (problems.length > 0) return planInvalid(problems, previous, generation, observed, limit, now);

  const choice = chooseRun(pipeline, previous, observed, generation);
  const before = previous.lastRun;
  const progress = advanceRun({
    pipeline,
    runId: choice.id,
    trigger: choice.trigger,
    generation: choice.generation,
    ...(before?.id === choice.id ? { previous: before } : {}),
    ...(observed.has(choice.id) ? { observed: observed.get(choice.id) } : {}),
    now,
  });
  const run = progress.run;

  // A new run supersedes the previous one: if it was still going, it is cancelled.
  const reason = `superseded by run ${run.id}`;
  const superseded = before && before.id !== run.id ? (isActiveRun(before.phase) ? cancelRun(before, reason, now) : before) : undefined;

  const actions = dedupe([...progress.actions, ...stopOtherRuns(observed, run.id, reason), ...pruneHistory(observed, run.id, limit)]);
  const status: PipelineStatus = compact({
    ...carried(previous),
    observedGeneration: generation,
    phase: pipelinePhase(run),
    conditions: toConditions(runConditions(run, pipeline.spec), previous.conditions, generation, now),
    progress: progressOf(run, pipeline.spec),
    lastRun: run,
    runs: runHistory(previous.runs, [summarize(run), ...(superseded ? [summarize(superseded)] : [])]),
    lastRunRequest: choice.lastRunRequest,
  });
  return compact({ actions, status, events: transitionEvents(previous, status), requeueAfterMs: progress.requeueAfterMs });
}

/**
 * An invalid spec creates nothing. Choice: a newer invalid generation supersedes the run in
 * flight (it ran an older spec the user has replaced), so that run is cancelled and its Jobs
 * deleted, like any superseded run; finished runs and their history are left as they were.
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
  const actions = dedupe([...stopOtherRuns(observed, undefined, reason), ...pruneHistory(observed, before?.id, limit)]);
  const status: PipelineStatus = compact({
    ...carried(previous),
    observedGeneration: generation,
    phase: 'Invalid' as const,
    conditions: toConditions(stalled('InvalidSpec', message), previous.conditions, generation, now),
    lastRun,
    runs: lastRun ? runHistory(previous.runs, [summarize(lastRun)]) : previous.runs,
    lastRunRequest: previous.lastRunRequest,
  });
  return { actions, status, events: transitionEvents(previous, status) };
}

/** Status fields owned by later features (schedule, retry) pass through unchanged. */
function carried(previous: PipelineStatus): PipelineStatus {
  return compact({
    lastScheduleTime: previous.lastScheduleTime,
    nextScheduleTime: previous.nextScheduleTime,
    lastRetryRequest: previous.lastRetryRequest,
  });
}

function pipelinePhase(run: RunStatus): PipelinePhase {
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

function runConditions(run: RunStatus, spec: PipelineSpec): DesiredCondition[] {
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

/** One action per object: a Job may be both superseded and past the history limit. */
function dedupe(actions: Action[]): Action[] {
  const seen = new Set<string>();
  return actions.filter((action) => {
    const key =
      action.kind === 'createJob'
        ? `job:${action.job.metadata?.name}`
        : action.kind === 'createClaim'
          ? `claim:${action.claim.metadata?.name}`
          : `${action.kind === 'deleteJob' ? 'job' : 'claim'}:${action.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
