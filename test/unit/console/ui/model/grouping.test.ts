import { describe, expect, it } from 'vitest';
import { groupPhase, groupStages, phaseCounts, type GraphStage } from '../../../../../src/console/ui/model/grouping.ts';

const fanOut = (n: number): GraphStage[] => {
  const mids = Array.from({ length: n }, (_, i) => `s${String(i + 1).padStart(3, '0')}`);
  return [
    { name: 'first', dependsOn: [] },
    ...mids.map((name) => ({ name, dependsOn: ['first'] })),
    { name: 'last', dependsOn: mids },
  ];
};

describe('groupStages', () => {
  it('collapses a 1→150→1 fan-out into one group between first and last', () => {
    const g = groupStages(fanOut(150));
    expect(g.groups).toEqual([{ id: 'group:s001', members: expect.any(Array), label: '150 stages: s001…s150' }]);
    expect(g.groups[0]!.members).toHaveLength(150);
    expect(g.stages).toEqual([
      { name: 'first', dependsOn: [] },
      { name: 'group:s001', dependsOn: ['first'] },
      { name: 'last', dependsOn: ['group:s001'] },
    ]);
  });

  it('keeps sibling sets up to the threshold, and an expanded group, as stages', () => {
    expect(groupStages(fanOut(12)).groups).toEqual([]);
    const expanded = groupStages(fanOut(20), 12, new Set(['group:s001']));
    expect(expanded.groups).toEqual([]);
    expect(expanded.stages).toHaveLength(22);
  });

  it('does not group stages whose dependents differ', () => {
    const stages = fanOut(20);
    stages.push({ name: 'extra', dependsOn: ['s005'] });
    const g = groupStages(stages);
    expect(g.groups[0]!.members).toHaveLength(19);
    expect(g.stages.find((s) => s.name === 'extra')).toEqual({ name: 'extra', dependsOn: ['s005'] });
  });
});

describe('group phase', () => {
  it('counts members per phase and sums up with the most urgent phase', () => {
    const counts = phaseCounts(['a', 'b', 'c'], (s) => (s === 'a' ? 'Running' : 'Succeeded'));
    expect(counts).toEqual({ Running: 1, Succeeded: 2 });
    expect(groupPhase(counts)).toBe('Running');
    expect(groupPhase({ Succeeded: 3, Failed: 1 })).toBe('Failed');
    expect(groupPhase({ Succeeded: 3, Skipped: 1 })).toBe('Succeeded');
  });
});
