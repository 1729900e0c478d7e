// Requests (run, retry, cancel, backfill) are annotations on the Pipeline: a value that is missing,
// not a string or blank asks for nothing. Anyone who may annotate one Pipeline writes here, so
// every value is read strictly — bounded in length, times within a range every later step can
// handle — and the same checks serve the CLI, which refuses before writing what the operator would
// refuse after reading (one checker for both).
import type { Pipeline } from '../../api/types.ts';
import { shortHash } from '../names.ts';
import { iso, parseRfc3339 } from '../time.ts';

/**
 * Longest value of a run, retry or cancel request: the CLI and the Console write a timestamp or
 * `<run id>:<nonce>` (under 40 characters). The value is recorded in status as handled
 * (status.lastRunRequest, ...), so its length is status's.
 */
export const MAX_REQUEST_VALUE_LENGTH = 256;
/**
 * Longest JSON of the run options or a backfill request: the largest request the spec allows
 * (every parameter at its longest value, see MAX_PARAMS_LENGTH) fits with room to spare.
 */
export const MAX_REQUEST_JSON_LENGTH = 16 * 1024;

/**
 * The times a request may name (`conveyor run --at`, a backfill's from and to): 1970 to 9999.
 * After 9999 RFC 3339 has no way to write the time (status would carry `+10000-...`, which the
 * CRD refuses); before 1970 a tick has no run id (`s<unix seconds>`), and no data pipeline
 * processes intervals from before then on Kubernetes.
 */
export const EARLIEST_REQUEST_TIME = new Date('1970-01-01T00:00:00Z');
export const LATEST_REQUEST_TIME = new Date('9999-12-31T23:59:59Z');

/** The annotation's value when it asks for something; undefined when missing or blank. */
export function requestAnnotation(pipeline: Pipeline, key: string): string | undefined {
  const raw = pipeline.metadata.annotations?.[key];
  return typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
}

/** A request value as Conveyor handles it: what status records, and why it is refused, if it is. */
export type RequestValue = { value: string; problem?: string };

/**
 * What status records of a handled value and compares the next one with: the value itself, or
 * past `max` characters a digest of it (`sha256:<hex>`) — handled once all the same, without
 * copying it into status.
 */
export function handledRecord(value: string, max = MAX_REQUEST_VALUE_LENGTH): string {
  return value.length <= max ? value : `sha256:${shortHash(value, 64)}`;
}

/**
 * A run, retry or cancel request annotation read strictly: its record (handledRecord) and, for a
 * value longer than MAX_REQUEST_VALUE_LENGTH, the problem to refuse it with.
 */
export function readRequestValue(pipeline: Pipeline, key: string): RequestValue | undefined {
  const raw = requestAnnotation(pipeline, key);
  if (raw === undefined) return undefined;
  const value = handledRecord(raw);
  if (value === raw) return { value };
  return {
    value,
    problem: `the value of ${key} is ${raw.length} characters long; at most ${MAX_REQUEST_VALUE_LENGTH} are allowed`,
  };
}

/** `value` as JSON, cut to a readable length: messages quote what they refuse, never all of it. */
export function quoted(value: unknown, max = 80): string {
  const text = value === undefined ? 'undefined' : (JSON.stringify(value) ?? String(value));
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

export type TimeCheck = { ok: true; value: Date } | { ok: false; message: string };

/** A time a request names: strict RFC 3339 (time.ts), from EARLIEST_REQUEST_TIME to LATEST_REQUEST_TIME. */
export function readRequestTime(value: unknown): TimeCheck {
  const date = parseRfc3339(value);
  if (!date)
    return { ok: false, message: `must be an RFC 3339 time such as 2026-03-01T00:00:00Z, not ${quoted(value)}` };
  if (date < EARLIEST_REQUEST_TIME || date > LATEST_REQUEST_TIME) {
    return {
      ok: false,
      message: `must lie between ${iso(EARLIEST_REQUEST_TIME)} and ${iso(LATEST_REQUEST_TIME)}, not ${quoted(value)}`,
    };
  }
  return { ok: true, value: date };
}
