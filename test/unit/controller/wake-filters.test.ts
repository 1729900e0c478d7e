// unchangedForReaders (src/controller/runtime/wake-filters.ts): which Job updates wake the owning Pipeline,
// with both objects slimmed as the cache holds them (cache/drop-unread-fields.ts).
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { slimJob } from '../../../src/controller/cache/drop-unread-fields.ts';
import type { Pipeline } from '../../../src/api/types.ts';
import {
  jobUnchangedForPlanner,
  LastDelivered,
  pipelineChangeWakes,
  unchangedForReaders,
} from '../../../src/controller/runtime/wake-filters.ts';

const T0 = '2026-12-01T10:00:00Z';
const T1 = '2026-12-01T10:00:05Z';

/** A running stage Job as the API server sends it, with `change` applied to a copy. */
function job(change: (j: any) => void = () => {}): k8s.V1Job {
  // Timestamps are strings, as the server's JSON has them (client-node's type says Date).
  const j: any = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: 'p-g1-a',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '100',
      generation: 1,
      creationTimestamp: T0,
      labels: { 'conveyor.dev/stage': 'a' },
      annotations: { 'conveyor.dev/run': 'g1' },
      ownerReferences: [
        { apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', name: 'p', uid: 'pu', controller: true },
      ],
      managedFields: [{ manager: 'kube-controller-manager', operation: 'Update' }],
    },
    spec: {
      suspend: false,
      parallelism: 1,
      template: { spec: { containers: [{ name: 'c', image: 'busybox' }], restartPolicy: 'Never' } },
    },
    status: { active: 1, ready: 0, terminating: 0, startTime: T0, uncountedTerminatedPods: {} },
  };
  change(j);
  slimJob(j as k8s.V1Job);
  return j as k8s.V1Job;
}

const cases: { title: string; change: (j: any) => void; want: boolean }[] = [
  { title: 'only the resourceVersion', change: (j) => (j.metadata.resourceVersion = '101'), want: true },
  {
    title: 'managedFields and generation',
    change: (j) => ((j.metadata.managedFields = []), (j.metadata.generation = 2)),
    want: true,
  },
  { title: 'the pod became ready (status.ready)', change: (j) => (j.status.ready = 1), want: true },
  {
    title: 'terminating and uncounted pods',
    change: (j) => ((j.status.terminating = 1), (j.status.uncountedTerminatedPods = { succeeded: ['x'] })),
    want: true,
  },
  {
    title: 'SuccessCriteriaMet before Complete',
    change: (j) => (j.status.conditions = [{ type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: T1 }]),
    want: true,
  },
  { title: 'the pod template (parallelism) changed', change: (j) => (j.spec.parallelism = 2), want: true },
  {
    title: 'Complete',
    change: (j) => (j.status.conditions = [{ type: 'Complete', status: 'True', lastTransitionTime: T1 }]),
    want: false,
  },
  { title: 'a pod succeeded', change: (j) => ((j.status.active = 0), (j.status.succeeded = 1)), want: false },
  { title: 'a pod failed', change: (j) => (j.status.failed = 1), want: false },
  { title: 'completionTime', change: (j) => (j.status.completionTime = T1), want: false },
  { title: 'suspended', change: (j) => (j.spec.suspend = true), want: false },
  { title: 'deletionTimestamp', change: (j) => (j.metadata.deletionTimestamp = T1), want: false },
  { title: 'an annotation', change: (j) => (j.metadata.annotations['conveyor.dev/prior-attempts'] = '1'), want: false },
  { title: 'a label', change: (j) => (j.metadata.labels.x = 'y'), want: false },
  { title: 'the owner reference', change: (j) => (j.metadata.ownerReferences = []), want: false },
  { title: 'a finalizer', change: (j) => (j.metadata.finalizers = ['f']), want: false },
];

describe('unchangedForReaders (slimmed Jobs)', () => {
  for (const c of cases) {
    it(`${c.title} → ${c.want ? 'unchanged' : 'changed'}`, () => {
      expect(unchangedForReaders(job(), job(c.change))).toBe(c.want);
      expect(unchangedForReaders(job(c.change), job())).toBe(c.want);
    });
  }
});

