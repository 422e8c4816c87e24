/** Line numbers of YAML nodes, for messages that name `FILE:LINE: path`. */
import { isMap, isSeq, type Document, type Node } from 'yaml';

/** Line of the node at `path`, or of its nearest ancestor that exists. */
export function lineAt(doc: Document, path: (string | number)[], lineOf: (n: Node | null | undefined) => number): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n), true) as Node | undefined);
    if (node && (isMap(node) || isSeq(node) || (node as Node).range)) {
      // For a key whose value is a map, point at the key's line rather than the first child.
      if (n > 0 && isMap(node)) {
        const parent = n === 1 ? doc.contents : (doc.getIn(path.slice(0, n - 1), true) as Node | undefined);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === path[n - 1]);
          const keyNode = pair?.key as Node | undefined;
          if (keyNode?.range) return lineOf(keyNode);
        }
      }
      return lineOf(node as Node);
    }
  }
  return 0;
}

