import { describe, expect, it } from 'vitest';
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { checkOwnership, isOwnershipConflict, OwnershipConflict } from '../../../src/kube/ownership.ts';
import { describeError } from '../../../src/kube/errors.ts';

const pipelineRef = (name: string, uid: string): V1OwnerReference => ({
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  name,
  uid,
  controller: true,
  blockOwnerDeletion: true,
});
const meta = (...ownerReferences: V1OwnerReference[]): V1ObjectMeta => ({
  name: 'ingest-events-load-g1-1a2b3c4d',
  ownerReferences,
});
const wanted = meta(pipelineRef('ingest-events', 'uid-events'));

describe('checkOwnership', () => {
  it('accepts an object the same Pipeline (uid) controls: an earlier create landed', () => {
    expect(checkOwnership('Job', meta(pipelineRef('ingest-events', 'uid-events')), wanted)).toEqual({
      verdict: 'ours',
    });
  });

  it('waits for the garbage collector when an earlier Pipeline of the same name controls it', () => {
    const verdict = checkOwnership('Job', meta(pipelineRef('ingest-events', 'uid-old')), wanted);
    expect(verdict).toMatchObject({ verdict: 'stale' });
    expect(verdict.verdict === 'stale' && verdict.message).toContain('uid-old');
  });

  it.each([
    ['another Pipeline', meta(pipelineRef('ingest', 'uid-ingest')), 'belongs to Pipeline ingest (uid uid-ingest)'],
    ['nobody', meta(), 'has no owner'],
    [
      'a CronJob of someone else',
      meta({ apiVersion: 'batch/v1', kind: 'CronJob', name: 'theirs', uid: 'uid-cj', controller: true }),
      'belongs to CronJob theirs (uid uid-cj)',
    ],
    [
      'an owner that is not its controller',
      meta({ ...pipelineRef('ingest-events', 'uid-events'), controller: false }),
      'is not controlled by this pipeline (owners: Pipeline ingest-events)',
    ],
  ])('refuses an object controlled by %s, naming the object and its owner', (_case, existing, owner) => {
    const verdict = checkOwnership('Job', existing, wanted);
    if (verdict.verdict !== 'conflict') throw new Error(`expected a conflict, got ${verdict.verdict}`);
    const err = verdict.error;
    expect(err.message).toBe(
      `Job ingest-events-load-g1-1a2b3c4d already exists and ${owner}; Conveyor does not adopt objects it did not create for this pipeline ingest-events: rename or delete one of them`,
    );
    expect(err.code).toBe(409);
    expect(err.terminal).toBe(true);
    expect(isOwnershipConflict(err)).toBe(true);
    // What the executor's caller sees of it (ActionFailure.error, .status).
    expect(describeError(err)).toBe(`HTTP 409: ${err.message}`);
  });
});

describe('isOwnershipConflict', () => {
  it('tells the marker apart from an API error with the same status', () => {
    const alreadyExists = {
      code: 409,
      body: JSON.stringify({ kind: 'Status', reason: 'AlreadyExists', message: 'jobs "x" already exists' }),
    };
    expect(isOwnershipConflict(alreadyExists)).toBe(false);
    expect(isOwnershipConflict(new Error('x'))).toBe(false);
    expect(isOwnershipConflict(undefined)).toBe(false);
    expect(isOwnershipConflict(new OwnershipConflict('Job x already exists'))).toBe(true);
  });
});
