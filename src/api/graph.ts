// The stage graph: edges go from a stage to the stages it depends on.

export type StageRef = { name: string; dependsOn?: readonly string[] };

export type Cycle = {
  /** Stage names along the cycle, first name repeated at the end: [a, b, c, a]. */
  names: string[];
  /** Index of the first stage of `names` in the stage list, and of its dependsOn entry naming the second. */
  stage: number;
  dependsOn: number;
};

/**
 * Dependency cycles, each reported once, starting at its earliest stage in the list. Unknown
 * names and self-dependencies are left to other checks; with duplicate names the first counts.
 */
export function findCycles(stages: readonly StageRef[]): Cycle[] {
  const index = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (!index.has(stage.name)) index.set(stage.name, i);
  });
  const state = new Array<'new' | 'open' | 'done'>(stages.length).fill('new');
  const stack: number[] = [];
  const seen = new Set<string>();
  const cycles: Cycle[] = [];

  const visit = (i: number): void => {
    state[i] = 'open';
    stack.push(i);
    for (const dep of stages[i]?.dependsOn ?? []) {
      const j = index.get(dep);
      if (j === undefined || j === i) continue;
      if (state[j] === 'open') record(stack.slice(stack.indexOf(j)));
      else if (state[j] === 'new') visit(j);
    }
    stack.pop();
    state[i] = 'done';
  };

  const record = (loop: number[]): void => {
    // Rotate so the cycle starts at its earliest stage: the same cycle always reads the same.
    const first = loop.indexOf(Math.min(...loop));
    const rotated = [...loop.slice(first), ...loop.slice(0, first)];
    const names = [...rotated, rotated[0] as number].map((i) => stages[i]?.name ?? '');
    const key = names.join('\u0000');
    if (seen.has(key)) return;
    seen.add(key);
    const start = rotated[0] as number;
    cycles.push({ names, stage: start, dependsOn: (stages[start]?.dependsOn ?? []).indexOf(names[1] ?? '') });
  };

  stages.forEach((_, i) => {
    if (state[i] === 'new' && index.get(stages[i]?.name ?? '') === i) visit(i);
  });
  return cycles;
}

/** `dependency cycle: a → b → c → a` */
export function describeCycle(cycle: Cycle): string {
  return `dependency cycle: ${cycle.names.join(' → ')}`;
}
