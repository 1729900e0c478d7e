// Run-level concurrency: whether a new run starts next to the active ones (spec.concurrencyPolicy,
// default Forbid). Allow: runs overlap. Forbid: the new run is skipped while another is active.
// Replace: the active runs are cancelled and the new one starts. Only requests marked `governed`
// are subject to it (see select.ts); an unscheduled pipeline always supersedes (Replace).
import type { PipelineSpec } from '../../api/types.ts';
import { MAX_ACTIVE_RUNS, MAX_ACTIVE_STAGES } from '../../api/schema.ts';
import type { RunRef, RunRequest, SkippedRun } from '../select/selection.ts';

export type ConcurrencyPolicy = NonNullable<PipelineSpec['concurrencyPolicy']>;

export type ConcurrencyDecision = {
  /** Requests that start, in order (the last one becomes lastRun). */
  start: RunRequest[];
  skipped: SkippedRun[];
  /** Active runs that are cancelled, with the reason. */
  cancelled: Map<string, string>;
};

export function policyOf(spec: PipelineSpec): ConcurrencyPolicy {
  const policy = spec.concurrencyPolicy;
  return policy === 'Allow' || policy === 'Replace' ? policy : 'Forbid';
}

/**
 * `active`: ids of the runs still active after this plan advanced them, oldest first.
 * `supersede`: an unscheduled pipeline's rule (one run at a time; the new one wins).
 * `exempt`: active runs the policy does not see (backfill runs): they count towards
 * MAX_ACTIVE_RUNS, but neither block a tick (Forbid) nor get replaced by one (Replace).
 */
export function decideConcurrency(
  policy: ConcurrencyPolicy,
  active: string[],
  requests: RunRequest[],
  supersede: boolean,
  exempt: ReadonlySet<string> = new Set(),
): ConcurrencyDecision {
  // Oldest first; at the same instant, automatic runs before explicit ones (which then start
  // last and become lastRun).
  const ordered = [...requests].sort(
    (a, b) => a.at.getTime() - b.at.getTime() || Number(b.governed) - Number(a.governed),
  );
  const replacing = supersede || policy === 'Replace';
  const word = supersede ? 'superseded' : 'replaced';
  const skipped: SkippedRun[] = [];
  // Several governed runs at once under Replace: only the newest starts (the others would be
  // started only to be cancelled).
  const governed = ordered.filter((r) => r.governed);
  const newest = governed[governed.length - 1];
  const considered = replacing
    ? ordered.filter((r) => {
        if (!r.governed || r === newest) return true;
        skipped.push(skip(r, `skipped: ${word} by run ${newest?.id}`));
        return false;
      })
    : ordered;

  const aside = supersede ? [] : active.filter((id) => exempt.has(id));
  const running = active.filter((id) => !aside.includes(id));
  const start: RunRequest[] = [];
  const cancelled = new Map<string, string>();
  for (const request of considered) {
    if (running.length + aside.length >= MAX_ACTIVE_RUNS) {
      skipped.push(
        skip(
          request,
          `skipped: ${running.length + aside.length} runs are already active, the most one Pipeline may have at once`,
        ),
      );
      continue;
    }
    if (request.governed && running.length > 0) {
      if (replacing) {
        for (const id of running) cancelled.set(id, `${word} by run ${request.id}`);
        running.length = 0;
      } else if (policy === 'Forbid') {
        const blocking = running[running.length - 1];
        skipped.push(skip(request, `skipped: run ${blocking} still active (concurrencyPolicy Forbid)`));
        continue;
      }
    }
    start.push(request);
    running.push(request.id);
  }
  // A run started earlier in this same plan and then replaced never starts at all.
  const started = start.filter((r) => {
    const reason = cancelled.get(r.id);
    if (reason === undefined) return true;
    cancelled.delete(r.id);
    skipped.push(skip(r, `skipped: ${reason}`));
    return false;
  });
  return { start: started, skipped, cancelled };
}

/**
 * The requests of `decision` that fit within MAX_ACTIVE_STAGES, in order; the others are skipped,
 * saying why. `held`: the stages of the runs still active after this plan; `stagesOf`: the stages
 * (and onFailure stages) of a run of that generation.
 */
export function withinStageBudget(
  decision: ConcurrencyDecision,
  held: number,
  stagesOf: (generation: number) => number,
): ConcurrencyDecision {
  const start: RunRequest[] = [];
  const skipped = [...decision.skipped];
  let total = held;
  for (const request of decision.start) {
    const stages = stagesOf(request.generation);
    if (total + stages > MAX_ACTIVE_STAGES) {
      const why = `skipped: the active runs hold ${total} stages and this run has ${stages}; the active runs of one Pipeline hold at most ${MAX_ACTIVE_STAGES} (status remembers each)`;
      skipped.push(skip(request, why));
      continue;
    }
    start.push(request);
    total += stages;
  }
  return { ...decision, start, skipped };
}

/** How many more runs of `stagesPerRun` stages fit next to `heldStages`. */
export function stageRoom(heldStages: number, stagesPerRun: number): number {
  return Math.max(0, Math.floor((MAX_ACTIVE_STAGES - heldStages) / Math.max(1, stagesPerRun)));
}

function skip(request: RunRequest, message: string): SkippedRun {
  return { id: request.id, trigger: request.trigger, generation: request.generation, message };
}

/** Runs started automatically (ticks, chain triggers), which concurrencyPolicy governs. */
export function isGoverned(ref: Pick<RunRef, 'trigger'>): boolean {
  return ref.trigger === 'schedule' || ref.trigger === 'chain';
}

/**
 * Replace, as a level rather than an event: of the governed runs still active, only the newest
 * goes on. Deciding it again from what is observed is what keeps a replaced run from coming
 * back when the status write that recorded its cancellation did not land (the replacing run's
 * Jobs exist, the replaced one is still Running in the old status).
 * `active`: ids of active runs with their trigger, oldest first.
 */
export function replacedRuns(
  policy: ConcurrencyPolicy,
  active: { id: string; trigger: RunRef['trigger'] }[],
): Map<string, string> {
  const cancelled = new Map<string, string>();
  if (policy !== 'Replace') return cancelled;
  const governed = active.filter(isGoverned);
  const newest = governed[governed.length - 1];
  for (const run of governed.slice(0, -1)) cancelled.set(run.id, `replaced by run ${newest?.id}`);
  return cancelled;
}
