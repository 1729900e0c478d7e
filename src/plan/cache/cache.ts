// Stage caching (memoization), the pure part. A stage with `cache: {key, maxAge}` is not run when
// status.cache holds a result of the same stage, with the same resolved key, the same spec hash
// and the same upstream, younger than maxAge. The upstream is what Dagster calls the input data
// versions: every result has a data version (a hash of the stage, the run that computed it and
// when it finished), and an entry records a hash of its dependencies' versions; a stage is served
// only if its dependencies in this run were themselves served (or kept) those very results, so a
// dependency that ran again invalidates everything after it (transitively: each served dependency
// matched its own upstream). A result is recorded as soon as its stage succeeds, whatever the run
// does later. The cache lives in the Pipeline's status (the operator already writes it), one
// entry per (stage, key), newest first, at most MAX_CACHE_ENTRIES.
import type { CacheEntry, OnFailureStageSpec, Pipeline, RunStatus, StageSpec, StageStatus } from '../../api/types.ts';
import { DATA_VERSION_PATTERN, MAX_CACHE_ENTRIES, MAX_CACHE_KEY_LENGTH } from '../../api/schema.ts';
import type { PlanEvent } from '../types.ts';
import type { RunValues } from '../values/values.ts';
import { isPlainObject } from '../objects.ts';
import { mergeList } from '../merge.ts';
import { resultVersion, shortHash } from '../names.ts';
import { substitute, templateVariables } from '../values/substitute.ts';
import { iso, toDate } from '../time.ts';

