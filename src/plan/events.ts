// Kubernetes Events for transitions only: derived by comparing the previous status with the new
// one, so re-planning an unchanged state (or a repeated reconcile) emits nothing.
import type { PipelineStatus, RunStatus } from '../api/types.ts';
import type { PlanEvent } from './types.ts';
import { describeFailure, isActiveRun } from './run.ts';

function findRun(status: PipelineStatus, id: string) {
  return status.lastRun?.id === id ? status.lastRun : status.runs?.find((r) => r.id === id);
}

function runLabel(run: RunStatus): string {
  return `run ${run.id}`;
}

export function transitionEvents(previous: PipelineStatus, next: PipelineStatus): PlanEvent[] {
  const events: PlanEvent[] = [];
  const before = previous.lastRun;
  const after = next.lastRun;

  if (before && isActiveRun(before.phase)) {
    const now = findRun(next, before.id);
    if (now?.phase === 'Cancelled') {
      events.push({ type: 'Normal', reason: 'RunCancelled', message: `${runLabel(before)} cancelled: ${now.message ?? 'superseded'}` });
    }
  }

  if (after && after.id !== before?.id) {
    events.push({ type: 'Normal', reason: 'RunStarted', message: `${runLabel(after)} started (trigger: ${after.trigger})` });
  }

  if (after) {
    const same = before?.id === after.id ? before : undefined;
    const failedBefore = new Set((same?.stages ?? []).filter((s) => s.phase === 'Failed').map((s) => s.name));
    for (const stage of after.stages ?? []) {
      if (stage.phase === 'Failed' && stage.reason !== 'RunCancelled' && !failedBefore.has(stage.name)) {
        events.push({ type: 'Warning', reason: 'StageFailed', message: `${runLabel(after)}: ${describeFailure(stage)}` });
      }
    }
    if (same?.phase !== after.phase) {
      if (after.phase === 'Succeeded') {
        events.push({ type: 'Normal', reason: 'RunSucceeded', message: `${runLabel(after)} succeeded` });
      } else if (after.phase === 'Failed') {
        events.push({ type: 'Warning', reason: 'RunFailed', message: `${runLabel(after)} failed: ${after.message ?? 'a stage failed'}` });
      }
    }
  }

  if (next.phase === 'Invalid' && !(previous.phase === 'Invalid' && previous.observedGeneration === next.observedGeneration)) {
    const stalledMessage = next.conditions?.find((c) => c.type === 'Stalled')?.message ?? '';
    events.push({ type: 'Warning', reason: 'InvalidSpec', message: `invalid spec: ${stalledMessage}` });
  }
  return events;
}
