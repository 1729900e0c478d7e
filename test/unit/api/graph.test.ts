import { describe, expect, it } from 'vitest';
import { describeCycle, findCycles } from '../../../src/api/graph.ts';

const s = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('findCycles', () => {
  it('finds none in a DAG', () => {
    expect(findCycles([s('a'), s('b', 'a'), s('c', 'a'), s('d', 'b', 'c')])).toEqual([]);
  });

  it('reports a cycle once, from its earliest stage, at the entry that leaves it', () => {
    const cycles = findCycles([s('extract', 'load'), s('clean', 'extract'), s('load', 'clean')]);
    expect(cycles).toEqual([{ names: ['extract', 'load', 'clean', 'extract'], stage: 0, dependsOn: 0 }]);
    expect(describeCycle(cycles[0]!)).toBe('dependency cycle: extract → load → clean → extract');
  });

  it('reports separate cycles separately and ignores unknown names and self-loops', () => {
    const cycles = findCycles([s('a', 'b', 'ghost'), s('b', 'a'), s('c', 'c'), s('d', 'e'), s('e', 'd', 'a')]);
    expect(cycles.map(describeCycle)).toEqual(['dependency cycle: a → b → a', 'dependency cycle: d → e → d']);
  });

  it('handles the longest chain the API allows', () => {
    const stages = Array.from({ length: 200 }, (_, i) => s(`s${i}`, ...(i > 0 ? [`s${i - 1}`] : ['s199'])));
    const cycles = findCycles(stages);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]!.names).toHaveLength(201);
  });
});
