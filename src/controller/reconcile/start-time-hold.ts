// Fewer status writes per stage. A stage's Job is created by one reconcile, whose status write
// records the stage as Running; the Job's own start time arrives a moment later (the Job enters
// the cache, the Job controller sets status.startTime), and writing status again just to fill in
// that time was a third write per stage (after the create and the status write of the reconcile
// that created it). Such a change waits up to START_TIME_HOLD_MS: if anything else changes
// meanwhile (the stage finishes, the next one starts), one write carries both; if not, the
// reconcile asked for when the hold ends writes it then.
import type { PipelineStatus } from '../../api/types.ts';
import { jsonEqual } from '../json-equal.ts';

/** How long a change that only fills in stage start times may wait for company. */
export const START_TIME_HOLD_MS = 30_000;

/** True when `after` differs from `before` only in lastRun.stages[].startTime. */
export function onlyStartTimesChanged(before: PipelineStatus | undefined, after: PipelineStatus): boolean {
  // Shallow copies down to the stages only: the rest is compared in place.
  const strip = (status: PipelineStatus | undefined): PipelineStatus => {
    const stages = status?.lastRun?.stages;
    if (!status?.lastRun || !Array.isArray(stages)) return status ?? {};
    return {
      ...status,
      lastRun: { ...status.lastRun, stages: stages.map((stage) => ({ ...stage, startTime: undefined })) },
    };
  };
  return jsonEqual(strip(before), strip(after));
}

/** Per Pipeline key: since when a start-time-only change has been held. */
export class StartTimeHold {
  private readonly since = new Map<string, number>();

  /**
   * Whether to hold this change (the ms to wait before writing it anyway), or write now
   * (undefined). A change that is more than start times is never held.
   */
  hold(key: string, nowMs: number, onlyStartTimes: boolean): number | undefined {
    if (!onlyStartTimes) {
      this.since.delete(key);
      return undefined;
    }
    const since = this.since.get(key) ?? nowMs;
    this.since.set(key, since);
    const left = since + START_TIME_HOLD_MS - nowMs;
    if (left > 0) return left;
    this.since.delete(key);
    return undefined;
  }

  /** The status was written, found unchanged, or the Pipeline is gone. */
  forget(key: string): void {
    this.since.delete(key);
  }
}
