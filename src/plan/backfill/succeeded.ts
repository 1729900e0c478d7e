// status.succeededTimes: what has already succeeded, so that a backfill skips a tick done before.
// "Done" is a (logical time, parameter values) pair: a backfill with region=us is not done by the
// runs that processed the same days for eu. An entry is `<time>/<16 hex>`: the logical time, and a
// hash of the run's parameter values (every declared parameter, canonical: sorted by name); a run
// without parameters has the time alone. The hash keeps an entry small (values may be 4 KB
// each); 64 bits make a collision between two parameter sets of one pipeline negligible.
//
// Entries written by the previous version are times alone, with no parameter values. Choice: such
// an entry stands for the runs status still remembers with that logical time (their recorded
// values), else for the current defaults. Why defaults: scheduled ticks and chained runs — the
// runs that happen by themselves, and most entries — run with the defaults; the runs that gave
// other values (manual, backfill) are the recent ones runs[] still shows. Reading such an entry as
// "any values" would keep the bug; as "none" would run again every tick done before the upgrade.
// The entries are written back in the new form by the first plan.
import type { ParamSpec, PipelineStatus } from '../../api/types.ts';
import { MAX_SUCCEEDED_TIMES } from '../../api/schema.ts';
import { shortHash } from '../names.ts';
import { defaultParams } from '../select/params.ts';
import { rememberedRuns } from '../remembered.ts';
import { toDate, iso } from '../time.ts';

const PARAMS_HASH_CHARS = 16;
/** An entry as read: any RFC 3339 time (normalized to UTC seconds), and the hash when there is one. */
const ENTRY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))(?:\/([0-9a-f]{16}))?$/i;
const MAX_ENTRY_LENGTH = 64;

/** An entry in its written form (`<UTC time>` or `<UTC time>/<hash>`) with its time, or undefined for one that is none. */
function parseEntry(value: unknown): { time: string; hash?: string; at: number } | undefined {
  const match = typeof value === 'string' && value.length <= MAX_ENTRY_LENGTH ? ENTRY.exec(value) : null;
  const date = toDate(match?.[1]);
  if (!match || !date) return undefined;
  const hash = match[2]?.toLowerCase();
  return { time: iso(date), at: date.getTime(), ...(hash ? { hash } : {}) };
}

/** The hash of a run's parameter values: '' when it has none. Same values, same hash, in any order. */
export function paramsHash(params: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(params ?? {}).filter(([, v]) => typeof v === 'string');
  if (entries.length === 0) return '';
  const canonical = JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return shortHash(canonical, PARAMS_HASH_CHARS);
}

/** The entry for a run with this logical time (any RFC 3339 form) and these values; undefined for a time that is none. */
export function succeededEntry(
  logicalTime: string,
  params: Readonly<Record<string, string>> | undefined,
): string | undefined {
  const entry = parseEntry(logicalTime);
  if (!entry || entry.hash) return undefined;
  const hash = paramsHash(params);
  return hash ? `${entry.time}/${hash}` : entry.time;
}

/**
 * status.succeededTimes as this version reads it: entries checked (others dropped), at most
 * MAX_SUCCEEDED_TIMES read, and an entry of the previous version (a time alone, while the
 * pipeline declares parameters) read as the remembered runs of that time, else the defaults.
 */
export function readSucceeded(previous: PipelineStatus, specs: ParamSpec[] | undefined): string[] {
  const stored = Array.isArray(previous.succeededTimes) ? previous.succeededTimes.slice(0, MAX_SUCCEEDED_TIMES) : [];
  const defaults = paramsHash(defaultParams(Array.isArray(specs) ? specs : []));
  const remembered = [...rememberedRuns(previous).values()];
  const out: string[] = [];
  for (const value of stored) {
    const entry = parseEntry(value);
    if (!entry) continue;
    const { time, hash, at } = entry;
    if (hash || !defaults) {
      out.push(hash ? `${time}/${hash}` : time);
      continue;
    }
    const known = remembered.filter(
      (r) => r.phase === 'Succeeded' && r.params && toDate(r.logicalTime)?.getTime() === at,
    );
    const hashes = known.length > 0 ? known.map((r) => paramsHash(r.params)) : [defaults];
    for (const h of hashes) out.push(h ? `${time}/${h}` : time);
  }
  return out;
}

/** The entries with `added` joined: newest time first, each once, at most MAX_SUCCEEDED_TIMES (the oldest fall off). */
export function recordSucceeded(entries: readonly string[], added: readonly string[]): string[] | undefined {
  const all = new Map<string, number>();
  for (const value of [...entries, ...added]) {
    const entry = parseEntry(value);
    if (entry) all.set(entry.hash ? `${entry.time}/${entry.hash}` : entry.time, entry.at);
  }
  const sorted = [...all.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([entry]) => entry);
  return sorted.length > 0 ? sorted.slice(0, MAX_SUCCEEDED_TIMES) : undefined;
}
