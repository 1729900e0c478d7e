// A backfill request (the conveyor.dev/backfill-requested annotation): its JSON read and checked
// against the Pipeline's spec. One pure function for the operator and the CLI, so `conveyor
// backfill` refuses locally, with the same words, what the operator would refuse.
import type { PipelineSpec } from '../../api/types.ts';
import { MAX_ACTIVE_RUNS, MAX_BACKFILL_ACTIVE, MAX_PARAM_VALUE_LENGTH, RESERVED_RUN_SLOTS } from '../../api/schema.ts';
import { CronError } from '../../api/cron.ts';
import { MAX_BACKFILL_TICKS, ticksBetween } from './ticks.ts';
import { isPlainObject } from '../objects.ts';
import { resolveParams } from '../select/params.ts';
import { MAX_REQUEST_JSON_LENGTH, quoted, readRequestTime } from '../select/request-annotation.ts';
import { iso } from '../time.ts';

export type BackfillRequest = {
  id: string;
  from: Date;
  to: Date;
  /** At most this many backfill runs at once; default 1 (one tick after the other), at most MAX_BACKFILL_ACTIVE. */
  maxActive: number;
  /** The values the request gives (not yet overlaid on the defaults). */
  params: Record<string, string>;
  rerun: boolean;
  /** When the request was made (`conveyor backfill` sets it): see backfill/ids.ts. */
  requestedAt?: Date;
};

/** A refused request: the field at fault and what is wrong with it. */
export type BackfillProblem = { field: string; message: string };

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: BackfillProblem };

/** An accepted request: the ticks it covers and every declared parameter's value. */
export type AcceptedBackfill = { request: BackfillRequest; ticks: Date[]; params: Record<string, string> };

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/;
const FIELDS = new Set(['id', 'from', 'to', 'maxActive', 'params', 'rerun', 'requestedAt']);

const refuse = <T>(field: string, message: string): Checked<T> => ({ ok: false, problem: { field, message } });

/** "field: message", as Events and the CLI say it. */
export function describeProblem(problem: BackfillProblem): string {
  return `${problem.field}: ${problem.message}`;
}

function parseTime(field: string, value: unknown): Checked<Date> {
  const time = readRequestTime(value);
  return time.ok ? time : refuse(field, time.message);
}

function parseParams(value: unknown): Checked<Record<string, string>> {
  if (value === undefined) return { ok: true, value: {} };
  if (!isPlainObject(value)) return refuse('params', 'must be an object of parameter names to string values');
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') return refuse(`params.${quotedName(name)}`, `must be a string, got ${quoted(v)}`);
    if (v.length > MAX_PARAM_VALUE_LENGTH)
      return refuse(`params.${quotedName(name)}`, `is longer than ${MAX_PARAM_VALUE_LENGTH} characters`);
    out[name] = v;
  }
  return { ok: true, value: out };
}

function parseMaxActive(value: unknown): Checked<number> {
  if (value === undefined) return { ok: true, value: 1 };
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_BACKFILL_ACTIVE) {
    const why = `${RESERVED_RUN_SLOTS} of the ${MAX_ACTIVE_RUNS} runs a Pipeline may have at once are kept for ticks, manual runs and retries`;
    return refuse(
      'maxActive',
      `must be a whole number from 1 to ${MAX_BACKFILL_ACTIVE}, got ${quoted(value)} (${why})`,
    );
  }
  return { ok: true, value };
}

/** A field name from the request, as a problem names it: cut, since anyone may have written it. */
function quotedName(name: string): string {
  return name.length <= 63 ? name : `${name.slice(0, 60)}...`;
}

/** The annotation's JSON, shape-checked (not yet against the spec). */
export function parseBackfillRequest(raw: string): Checked<BackfillRequest> {
  if (raw.length > MAX_REQUEST_JSON_LENGTH)
    return refuse('request', `is ${raw.length} characters long; at most ${MAX_REQUEST_JSON_LENGTH} are allowed`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return refuse('request', `is not valid JSON (${(error as Error).message.slice(0, 200)})`);
  }
  if (!isPlainObject(json)) return refuse('request', 'must be a JSON object {"id", "from", "to", ...}');
  const unknown = Object.keys(json).find((k) => !FIELDS.has(k));
  if (unknown !== undefined) return refuse(quotedName(unknown), `unknown field (allowed: ${[...FIELDS].join(', ')})`);
  if (typeof json.id !== 'string' || !ID_PATTERN.test(json.id)) {
    return refuse('id', 'must be 1 to 63 letters, digits, ".", "_", ":" or "-", starting with a letter or digit');
  }
  const from = parseTime('from', json.from);
  if (!from.ok) return from;
  const to = parseTime('to', json.to);
  if (!to.ok) return to;
  if (from.value.getTime() >= to.value.getTime()) return refuse('to', `must be after from (${iso(from.value)})`);
  const maxActive = parseMaxActive(json.maxActive);
  if (!maxActive.ok) return maxActive;
  const params = parseParams(json.params);
  if (!params.ok) return params;
  if (json.rerun !== undefined && typeof json.rerun !== 'boolean') return refuse('rerun', 'must be true or false');
  const requestedAt = json.requestedAt === undefined ? undefined : parseTime('requestedAt', json.requestedAt);
  if (requestedAt && !requestedAt.ok) return requestedAt;
  const request: BackfillRequest = {
    id: json.id,
    from: from.value,
    to: to.value,
    maxActive: maxActive.value,
    params: params.value,
    rerun: json.rerun === true,
  };
  return { ok: true, value: requestedAt ? { ...request, requestedAt: requestedAt.value } : request };
}

/** A parsed request checked against the spec: a schedule, a range with ticks (at most the cap), known params. */
export function checkBackfillRequest(spec: PipelineSpec, request: BackfillRequest): Checked<AcceptedBackfill> {
  const schedule = typeof spec.schedule === 'string' ? spec.schedule.trim() : '';
  if (schedule === '')
    return refuse('spec.schedule', 'the pipeline has no schedule: a backfill runs the schedule’s ticks');
  let range: ReturnType<typeof ticksBetween>;
  try {
    range = ticksBetween(schedule, spec.timeZone, request.from, request.to);
  } catch (error) {
    if (error instanceof CronError || error instanceof RangeError) return refuse('spec.schedule', error.message);
    throw error;
  }
  if ('tooMany' in range)
    return refuse(
      'from',
      `the range holds more than ${MAX_BACKFILL_TICKS} ticks of "${schedule}"; split it into several backfills`,
    );
  if (range.ticks.length === 0) return refuse('from', `the range [from, to) holds no tick of "${schedule}"`);
  const params = resolveParams(spec.params, request.params);
  if (!params.ok) return refuse('params', params.message);
  return { ok: true, value: { request, ticks: range.ticks, params: params.value } };
}

/**
 * A backfill runs ticks that have passed. A tick after `now` would be run before its interval is
 * complete — Succeeded on missing data — and the schedule runs it again when it comes.
 */
export function futureTickProblem(accepted: AcceptedBackfill, now: Date): BackfillProblem | undefined {
  const first = accepted.ticks.find((t) => t.getTime() > now.getTime());
  if (!first) return undefined;
  return {
    field: 'to',
    message: `the range holds ticks after now (the first ${iso(first)}); a backfill runs ticks that have passed, the schedule runs the others`,
  };
}

/** parse, then check: what the operator does with a new annotation value. */
export function readBackfillRequest(spec: PipelineSpec, raw: string): Checked<AcceptedBackfill> {
  const parsed = parseBackfillRequest(raw);
  return parsed.ok ? checkBackfillRequest(spec, parsed.value) : parsed;
}
