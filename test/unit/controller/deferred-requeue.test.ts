// A status write left in flight after a Job create (reconcile/deferred-writes.ts) that is dropped must not
// wait for the next watch event or the resync: the reconciler asks for another reconcile of the
// key. The reconciler runs here with its collaborators replaced by in-memory ones; the planner is
// the real one.
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Pipeline } from '../../../src/api/types.ts';
import type { ActionExecutor, Execution } from '../../../src/controller/reconcile/execute.ts';
import type { EventRecorder } from '../../../src/controller/reconcile/event-recorder.ts';
import type { ClusterView } from '../../../src/controller/reconcile/gather.ts';
import { Reconciler } from '../../../src/controller/reconcile/reconciler.ts';
import type { StatusWriter } from '../../../src/controller/reconcile/write-status.ts';

const pipeline: Pipeline = {
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: {
    name: 'p',
    namespace: 'ns',
    uid: 'uid-1',
    generation: 1,
    resourceVersion: '10',
    creationTimestamp: '2026-12-01T00:00:00Z',
  },
  spec: { stages: [{ name: 'a', image: 'busybox' }] },
} as Pipeline;

const view: ClusterView = {
  pipeline: (namespace, name) => (namespace === 'ns' && name === 'p' ? pipeline : undefined),
  pipelines: () => [pipeline],
  jobsOwnedBy: () => [],
  cronJobsOwnedBy: () => [],
  claimsOwnedBy: () => [],
  revisionsOwnedBy: () => [],
};

/** Every create succeeds and counts as created by this process. */
const executor = {
  execute: async (_ns: string, actions: Execution['done']): Promise<Execution> => ({
    failures: [],
    jobsCreated: actions.filter((a) => a.kind === 'createJob').length,
    done: actions,
  }),
} as unknown as ActionExecutor;

const events = { emit: () => {} } as unknown as EventRecorder;

function reconcilerWith(write: () => Promise<Pipeline>): {
  reconciler: Reconciler;
  requeued: [string, number][];
  writes: () => number;
} {
  const requeued: [string, number][] = [];
  let writes = 0;
  const statusWriter = {
    write: async () => {
      writes++;
      return write();
    },
  } as unknown as StatusWriter;
  const reconciler = new Reconciler({
    view,
    executor,
    statusWriter,
    events,
    log: pino({ level: 'silent' }),
    requeue: (key, ms) => requeued.push([key, ms]),
  });
  return { reconciler, requeued, writes: () => writes };
}

const conflict = Object.assign(new Error('conflict'), {
  code: 409,
  body: { reason: 'Conflict', message: 'the object has been modified' },
});

describe('a dropped deferred status write asks for another reconcile', () => {
  it.each([
    { outcome: 'conflict (409 Conflict)', write: () => Promise.reject(conflict), requeueMs: 200 },
    { outcome: 'any other failure', write: () => Promise.reject(new Error('socket hang up')), requeueMs: 1_000 },
  ])('$outcome → requeued after $requeueMs ms', async ({ write, requeueMs }) => {
    const { reconciler, requeued, writes } = reconcilerWith(write);
    await reconciler.reconcile('ns/p');
    // The write was left in flight; the next reconcile of the key waits for it (settle).
    await reconciler.reconcile('ns/other');
    await new Promise((r) => setImmediate(r));
    expect(writes()).toBe(1);
    expect(requeued).toEqual([['ns/p', requeueMs]]);
  });

  it('a write that succeeds asks for nothing', async () => {
    const { reconciler, requeued, writes } = reconcilerWith(async () => ({
      ...pipeline,
      metadata: { ...pipeline.metadata, resourceVersion: '11' },
    }));
    await reconciler.reconcile('ns/p');
    await new Promise((r) => setImmediate(r));
    expect(writes()).toBe(1);
    expect(requeued).toEqual([]);
  });
});
