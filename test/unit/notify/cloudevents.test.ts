// CloudEvents 1.0 attributes and HTTP requests (structured and binary mode), checked against the
// official schema; and the schema checks themselves refuse what is wrong (they are not vacuous).
import { describe, expect, it } from 'vitest';
import {
  cloudEventRequest,
  headerValue,
  pipelineSource,
  STRUCTURED_CONTENT_TYPE,
  toCloudEvent,
  type CloudEvent,
} from '../../../src/notify/cloudevents.ts';
import { lifecycleEvents } from '../../../src/notify/lifecycle.ts';
import { pipelineWith, run, stage, T } from './fixtures.ts';
import { cloudEventProblems, lineageProblems } from './schemas.ts';
import type { LineageRunEvent } from '../../../src/notify/openlineage.ts';

const where = { namespace: 'data', name: 'orders' };
const status = {
  lastRun: run('r1', 'Failed', {
    completionTime: T(9),
    stages: [
      stage('extract', 'Failed', {
        attempts: 1,
        reason: 'BackoffLimitExceeded',
        startTime: T(1),
        completionTime: T(8),
      }),
    ],
  }),
};
const [runStarted, stageStarted] = lifecycleEvents(pipelineWith(status)).map((e) => toCloudEvent(where, e));

describe('toCloudEvent', () => {
  it('source is the Pipeline path, subject the run (or run/stage), type and time from the event', () => {
    expect(runStarted).toMatchObject({
      specversion: '1.0',
      source: '/apis/conveyor.dev/v1alpha1/namespaces/data/pipelines/orders',
      type: 'dev.conveyor.run.started.v1',
      subject: 'r1',
      time: T(0),
      datacontenttype: 'application/json',
      data: { id: 'r1', phase: 'Running' },
    });
    expect(stageStarted).toMatchObject({ type: 'dev.conveyor.stage.started.v1', subject: 'r1/extract', time: T(1) });
    expect(pipelineSource('a', 'b')).toBe('/apis/conveyor.dev/v1alpha1/namespaces/a/pipelines/b');
  });
});

describe('cloudEventRequest', () => {
  it('structured: the whole event as application/cloudevents+json', () => {
    const request = cloudEventRequest(runStarted as CloudEvent, 'structured');
    expect(request.headers).toEqual({ 'content-type': STRUCTURED_CONTENT_TYPE });
    const body = JSON.parse(request.body);
    expect(body).toEqual(runStarted);
    expect(cloudEventProblems(body)).toEqual([]);
  });

  it('binary: ce-* headers, Content-Type from datacontenttype, the data as the body', () => {
    const event = stageStarted as CloudEvent;
    const request = cloudEventRequest(event, 'binary');
    expect(request.headers).toEqual({
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': event.id,
      'ce-source': '/apis/conveyor.dev/v1alpha1/namespaces/data/pipelines/orders',
      'ce-type': 'dev.conveyor.stage.started.v1',
      'ce-subject': 'r1/extract',
      'ce-time': T(1),
    });
    expect(JSON.parse(request.body)).toEqual(event.data);
    // The headers read back into the event: what a binary-mode receiver reconstructs validates too.
    const back = Object.fromEntries(
      Object.entries(request.headers).flatMap(([k, v]) => (k.startsWith('ce-') ? [[k.slice(3), v]] : [])),
    );
    expect(
      cloudEventProblems({ ...back, datacontenttype: 'application/json', data: event.data } as CloudEvent),
    ).toEqual([]);
  });

  it.each([
    ['plain ASCII stays', 'r1/extract', 'r1/extract'],
    ['space, quote and percent are encoded', 'a b"c%d', 'a%20b%22c%25d'],
    ['non-ASCII as UTF-8 bytes', 'ü€', '%C3%BC%E2%82%AC'],
    ['control characters', 'a\nb', 'a%0Ab'],
  ])('header values: %s', (_name, value, expected) => {
    expect(headerValue(value)).toBe(expected);
  });
});

describe('the schema checks refuse what is wrong', () => {
  it('a CloudEvent without id, or with an empty source', () => {
    const { id: _id, ...noId } = runStarted as CloudEvent;
    expect(cloudEventProblems(noId as CloudEvent)).not.toEqual([]);
    expect(cloudEventProblems({ ...(runStarted as CloudEvent), source: '' })).not.toEqual([]);
    expect(cloudEventProblems({ ...(runStarted as CloudEvent), time: 'yesterday' })).not.toEqual([]);
  });

  it('a RunEvent with a bad UUID, a facet without _schemaURL, a facet no schema defines', () => {
    const event: LineageRunEvent = {
      eventType: 'START',
      eventTime: T(0),
      producer: 'https://example.com/conveyor',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
      run: { runId: '00000000-0000-8000-8000-000000000000', facets: {} },
      job: { namespace: 'conveyor', name: 'data.orders', facets: {} },
      inputs: [],
      outputs: [],
    };
    expect(lineageProblems(event)).toEqual([]);
    expect(lineageProblems({ ...event, run: { runId: 'not-a-uuid', facets: {} } })).not.toEqual([]);
    const noUrl = { _producer: 'https://example.com', nominalStartTime: T(0) } as never;
    expect(lineageProblems({ ...event, run: { ...event.run, facets: { nominalTime: noUrl } } })).not.toEqual([]);
    const facet = { _producer: 'https://example.com', _schemaURL: 'https://example.com/x' };
    expect(lineageProblems({ ...event, run: { ...event.run, facets: { unknownFacet: facet } } })).toEqual([
      'facet unknownFacet: no schema in test/schemas',
    ]);
    const wrongNominal = { ...facet, nominalStartTime: 'soon' };
    expect(lineageProblems({ ...event, run: { ...event.run, facets: { nominalTime: wrongNominal } } })).not.toEqual([]);
  });
});
