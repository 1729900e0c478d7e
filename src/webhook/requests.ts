// From a verified delivery and its JSON body to the run requests the receiver writes: the same
// conveyor.dev/run-requested value and run-options JSON `conveyor run` writes, checked by the
// planner's own checkRunRequest, so a parameter `conveyor run` would refuse is refused here too
// (before anything is written), with the same message.
//
// Order: the filters (no match: ignored, 200 and nothing created), then the parameters (a value
// that is missing, an object, a list or null: bad_params naming the parameter), then the check.
// A bucket notification (S3 event JSON, as S3, MinIO and Ceph RGW send it) makes one request per
// record whose eventName, key prefix and suffix match; filter and params pointers then address
// each record (/s3/object/size), headers the request. All or nothing: one bad record refuses the
// whole delivery, so a delivery never starts half of its runs.
import type { ParamSpec, WebhookTrigger } from '../api/types.ts';
import { MAX_DELIVERY_ID_LENGTH } from '../api/schema.ts';
import { isPlainObject } from '../plan/objects.ts';
import { checkRunRequest, type RunOptions } from '../plan/select/params.ts';
import { quoted } from '../plan/select/request-annotation.ts';
import { WEBHOOK_REQUEST_PREFIX } from '../plan/select/webhook.ts';
import { parseSource, readHeader, readPointer, type Found } from './pointer.ts';
import type { WebhookRequest } from './verify.ts';

/** A bucket notification with more records than this is refused (S3 sends one per event). */
export const MAX_BUCKET_RECORDS = 10;
/** The receiver's body limit: larger bodies are refused (too_large) before they are read. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export type WebhookRunRequest = {
  /** conveyor.dev/run-requested */
  value: string;
  /** conveyor.dev/run-options: `{"request": value, "params": {...}}` */
  options: string;
  /** Every declared parameter's value for the run (defaults included), as checkRunRequest resolved them. */
  params: Record<string, string>;
};

export type WebhookRequests =
  | { ok: true; requests: WebhookRunRequest[] }
  | { ok: false; outcome: 'ignored' | 'bad_params'; message: string };

type Headers = WebhookRequest['headers'];
type Spec = { params?: ParamSpec[]; webhook: WebhookTrigger };

/** The body as JSON, or why not (a bad_params message). */
export function parseBody(body: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  if (body.length > MAX_WEBHOOK_BODY_BYTES) return { ok: false, message: 'the body is larger than 1 MiB' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false, message: 'the body is not JSON' };
  }
}

export function webhookRequests(spec: Spec, deliveryId: string, headers: Headers, body: unknown): WebhookRequests {
  if (spec.webhook.bucketNotification) return bucketRequests(spec, deliveryId, headers, body);
  if (!filtersMatch(spec.webhook, headers, body))
    return { ok: false, outcome: 'ignored', message: 'the filter does not match' };
  const request = oneRequest(spec, deliveryId, mappedParams(spec.webhook, headers, body));
  return request.ok ? { ok: true, requests: [request.value] } : request;
}

type Mapped = { ok: true; params: Record<string, string> } | { ok: false; message: string };

/** The value at a source: a string, or a number or boolean as text. */
function textAt(source: string, headers: Headers, body: unknown): Found & { text?: string } {
  const parsed = parseSource(source);
  if (!parsed) return { found: false };
  const at = parsed.kind === 'header' ? readHeader(headers, parsed.name) : readPointer(body, parsed.tokens);
  if (!at.found) return at;
  const { value } = at;
  if (typeof value === 'string') return { ...at, text: value };
  if (typeof value === 'number' || typeof value === 'boolean') return { ...at, text: String(value) };
  return at;
}

function filtersMatch(webhook: WebhookTrigger, headers: Headers, doc: unknown): boolean {
  return (webhook.filter ?? []).every((filter) => {
    const { text } = textAt(filter.field, headers, doc);
    if (text === undefined) return false;
    if (filter.equals !== undefined) return text === filter.equals;
    if (filter.prefix !== undefined) return text.startsWith(filter.prefix);
    return filter.oneOf?.includes(text) ?? false;
  });
}

function mappedParams(webhook: WebhookTrigger, headers: Headers, doc: unknown): Mapped {
  const params: Record<string, string> = {};
  for (const { name, from } of webhook.params ?? []) {
    const at = textAt(from, headers, doc);
    if (!at.found) return { ok: false, message: `parameter "${name}": the delivery has nothing at ${from}` };
    if (at.text === undefined) {
      const kind = at.value === null ? 'null' : Array.isArray(at.value) ? 'a list' : 'an object';
      return { ok: false, message: `parameter "${name}": ${from} is ${kind}, not a string, number or boolean` };
    }
    params[name] = at.text;
  }
  return { ok: true, params };
}

