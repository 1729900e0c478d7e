// The facts of one plan, read once from its input before any phase runs (as Tekton's
// PipelineRunFacts): the normalized Pipeline, what status remembers, what the cluster shows (Jobs
// grouped by run, CronJobs), the pinned specs of older generations, and every request the
// annotations and upstream pipelines carry. Phases read the facts and never change them; what they
// decide goes into the Decisions they hand forward (decisions.ts).
import type { V1CronJob } from '@kubernetes/client-node';
import type { CacheEntry, Pipeline, PipelineSpec, PipelineStatus } from '../api/types.ts';
import { readBackfill, type BackfillState } from './backfill/read.ts';
import { cacheEntriesOf } from './cache/cache.ts';
import { readCancelRequest, type CancelRequest } from './stop/cancel.ts';
import { policyOf, type ConcurrencyPolicy } from './stop/concurrency.ts';
import { isScheduled } from './tidy/cronjob.ts';
import { historyLimit } from './tidy/history.ts';
import { compact, isPlainObject } from './objects.ts';
import { observeRuns, ownedBy, type ObservedRun } from './observed.ts';
import { rememberedRuns } from './remembered.ts';
import type { RememberedRun } from './select/retry.ts';
import { readRequests, type Requests } from './select/requests.ts';
import type { PinnedSpec, PlanInput, Problem } from './types.ts';

/** What a plan reads of its input before it knows whether the spec is valid. */
export type SeenFacts = {
  /** The Pipeline with odd input (missing metadata, stages without names) normalized away. */
  pipeline: Pipeline;
  /** The Pipeline as the user wrote it: its ControllerRevision records this spec (revision.ts). */
  written: Pipeline;
  spec: PipelineSpec;
  generation: number;
  now: Date;
  /** Validation problems of this generation's spec ([] when valid). */
  problems: Problem[];
  /** status before this plan: the memory. */
  previous: PipelineStatus;
  /** Runs status remembers, by id: lastRun (detailed) over its summary in runs[]. */
  remembered: Map<string, RememberedRun>;
  /** The Pipeline's Jobs and claims grouped by run: the evidence. */
  observed: Map<string, ObservedRun>;
  /** The CronJobs this Pipeline owns. */
  cronJobs: V1CronJob[];
  /** The spec of each generation runs started with (ControllerRevisions). */
  revisions: PinnedSpec[];
  /** The Pipelines named in spec.triggers.after. */
  upstream: Pipeline[];
  /** Objects the API server refused to create, by name: the server's message. */
  rejections?: ReadonlyMap<string, string>;
  /** Jobs created and not in the cache yet. */
  pendingJobs?: ReadonlySet<string>;
  /** status.cache before this plan. */
  cacheEntries: CacheEntry[];
  /** spec.runHistoryLimit, bounded. */
  historyLimit: number;
  policy: ConcurrencyPolicy;
  scheduled: boolean;
  /**
   * It waits for a trigger: scheduled, chained after others, or started by webhook deliveries.
   * Creating or changing it starts no run ("load after ingest" must not load before ingest, "load
   * the file that landed" has no file on create); manual runs and retries still start at once.
   */
  waitsForTrigger: boolean;
  /** What the shell gathered of the webhook receiver for this Pipeline (PlanInput.webhook). */
  webhook?: PlanInput['webhook'];
  /** The Pipeline as it was at a generation (its pinned spec), undefined when that spec is gone. */
  pipelineAt: (generation: number) => Pipeline | undefined;
  /** Stages and onFailure stages of a run of a generation (the stage budget, concurrency.ts). */
  stagesOf: (generation: number) => number;
};

/** The facts of a valid spec: also every request, read against status. */
export type PlanFacts = SeenFacts & {
  /** Run and retry requests, chain triggers, the cancel request and the backfill's. */
  requests: Requests & { cancel: CancelRequest; backfill: BackfillState };
};

