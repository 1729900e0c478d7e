// The Pipeline's own phase and kstatus conditions, from its latest run and whether it waits for
// a trigger (a schedule, a chain, or a suspend that holds new runs).
import type { PipelinePhase, PipelineSpec, RunStatus } from '../../api/types.ts';
import { inProgress, ready, stalled, type DesiredCondition } from './conditions.ts';
import { isActiveRun } from '../run/run.ts';

/** Between runs a scheduled pipeline waits for its next tick. */
export function scheduledPhase(lastRun: RunStatus | undefined, active: boolean, spec: PipelineSpec): PipelinePhase {
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
export function scheduledConditions(s: {
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
    return ready(
      'RunInProgress',
      `run ${lastRun.id} in progress: ${countSucceeded(lastRun, spec)}/${spec.stages.length} stages succeeded`,
    );
  }
  if (s.active) return ready('RunInProgress', `runs in progress${last}`);
  if (spec.suspend === true) return ready('Suspended', `schedule suspended: no new runs start${last}`);
  const waiting = spec.schedule ? (s.next ? `next run at ${s.next}` : 'no next run') : `waiting for ${awaited(spec)}`;
  return ready('Scheduled', `${waiting}${last}`);
}

/** What an unscheduled pipeline that waits for a trigger waits for: its upstreams, a webhook delivery. */
function awaited(spec: PipelineSpec): string {
  const upstreams = (spec.triggers?.after ?? []).map((t) => `${t.pipeline} to end ${t.phase ?? 'Succeeded'}`);
  return [...upstreams, ...(spec.triggers?.webhook ? ['a webhook delivery'] : [])].join(' or ');
}

export function pipelinePhase(run: RunStatus | undefined): PipelinePhase {
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
export function progressOf(run: RunStatus, spec: PipelineSpec): string {
  return `${countSucceeded(run, spec)}/${spec.stages.length}`;
}

export function runConditions(run: RunStatus | undefined, spec: PipelineSpec): DesiredCondition[] {
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
    // Stopped by a person (cancel-requested): not progressing, and not a success either. As Argo
    // Workflows reports a stopped workflow, the Pipeline is Failed; the message says who stopped it.
    case 'Cancelled':
      return stalled('RunCancelled', `run ${run.id} ${run.message ?? 'was cancelled'}`);
    default: {
      const failure = run.message ? `; ${run.message}` : '';
      return inProgress('RunInProgress', `run ${run.id} in progress: ${progress}${failure}`);
    }
  }
}
