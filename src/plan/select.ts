// Which run is the current one. Status is the memory (observedGeneration, lastRun,
// lastRunRequest); the Pipeline says what is wanted (generation, run-requested annotation).
// Run ids are derived from the trigger, so deciding twice (after a crash) picks the same id.
import type { Pipeline, PipelineStatus, RunTrigger } from '../api/types.ts';
import { ANN_RUN_REQUESTED } from '../kube/labels.ts';
import { generationRunId, manualRunId } from './names.ts';
import type { ObservedRun } from './observed.ts';

export type RunChoice = {
  id: string;
  trigger: RunTrigger;
  /** Generation whose spec the run uses. */
  generation: number;
  /** The run-requested value now handled (status.lastRunRequest). */
  lastRunRequest?: string;
};

/** The newest observed run of this generation: what a lost status was last tracking. */
function newestRunOf(observed: Map<string, ObservedRun>, generation: number): ObservedRun | undefined {
  let best: ObservedRun | undefined;
  for (const run of observed.values()) {
    if (run.generation !== generation) continue;
    const time = run.startedAt ?? run.createdAt;
    const bestTime = best?.startedAt ?? best?.createdAt;
    if (!best || (time && (!bestTime || time > bestTime))) best = run;
  }
  return best;
}

export function chooseRun(pipeline: Pipeline, previous: PipelineStatus, observed: Map<string, ObservedRun>, generation: number): RunChoice {
  const raw = pipeline.metadata.annotations?.[ANN_RUN_REQUESTED];
  const request = typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
  const lastRun = previous.lastRun;

  // TODO(schedule): a scheduled pipeline (spec.schedule) adopts the Jobs its CronJobs create as
  // runs `s<unix seconds>` and applies concurrencyPolicy here; for now it runs like an
  // unscheduled one.
  // TODO(retry): conveyor.dev/retry-requested → a run `r<hash>` re-running the failed stages.

  // Status lost (new object, or status wiped): rebuild memory from the Jobs rather than start
  // the same work again; a pending run request counts as handled by the adopted run.
  if (previous.observedGeneration === undefined && lastRun === undefined) {
    const adopted = newestRunOf(observed, generation);
    return {
      id: adopted?.id ?? generationRunId(generation),
      trigger: adopted?.trigger ?? 'create',
      generation,
      ...(request ? { lastRunRequest: request } : {}),
    };
  }

  // A new spec (or one that was invalid and is now accepted) runs at once. A run request that
  // arrives together with it is satisfied by that run rather than starting a second one.
  if (previous.observedGeneration !== generation || previous.phase === 'Invalid') {
    const handled = request ?? previous.lastRunRequest;
    return {
      id: generationRunId(generation),
      trigger: lastRun ? 'change' : 'create',
      generation,
      ...(handled ? { lastRunRequest: handled } : {}),
    };
  }

  if (request && request !== previous.lastRunRequest) {
    return { id: manualRunId(request), trigger: 'manual', generation, lastRunRequest: request };
  }

  const handled = previous.lastRunRequest ? { lastRunRequest: previous.lastRunRequest } : {};
  if (lastRun) return { id: lastRun.id, trigger: lastRun.trigger, generation: lastRun.generation ?? generation, ...handled };
  return { id: generationRunId(generation), trigger: 'create', generation, ...handled };
}
