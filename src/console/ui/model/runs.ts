// What the pipeline view shows of runs: every run the Console knows (status.lastRun, status.runs
// and older runs whose Jobs are still kept), and each stage's state in a run. Status is the
// operator's record and wins; a run status no longer carries (finished runs keep no stage list
// in status.runs) is read from its Jobs. Pure logic, unit-tested.
import type { EventSummary, JobSummary, Pipeline } from '../../protocol.ts';
import type { RunStatus, RunSummary, StageStatus } from '../../../api/types.ts';
import { cachedFromEvents, isCached } from './cached-stages.ts';

/** A stage's state in one run; phase 'None' when nothing is known (no status, no Job). */
export type StageView = {
  name: string;
  phase: StageStatus['phase'] | 'None';
  job?: string;
  attempts?: number;
  startTime?: string;
  completionTime?: string;
  reason?: string;
  message?: string;
  /** Reason Cached: the run whose result this stage reused (it did not run here). */
  cachedFrom?: string;
};

/** What a run processed and how it was asked for (status; for a run known only from Jobs, their annotations). */
type RunValues = Pick<RunStatus, 'logicalTime' | 'intervalStart' | 'intervalEnd' | 'params' | 'noCache' | 'backfill'>;

export type RunView = {
  id: string;
  phase?: RunStatus['phase'];
  trigger?: RunStatus['trigger'];
  startTime?: string;
  completionTime?: string;
  message?: string;
  /** Stage states this run has a record of, by stage name. */
  stages: Map<string, StageView>;
  jobs: JobSummary[];
} & RunValues;

const time = (t?: string): number => (t ? Date.parse(t) : 0);

/** The state a stage's Jobs in one run show, the latest attempt deciding. */
export function stageFromJobs(name: string, jobs: JobSummary[]): StageView {
  if (jobs.length === 0) return { name, phase: 'None' };
  const ordered = [...jobs].sort((a, b) => time(a.creationTimestamp) - time(b.creationTimestamp));
  const last = ordered[ordered.length - 1]!;
  const phase =
    last.finished?.type === 'Complete'
      ? 'Succeeded'
      : last.finished?.type === 'Failed'
        ? 'Failed'
        : last.active > 0
          ? 'Running'
          : 'Pending';
  return {
    name,
    phase,
    job: last.name,
    attempts: ordered.length,
    startTime: ordered[0]!.startTime ?? ordered[0]!.creationTimestamp,
    completionTime: last.finished?.at ?? last.completionTime,
    reason: last.finished?.type === 'Failed' ? last.finished.reason : undefined,
    message: last.finished?.type === 'Failed' ? last.finished.message : undefined,
  };
}

function runFromStatus(r: RunStatus | RunSummary, jobs: JobSummary[]): RunView {
  const stages = new Map<string, StageView>();
  for (const s of r.stages ?? []) stages.set(s.name, { ...s });
  const {
    id,
    phase,
    trigger,
    startTime,
    completionTime,
    message,
    logicalTime,
    intervalStart,
    intervalEnd,
    params,
    noCache,
    backfill,
  } = r;
  return {
    id,
    phase,
    trigger,
    startTime,
    completionTime,
    message,
    logicalTime,
    intervalStart,
    intervalEnd,
    params,
    noCache,
    backfill,
    stages,
    jobs,
  };
}

/** A run status no longer lists: its values from its Jobs' annotations (summaries.ts). */
function runFromJobs(id: string, jobs: JobSummary[]): RunView {
  const first = [...jobs].sort((a, b) => time(a.creationTimestamp) - time(b.creationTimestamp))[0];
  return { id, startTime: first?.creationTimestamp, stages: new Map(), jobs, ...first?.values };
}

/** Stages a StageCached Event says were served from the cache, where nothing else is known. */
function fillFromEvents(run: RunView, events: EventSummary[]): void {
  for (const [stage, from] of cachedFromEvents(events, run.id)) {
    if (run.stages.get(stage)?.phase !== undefined && run.stages.get(stage)?.phase !== 'None') continue;
    run.stages.set(stage, { name: stage, phase: 'Succeeded', reason: 'Cached', cachedFrom: from });
  }
}

function fillFromJobs(run: RunView): void {
  const byStage = new Map<string, JobSummary[]>();
  for (const j of run.jobs) byStage.set(j.stage, [...(byStage.get(j.stage) ?? []), j]);
  for (const [stage, jobs] of byStage) if (!run.stages.has(stage)) run.stages.set(stage, stageFromJobs(stage, jobs));
}

/** Every known run, newest first; `events` (the pipeline's) name stages served from the cache. */
export function runsOf(p: Pipeline, jobs: JobSummary[], events: EventSummary[] = []): RunView[] {
  const jobsByRun = new Map<string, JobSummary[]>();
  for (const j of jobs) jobsByRun.set(j.run, [...(jobsByRun.get(j.run) ?? []), j]);
  const runs = new Map<string, RunView>();
  const lastRun = p.status?.lastRun;
  if (lastRun) runs.set(lastRun.id, runFromStatus(lastRun, jobsByRun.get(lastRun.id) ?? []));
  for (const r of p.status?.runs ?? []) {
    const known = runs.get(r.id);
    if (!known) runs.set(r.id, runFromStatus(r, jobsByRun.get(r.id) ?? []));
    else for (const s of r.stages ?? []) if (!known.stages.has(s.name)) known.stages.set(s.name, { ...s });
  }
  for (const [id, js] of jobsByRun) {
    if (!runs.has(id)) runs.set(id, runFromJobs(id, js));
  }
  for (const run of runs.values()) {
    fillFromJobs(run);
    fillFromEvents(run, events);
  }
  // A run not started yet is the newest one.
  const sortKey = (r: RunView): number => (r.startTime ? time(r.startTime) : isActive(r) ? Number.MAX_SAFE_INTEGER : 0);
  return [...runs.values()].sort((a, b) => sortKey(b) - sortKey(a));
}

const ACTIVE_RUN = new Set(['Pending', 'Running']);

export function isActive(run: RunView | undefined): boolean {
  return Boolean(run?.phase && ACTIVE_RUN.has(run.phase));
}

/** A stage's phase in a run; a stage without a record is Pending while the run goes on. */
export function phaseIn(run: RunView | undefined, stage: string): StageView['phase'] {
  const known = run?.stages.get(stage)?.phase;
  if (known && known !== 'None') return known;
  return isActive(run) ? 'Pending' : 'None';
}

/** The run whose result a stage reused in this run (reason Cached); undefined when it ran (or has not). */
export function cachedIn(run: RunView | undefined, stage: string): string | undefined {
  const s = run?.stages.get(stage);
  return isCached(s) ? (s?.cachedFrom ?? '') : undefined;
}
