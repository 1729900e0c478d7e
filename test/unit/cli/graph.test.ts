import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../src/api/types.ts';
import { drawDag, layers, toDot, toMermaid } from '../../../src/cli/graph.ts';
import { renderPipeline, topologicalOrder } from '../../../src/cli/render.ts';
import { describePipeline } from '../../../src/cli/kube-commands.ts';

const image = 'busybox';
const diamond: Pipeline = {
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'diamond', namespace: 'data' },
  spec: {
    stages: [
      { name: 'd', image, dependsOn: ['b', 'c'] },
      { name: 'b', image, dependsOn: ['a'] },
      { name: 'a', image },
      { name: 'c', image, dependsOn: ['a'] },
    ],
    onFailure: [{ name: 'alert', image }],
  },
  status: {
    phase: 'Running',
    progress: '2/4',
    lastRun: {
      id: 'g1',
      trigger: 'create',
      phase: 'Running',
      startTime: '2025-01-01T00:00:00Z',
      stages: [
        {
          name: 'a',
          phase: 'Succeeded',
          attempts: 1,
          startTime: '2025-01-01T00:00:00Z',
          completionTime: '2025-01-01T00:00:05Z',
        },
        {
          name: 'b',
          phase: 'Failed',
          attempts: 3,
          startTime: '2025-01-01T00:00:05Z',
          completionTime: '2025-01-01T00:01:15Z',
          reason: 'BackoffLimitExceeded',
        },
        { name: 'c', phase: 'Running', attempts: 1, startTime: '2025-01-01T00:00:05Z' },
        { name: 'd', phase: 'Skipped', reason: 'UpstreamFailed' },
      ],
    },
    conditions: [
      {
        type: 'Reconciling',
        status: 'True',
        reason: 'RunInProgress',
        message: 'run g1',
        lastTransitionTime: '2025-01-01T00:00:00Z',
      },
    ],
  },
};
const now = new Date('2025-01-01T00:00:30Z');

describe('layers and order', () => {
  it('puts every stage one layer below its deepest dependency', () => {
    expect(layers(diamond.spec.stages)).toEqual([['a'], ['b', 'c'], ['d']]);
  });
  it('orders dependencies first and survives a cycle', () => {
    expect(topologicalOrder(diamond.spec.stages)).toEqual(['a', 'b', 'c', 'd']);
    expect(
      topologicalOrder([
        { name: 'x', dependsOn: ['y'] },
        { name: 'y', dependsOn: ['x'] },
      ]).sort(),
    ).toEqual(['x', 'y']);
  });
});

describe('drawDag', () => {
  const text = drawDag(diamond, now);
  it('draws layers with state, attempts, time and dependencies', () => {
    const lines = text.split('\n');
    expect(lines[0]).toContain('roots');
    expect(text).toMatch(/✔ a\s+Succeeded ×1\s+5s/);
    expect(text).toMatch(/✖ b\s+Failed\s+×3\s+1m10s\s+◀ a\s+\(BackoffLimitExceeded\)/);
    expect(text).toMatch(/▶ c\s+Running\s+×1\s+25s\s+◀ a/);
    expect(text).toMatch(/↷ d\s+Skipped .*◀ b, c\s+\(UpstreamFailed\)/);
    expect(text).toContain('on failure');
    expect(text).toMatch(/· alert\s+Pending/);
  });
  it('shows an onFailure stage of a finished run as not run', () => {
    const done: Pipeline = {
      ...diamond,
      status: {
        ...diamond.status,
        lastRun: { ...diamond.status!.lastRun!, phase: 'Succeeded', completionTime: '2025-01-01T00:02:00Z' },
      },
    };
    expect(drawDag(done, now)).toMatch(/– alert\s+not run/);
  });
});

describe('Mermaid and DOT', () => {
  it('Mermaid has every node, edge and state class', () => {
    const m = toMermaid(diamond);
    expect(m.split('\n')[0]).toBe('flowchart LR');
    for (const edge of ['a --> b', 'a --> c', 'b --> d', 'c --> d']) expect(m).toContain(edge);
    expect(m).toContain('class b Failed');
    expect(m).toContain('classDef Failed');
    expect(m).toContain('alert{{"on failure: alert"}}');
  });
  it('DOT is a digraph with colours by state', () => {
    const d = toDot(diamond);
    expect(d).toMatch(/^digraph "diamond" \{/);
    expect(d).toContain('"a" -> "b";');
    expect(d).toContain('"b" [label="b\\nFailed", fillcolor=lightpink];');
    expect(d.trim().endsWith('}')).toBe(true);
  });
});

describe('renderPipeline and describePipeline', () => {
  it('render one line per stage in dependency order', () => {
    const lines = renderPipeline(diamond, now).split('\n');
    expect(lines[0]).toBe('pipeline data/diamond  phase: Running  progress: 2/4');
    expect(lines.slice(2).map((l) => l.trim().split(/\s+/)[1])).toEqual(['a', 'b', 'c', 'd', 'alert']);
  });
  it('describe shows conditions, the DAG and runs', () => {
    const text = describePipeline(
      { ...diamond, status: { ...diamond.status, runs: [{ id: 'g1', trigger: 'create', phase: 'Running' }] } },
      now,
    );
    expect(text).toContain('Condition:   Reconciling=True RunInProgress: run g1');
    expect(text).toContain('Stages:');
    expect(text).toContain('Runs:');
  });
  it("describe shows each run's logical time, interval and params; nothing for runs that record none", () => {
    const values = {
      logicalTime: '2026-03-02T00:00:00Z',
      intervalStart: '2026-03-01T00:00:00Z',
      intervalEnd: '2026-03-02T00:00:00Z',
      params: { table: 'users', day: '' },
    };
    const lastRun = { ...diamond.status!.lastRun!, ...values, noCache: true };
    const runs = [
      { id: 'g1', trigger: 'create' as const, phase: 'Running' as const, ...values },
      { id: 'g0', trigger: 'create' as const, phase: 'Succeeded' as const },
    ];
    const lines = describePipeline({ ...diamond, status: { ...diamond.status, lastRun, runs } }, now).split('\n');
    const interval = 'Logical time 2026-03-02T00:00:00Z, interval 2026-03-01T00:00:00Z → 2026-03-02T00:00:00Z';
    expect(lines).toContain(`             ${interval}, no cache`);
    expect(lines).toContain(`    ${interval}`);
    expect(lines.filter((l) => l.trim() === 'Params day="" table="users"')).toHaveLength(2);
    const g0 = lines.findIndex((l) => l.startsWith('  g0'));
    expect(lines[g0 + 1]).toBeUndefined();
  });
});
