import type { V1ControllerRevision } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { LABEL_PIPELINE, MANAGED_BY, MANAGED_BY_VALUE } from '../../../src/api/labels.ts';
import { labelValue } from '../../../src/plan/names.ts';
import { buildRevision, pinnedSpecOf, revisionName } from '../../../src/plan/tidy/revision.ts';
import { pipeline, stage } from './fixtures.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const UUID = '3f2a9c1e-7b4d-4e8a-9c0f-1a2b3c4d5e6f';
const LONG_NAME = `${'a'.repeat(30)}.${'b'.repeat(32)}`; // 63: the longest Pipeline name, dotted

describe('revisionName', () => {
  it.each([
    ['a short name', 'etl', UUID, 3, 'etl-3f2a9c1e-g3'],
    ['a dotted name (shortened with a hash)', 'etl.nightly', UUID, 1, /^etl-nightly-[0-9a-f]{8}-3f2a9c1e-g1$/],
    [
      'the longest name and generation',
      LONG_NAME,
      UUID,
      Number.MAX_SAFE_INTEGER,
      /^a+-[0-9a-f]{8}-3f2a9c1e-g9007199254740991$/,
    ],
    ['a uid that is not a UUID', 'etl', 'uid-1', 2, 'etl-uid1-g2'],
    ['no uid at all (a hash stands in)', 'etl', '', 2, /^etl-[0-9a-f]{8}-g2$/],
  ])('%s', (_case, name, uid, generation, expected) => {
    const got = revisionName(pipeline({ stages: [stage('a')] }, { name, uid }), generation);
    if (typeof expected === 'string') expect(got).toBe(expected);
    else expect(got).toMatch(expected);
    expect(got).toMatch(DNS1123_LABEL);
    expect(got.length).toBeLessThanOrEqual(63);
  });

  it('is deterministic', () => {
    const p = pipeline({ stages: [stage('a')] }, { uid: UUID });
    expect(revisionName(p, 4)).toBe(revisionName(structuredClone(p), 4));
  });

  it.each([
    ['generations of one Pipeline', { uid: UUID }, 1, { uid: UUID }, 2],
    [
      'a re-created Pipeline of the same name and generation',
      { uid: UUID },
      1,
      { uid: '9d8e7f6a-0000-4000-8000-000000000000' },
      1,
    ],
    [
      'two long names that share their first 50 characters',
      { name: `${'x'.repeat(50)}-one`, uid: UUID },
      1,
      { name: `${'x'.repeat(50)}-two`, uid: UUID },
      1,
    ],
  ])('differs between %s', (_case, first, g1, second, g2) => {
    const a = revisionName(pipeline({ stages: [stage('a')] }, first), g1);
    const b = revisionName(pipeline({ stages: [stage('a')] }, second), g2);
    expect(a).not.toBe(b);
  });
});

describe('buildRevision', () => {
  const p = pipeline(
    { stages: [stage('load', ['extract']), stage('extract')], schedule: '*/5 * * * *' },
    { name: 'etl.nightly', uid: UUID, generation: 7 },
  );
  const rev = buildRevision(p);

  it('is an apps/v1 ControllerRevision in the Pipeline namespace, numbered by generation', () => {
    expect(rev).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      revision: 7,
      metadata: { name: revisionName(p, 7), namespace: 'data' },
    });
  });

  it('holds the spec as it is, as a copy', () => {
    expect(rev.data).toEqual({ spec: p.spec });
    const edited = structuredClone(p);
    const pinned = buildRevision(edited);
    edited.spec.stages[0]!.image = 'changed';
    expect((pinned.data as { spec: typeof p.spec }).spec.stages[0]!.image).toBe('busybox');
  });

  it('carries the labels of every object Conveyor creates', () => {
    expect(rev.metadata?.labels).toEqual({
      [MANAGED_BY]: MANAGED_BY_VALUE,
      [LABEL_PIPELINE]: labelValue('etl.nightly'),
    });
  });

  it('is owned (controller, blocking deletion) by the Pipeline, so deleting the Pipeline deletes it', () => {
    expect(rev.metadata?.ownerReferences).toEqual([
      {
        apiVersion: 'conveyor.dev/v1alpha1',
        kind: 'Pipeline',
        name: 'etl.nightly',
        uid: UUID,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('round-trips through pinnedSpecOf', () => {
    expect(pinnedSpecOf(structuredClone(rev))).toEqual({ name: revisionName(p, 7), generation: 7, spec: p.spec });
  });

  // A ControllerRevision is limited like any object. The Pipeline stores the same spec next to
  // its own metadata; the revision's metadata must stay small, whatever the names' lengths.
  it('adds under 1 KiB to the spec, for the longest names', () => {
    const longest = pipeline(
      { stages: [stage('a')] },
      { name: LONG_NAME, uid: UUID, generation: Number.MAX_SAFE_INTEGER },
    );
    longest.metadata.namespace = 'n'.repeat(63);
    const overhead = JSON.stringify(buildRevision(longest)).length - JSON.stringify(longest.spec).length;
    expect(overhead).toBeLessThan(1024);
  });
});

describe('pinnedSpecOf', () => {
  const spec = { stages: [stage('a')] };
  const rev = (extra: Partial<V1ControllerRevision>): V1ControllerRevision => ({
    metadata: { name: 'etl-3f2a9c1e-g2' },
    revision: 2,
    ...extra,
  });

  it.each<[string, V1ControllerRevision, ReturnType<typeof pinnedSpecOf>]>([
    ['a spec', rev({ data: { spec } }), { name: 'etl-3f2a9c1e-g2', generation: 2, spec }],
    ['no data', rev({}), { name: 'etl-3f2a9c1e-g2', generation: 2 }],
    ['data that is not an object', rev({ data: 'spec' }), { name: 'etl-3f2a9c1e-g2', generation: 2 }],
    ['data that is an array', rev({ data: [spec] }), { name: 'etl-3f2a9c1e-g2', generation: 2 }],
    ['data without a spec', rev({ data: { template: spec } }), { name: 'etl-3f2a9c1e-g2', generation: 2 }],
    ['a spec that is not an object', rev({ data: { spec: 'stages: []' } }), { name: 'etl-3f2a9c1e-g2', generation: 2 }],
    ['a null spec', rev({ data: { spec: null } }), { name: 'etl-3f2a9c1e-g2', generation: 2 }],
    [
      'a revision number that is not an integer',
      { metadata: { name: 'x' }, revision: 1.5, data: { spec } },
      { name: 'x', generation: 0, spec },
    ],
    [
      'a negative revision number',
      { metadata: { name: 'x' }, revision: -3, data: { spec } },
      { name: 'x', generation: 0, spec },
    ],
    ['no metadata', { revision: 1 }, { name: '', generation: 1 }],
  ])('reads %s', (_case, input, expected) => {
    expect(pinnedSpecOf(input)).toEqual(expected);
  });
});
