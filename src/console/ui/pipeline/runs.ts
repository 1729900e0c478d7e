// What the pipeline view shows of runs: every run the Console knows (status.lastRun, status.runs
// and older runs whose Jobs are still kept), and each stage's state in a run. Status is the
// operator's record and wins; a run status no longer carries (finished runs keep no stage list
// in status.runs) is read from its Jobs. Pure logic, unit-tested.
import type { JobSummary, Pipeline } from '../../protocol.ts';
import type { RunStatus, RunSummary, StageStatus } from '../../../api/types.ts';

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
};

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
};

const time = (t?: string): number => (t ? Date.parse(t) : 0);

/** The state a stage's Jobs in one run show, the latest attempt deciding. */
export function stageFromJobs(name: string, jobs: JobSummary[]): StageView {
  if (jobs.length === 0) return { name, phase: 'None' };
  const ordered = [...jobs].sort((a, b) => time(a.creationTimestamp) - time(b.creationTimestamp));
  const last = ordered[ordered.length - 1]!;
  const phase = last.finished?.type === 'Complete' ? 'Succeeded' : last.finished?.type === 'Failed' ? 'Failed' : last.active > 0 ? 'Running' : 'Pending';
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
  return { id: r.id, phase: r.phase, trigger: r.trigger, startTime: r.startTime, completionTime: r.completionTime, message: r.message, stages, jobs };
}

function fillFromJobs(run: RunView): void {
  const byStage = new Map<string, JobSummary[]>();
  for (const j of run.jobs) byStage.set(j.stage, [...(byStage.get(j.stage) ?? []), j]);
  for (const [stage, jobs] of byStage) if (!run.stages.has(stage)) run.stages.set(stage, stageFromJobs(stage, jobs));
}

/** Every known run, newest first. */
export function runsOf(p: Pipeline, jobs: JobSummary[]): RunView[] {
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
    if (runs.has(id)) continue;
    const first = [...js].sort((a, b) => time(a.creationTimestamp) - time(b.creationTimestamp))[0];
    runs.set(id, { id, startTime: first?.creationTimestamp, stages: new Map(), jobs: js });
  }
  for (const run of runs.values()) fillFromJobs(run);
  // A run not started yet is the newest one.
  const sortKey = (r: RunView): number => (r.startTime ? time(r.startTime) : isActive(r) ? Number.MAX_SAFE_INTEGER : 0);
  return [...runs.values()].sort((a, b) => sortKey(b) - sortKey(a));
}

const ACTIVE_RUN = new Set(['Pending', 'Running']);

export function isActive(run: RunView | undefined): boolean {
  return Boolean(run && run.phase && ACTIVE_RUN.has(run.phase));
}

/** A stage's phase in a run; a stage without a record is Pending while the run goes on. */
export function phaseIn(run: RunView | undefined, stage: string): StageView['phase'] {
  const known = run?.stages.get(stage)?.phase;
  if (known && known !== 'None') return known;
  return isActive(run) ? 'Pending' : 'None';
}
