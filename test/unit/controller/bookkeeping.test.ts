// The parts of the reconciler's bookkeeping around the planner: owner indexes (gathering by owner, not by
// filtering lists), expectations (Jobs created and not seen yet) and remembered refusals.
import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import { OwnerIndex } from '../../../src/controller/cache/owner-index.ts';
import { Expectations } from '../../../src/controller/reconcile/expected-jobs.ts';
import { CRONJOB_REFUSAL_TTL_MS, Refusals } from '../../../src/controller/reconcile/refusals.ts';

const job = (name: string, owner?: string, namespace = 'data'): V1Job => ({
  metadata: {
    name,
    namespace,
    ...(owner
      ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Pipeline', name: 'p', uid: owner, controller: true }] }
      : {}),
  },
});
const names = (jobs: V1Job[]) => jobs.map((j) => j.metadata?.name).sort();

describe('OwnerIndex', () => {
  const cases: { title: string; events: [V1Job, 'add' | 'update' | 'delete'][]; owner: string; want: string[] }[] = [
    {
      title: 'adds by controller uid',
      events: [
        [job('a', 'u1'), 'add'],
        [job('b', 'u1'), 'add'],
        [job('c', 'u2'), 'add'],
      ],
      owner: 'u1',
      want: ['a', 'b'],
    },
    { title: 'an object without a controller is not indexed', events: [[job('a'), 'add']], owner: 'u1', want: [] },
    {
      title: 'delete removes',
      events: [
        [job('a', 'u1'), 'add'],
        [job('a', 'u1'), 'delete'],
      ],
      owner: 'u1',
      want: [],
    },
    {
      title: 'an owner change moves the object',
      events: [
        [job('a', 'u1'), 'add'],
        [job('a', 'u2'), 'update'],
      ],
      owner: 'u1',
      want: [],
    },
    {
      title: 'same name in two namespaces are two objects',
      events: [
        [job('a', 'u1', 'x'), 'add'],
        [job('a', 'u1', 'y'), 'add'],
      ],
      owner: 'u1',
      want: ['a', 'a'],
    },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const index = new OwnerIndex<V1Job>();
      for (const [obj, verb] of c.events) index.update(obj, verb);
      expect(names(index.owned(c.owner))).toEqual(c.want);
    });
  }

  it('an update replaces the object (the newest version is gathered)', () => {
    const index = new OwnerIndex<V1Job>();
    index.update(job('a', 'u1'), 'add');
    index.update({ ...job('a', 'u1'), status: { succeeded: 1 } }, 'update');
    expect(index.owned('u1')[0]?.status?.succeeded).toBe(1);
    expect(index.size()).toBe(1);
    expect(index.owned(undefined)).toEqual([]);
  });
});

describe('Expectations', () => {
  it('a created Job is pending until the watch delivers it', () => {
    const now = 0;
    const e = new Expectations(() => now);
    e.expect('data', 'etl-a-g1');
    expect([...e.pending('data')]).toEqual(['etl-a-g1']);
    expect(e.pending('other').size).toBe(0);
    expect(e.observed('data', 'etl-a-g1')).toBe(true);
    expect(e.observed('data', 'etl-a-g1')).toBe(false);
    expect(e.pending('data').size).toBe(0);
  });

  it("a watch add that beats the create's answer leaves nothing pending", () => {
    const e = new Expectations(() => 0);
    expect(e.observed('data', 'etl-a-g1')).toBe(false);
    e.expect('data', 'etl-a-g1');
    expect(e.pending('data').size).toBe(0);
    // Only once: a later create of the same name (after a deletion) is expected again.
    e.expect('data', 'etl-a-g1');
    expect([...e.pending('data')]).toEqual(['etl-a-g1']);
  });

  it('an expectation outlives any lag of the cache: only the watch or a later list ends it (NEW-M)', () => {
    let now = 0;
    const e = new Expectations(() => now);
    e.expect('data', 'x');
    // 72 minutes of a cache that does not show the Job: the create is still a fact.
    now = 72 * 60_000;
    expect(e.pending('data').has('x')).toBe(true);
    // A list that began before the create proves nothing about it; one of another namespace neither.
    e.listed('data', -1);
    e.listed('other', now);
    expect(e.pending('data').has('x')).toBe(true);
    e.expect('data', 'y');
    // A list that began after x's create settles x (listed, or deleted before the watch showed it), not y.
    e.listed('data', now);
    expect([...e.pending('data')]).toEqual(['y']);
    e.listed(undefined, now + 1);
    expect(e.size()).toBe(0);
  });
});

describe('Refusals', () => {
  it('a Job refusal is a fact until status records the failed stage', () => {
    const r = new Refusals();
    r.refuseJob('u1', 'etl-a-g1', 'HTTP 422: invalid', 0);
    expect(r.jobs('u1')).toEqual(new Map([['etl-a-g1', 'HTTP 422: invalid']]));
    r.settle('u1', {
      lastRun: {
        id: 'g1',
        trigger: 'create',
        phase: 'Running',
        stages: [{ name: 'a', phase: 'Running', job: 'etl-a-g1' }],
      },
    });
    expect(r.jobs('u1').size).toBe(1);
    r.settle('u1', {
      lastRun: {
        id: 'g1',
        trigger: 'create',
        phase: 'Failed',
        stages: [{ name: 'a', phase: 'Failed', job: 'etl-a-g1', reason: 'JobRejected' }],
      },
    });
    expect(r.jobs('u1').size).toBe(0);
  });

  it('a CronJob refusal lapses so the apply is tried again', () => {
    const r = new Refusals();
    r.refuseCronJob('u1', 'etl-extract', 'taken', 0);
    expect(r.cronJobs('u1', CRONJOB_REFUSAL_TTL_MS - 1).size).toBe(1);
    expect(r.cronJobs('u1', CRONJOB_REFUSAL_TTL_MS).size).toBe(0);
  });

  it('forgets a deleted Pipeline', () => {
    const r = new Refusals();
    r.refuseJob('u1', 'j', 'm', 0);
    r.forget('u1');
    expect(r.jobs('u1').size).toBe(0);
  });
});
