import { describe, expect, it } from 'vitest';
import { computeLayout, type LayoutNode, type LayoutStage } from '../../../../../src/console/ui/model/layout.ts';

const overlaps = (a: LayoutNode, b: LayoutNode): boolean =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('computeLayout', () => {
  it('places 200 layered stages without overlap, and onFailure stages apart below', () => {
    const stages: LayoutStage[] = Array.from({ length: 200 }, (_, i) => ({
      name: `st${i}`,
      dependsOn: i < 10 ? [] : [`st${i - 10}`, `st${i - 10 - (i % 10 === 0 ? 0 : 1)}`],
      kind: 'stage',
    }));
    stages.push({ name: 'alert', dependsOn: [], kind: 'onFailure' });
    const out = computeLayout({ key: 'k', stages, groups: [] });
    expect(out.nodes).toHaveLength(201);
    for (let i = 0; i < out.nodes.length; i++)
      for (let j = i + 1; j < out.nodes.length; j++) expect(overlaps(out.nodes[i]!, out.nodes[j]!)).toBe(false);
    const alert = out.nodes.find((n) => n.id === 'alert')!;
    expect(alert.y).toBeGreaterThan(Math.max(...out.nodes.filter((n) => n.kind === 'stage').map((n) => n.y + n.h)));
    expect(out.edges.length).toBeGreaterThan(180);
    for (const n of out.nodes) expect(n.x + n.w).toBeLessThanOrEqual(out.width + 0.5);
  });

  it('draws a dependency as an edge from upstream to downstream, left to right', () => {
    const out = computeLayout({
      key: 'k',
      stages: [
        { name: 'a', dependsOn: [], kind: 'stage' },
        { name: 'b', dependsOn: ['a'], kind: 'stage' },
      ],
      groups: [],
    });
    const [a, b] = out.nodes;
    expect(b!.x).toBeGreaterThan(a!.x + a!.w);
    expect(out.edges).toEqual([{ from: 'a', to: 'b', points: expect.any(Array) }]);
  });
});
