// The stages of a run that ended out of sight. Status keeps the stages of lastRun and of active
// runs only: a run that ends while it is not lastRun (concurrencyPolicy Allow, a backfill's runs),
// or ends in the plan that starts the next (a change supersedes it), keeps run-level fields only.
// The stages that were still running then ended in that same plan, and the new status no longer
// says how. From the status just before (the notifier sees both on each update) and the run's
// end, their outcome is known:
//   Succeeded  every stage succeeded (a run succeeds only when no stage failed);
//   Cancelled  a running stage is failed with reason RunCancelled (tidy/history.ts cancelRun);
//   Failed     a stage the run's message names (`stage "x" failed`, run.ts describeRunFailure)
//              failed; one stopped by the run deadline failed with RunDeadlineExceeded; the others
//              succeeded.
// Each closed stage says where its outcome came from (message), and its events keep the ids a
// detailed status would have given them.
import type { RunStatus, RunSummary, StageStatus } from '../api/types.ts';

type AnyRun = RunStatus | RunSummary;

export const FROM_RUN_END = "the run ended out of status' detail: outcome read from the run's phase and message";

/** `run` with the stages `before` showed, each still running closed by the run's end; `run` itself otherwise. */
export function withClosedStages(run: AnyRun, before: AnyRun | undefined): AnyRun {
  const ended = run.phase === 'Succeeded' || run.phase === 'Failed' || run.phase === 'Cancelled';
  if (!ended || (run.stages?.length ?? 0) > 0 || !before?.stages?.length) return run;
  return { ...run, stages: before.stages.map((stage) => closeStage(stage, run)) };
}

function closeStage(stage: StageStatus, run: AnyRun): StageStatus {
  if (stage.phase !== 'Running') return stage;
  const end = { ...(run.completionTime ? { completionTime: run.completionTime } : {}), message: FROM_RUN_END };
  if (run.phase === 'Cancelled') return { ...stage, ...end, phase: 'Failed', reason: 'RunCancelled' };
  if (run.phase === 'Succeeded') return { ...stage, ...end, phase: 'Succeeded' };
  const message = run.message ?? '';
  if (message.includes(`stage "${stage.name}" failed`)) return { ...stage, ...end, phase: 'Failed', reason: 'Failed' };
  if (message.includes('activeDeadlineSeconds')) {
    return { ...stage, ...end, phase: 'Failed', reason: 'RunDeadlineExceeded' };
  }
  return { ...stage, ...end, phase: 'Succeeded' };
}
