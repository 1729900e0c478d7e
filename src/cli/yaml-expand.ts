// How many nodes a YAML document has once its aliases are expanded, counted without expanding it:
// every anchored node is measured once and each alias adds that count, so a billion-laughs
// document is measured in microseconds. `yaml`'s own guard (maxAliasCount, 100 by default)
// refuses ordinary files that say `image: *img` in 101 stages; kubectl (go-yaml) bounds the
// expansion, not the number of aliases, and so does this.
import { isAlias, isCollection, isPair, type Alias, type Document, type Node } from 'yaml';

export type Expansion = {
  /** Nodes after expansion; merged maps (`<<: *base`) count in full. */
  nodes: number;
  /** An alias inside the node its anchor names: the document would contain itself. */
  cycle?: Alias;
};

export function measureExpansion(doc: Document): Expansion {
  const anchors = new Map<string, Node>(); // the latest node with each anchor, in document order
  const sizes = new Map<Node, number>(); // of anchored nodes, once measured
  const open = new Set<Node>(); // anchored nodes being measured
  let cycle: Alias | undefined;

  const size = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    if (isPair(node)) return size(node.key) + size(node.value);
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (target === undefined) return 1; // unresolved: toJS reports it in yaml's words
      if (open.has(target)) {
        cycle ??= node;
        return 1;
      }
      return sizes.get(target) ?? 1;
    }
    const anchored = (node as Node).anchor ? (node as Node) : undefined;
    if (anchored) {
      anchors.set(anchored.anchor as string, anchored);
      open.add(anchored);
    }
    let n = 1;
    if (isCollection(node)) for (const item of node.items) n += size(item);
    if (anchored) {
      open.delete(anchored);
      sizes.set(anchored, n);
    }
    return n;
  };

  return { nodes: size(doc.contents), cycle };
}
