// shareSpec (src/controller/cache/revision-spec-share.ts): a revision of the current generation shares the
// cached Pipeline's spec object; anything else keeps its own copy.
import type * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../../src/api/types.ts';
import { shareSpec } from '../../../../src/controller/cache/revision-spec-share.ts';
import { pinnedSpecOf } from '../../../../src/plan/tidy/revision.ts';

const spec = () => ({ stages: [{ name: 'a', image: 'busybox' }] });
const pipeline = (generation: number, s: unknown = spec()): Pipeline =>
  ({
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'p', namespace: 'ns', uid: 'pu', generation },
    spec: s,
  }) as unknown as Pipeline;
const revision = (generation: number, data: unknown = { spec: spec() }, ownerUid = 'pu'): k8s.V1ControllerRevision =>
  ({
    metadata: {
      name: `p-g${generation}`,
      namespace: 'ns',
      ownerReferences: [
        { apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', name: 'p', uid: ownerUid, controller: true },
      ],
    },
    revision: generation,
    data,
  }) as k8s.V1ControllerRevision;

const cases: { title: string; rev: k8s.V1ControllerRevision; p: Pipeline | undefined; shared: boolean }[] = [
  { title: 'current generation, equal spec: shared', rev: revision(2), p: pipeline(2), shared: true },
  { title: 'an older generation: kept', rev: revision(1), p: pipeline(2), shared: false },
  {
    title: 'equal generation but another spec (never expected): kept',
    rev: revision(2, { spec: { stages: [] } }),
    p: pipeline(2),
    shared: false,
  },
  {
    title: "another Pipeline's revision (uid): kept",
    rev: revision(2, { spec: spec() }, 'other'),
    p: pipeline(2),
    shared: false,
  },
  { title: 'no Pipeline cached: kept', rev: revision(2), p: undefined, shared: false },
  { title: 'data not an object: kept', rev: revision(2, 'x'), p: pipeline(2), shared: false },
];

describe('shareSpec', () => {
  for (const c of cases) {
    it(c.title, () => {
      const before = pinnedSpecOf(c.rev);
      expect(shareSpec(c.rev, c.p)).toBe(c.shared);
      expect((c.rev.data as { spec?: unknown } | undefined)?.spec === c.p?.spec).toBe(c.shared);
      // What the planner reads of the revision is the same either way.
      expect(pinnedSpecOf(c.rev)).toEqual(before);
    });
  }

  it('the revision keeps the old spec when the Pipeline is replaced by a newer generation', () => {
    const old = pipeline(1);
    const rev = revision(1);
    shareSpec(rev, old);
    const newer = pipeline(2, { stages: [{ name: 'b', image: 'alpine' }] });
    expect(shareSpec(rev, newer)).toBe(false);
    expect(pinnedSpecOf(rev).spec).toEqual(spec());
  });

  it('keeps the rest of data', () => {
    const rev = revision(2, { spec: spec(), extra: 1 });
    shareSpec(rev, pipeline(2));
    expect(rev.data).toMatchObject({ extra: 1 });
  });
});
