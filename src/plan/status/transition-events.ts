// Kubernetes Events for transitions only: derived by comparing the previous status with the new
// one, so re-planning an unchanged state (or a repeated reconcile) emits nothing. Runs are
// compared by id across lastRun and runs[] (several may be active with concurrencyPolicy Allow).
import type { PipelineStatus, RunStatus, RunSummary } from '../../api/types.ts';
import type { PlanEvent } from '../types.ts';
import { describeFailure, isActiveRun } from '../run/run.ts';

type AnyRun = RunStatus | RunSummary;

/** Every run a status mentions, by id; lastRun (detailed) over its runs[] entry. */
function runsOf(status: PipelineStatus): Map<string, AnyRun> {
  const runs = new Map<string, AnyRun>();
  if (status.lastRun?.id) runs.set(status.lastRun.id, status.lastRun);
  for (const run of Array.isArray(status.runs) ? status.runs : [])
    if (run?.id && !runs.has(run.id)) runs.set(run.id, run);
  return runs;
}

function runLabel(run: AnyRun): string {
  return `run ${run.id}`;
}

export function transitionEvents(previous: PipelineStatus, next: PipelineStatus): PlanEvent[] {
  const events: PlanEvent[] = [];
  const before = runsOf(previous);
  const after = runsOf(next);

  for (const [id, run] of after) {
    const old = before.get(id);
    // A run first recorded already cancelled (the plan that started it lost its write) ended too.
    if ((!old || isActiveRun(old.phase)) && run.phase === 'Cancelled') {
      events.push({
        type: 'Normal',
        reason: 'RunCancelled',
        message: `${runLabel(run)} cancelled: ${run.message ?? 'superseded'}`,
      });
    }
  }

  // Runs that are new here: started ones oldest first, so the one that is lastRun comes last.
  const fresh = [...after.values()]
    .filter((run) => !before.has(run.id) && run.phase !== 'Skipped' && run.phase !== 'Cancelled')
    .sort((a, b) => Number(a.id === next.lastRun?.id) - Number(b.id === next.lastRun?.id));
  const ordered = [...fresh, ...[...after.values()].filter((run) => !fresh.includes(run))];
  for (const run of ordered) {
    const old = before.get(run.id);
    if (!old && run.phase !== 'Skipped' && run.phase !== 'Cancelled') {
      events.push({
        type: 'Normal',
        reason: 'RunStarted',
        message: `${runLabel(run)} started (trigger: ${run.trigger})`,
      });
    }
    // Stage failures are only known for the detailed run (lastRun).
    if (run === next.lastRun) {
      const same = previous.lastRun?.id === run.id ? previous.lastRun : undefined;
      const failedBefore = new Set((same?.stages ?? []).filter((s) => s.phase === 'Failed').map((s) => s.name));
      for (const stage of next.lastRun.stages ?? []) {
        if (stage.phase === 'Failed' && stage.reason !== 'RunCancelled' && !failedBefore.has(stage.name)) {
          events.push({
            type: 'Warning',
            reason: 'StageFailed',
            message: `${runLabel(run)}: ${describeFailure(stage)}`,
          });
        }
      }
    }
    if (old?.phase !== run.phase) {
      if (run.phase === 'Succeeded') {
        events.push({ type: 'Normal', reason: 'RunSucceeded', message: `${runLabel(run)} succeeded` });
      } else if (run.phase === 'Failed') {
        events.push({
          type: 'Warning',
          reason: 'RunFailed',
          message: `${runLabel(run)} failed: ${run.message ?? 'a stage failed'}`,
        });
      } else if (run.phase === 'Skipped') {
        events.push({ type: 'Warning', reason: 'RunSkipped', message: `${runLabel(run)} ${run.message ?? 'skipped'}` });
      }
    }
  }

  if (
    next.phase === 'Invalid' &&
    !(previous.phase === 'Invalid' && previous.observedGeneration === next.observedGeneration)
  ) {
    const stalledMessage = next.conditions?.find((c) => c.type === 'Stalled')?.message ?? '';
    events.push({ type: 'Warning', reason: 'InvalidSpec', message: `invalid spec: ${stalledMessage}` });
  }
  return events;
}