/** The run request for delivery `id` with `mapped` params, checked as the planner checks it. */
function oneRequest(
  spec: Spec,
  id: string,
  mapped: Mapped,
): { ok: true; value: WebhookRunRequest } | { ok: false; outcome: 'bad_params'; message: string } {
  if (!mapped.ok) return { ok: false, outcome: 'bad_params', message: mapped.message };
  if (id.length > MAX_DELIVERY_ID_LENGTH)
    return { ok: false, outcome: 'bad_params', message: `the delivery id is longer than ${MAX_DELIVERY_ID_LENGTH}` };
  const value = `${WEBHOOK_REQUEST_PREFIX}${id}`;
  const options: RunOptions = { request: value, params: mapped.params };
  const raw = JSON.stringify(options);
  const checked = checkRunRequest(spec.params, raw, value);
  if (!checked.ok) return { ok: false, outcome: 'bad_params', message: checked.message };
  return { ok: true, value: { value, options: raw, params: checked.value.params } };
}

// --- bucket notifications ---------------------------------------------------------------------

type BucketRecord = { index: number; record: Record<string, unknown>; event: string; bucket: string; key: string };

function bucketRequests(spec: Spec, deliveryId: string, headers: Headers, body: unknown): WebhookRequests {
  const records = readRecords(body);
  if (!records.ok) return { ok: false, outcome: 'bad_params', message: records.message };
  const bucket = spec.webhook.bucketNotification;
  const wanted = records.value.filter(
    (r) => bucket !== undefined && bucketMatches(bucket, r) && filtersMatch(spec.webhook, headers, r.record),
  );
  if (wanted.length === 0)
    return { ok: false, outcome: 'ignored', message: 'no record matches the bucket notification and filter' };
  const requests: WebhookRunRequest[] = [];
  for (const r of wanted) {
    const mapped = mappedParams(spec.webhook, headers, r.record);
    const withObject: Mapped = mapped.ok
      ? {
          ok: true,
          params: {
            ...mapped.params,
            ...(bucket?.bucketParam ? { [bucket.bucketParam]: r.bucket } : {}),
            ...(bucket ? { [bucket.keyParam]: r.key } : {}),
          },
        }
      : mapped;
    const request = oneRequest(spec, `${deliveryId}-${r.index}`, withObject);
    if (!request.ok) return { ...request, message: `record ${r.index}: ${request.message}` };
    requests.push(request.value);
  }
  return { ok: true, requests };
}

type BucketSpec = NonNullable<WebhookTrigger['bucketNotification']>;

function bucketMatches(bucket: BucketSpec, r: BucketRecord): boolean {
  if (bucket.prefix !== undefined && !r.key.startsWith(bucket.prefix)) return false;
  if (bucket.suffix !== undefined && !r.key.endsWith(bucket.suffix)) return false;
  return bucket.events === undefined || bucket.events.some((pattern) => eventMatches(pattern, r.event));
}

/** `s3:ObjectCreated:*` matches every s3:ObjectCreated: event; without `*`, the name itself. */
export function eventMatches(pattern: string, event: string): boolean {
  return pattern.endsWith('*') ? event.startsWith(pattern.slice(0, -1)) : event === pattern;
}

function field(value: unknown, ...path: string[]): unknown {
  const at = readPointer(value, path);
  return at.found ? at.value : undefined;
}

/** Records[i] with its eventName, bucket and decoded key; a malformed one refuses the delivery. */
function readRecords(body: unknown): { ok: true; value: BucketRecord[] } | { ok: false; message: string } {
  const list = isPlainObject(body) ? body.Records : undefined;
  if (!Array.isArray(list)) return { ok: false, message: 'not a bucket notification: the body has no Records list' };
  if (list.length > MAX_BUCKET_RECORDS)
    return { ok: false, message: `${list.length} records; at most ${MAX_BUCKET_RECORDS} are accepted per delivery` };
  const out: BucketRecord[] = [];
  for (const [index, record] of list.entries()) {
    const event = field(record, 'eventName');
    const bucket = field(record, 's3', 'bucket', 'name');
    const raw = field(record, 's3', 'object', 'key');
    if (!isPlainObject(record) || typeof event !== 'string' || typeof bucket !== 'string' || typeof raw !== 'string')
      return { ok: false, message: `record ${index} lacks eventName, s3.bucket.name or s3.object.key` };
    const key = decodeKey(raw);
    if (key === undefined) return { ok: false, message: `record ${index}: the key ${quoted(raw)} is not URL-encoded` };
    out.push({ index, record, event, bucket, key });
  }
  return { ok: true, value: out };
}

/** S3 URL-encodes keys in notifications, a space as '+': `raw/my+file%2B1.csv` is `raw/my file+1.csv`. */
export function decodeKey(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
