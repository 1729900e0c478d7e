// OpenLineage RunEvents from a Pipeline's status: jobs and runs, facets, datasets; every event is
// validated against the official OpenLineage 2-0-2 schema and the schema of each of its facets.
import { describe, expect, it } from 'vitest';
import type { PipelineSpec, PipelineStatus } from '../../../src/api/types.ts';
import { nameBasedUuid } from '../../../src/notify/ids.ts';
import {
  FACET_SCHEMAS,
  lineageEvents,
  PRODUCER,
  RUN_EVENT_SCHEMA,
  type LineageRunEvent,
} from '../../../src/notify/openlineage.ts';
import { pipelineWith, run, stage, T, UID } from './fixtures.ts';
import { lineageProblems } from './schemas.ts';

const OPTIONS = { namespace: 'lineage-ns' };

const SPEC: Partial<PipelineSpec> = {
  params: [{ name: 'day', default: '2026-12-01' }],
  stages: [
    {
      name: 'extract',
      image: 'busybox',
      inputs: [{ namespace: 's3://raw', name: 'orders/$(params.day)' }],
      outputs: [
        {
          namespace: 'postgres://wh:5432',
          name: 'public.orders',
          facets: {
            documentation: {
              _schemaURL: 'https://openlineage.io/spec/facets/1-1-0/DocumentationDatasetFacet.json',
              description: 'orders',
            },
            notAFacet: { description: 'no _schemaURL: left out' },
          },
        },
      ],
    },
    { name: 'load', image: 'busybox', dependsOn: ['extract'] },
  ],
  onFailure: [
    { name: 'alert', image: 'busybox', outputs: [{ namespace: 'kafka://bus:9092', name: 'alerts.$(run.id)' }] },
  ],
};

function events(status: PipelineStatus, spec = SPEC): LineageRunEvent[] {
  const all = lineageEvents(pipelineWith(status, spec), OPTIONS);
  for (const event of all) expect(lineageProblems(event), JSON.stringify(event)).toEqual([]);
  return all;
}

const line = (e: LineageRunEvent) => `${e.eventType} ${e.job.name}`;

const failed: PipelineStatus = {
  lastRun: run('r1', 'Failed', {
    logicalTime: T(0),
    intervalStart: '2026-12-05T00:00:00Z',
    intervalEnd: '2026-12-06T00:00:00Z',
    params: { day: '2026-12-05' },
    completionTime: T(9),
    message: 'stage "extract" failed: BackoffLimitExceeded after 2 attempts',
    stages: [
      stage('extract', 'Failed', {
        attempts: 2,
        job: 'orders-extract-r1',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
        startTime: T(1),
        completionTime: T(5),
      }),
      stage('load', 'Skipped', { reason: 'UpstreamFailed' }),
      stage('alert', 'Succeeded', { attempts: 1, startTime: T(6), completionTime: T(7) }),
    ],
  }),
};