describe('jobUnchangedForPlanner: status changes the planner reads the same', () => {
  const done = (j: any) => ((j.status.active = 0), (j.status.succeeded = 1));
  const planner: { title: string; change: (j: any) => void; want: boolean }[] = [
    ...cases,
    { title: 'the pod finished before Complete (active 1 → 0, succeeded 0 → 1)', change: done, want: true },
    {
      title: 'the pod finished and SuccessCriteriaMet',
      change: (j) => (
        done(j), (j.status.conditions = [{ type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: T1 }])
      ),
      want: true,
    },
    {
      title: 'a second pod (attempt) started',
      change: (j) => ((j.status.failed = 1), (j.status.active = 1)),
      want: false,
    },
    {
      title: 'a suspended Job got its pod (isSuspendedJob)',
      change: (j) => ((j.spec.suspend = true), (j.status.active = 0)),
      want: false,
    },
    { title: 'the start time moved', change: (j) => (j.status.startTime = T1), want: false },
  ];
  for (const c of planner) {
    // Everything unchangedForReaders calls unchanged stays so. Two of its changes are none to the
    // planner: a pod succeeded without Complete (still one attempt, Running), and a completionTime
    // without Complete (read only with the Complete condition, which comes with it).
    const want = c.title === 'a pod succeeded' || c.title === 'completionTime' ? true : c.want;
    it(`${c.title} → ${want ? 'unchanged' : 'changed'}`, () => {
      expect(jobUnchangedForPlanner(job(), job(c.change))).toBe(want);
      expect(jobUnchangedForPlanner(job(c.change), job())).toBe(want);
    });
  }
});

describe('pipelineChangeWakes: what in a Pipeline change wakes its own reconcile', () => {
  const base = (): Pipeline =>
    ({
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: {
        name: 'etl',
        namespace: 'data',
        uid: 'u1',
        generation: 1,
        resourceVersion: '5',
        annotations: { a: '1' },
      },
      spec: { stages: [{ name: 'a', image: 'busybox' }] },
      status: { phase: 'Running' },
    }) as Pipeline;
  const changes: { title: string; change: (p: any) => void; wakes: boolean }[] = [
    {
      title: 'status only (our own write coming back)',
      change: (p) => ((p.status = { phase: 'Succeeded' }), (p.metadata.resourceVersion = '6')),
      wakes: false,
    },
    { title: 'a label', change: (p) => (p.metadata.labels = { team: 'x' }), wakes: false },
    { title: 'the generation (a spec change)', change: (p) => (p.metadata.generation = 2), wakes: true },
    {
      title: 'an annotation (a request)',
      change: (p) => (p.metadata.annotations = { a: '1', 'conveyor.dev/run-requested': 'now' }),
      wakes: true,
    },
    {
      // Written by the webhook receiver of any replica, a standby's too: the leader's watch must reconcile it.
      title: 'a webhook run request (run-requested and run-options in one patch)',
      change: (p) =>
        (p.metadata.annotations = {
          a: '1',
          'conveyor.dev/run-requested': 'webhook:d2',
          'conveyor.dev/run-options': '{"request":"webhook:d2"}',
        }),
      wakes: true,
    },
    { title: 'a deletion timestamp', change: (p) => (p.metadata.deletionTimestamp = T0), wakes: true },
    { title: 'another uid (deleted and created again)', change: (p) => (p.metadata.uid = 'u2'), wakes: true },
  ];
  for (const c of changes) {
    it(`${c.title} → ${c.wakes ? 'wakes' : 'does not wake'}`, () => {
      const after = base();
      c.change(after);
      expect(pipelineChangeWakes(base(), after)).toBe(c.wakes);
    });
  }

  it('a Pipeline seen for the first time wakes', () => {
    expect(pipelineChangeWakes(undefined, base())).toBe(true);
  });

  it('LastDelivered hands over the object before each event and forgets it on delete', () => {
    const last = new LastDelivered<Pipeline>();
    const [first, second] = [base(), base()];
    expect(last.swap(first, 'add')).toBeUndefined();
    expect(last.swap(second, 'update')).toBe(first);
    expect(last.swap(second, 'delete')).toBe(second);
    expect(last.swap(first, 'add')).toBeUndefined();
  });
});
