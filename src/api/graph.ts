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
 * Dependency cycles, each starting at its earliest stage in the list, at most one per dependsOn
 * entry (the shortest: removing that entry breaks all of them). Unknown names and
 * self-dependencies are left to other checks; with duplicate names the first counts.
 */
export function findCycles(stages: readonly StageRef[]): Cycle[] {
  const index = new Map<string, number>();
  stages.forEach((stage, i) => {
    if (!index.has(stage.name)) index.set(stage.name, i);
  });
  const state = new Array<'new' | 'open' | 'done'>(stages.length).fill('new');
  const stack: number[] = [];
  // Shortest cycle per dependsOn entry, keyed "stage/entry".
  const cycles = new Map<string, Cycle>();

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
    const start = rotated[0] as number;
    const cycle = { names, stage: start, dependsOn: (stages[start]?.dependsOn ?? []).indexOf(names[1] ?? '') };
    const key = `${cycle.stage}/${cycle.dependsOn}`;
    const known = cycles.get(key);
    if (!known || names.length < known.names.length) cycles.set(key, cycle);
  };

  stages.forEach((_, i) => {
    if (state[i] === 'new' && index.get(stages[i]?.name ?? '') === i) visit(i);
  });
  return [...cycles.values()].sort((a, b) => a.stage - b.stage || a.dependsOn - b.dependsOn);
}

/** `dependency cycle: a → b → c → a` */
export function describeCycle(cycle: Cycle): string {
  return `dependency cycle: ${cycle.names.join(' → ')}`;
}
