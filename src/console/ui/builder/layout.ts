// Where stages sit on the canvas when nobody placed them (a template, a pasted file): columns by
// depth (the longest dependsOn chain before a stage), rows in document order. Cycles are cut
// where they close, so a cyclic drawing still gets positions.
import type { PipelineDoc } from './model.ts';
import { stagesOf } from './model.ts';

export type Point = { x: number; y: number };
export const NODE_WIDTH = 160;
export const NODE_HEIGHT = 56;
const COLUMN = 220;
const ROW = 90;
const MARGIN = 24;

export function depths(doc: PipelineDoc): Map<string, number> {
  const byName = new Map(stagesOf(doc).map((s) => [s.name, s]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0; // a cycle: the validator reports it
    visiting.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(visit));
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const name of byName.keys()) visit(name);
  return depth;
}

/** Positions for every stage: kept where `placed` has one, laid out by depth otherwise. */
export function autoPlace(doc: PipelineDoc, placed: ReadonlyMap<string, Point>): Map<string, Point> {
  const out = new Map<string, Point>();
  const rows = new Map<number, number>();
  const levels = depths(doc);
  for (const stage of stagesOf(doc)) {
    const kept = placed.get(stage.name);
    const column = levels.get(stage.name) ?? 0;
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    out.set(stage.name, kept ?? { x: MARGIN + column * COLUMN, y: MARGIN + row * ROW });
  }
  return out;
}
