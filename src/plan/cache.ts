// Stage caching (memoization), the pure part. A stage with `cache: {key, maxAge}` is not run when
// status.cache holds a result of the same stage, with the same resolved key and the same spec
// hash, younger than maxAge. Entries are recorded when a run succeeds: only stages of successful
// runs are trusted. The cache lives in the Pipeline's status (the operator already writes it), one
// entry per (stage, key), newest first, at most MAX_CACHE_ENTRIES.
import type { CacheEntry, OnFailureStageSpec, Pipeline, RunStatus, StageSpec, StageStatus } from '../api/types.ts';
import { MAX_CACHE_ENTRIES, MAX_CACHE_KEY_LENGTH } from '../api/schema.ts';
import type { PlanEvent } from './types.ts';
import type { RunValues } from './run-values.ts';
import { isPlainObject, mergeList } from './merge.ts';
import { shortHash } from './names.ts';
import { FROM_RUN } from './retry.ts';
import { substitute, templateVariables } from './substitute.ts';
import { iso, toDate } from './time.ts';

/** maxAge when a stage's cache does not say. */
export const DEFAULT_MAX_AGE = '24h';
/** Stage status reason of a stage served from the cache. */
export const CACHED = 'Cached';
const SPEC_HASH_CHARS = 16;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d`, `1h30m` in milliseconds; an error naming the problem otherwise. */
export function parseDuration(text: string): number {
  if (typeof text !== 'string' || !/^(\d+[smhd])+$/.test(text)) {
    throw new Error(`invalid duration "${String(text)}": expected a number and a unit (s, m, h, d), e.g. 30m, 24h, 7d or 1h30m`);
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
  return { image: stage.image ?? defaults.image, command: stage.command, args: stage.args, env, envFrom: stage.envFrom, workingDir: stage.workingDir };
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
export function resolveCacheKey(stage: StageSpec, values: RunValues | undefined, runId: string, timeZone: string | undefined): string | undefined {
  const template = stage.cache?.key;
  if (typeof template !== 'string' || template === '') return undefined;
  const key = substitute(template, templateVariables(values ?? {}, runId, timeZone), 'plain');
  if (key.length <= MAX_CACHE_KEY_LENGTH) return key;
  const hash = shortHash(key, SPEC_HASH_CHARS);
  return `${key.slice(0, MAX_CACHE_KEY_LENGTH - hash.length - 1)}-${hash}`;
}

/**
 * The newest entry for (stage, key, specHash) that is younger than maxAge at `now`. An entry
 * exactly maxAge old has expired: a result is valid for maxAge, not a moment longer.
 */
export function findCached(entries: readonly CacheEntry[], stage: string, key: string, specHash: string, now: Date, maxAgeMs: number): CacheEntry | undefined {
  let best: CacheEntry | undefined;
  let bestTime = Number.NEGATIVE_INFINITY;
  for (const entry of entries) {
    if (entry.stage !== stage || entry.key !== key || entry.specHash !== specHash) continue;
    const time = toDate(entry.time)?.getTime();
    if (time === undefined || now.getTime() - time >= maxAgeMs || time <= bestTime) continue;
    best = entry;
    bestTime = time;
  }
  return best;
}

/** `entry` first, replacing any entry of the same stage and key; the oldest fall off past the bound. */
export function recordCached(entries: readonly CacheEntry[], entry: CacheEntry): CacheEntry[] {
  const others = entries.filter((e) => e.stage !== entry.stage || e.key !== entry.key);
  return [entry, ...others].slice(0, MAX_CACHE_ENTRIES);
}

/** status.cache as read back: only well-formed entries (the planner never trusts its input's shape). */
export function cacheEntriesOf(value: unknown): CacheEntry[] {
  if (!Array.isArray(value)) return [];
  const text = (v: unknown) => typeof v === 'string' && v !== '';
  return value.filter(
    (e): e is CacheEntry => isPlainObject(e) && text(e.stage) && typeof e.key === 'string' && text(e.specHash) && text(e.run) && toDate(e.time) !== undefined,
  );
}

/** What a run needs to use the cache: status.cache before this plan, and the run's values. */
export type RunCache = { entries: readonly CacheEntry[]; values?: RunValues; runId: string; now: Date };

/**
 * The stage served from the cache, with its StageCached event; undefined when it must run: no
 * `cache`, a run started with --no-cache, no entry, or only entries of another spec or too old.
 */
export function cachedStage(pipeline: Pipeline, stage: StageSpec, cache: RunCache): { status: StageStatus; event: PlanEvent } | undefined {
  if (!stage.cache || cache.values?.noCache === true) return undefined;
  const key = resolveCacheKey(stage, cache.values, cache.runId, pipeline.spec.timeZone);
  const maxAge = maxAgeOf(stage);
  if (key === undefined || maxAge === undefined) return undefined;
  const hit = findCached(cache.entries, stage.name, key, stageSpecHash(effectiveStage(pipeline, stage)), cache.now, maxAge);
  if (!hit) return undefined;
  const now = iso(cache.now);
  const message = `cached: key "${key}", result of run ${hit.run} (${hit.time})`;
  return {
    status: { name: stage.name, phase: 'Succeeded', reason: CACHED, message, cachedFrom: hit.run, startTime: now, completionTime: now },
    event: { type: 'Normal', reason: 'StageCached', message: `run ${cache.runId}: stage "${stage.name}" served from the cache (key "${key}", run ${hit.run})` },
  };
}

/**
 * The entries a run that just succeeded adds: each stage with `cache` that ran in this run (not
 * one served from the cache, nor one a retry kept from an earlier, failed run), oldest first.
 */
export function succeededEntries(pipeline: Pipeline, run: RunStatus, values: RunValues | undefined, now: Date): CacheEntry[] {
  if (run.phase === 'Pending' || run.phase === 'Running' || run.phase === 'Skipped') return [];
  const entries: CacheEntry[] = [];
  for (const stage of pipeline.spec.stages) {
    const status = run.stages?.find((s) => s.name === stage.name);
    if (!stage.cache || status?.phase !== 'Succeeded' || status.reason === CACHED || status.reason === FROM_RUN) continue;
    const key = resolveCacheKey(stage, values, run.id, pipeline.spec.timeZone);
    if (key === undefined) continue;
    const time = status.completionTime ?? iso(now);
    entries.push({ stage: stage.name, key, specHash: stageSpecHash(effectiveStage(pipeline, stage)), run: run.id, time });
  }
  return entries.sort((a, b) => a.time.localeCompare(b.time));
}

/** status.cache after this plan: the new entries recorded in order over the previous ones. */
export function updateCache(previous: unknown, added: readonly CacheEntry[]): CacheEntry[] | undefined {
  const before = cacheEntriesOf(previous);
  if (added.length === 0) return before.length > 0 ? before : undefined;
  return added.reduce<CacheEntry[]>((entries, entry) => recordCached(entries, entry), before);
}