describe('lineageEvents', () => {
  it('the pipeline is a job, each stage attempt a child run; a Skipped stage has none', () => {
    expect(events(failed).map(line)).toEqual([
      'START data.orders',
      'START data.orders.extract',
      'FAIL data.orders.extract',
      'START data.orders.extract',
      'FAIL data.orders.extract',
      'START data.orders.alert',
      'COMPLETE data.orders.alert',
      'FAIL data.orders',
    ]);
    for (const e of events(failed)) {
      expect(e).toMatchObject({ producer: PRODUCER, schemaURL: RUN_EVENT_SCHEMA, job: { namespace: 'lineage-ns' } });
    }
  });

  it('run ids: name-based UUIDv8, one per pipeline run and per stage attempt, START and end agree', () => {
    const all = events(failed);
    const ids = all.map((e) => e.run.runId);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[0]).toBe(nameBasedUuid([UID, 'r1']));
    expect(ids[7]).toBe(ids[0]);
    expect(ids[1]).toBe(ids[2]);
    expect(ids[3]).toBe(ids[4]);
    expect(ids[1]).not.toBe(ids[3]);
    expect(new Set(ids).size).toBe(4);
    expect(events(structuredClone(failed)).map((e) => e.run.runId)).toEqual(ids);
  });

  it('every stage run has the parent facet (parent and root: the pipeline run)', () => {
    const all = events(failed);
    const parentJob = { namespace: 'lineage-ns', name: 'data.orders' };
    const runId = all[0]?.run.runId;
    expect(all[0]?.run.facets.parent).toBeUndefined();
    for (const e of all.slice(1, 7)) {
      expect(e.run.facets.parent).toEqual({
        _producer: PRODUCER,
        _schemaURL: FACET_SCHEMAS.parent,
        run: { runId },
        job: parentJob,
        root: { run: { runId }, job: parentJob },
      });
    }
  });

  it.each([
    [
      'the data interval',
      { intervalStart: '2026-12-05T00:00:00Z', intervalEnd: '2026-12-06T00:00:00Z', logicalTime: T(0) },
      { nominalStartTime: '2026-12-05T00:00:00Z', nominalEndTime: '2026-12-06T00:00:00Z' },
    ],
    ['the logical time alone', { logicalTime: T(0) }, { nominalStartTime: T(0) }],
    ['nothing', {}, undefined],
  ])('nominalTime from %s', (_name, fields, expected) => {
    const all = events({
      lastRun: run('r1', 'Running', {
        ...fields,
        stages: [stage('extract', 'Running', { attempts: 1, startTime: T(1) })],
      }),
    });
    for (const e of all) {
      if (expected === undefined) expect(e.run.facets.nominalTime).toBeUndefined();
      else
        expect(e.run.facets.nominalTime).toEqual({
          _producer: PRODUCER,
          _schemaURL: FACET_SCHEMAS.nominalTime,
          ...expected,
        });
    }
  });

  it('errorMessage on FAIL only: the stage failure described, the retried attempt, the run message', () => {
    const all = events(failed);
    const messages = all.map((e) => e.run.facets.errorMessage?.message);
    expect(messages).toEqual([
      undefined,
      undefined,
      'stage "extract": attempt 1 failed; the Job started attempt 2',
      undefined,
      'stage "extract" failed: BackoffLimitExceeded after 2 attempts (see kubectl logs job/orders-extract-r1): Job has reached the specified backoff limit',
      undefined,
      undefined,
      'stage "extract" failed: BackoffLimitExceeded after 2 attempts',
    ]);
    expect(all[7]?.run.facets.errorMessage).toMatchObject({
      _schemaURL: FACET_SCHEMAS.errorMessage,
      programmingLanguage: 'unknown',
    });
  });

  it('a cancelled run: the stage that ran is ABORTed (no error), the run too; a cached stage sends nothing', () => {
    const all = events({
      lastRun: run('r1', 'Cancelled', {
        completionTime: T(4),
        message: 'cancelled by request',
        stages: [
          stage('extract', 'Succeeded', { reason: 'Cached', cachedFrom: 'r0' }),
          stage('load', 'Failed', { attempts: 1, reason: 'RunCancelled', startTime: T(1), completionTime: T(4) }),
        ],
      }),
    });
    expect(all.map(line)).toEqual([
      'START data.orders',
      'START data.orders.load',
      'ABORT data.orders.load',
      'ABORT data.orders',
    ]);
    expect(all.map((e) => e.run.facets.errorMessage)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('jobType facets: BATCH, CONVEYOR, PIPELINE or STAGE', () => {
    const [pipelineStart, stageStart] = events(failed);
    const facet = {
      _producer: PRODUCER,
      _schemaURL: FACET_SCHEMAS.jobType,
      processingType: 'BATCH',
      integration: 'CONVEYOR',
    };
    expect(pipelineStart?.job.facets).toEqual({ jobType: { ...facet, jobType: 'PIPELINE' } });
    expect(stageStart?.job.facets).toEqual({ jobType: { ...facet, jobType: 'STAGE' } });
  });

  it('datasets: from the stage (or onFailure stage), $(params.x) and $(run.x) replaced, facets with their _producer', () => {
    const all = events(failed);
    expect(all[0]).toMatchObject({ inputs: [], outputs: [] });
    expect(all[1]?.inputs).toEqual([{ namespace: 's3://raw', name: 'orders/2026-12-05' }]);
    expect(all[1]?.outputs).toEqual([
      {
        namespace: 'postgres://wh:5432',
        name: 'public.orders',
        facets: {
          documentation: {
            _producer: PRODUCER,
            _schemaURL: 'https://openlineage.io/spec/facets/1-1-0/DocumentationDatasetFacet.json',
            description: 'orders',
          },
        },
      },
    ]);
    expect(all[2]?.outputs).toEqual(all[1]?.outputs);
    expect(all[5]).toMatchObject({ inputs: [], outputs: [{ namespace: 'kafka://bus:9092', name: 'alerts.r1' }] });
  });

  it('a facet that names its own _producer keeps it', () => {
    const spec: Partial<PipelineSpec> = {
      stages: [
        {
          name: 'extract',
          image: 'b',
          inputs: [
            {
              namespace: 'n',
              name: 'd',
              facets: { x: { _producer: 'https://dbt.example', _schemaURL: 'https://s.example/x' } },
            },
          ],
        },
      ],
    };
    const all = events(
      { lastRun: run('r1', 'Running', { stages: [stage('extract', 'Running', { attempts: 1, startTime: T(1) })] }) },
      spec,
    );
    expect(all[1]?.inputs[0]?.facets?.x?._producer).toBe('https://dbt.example');
  });
});
