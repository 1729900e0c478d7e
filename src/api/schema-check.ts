// Checks a document against schema/pipeline.schema.json with ajv and words ajv's errors for people.
// Strict like kubectl's strict field validation: an unknown field in Conveyor's own objects is an
// error; inside embedded Kubernetes objects (env, resources, podTemplate, ...) anything goes here
// and the API server checks them when Conveyor creates the Job.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { formatPath, pointerSegments, type PathSegment } from './path.ts';
import {
  ABSOLUTE_PATH,
  BUCKET_EVENT_PATTERN,
  CLOUDEVENTS_SINK_PATTERN,
  DNS1123_LABEL,
  DNS1123_SUBDOMAIN,
  GITHUB_EVENT_PATTERN,
  QUANTITY,
  SECRET_KEY_PATTERN,
  WEBHOOK_SOURCE_PATTERN,
} from './schema.ts';
import type { ValidationProblem } from './problem.ts';
// ajv's code for schema/pipeline.schema.json, generated ahead of time (schema-validator-source.ts):
// the same checks ajv.compile would build, without `new Function`, so it also runs in the Console.
import { validate as generatedValidate } from './schema-validator.generated.ts';

/** What each pattern of the schema means, for messages. */
const PATTERN_MEANING: Record<string, string> = {
  [DNS1123_LABEL]: "a DNS-1123 label (lower-case letters, digits and '-', starting and ending with a letter or digit)",
  [DNS1123_SUBDOMAIN]:
    "a DNS-1123 subdomain (lower-case letters, digits, '-' and '.', starting and ending with a letter or digit)",
  [QUANTITY]: 'a quantity such as 1Gi or 500Mi',
  [ABSOLUTE_PATH]: 'an absolute path',
  [WEBHOOK_SOURCE_PATTERN]:
    'a JSON pointer such as /head_commit/id (RFC 6901: each name after a /, ~1 for / and ~0 for ~ inside a name) or header:<Name>',
  [GITHUB_EVENT_PATTERN]: 'a GitHub event name such as push or pull_request (lower-case letters and _)',
  [BUCKET_EVENT_PATTERN]: 'an event name such as s3:ObjectCreated:Put, with * only at the end (s3:ObjectCreated:*)',
  [SECRET_KEY_PATTERN]: "a Secret key (letters, digits, '-', '_' and '.')",
  [CLOUDEVENTS_SINK_PATTERN]: 'an http:// or https:// URL (without spaces)',
};

// strict, allErrors, allowUnionTypes: the options it was generated with.
const validator = (): ValidateFunction => generatedValidate as ValidateFunction;

/** Problems ajv finds in `doc`, in ajv's order, without repeats. */
export function checkSchema(doc: unknown): ValidationProblem[] {
  const validate = validator();
  if (validate(doc)) return [];
  const problems: ValidationProblem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const problem = describe(error, valueAt(doc, error.instancePath));
    const key = `${problem.path}\u0000${problem.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      problems.push(problem);
    }
  }
  return problems;
}

function describe(error: ErrorObject, value: unknown): ValidationProblem {
  const at = pointerSegments(error.instancePath);
  const path = (extra: PathSegment[] = []) => formatPath([...at, ...extra]);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: path([String(params.missingProperty)]), message: 'required field is missing' };
    case 'additionalProperties':
      return {
        path: path([String(params.additionalProperty)]),
        message: `unknown field "${String(params.additionalProperty)}"`,
      };
    case 'type':
      return { path: path(), message: `must be ${article(String(params.type))}, not ${show(value)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const choice = allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`;
      return { path: path(), message: `must be ${choice}, not ${show(value)}` };
    }
    case 'minimum':
      return { path: path(), message: `must be at least ${String(params.limit)}, not ${show(value)}` };
    case 'maximum':
      return { path: path(), message: `must be at most ${String(params.limit)}, not ${show(value)}` };
    case 'minLength':
      return {
        path: path(),
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`,
      };
    case 'maxLength':
      return {
        path: path(),
        message: `must be at most ${String(params.limit)} characters long, not ${typeof value === 'string' ? value.length : '?'}`,
      };
    case 'minItems':
      return {
        path: path(),
        message: `must have at least ${String(params.limit)} ${plural(Number(params.limit), 'item')}`,
      };
    case 'maxItems':
      return {
        path: path(),
        message: `must have at most ${String(params.limit)} items, not ${Array.isArray(value) ? value.length : '?'}`,
      };
    case 'pattern': {
      const meaning = PATTERN_MEANING[String(params.pattern)] ?? `a string matching ${String(params.pattern)}`;
      return { path: path(), message: `must be ${meaning}, not ${show(value)}` };
    }
    case 'format':
      return { path: path(), message: `must be an RFC 3339 ${String(params.format)}, not ${show(value)}` };
    default:
      return { path: path(), message: error.message ?? `fails ${error.keyword}` };
  }
}

/** The value at a JSON pointer, to quote it in a message. */
function valueAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const segment of pointerSegments(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

function article(type: string): string {
  const words: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'an object (a map of fields)',
    array: 'a list',
    null: 'null',
  };
  return type
    .split(',')
    .map((t) => words[t] ?? t)
    .join(' or ');
}

/** A value quoted for a message: strings in quotes, lists and maps by their kind. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}..."` : text;
}

function plural(n: number, word: string): string {
  return n === 1 ? word : `${word}s`;
}
