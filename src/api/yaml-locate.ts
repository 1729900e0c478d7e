// Where a field path (`spec.stages[2].dependsOn[0]`) sits in a YAML document: line and column of
// the field's key (or of the list item), or of the nearest parent that exists when the field
// itself is missing ("required field is missing" points at the object that lacks it).
//
// A value reached through an alias (`env: *common`, `<<: *base`) is written at the alias: the
// anchor is somewhere else, shared with other uses, and pointing there would send the reader to
// a line that is right for another stage. So the walk stops at the first alias on the path.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type LineCounter,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import type { PathSegment } from './path.ts';

export type Position = { line: number; col: number };

/** The next node along the path: where its position is, and whether the walk must stop there. */
type Step = { node: unknown; offset: number | undefined; stop: boolean };

export function locate(doc: Document, path: readonly PathSegment[], lines: LineCounter): Position {
  let node: unknown = doc.contents;
  // Where the last path element that was found begins.
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isAlias(node)) return lines.linePos(rangeStart(node) ?? offset); // what follows is in the anchor
    const step = isMap(node) ? mapStep(doc, node, segment) : seqStep(node, segment);
    if (!step) break;
    offset = step.offset ?? offset;
    node = step.node;
    if (step.stop) break;
  }
  return lines.linePos(offset);
}

function seqStep(node: unknown, segment: PathSegment): Step | undefined {
  if (!isSeq(node) || typeof segment !== 'number') return undefined;
  const item = node.items[segment];
  return item === undefined ? undefined : { node: item, offset: rangeStart(item), stop: false };
}

/** A key of a map: its own pair first, then the maps it merges (`<<`), earlier ones first, as YAML merges. */
function mapStep(doc: Document, map: YAMLMap, segment: PathSegment): Step | undefined {
  const own = map.items.find((item) => namesKey(item, segment));
  if (own) return { node: own.value, offset: rangeStart(own.key), stop: false };
  for (const source of mergeSources(map)) {
    if (isAlias(source)) {
      // Merged from an anchor: point at the alias that brings the key in.
      if (containsKey(doc, source.resolve(doc), segment))
        return { node: source, offset: rangeStart(source), stop: true };
    } else if (isMap(source)) {
      const step = mapStep(doc, source, segment);
      if (step) return step;
    }
  }
  return undefined;
}

/** The values of a map's `<<` keys, each list flattened: `<<: [*a, *b]` gives a, then b. */
function mergeSources(map: YAMLMap): unknown[] {
  return map.items.filter(isMergeKey).flatMap((pair) => (isSeq(pair.value) ? pair.value.items : [pair.value]));
}

function containsKey(doc: Document, node: unknown, segment: PathSegment, depth = 0): boolean {
  if (!isMap(node) || depth > 32) return false;
  if (node.items.some((item) => namesKey(item, segment))) return true;
  return mergeSources(node).some((source) =>
    containsKey(doc, isAlias(source) ? source.resolve(doc) : source, segment, depth + 1),
  );
}

/** A plain `<<` key: the yaml library resolves it to a Symbol when merge keys are on ("<<" quoted stays a string). */
function isMergeKey(item: Pair): boolean {
  const key = isScalar(item.key) ? item.key.value : undefined;
  return typeof key === 'symbol' && key.description === '<<';
}

/** The pair whose (scalar) key is `segment`. */
function namesKey(item: Pair, segment: PathSegment): boolean {
  return isScalar(item.key) && typeof item.key.value !== 'symbol' && String(item.key.value) === String(segment);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
