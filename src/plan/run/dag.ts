// Dependency order of stages. Validation rejects cycles and unknown names before planning; this
// still never throws: stages it cannot order (a cycle) come last and simply never become ready.

type Node = { name: string; dependsOn?: string[] };

/** Stages ordered so that each comes after the stages it depends on; ties keep spec order. */
export function topologicalOrder<T extends Node>(stages: T[]): T[] {
  const names = new Set(stages.map((s) => s.name));
  const waiting = new Map(stages.map((s) => [s.name, new Set((s.dependsOn ?? []).filter((d) => names.has(d)))]));
  const done = new Set<string>();
  const ordered: T[] = [];
  let progressed = true;
  while (progressed) {
    progressed = false;
    for (const stage of stages) {
      if (done.has(stage.name)) continue;
      const deps = waiting.get(stage.name);
      if (deps && [...deps].every((d) => done.has(d))) {
        done.add(stage.name);
        ordered.push(stage);
        progressed = true;
      }
    }
  }
  for (const stage of stages) if (!done.has(stage.name)) ordered.push(stage);
  return ordered;
}
