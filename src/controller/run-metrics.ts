// Turns status transitions into metrics: runs started and finished, stage durations.
import type { PipelineStatus } from '../api/types.ts';
import { runsFinished, runsStarted, stageDuration } from '../metrics.ts';

const TERMINAL = new Set(['Succeeded', 'Failed']);

export function recordTransitions(before: PipelineStatus | undefined, after: PipelineStatus): void {
  const prev = before?.lastRun;
  const next = after.lastRun;
  if (!next) return;
  const sameRun = prev?.id === next.id;
  if (!sameRun) runsStarted.inc({ trigger: next.trigger });
  const finished = (p?: string): boolean => p === 'Succeeded' || p === 'Failed' || p === 'Cancelled';
  if (finished(next.phase) && !(sameRun && finished(prev?.phase))) runsFinished.inc({ result: next.phase });
  for (const cancelled of after.runs ?? []) {
    if (cancelled.phase === 'Cancelled' && !(before?.runs ?? []).some((r) => r.id === cancelled.id && r.phase === 'Cancelled')) {
      runsFinished.inc({ result: 'Cancelled' });
    }
  }
  const prevStages = new Map((sameRun ? (prev?.stages ?? []) : []).map((s) => [s.name, s.phase]));
  for (const s of next.stages ?? []) {
    if (!TERMINAL.has(s.phase) || TERMINAL.has(prevStages.get(s.name) ?? '') || !s.startTime || !s.completionTime) continue;
    const seconds = (new Date(s.completionTime).getTime() - new Date(s.startTime).getTime()) / 1000;
    if (seconds >= 0) stageDuration.observe({ result: s.phase }, seconds);
  }
}
