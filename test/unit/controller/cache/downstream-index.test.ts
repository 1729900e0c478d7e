// DownstreamIndex (src/controller/cache/downstream-index.ts): Pipelines by the upstream they trigger after.
import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../../src/api/types.ts';
import { DownstreamIndex } from '../../../../src/controller/cache/downstream-index.ts';

const pipeline = (namespace: string, name: string, after?: unknown): Pipeline =>
  ({
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { namespace, name },
    spec: { stages: [], ...(after === undefined ? {} : { triggers: { after } }) },
  }) as unknown as Pipeline;

type Step = [Pipeline, 'add' | 'update' | 'delete'];
const cases: { title: string; steps: Step[]; query: [string, string]; want: string[] }[] = [
  { title: 'nothing indexed', steps: [], query: ['ns', 'up'], want: [] },
  {
    title: 'one downstream',
    steps: [[pipeline('ns', 'down', [{ pipeline: 'up' }]), 'add']],
    query: ['ns', 'up'],
    want: ['down'],
  },
  {
    title: 'two downstreams of one upstream',
    steps: [
      [pipeline('ns', 'a', [{ pipeline: 'up' }]), 'add'],
      [pipeline('ns', 'b', [{ pipeline: 'up' }, { pipeline: 'other' }]), 'add'],
    ],
    query: ['ns', 'up'],
    want: ['a', 'b'],
  },
  {
    title: 'another namespace is not the same upstream',
    steps: [[pipeline('other', 'down', [{ pipeline: 'up' }]), 'add']],
    query: ['ns', 'up'],
    want: [],
  },
  {
    title: 'a trigger removed by an update',
    steps: [
      [pipeline('ns', 'down', [{ pipeline: 'up' }]), 'add'],
      [pipeline('ns', 'down'), 'update'],
    ],
    query: ['ns', 'up'],
    want: [],
  },
  {
    title: 'a trigger moved to another upstream',
    steps: [
      [pipeline('ns', 'down', [{ pipeline: 'up' }]), 'add'],
      [pipeline('ns', 'down', [{ pipeline: 'new' }]), 'update'],
    ],
    query: ['ns', 'new'],
    want: ['down'],
  },
  {
    title: 'a downstream deleted',
    steps: [
      [pipeline('ns', 'down', [{ pipeline: 'up' }]), 'add'],
      [pipeline('ns', 'down', [{ pipeline: 'up' }]), 'delete'],
    ],
    query: ['ns', 'up'],
    want: [],
  },
  {
    title: 'the same upstream twice counts once',
    steps: [[pipeline('ns', 'down', [{ pipeline: 'up' }, { pipeline: 'up' }]), 'add']],
    query: ['ns', 'up'],
    want: ['down'],
  },
  {
    title: 'malformed triggers are ignored',
    steps: [
      [pipeline('ns', 'down', [null, { pipeline: 3 }, { pipeline: 'up' }]), 'add'],
      [pipeline('ns', 'x', 'not-a-list'), 'add'],
    ],
    query: ['ns', 'up'],
    want: ['down'],
  },
];

describe('DownstreamIndex', () => {
  for (const c of cases) {
    it(c.title, () => {
      const index = new DownstreamIndex();
      for (const [p, verb] of c.steps) index.update(p, verb);
      expect(index.downstreamOf(...c.query).sort()).toEqual(c.want);
    });
  }
});
