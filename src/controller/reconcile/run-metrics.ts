// Turns status transitions into metrics: runs started and finished, stage durations.
import type { PipelineStatus } from '../../api/types.ts';
import {
  pipelineLastRunFailed,
  pipelineLastSchedule,
  pipelineNextSchedule,
  pipelineStalled,
  runsFinished,
  runsStarted,
  stageDuration,
} from '../../metrics.ts';

const TERMINAL = new Set(['Succeeded', 'Failed']);

export interface PipelineRef {
  namespace?: string;
  name?: string;
}

export function recordTransitions(before: PipelineStatus | undefined, after: PipelineStatus, ref?: PipelineRef): void {
  if (ref?.name) recordPipelineState(ref.namespace ?? '', ref.name, after);
  const prev = before?.lastRun;
  const next = after.lastRun;
  if (!next) return;
  const sameRun = prev?.id === next.id;
  if (!sameRun) runsStarted.inc({ trigger: next.trigger });
  const finished = (p?: string): boolean => p === 'Succeeded' || p === 'Failed' || p === 'Cancelled';
  if (finished(next.phase) && !(sameRun && finished(prev?.phase))) runsFinished.inc({ result: next.phase });
  for (const cancelled of after.runs ?? []) {
    if (
      cancelled.phase === 'Cancelled' &&
      !(before?.runs ?? []).some((r) => r.id === cancelled.id && r.phase === 'Cancelled')
    ) {
      runsFinished.inc({ result: 'Cancelled' });
    }
  }
  const prevStages = new Map((sameRun ? (prev?.stages ?? []) : []).map((s) => [s.name, s.phase]));
  for (const s of next.stages ?? []) {
    if (!TERMINAL.has(s.phase) || TERMINAL.has(prevStages.get(s.name) ?? '') || !s.startTime || !s.completionTime)
      continue;
    const seconds = (new Date(s.completionTime).getTime() - new Date(s.startTime).getTime()) / 1000;
    if (seconds >= 0) stageDuration.observe({ result: s.phase }, seconds);
  }
}

const FINISHED = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** Sets the per-pipeline gauges the alert rules read from the status just written. */
export function recordPipelineState(namespace: string, name: string, status: PipelineStatus): void {
  const labels = { pipeline_namespace: namespace, pipeline: name };
  const stalled = (status.conditions ?? []).some((c) => c.type === 'Stalled' && c.status === 'True');
  pipelineStalled.set(labels, stalled ? 1 : 0);
  const last = status.lastRun;
  // A run in flight keeps the verdict of the one before it, so a retry does not silence the alert.
  if (last && FINISHED.has(last.phase ?? '')) pipelineLastRunFailed.set(labels, last.phase === 'Failed' ? 1 : 0);
  setTimestamp(pipelineLastSchedule, labels, status.lastScheduleTime);
  setTimestamp(pipelineNextSchedule, labels, status.nextScheduleTime);
}

/** Forgets a deleted Pipeline, so its last state cannot keep an alert firing. */
export function forgetPipeline(namespace: string, name: string): void {
  const labels = { pipeline_namespace: namespace, pipeline: name };
  for (const g of [pipelineStalled, pipelineLastRunFailed, pipelineLastSchedule, pipelineNextSchedule])
    g.remove(labels);
}

/** Same, from a work-queue key "namespace/name". */
export function forgetPipelineKey(key: string): void {
  const slash = key.indexOf('/');
  forgetPipeline(key.slice(0, slash), key.slice(slash + 1));
}

function setTimestamp(
  gauge: typeof pipelineLastSchedule,
  labels: Record<string, string>,
  time: string | undefined,
): void {
  const ms = time ? new Date(time).getTime() : NaN;
  if (Number.isFinite(ms)) gauge.set(labels, ms / 1000);
  else gauge.remove(labels);
}
