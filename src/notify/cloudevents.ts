// Lifecycle events as CloudEvents 1.0 (github.com/cloudevents/spec, cloudevents/spec.md) and their
// HTTP requests (http-protocol-binding.md): structured mode, the whole event as
// application/cloudevents+json, or binary mode, the attributes as ce-* headers and the data as body.
//
// Written to the spec by hand rather than with the `cloudevents` npm SDK: Conveyor needs two small
// functions (an event, and its HTTP headers and body), while the SDK brings its own copy of ajv, its
// own HTTP emitters and more dependencies into the operator image for them. The tests validate
// every event against the official JSON schema (test/schemas/cloudevents).
import { API_VERSION } from '../api/constants.ts';
import type { LifecycleEvent } from './lifecycle.ts';

export type CloudEventMode = 'structured' | 'binary';

export type CloudEvent = {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: LifecycleEvent['data'];
};

/** What to POST: the headers and the body of one event. */
export type CloudEventRequest = { headers: Record<string, string>; body: string };

export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
const DATA_CONTENT_TYPE = 'application/json';

/** The Pipeline's API path: the event source, unique per Pipeline as CloudEvents asks of source + id. */
export function pipelineSource(namespace: string, name: string): string {
  return `/apis/${API_VERSION}/namespaces/${namespace}/pipelines/${name}`;
}

/** One lifecycle event as a CloudEvent; the subject is the run, `<run>/<stage>` for a stage. */
export function toCloudEvent(pipeline: { namespace: string; name: string }, event: LifecycleEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source: pipelineSource(pipeline.namespace, pipeline.name),
    type: event.type,
    subject: event.stage === undefined ? event.run : `${event.run}/${event.stage}`,
    time: event.time,
    datacontenttype: DATA_CONTENT_TYPE,
    data: event.data,
  };
}

/** The HTTP request carrying `event` in `mode`. */
export function cloudEventRequest(event: CloudEvent, mode: CloudEventMode): CloudEventRequest {
  if (mode === 'structured') {
    return { headers: { 'content-type': STRUCTURED_CONTENT_TYPE }, body: JSON.stringify(event) };
  }
  // Binary: datacontenttype is the Content-Type header itself; every other attribute a ce- header.
  const { data, datacontenttype, ...attributes } = event;
  const headers: Record<string, string> = { 'content-type': datacontenttype };
  for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = headerValue(value);
  return { headers, body: JSON.stringify(data) };
}

/**
 * A header value as the HTTP binding (3.1.3.2) asks: space, `"`, `%` and everything outside
 * printable ASCII percent-encoded as UTF-8 bytes.
 */
export function headerValue(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (code > 0x20 && code < 0x7f && char !== '"' && char !== '%') out += char;
    else for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
