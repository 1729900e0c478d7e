// Run parameters: the values a run request carries (conveyor.dev/run-options), checked against
// spec.params. One pure check, used by the planner (which refuses a bad request with RunRefused)
// and by `conveyor run` (which refuses it before writing anything), so both say the same.
import type { ParamSpec } from '../../api/types.ts';
import { MAX_PARAM_VALUE_LENGTH, MAX_PARAMS_LENGTH } from '../../api/schema.ts';
import { isPlainObject } from '../objects.ts';
import { MAX_REQUEST_JSON_LENGTH, MAX_REQUEST_VALUE_LENGTH, quoted, readRequestTime } from './request-annotation.ts';
import { iso } from '../time.ts';

/**
 * What `conveyor run` asks for besides the run itself (the JSON of ANN_RUN_OPTIONS). `request`
 * is the conveyor.dev/run-requested value the options belong to: options left from an earlier
 * request do not apply to a later one that came without options (the Console's Run).
 */
export type RunOptions = { request?: string; params?: Record<string, string>; at?: string; noCache?: boolean };

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** The environment variable a parameter is passed in. */
export function paramEnvName(name: string): string {
  return `CONVEYOR_PARAM_${name.toUpperCase()}`;
}

/** Every declared parameter with its default (empty when unset). */
export function defaultParams(specs: ParamSpec[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of specs ?? []) out[spec.name] = spec.default ?? '';
  return out;
}

function allowedNames(specs: ParamSpec[]): string {
  return specs.length === 0
    ? 'this pipeline declares no parameters'
    : `declared parameters: ${specs.map((s) => s.name).join(', ')}`;
}

/** The problem with `value` for parameter `spec`, if it is outside its enum. */
export function enumProblem(spec: ParamSpec, value: string): string | undefined {
  if (!spec.enum || spec.enum.includes(value)) return undefined;
  return `value ${quoted(value)} of parameter "${spec.name}" is not allowed; allowed values: ${spec.enum.map((v) => `"${v}"`).join(', ')}`;
}

/** The run's parameters: every declared one, given values over defaults; unknown names and values outside enum refused. */
export function resolveParams(
  specs: ParamSpec[] | undefined,
  given: Record<string, string> | undefined,
): Checked<Record<string, string>> {
  const declared = specs ?? [];
  const values = defaultParams(declared);
  for (const [name, value] of Object.entries(given ?? {})) {
    const spec = declared.find((s) => s.name === name);
    if (!spec) return { ok: false, message: `unknown parameter ${quoted(name)} (${allowedNames(declared)})` };
    if (value.length > MAX_PARAM_VALUE_LENGTH) {
      return {
        ok: false,
        message: `value of parameter "${name}" is ${value.length} characters long; at most ${MAX_PARAM_VALUE_LENGTH} are allowed`,
      };
    }
    const problem = enumProblem(spec, value);
    if (problem) return { ok: false, message: problem };
    values[name] = value;
  }
  const length = Object.entries(values).reduce((sum, [name, value]) => sum + name.length + value.length, 0);
  if (length > MAX_PARAMS_LENGTH) {
    return {
      ok: false,
      message: `the names and values of the run's parameters add up to ${length} characters; at most ${MAX_PARAMS_LENGTH} are allowed`,
    };
  }
  return { ok: true, value: values };
}

const OPTION_FIELDS = ['request', 'params', 'at', 'noCache'];

/** The options of a run request, read from the annotation's JSON; absent means none. Strict: see request-annotation.ts. */
export function parseRunOptions(raw: string | undefined): Checked<RunOptions> {
  if (raw === undefined || raw.trim() === '') return { ok: true, value: {} };
  if (raw.length > MAX_REQUEST_JSON_LENGTH) {
    return {
      ok: false,
      message: `the run options (conveyor.dev/run-options) are ${raw.length} characters long; at most ${MAX_REQUEST_JSON_LENGTH} are allowed`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, message: 'the run options (conveyor.dev/run-options) are not JSON' };
  }
  if (!isPlainObject(parsed))
    return { ok: false, message: 'the run options (conveyor.dev/run-options) must be a JSON object' };
  const unknown = Object.keys(parsed).find((key) => !OPTION_FIELDS.includes(key));
  if (unknown !== undefined)
    return {
      ok: false,
      message: `run options: unknown field ${quoted(unknown)} (allowed: ${OPTION_FIELDS.join(', ')})`,
    };
  const { request, params, at, noCache } = parsed;
  if (request !== undefined && (typeof request !== 'string' || request.length > MAX_REQUEST_VALUE_LENGTH)) {
    return {
      ok: false,
      message: `run options: "request" must be a string of at most ${MAX_REQUEST_VALUE_LENGTH} characters`,
    };
  }
  if (params !== undefined && (!isPlainObject(params) || Object.values(params).some((v) => typeof v !== 'string'))) {
    return { ok: false, message: 'run options: "params" must map parameter names to strings' };
  }
  const time = at === undefined ? undefined : readRequestTime(at);
  if (time && !time.ok) return { ok: false, message: `run options: "at" ${time.message}` };
  if (noCache !== undefined && typeof noCache !== 'boolean')
    return { ok: false, message: 'run options: "noCache" must be true or false' };
  return {
    ok: true,
    value: {
      ...(request !== undefined ? { request: request as string } : {}),
      ...(params !== undefined ? { params: params as Record<string, string> } : {}),
      ...(time?.ok ? { at: iso(time.value) } : {}),
      ...(noCache === true ? { noCache: true } : {}),
    },
  };
}

/**
 * A run request's options (the annotation's raw JSON) checked against the pipeline's parameters:
 * what both `conveyor run` and the planner refuse, with the same message.
 */
export function checkRunRequest(
  specs: ParamSpec[] | undefined,
  raw: string | undefined,
  request?: string,
): Checked<{ options: RunOptions; params: Record<string, string> }> {
  const parsed = parseRunOptions(raw);
  if (!parsed.ok) return parsed;
  const stale = parsed.value.request !== undefined && request !== undefined && parsed.value.request !== request;
  const options = stale ? {} : parsed.value;
  const params = resolveParams(specs, options.params);
  if (!params.ok) return params;
  return { ok: true, value: { options, params: params.value } };
}
