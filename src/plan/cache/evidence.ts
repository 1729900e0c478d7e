// The decision to serve a stage from the cache, as evidence on the Jobs it leads to. A Job that
// builds on served stages says which results it was given (ANN_CACHED_UPSTREAM), in the same
// create that starts it: once the Job exists, a run rebuilt from its Jobs (the status write lost,
// or the operator killed before it) keeps those stages Cached, as they were when the Job was
// created, instead of deciding again — by then the entry may have expired, and the stage would
// run under a Job that already used its old result. A served stage no Job builds on needs no
// record: nothing has used the decision, and deciding again is as good as the first time.
import type { V1Job } from '@kubernetes/client-node';
import type { StageSpec, StageStatus } from '../../api/types.ts';
import { MAX_STAGES } from '../../api/constants.ts';
import { DATA_VERSION_PATTERN } from '../../api/schema.ts';
import { ANN_CACHED_UPSTREAM } from '../../api/labels.ts';
import { CACHED } from './cache.ts';
import { isPlainObject } from '../objects.ts';

/** Per stage name ≤ 63, run id ≤ 63, version 16, JSON punctuation: 200 stages fit in ~32 KB. */
const MAX_ANNOTATION_LENGTH = 40_000;
const MAX_RUN_ID_LENGTH = 63;
const VERSION = new RegExp(DATA_VERSION_PATTERN);

/**
 * The served stages a Job of `stage` builds on: its dependencies that were served from the cache,
 * and theirs, through served stages only. A served stage behind one that ran is named on that
 * one's Job, which exists (it ran), so every served stage some Job builds on is on a Job.
 * `decided`: the stage statuses of this run so far.
 */
export function servedUpstream(
  stage: StageSpec,
  stages: readonly StageSpec[],
  decided: (name: string) => StageStatus | undefined,
): Map<string, StageStatus> {
  const byName = new Map(stages.map((s) => [s.name, s]));
  const served = new Map<string, StageStatus>();
  const queue = [...(stage.dependsOn ?? [])];
  while (queue.length > 0) {
    const name = queue.shift() ?? '';
    const status = decided(name);
    if (served.has(name) || status?.reason !== CACHED || status.phase !== 'Succeeded') continue;
    served.set(name, status);
    queue.push(...(byName.get(name)?.dependsOn ?? []));
  }
  return served;
}

/** The annotation of a Job that builds on served stages; none when it builds on none. */
export function cachedUpstreamAnnotation(served: ReadonlyMap<string, StageStatus>): Record<string, string> {
  const record: Record<string, [string, string]> = {};
  for (const [name, status] of [...served].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (status.cachedFrom && status.dataVersion) record[name] = [status.cachedFrom, status.dataVersion];
  }
  return Object.keys(record).length > 0 ? { [ANN_CACHED_UPSTREAM]: JSON.stringify(record) } : {};
}

/**
 * The served stages the run's Jobs record, as Cached stage statuses, for DAG stages of `stages`
 * only. A value that is not exactly what Conveyor writes (too long, not JSON, another shape, an
 * unknown stage) is ignored: the stage is then decided as if the Job said nothing.
 */
export function servedOnJobs(jobs: readonly V1Job[], stages: readonly StageSpec[]): Map<string, StageStatus> {
  const names = new Set(stages.map((s) => s.name));
  const served = new Map<string, StageStatus>();
  const recording = jobs.filter((job) => job.metadata?.annotations?.[ANN_CACHED_UPSTREAM] !== undefined);
  const sorted = recording.sort((a, b) => String(a.metadata?.name ?? '').localeCompare(String(b.metadata?.name ?? '')));
  for (const job of sorted) {
    for (const [name, [run, dataVersion]] of readAnnotation(job.metadata?.annotations?.[ANN_CACHED_UPSTREAM])) {
      if (!names.has(name) || served.has(name)) continue;
      const message = `cached: result of run ${run} (recorded on Job ${job.metadata?.name ?? ''})`;
      served.set(name, { name, phase: 'Succeeded', reason: CACHED, message, cachedFrom: run, dataVersion });
    }
  }
  return served;
}

function readAnnotation(value: unknown): [string, [string, string]][] {
  if (typeof value !== 'string' || value.length > MAX_ANNOTATION_LENGTH) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  if (!isPlainObject(parsed)) return [];
  const entries = Object.entries(parsed);
  if (entries.length > MAX_STAGES) return [];
  return entries.flatMap(([name, pair]): [string, [string, string]][] => {
    if (!Array.isArray(pair) || pair.length !== 2) return [];
    const [run, version] = pair as unknown[];
    const runOk = typeof run === 'string' && run !== '' && run.length <= MAX_RUN_ID_LENGTH;
    return runOk && typeof version === 'string' && VERSION.test(version) ? [[name, [run, version]]] : [];
  });
}