export function readFacts(input: PlanInput): SeenFacts {
  const pipeline = normalizePipeline(input.pipeline);
  const now = input.now instanceof Date && !Number.isNaN(input.now.getTime()) ? input.now : new Date(0);
  const previous: PipelineStatus = isPlainObject(pipeline.status) ? pipeline.status : {};
  const generation = typeof pipeline.metadata.generation === 'number' ? pipeline.metadata.generation : 0;
  const uid = pipeline.metadata.uid;
  const cronJobs = (Array.isArray(input.cronJobs) ? input.cronJobs : []).filter(
    (c): c is V1CronJob => isPlainObject(c) && ownedBy(c, uid),
  );
  const cronJobUids = new Set(cronJobs.flatMap((c) => (c.metadata?.uid ? [c.metadata.uid] : [])));
  const revisions = Array.isArray(input.revisions) ? input.revisions : [];
  const upstream = Array.isArray(input.upstream) ? input.upstream : [];
  const spec = pipeline.spec;
  const scheduled = isScheduled(spec);
  const pipelineAt = pinnedPipelines(pipeline, revisions, generation);
  return compact({
    pipeline,
    written: { ...pipeline, spec: input.pipeline?.spec },
    spec,
    generation,
    now,
    problems: Array.isArray(input.problems) ? input.problems : [],
    previous,
    remembered: rememberedRuns(previous),
    observed: observeRuns(uid, input.jobs ?? [], input.claims ?? [], cronJobUids),
    cronJobs,
    revisions,
    upstream,
    rejections: input.rejections,
    pendingJobs: input.pendingJobs,
    cacheEntries: cacheEntriesOf(previous.cache),
    historyLimit: historyLimit(spec.runHistoryLimit),
    policy: policyOf(spec),
    scheduled,
    waitsForTrigger: scheduled || (spec.triggers?.after?.length ?? 0) > 0 || isPlainObject(spec.triggers?.webhook),
    webhook: isPlainObject(input.webhook) ? input.webhook : undefined,
    pipelineAt,
    stagesOf: stageCounter(pipelineAt, generation),
  });
}

/** The requests of a valid spec (an invalid one reads none: status keeps them as they were). */
export function withRequests(seen: SeenFacts): PlanFacts {
  const { pipeline, previous, now } = seen;
  const requests = {
    ...readRequests(pipeline, previous, seen.upstream),
    cancel: readCancelRequest(pipeline, previous),
    backfill: readBackfill(pipeline, previous, seen.observed, now),
  };
  return { ...seen, requests };
}

/** The Pipeline at each generation: its spec from that generation's ControllerRevision, the current one as it is. */
function pinnedPipelines(pipeline: Pipeline, revisions: PinnedSpec[], generation: number): SeenFacts['pipelineAt'] {
  return (g) => {
    if (g === generation) return pipeline;
    const spec = revisions.find((r) => r.generation === g)?.spec;
    return spec ? normalizePipeline({ ...pipeline, spec }) : undefined;
  };
}

/** Stages and onFailure stages of a run of each generation: its pinned spec's, else the current one's. */
function stageCounter(pipelineAt: (g: number) => Pipeline | undefined, generation: number): (g: number) => number {
  const count = (p: Pipeline | undefined) => (p ? p.spec.stages.length + (p.spec.onFailure?.length ?? 0) : 0);
  const counts = new Map([[generation, count(pipelineAt(generation))]]);
  return (g) => {
    let n = counts.get(g);
    if (n === undefined) counts.set(g, (n = count(pipelineAt(g)) || (counts.get(generation) ?? 0)));
    return n;
  };
}

/** Odd input (missing metadata, stages without names) must not make the planner throw. */
function normalizePipeline(pipeline: Pipeline): Pipeline {
  const metadata = isPlainObject(pipeline?.metadata) ? pipeline.metadata : {};
  const spec: Partial<PipelineSpec> = isPlainObject(pipeline?.spec) ? pipeline.spec : {};
  const named = <T extends { name?: unknown }>(list: unknown): T[] =>
    Array.isArray(list)
      ? list.filter((s): s is T => isPlainObject(s) && typeof s.name === 'string' && s.name !== '')
      : [];
  const dependsOn = (value: unknown): string[] | undefined =>
    Array.isArray(value) ? value.filter((d): d is string => typeof d === 'string') : undefined;
  return {
    ...pipeline,
    metadata,
    spec: {
      ...spec,
      stages: named<PipelineSpec['stages'][number]>(spec.stages).map((s) =>
        compact({ ...s, dependsOn: dependsOn(s.dependsOn) }),
      ),
      onFailure: named<NonNullable<PipelineSpec['onFailure']>[number]>(spec.onFailure),
    },
  } as Pipeline;
}
