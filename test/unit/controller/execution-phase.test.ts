// The executor's order: what must exist before Jobs, Jobs (with the revisions that may go along),
// deletions last.
import { describe, expect, it } from 'vitest';
import { executionPhase, phaseBatch } from '../../../src/controller/reconcile/execute.ts';
import type { Action } from '../../../src/plan/planner.ts';

const revision = (name: string, beforeJobs: boolean): Action => ({
  kind: 'createRevision',
  revision: { metadata: { name }, revision: 1 },
  beforeJobs,
});
const job = (name: string): Action => ({ kind: 'createJob', job: { metadata: { name } } });
const actions: Record<string, Action> = {
  createClaim: { kind: 'createClaim', claim: { metadata: { name: 'c' } } },
  applyCronJob: {
    kind: 'applyCronJob',
    cronJob: { metadata: { name: 'cj' }, spec: { schedule: '0 * * * *', jobTemplate: {} } },
  },
  'createRevision (beforeJobs)': revision('r', true),
  'createRevision (alongside)': revision('r', false),
  createJob: job('j'),
  startJob: { kind: 'startJob', name: 'j', runId: 'r1', patch: {} },
  deleteJob: { kind: 'deleteJob', name: 'j', reason: 'x' },
  deleteClaim: { kind: 'deleteClaim', name: 'c', reason: 'x' },
  deleteCronJob: { kind: 'deleteCronJob', name: 'cj', reason: 'x' },
  deleteRevision: { kind: 'deleteRevision', name: 'r', reason: 'x' },
};

describe('executionPhase', () => {
  it.each([
    ['createClaim', 0],
    ['applyCronJob', 0],
    ['createRevision (beforeJobs)', 0],
    ['createRevision (alongside)', 1],
    ['createJob', 1],
    ['startJob', 1],
    ['deleteJob', 2],
    ['deleteClaim', 2],
    ['deleteCronJob', 2],
    ['deleteRevision', 2],
  ] as const)('%s: phase %i', (kind, phase) => {
    expect(executionPhase(actions[kind]!)).toBe(phase);
  });
});

describe('phaseBatch', () => {
  it('puts a revision going along with Jobs first, the Jobs in their order after it', () => {
    const batch = phaseBatch([job('a'), job('b'), revision('r', false), actions.deleteJob!], 1);
    expect(batch.map((a) => (a.kind === 'createJob' ? a.job.metadata?.name : a.kind))).toEqual([
      'createRevision',
      'a',
      'b',
    ]);
  });

  it('leaves a revision that must come before the Jobs to phase 0', () => {
    const all = [job('a'), revision('r', true)];
    expect(phaseBatch(all, 0).map((a) => a.kind)).toEqual(['createRevision']);
    expect(phaseBatch(all, 1).map((a) => a.kind)).toEqual(['createJob']);
  });
});