/** maxAge when a stage's cache does not say. */
export const DEFAULT_MAX_AGE = '24h';
/** Stage status reason of a stage served from the cache. */
export const CACHED = 'Cached';
/** Stage status reason of a stage a retry keeps: it succeeded in the run retried (select/retry.ts). */
export const FROM_RUN = 'FromRun';
const SPEC_HASH_CHARS = 16;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d`, `1h30m` in milliseconds; an error naming the problem otherwise. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || !/^(\d+[smhd])+$/.test(text)) {
    throw new Error(
      `invalid duration "${String(text)}": expected a number and a unit (s, m, h, d), e.g. 30m, 24h, 7d or 1h30m`,
    );
  }
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  return ms;
}

/** A stage's maxAge in milliseconds (default 24h); undefined when it cannot be read (never served). */
export function maxAgeOf(stage: StageSpec): number | undefined {
  try {
    return parseDuration(stage.cache?.maxAge ?? DEFAULT_MAX_AGE);
  } catch {
    return undefined;
  }
}

/**
 * What a stage computes, after defaults are merged: the parts that can change its output. Not
 * resources, retries, timeouts or the pod template: a result computed with more memory or more
 * retries is the same result, and re-running a day of data because a limit moved would surprise.
 */
export type EffectiveStage = Pick<StageSpec, 'image' | 'command' | 'args' | 'env' | 'envFrom' | 'workingDir'>;

export function effectiveStage(pipeline: Pipeline, stage: StageSpec | OnFailureStageSpec): EffectiveStage {
  const defaults = pipeline.spec.defaults ?? {};
  const env = mergeList(defaults.env ?? [], stage.env ?? [], 'name', false) as EffectiveStage['env'];
  return {
    image: stage.image ?? defaults.image,
    command: stage.command,
    args: stage.args,
    env,
    envFrom: stage.envFrom,
    workingDir: stage.workingDir,
  };
}

/** A short, stable hash of the effective stage (sha256 of canonical JSON: keys sorted, empty lists dropped). */
export function stageSpecHash(stage: EffectiveStage): string {
  return shortHash(JSON.stringify(canonical(stage)) ?? '', SPEC_HASH_CHARS);
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? value.map(canonical) : undefined;
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const field = canonical(value[key]);
    if (field !== undefined) out[key] = field;
  }
  return out;
}

/**
 * The stage's cache key for this run: its template with params and logical time substituted
 * (plain: no kubelet escaping). A key longer than the schema allows keeps a prefix and a hash of
 * the whole, so different long keys stay different.
 */
export function resolveCacheKey(
  stage: StageSpec,
  values: RunValues | undefined,
  runId: string,
  timeZone: string | undefined,
): string | undefined {
  const template = stage.cache?.key;
  if (typeof template !== 'string' || template === '') return undefined;
  const key = substitute(template, templateVariables(values ?? {}, runId, timeZone), 'plain');
  if (key.length <= MAX_CACHE_KEY_LENGTH) return key;
  const hash = shortHash(key, SPEC_HASH_CHARS);
  return `${key.slice(0, MAX_CACHE_KEY_LENGTH - hash.length - 1)}-${hash}`;
}

export function entryVersion(entry: CacheEntry): string {
  return resultVersion(entry.stage, entry.run, entry.time);
}

const VERSION = new RegExp(DATA_VERSION_PATTERN);

/**
 * The data version of a stage's result in run `runId`: the one it was served (Cached) or kept
 * (FromRun) from, or — when it ran in this run — its own. Undefined when it has not succeeded or
 * its version is not known (a status written before versions existed).
 */
export function dataVersionOf(status: StageStatus | undefined, runId: string, now: Date): string | undefined {
  if (status?.phase !== 'Succeeded') return undefined;
  if (status.reason === CACHED || status.reason === FROM_RUN)
    return typeof status.dataVersion === 'string' && VERSION.test(status.dataVersion) ? status.dataVersion : undefined;
  return resultVersion(status.name, runId, status.completionTime ?? iso(now));
}

/**
 * What a result of `stage` is computed from: a hash of its dependencies' data versions in this
 * run (`versionOf`), '' for a stage without dependencies, undefined when one is not known.
 */
export function upstreamOf(stage: StageSpec, versionOf: (name: string) => string | undefined): string | undefined {
  const deps = [...new Set(stage.dependsOn ?? [])].sort();
  if (deps.length === 0) return '';
  const parts: string[] = [];
  for (const dep of deps) {
    const version = versionOf(dep);
    if (version === undefined) return undefined;
    parts.push(`${dep}=${version}`);
  }
  return shortHash(parts.join('\n'), SPEC_HASH_CHARS);
}

/**
 * The newest entry for (stage, key, specHash, upstream) that is younger than maxAge at `now`. An
 * entry exactly maxAge old has expired: a result is valid for maxAge, not a moment longer.
 * `upstream` is upstreamOf's ('' for a root stage, which matches entries without one).
 */
export function findCached(
  entries: readonly CacheEntry[],
  wanted: { stage: string; key: string; specHash: string; upstream: string },
  now: Date,
  maxAgeMs: number,
): CacheEntry | undefined {
  const { stage, key, specHash, upstream } = wanted;
  let best: CacheEntry | undefined;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    if (
      entry.stage !== stage ||
      entry.key !== key ||
      entry.specHash !== specHash ||
      (entry.upstream ?? '') !== upstream
    )
      continue;
    const time = toDate(entry.time)?.getTime();
    if (time === undefined || now.getTime() - time >= maxAgeMs || time <= bestTime) continue;
    best = entry;
    bestTime = time;
  }
  return best;
}

/**
 * `entry` first, replacing any entry of the same stage and key — unless that one is newer (a result
 * recorded again, e.g. from a run rebuilt after a lost status, never replaces a later one); the
 * oldest fall off past the bound.
 */
export function recordCached(entries: readonly CacheEntry[], entry: CacheEntry): CacheEntry[] {
  const same = (e: CacheEntry) => e.stage === entry.stage && e.key === entry.key;
  const time = (e: CacheEntry) => toDate(e.time)?.getTime() ?? Number.NEGATIVE_INFINITY;
  if (entries.some((e) => same(e) && time(e) > time(entry))) return [...entries];
  return [entry, ...entries.filter((e) => !same(e))].slice(0, MAX_CACHE_ENTRIES);
}

/** status.cache as read back: only well-formed entries (the planner never trusts its input's shape). */
export function cacheEntriesOf(value: unknown): CacheEntry[] {
  if (!Array.isArray(value)) return [];
  const text = (v: unknown) => typeof v === 'string' && v !== '';
  const upstream = (v: unknown) => v === undefined || (typeof v === 'string' && VERSION.test(v));
  return value.filter(
    (e): e is CacheEntry =>
      isPlainObject(e) &&
      text(e.stage) &&
      typeof e.key === 'string' &&
      text(e.specHash) &&
      text(e.run) &&
      toDate(e.time) !== undefined &&
      upstream(e.upstream),
  );
}

/**
 * What a run needs to use the cache: status.cache before this plan, the run's values, and the
 * stage statuses decided so far in this run (its dependencies among them).
 */
export type RunCache = {
  entries: readonly CacheEntry[];
  values?: RunValues;
  runId: string;
  now: Date;
  decided: (name: string) => StageStatus | undefined;
};

/**
 * The stage served from the cache, with its StageCached event; undefined when it must run: no
 * `cache`, a run started with --no-cache, no entry, or only entries of another spec, too old, or
 * computed from other results of its dependencies than this run has.
 */
export function cachedStage(
  pipeline: Pipeline,
  stage: StageSpec,
  cache: RunCache,
): { status: StageStatus; event: PlanEvent } | undefined {
  if (!stage.cache || cache.values?.noCache === true) return undefined;
  const key = resolveCacheKey(stage, cache.values, cache.runId, pipeline.spec.timeZone);
  const maxAge = maxAgeOf(stage);
  const upstream = upstreamOf(stage, (dep) => dataVersionOf(cache.decided(dep), cache.runId, cache.now));
  if (key === undefined || maxAge === undefined || upstream === undefined) return undefined;
  const specHash = stageSpecHash(effectiveStage(pipeline, stage));
  const hit = findCached(cache.entries, { stage: stage.name, key, specHash, upstream }, cache.now, maxAge);
  if (!hit) return undefined;
  const now = iso(cache.now);
  const message = `cached: key "${key}", result of run ${hit.run} (${hit.time})`;
  const dataVersion = entryVersion(hit);
  return {
    status: {
      name: stage.name,
      phase: 'Succeeded',
      reason: CACHED,
      message,
      cachedFrom: hit.run,
      dataVersion,
      startTime: now,
      completionTime: now,
    },
    event: stageCachedEvent(cache.runId, stage.name, key, hit.run),
  };
}

/** The Normal Event of a stage served from the cache (the Console reads it back: src/console/ui/model/cached-stages.ts). */
export function stageCachedEvent(runId: string, stage: string, key: string, fromRun: string): PlanEvent {
  return {
    type: 'Normal',
    reason: 'StageCached',
    message: `run ${runId}: stage "${stage}" served from the cache (key "${key}", run ${fromRun})`,
  };
}

/**
 * The entries a run adds: each stage with `cache` that ran and succeeded in this run (not one
 * served from the cache, nor one a retry kept from an earlier run) and is not in `recorded` (the
 * stages that had already succeeded when status last spoke of the run: recorded then), oldest
 * first. Whatever the run does later — fail, be cancelled — does not change a result that is
 * complete. A result whose upstream cannot be named is not recorded: it could never be served.
 */
export function succeededEntries(
  pipeline: Pipeline,
  run: RunStatus,
  values: RunValues | undefined,
  now: Date,
  recorded: ReadonlySet<string> = new Set(),
): CacheEntry[] {
  const statuses = new Map((run.stages ?? []).map((s) => [s.name, s]));
  const entries: CacheEntry[] = [];
  for (const stage of pipeline.spec.stages) {
    const status = statuses.get(stage.name);
    if (
      !stage.cache ||
      recorded.has(stage.name) ||
      status?.phase !== 'Succeeded' ||
      status.reason === CACHED ||
      status.reason === FROM_RUN
    )
      continue;
    const key = resolveCacheKey(stage, values, run.id, pipeline.spec.timeZone);
    const upstream = upstreamOf(stage, (dep) => dataVersionOf(statuses.get(dep), run.id, now));
    if (key === undefined || upstream === undefined) continue;
    const time = status.completionTime ?? iso(now);
    const specHash = stageSpecHash(effectiveStage(pipeline, stage));
    entries.push({ stage: stage.name, key, specHash, run: run.id, time, ...(upstream ? { upstream } : {}) });
  }
  return entries.sort((a, b) => a.time.localeCompare(b.time));
}

/** status.cache after this plan: the new entries recorded in order over the previous ones. */
export function updateCache(previous: unknown, added: readonly CacheEntry[]): CacheEntry[] | undefined {
  const before = cacheEntriesOf(previous);
  if (added.length === 0) return before.length > 0 ? before : undefined;
  return added.reduce<CacheEntry[]>((entries, entry) => recordCached(entries, entry), before);
}
