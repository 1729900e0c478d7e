// Where a field path (`spec.stages[2].dependsOn[0]`) sits in a YAML document: line and column of
// the field's key (or of the list item), or of the nearest parent that exists when the field
// itself is missing ("required field is missing" points at the object that lacks it).
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { PathSegment } from '../api/path.ts';

export type Position = { line: number; col: number };

export function locate(doc: Document, path: readonly PathSegment[], lines: LineCounter): Position {
  let node: unknown = doc.contents;
  // Where the last path element that was found begins.
  let offset = rangeStart(node) ?? 0;
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lines.linePos(offset);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}
