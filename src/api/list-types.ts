// x-kubernetes-list-type set/map: the API server refuses repeated items (dependsOn: [a, a]) before
// any CEL rule runs. JSON Schema cannot say "unique by key", so this walks the schema itself.
import type { TSchema } from '@sinclair/typebox';
import { formatPath, type PathSegment } from './path.ts';
import type { ValidationProblem } from './problem.ts';
import { PipelineSchema } from './schema.ts';

type Node = Record<string, unknown>;

function isObj(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function listTypeProblems(doc: unknown): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  walk(PipelineSchema, doc, [], problems);
  return problems;
}

function walk(schema: TSchema | Node, value: unknown, at: PathSegment[], out: ValidationProblem[]): void {
  const node = schema as Node;
  if (Array.isArray(value) && isObj(node.items)) {
    const listType = node['x-kubernetes-list-type'];
    const keys = node['x-kubernetes-list-map-keys'];
    if (listType === 'set')
      repeated(
        value,
        at,
        out,
        (item) => JSON.stringify(item),
        (item) => `duplicate value ${JSON.stringify(item)}`,
      );
    if (listType === 'map' && Array.isArray(keys)) {
      repeated(
        value,
        at,
        out,
        (item) => (isObj(item) ? JSON.stringify(keys.map((k: string) => item[k])) : undefined),
        (item) =>
          `duplicate entry with ${keys.map((k: string) => `${k} ${JSON.stringify((item as Node)[k])}`).join(', ')}`,
      );
    }
    for (const [i, item] of value.entries()) walk(node.items as Node, item, [...at, i], out);
  } else if (isObj(value) && isObj(node.properties)) {
    for (const [key, child] of Object.entries(node.properties)) {
      if (key in value && isObj(child)) walk(child, value[key], [...at, key], out);
    }
  }
}

function repeated(
  list: unknown[],
  at: PathSegment[],
  out: ValidationProblem[],
  key: (item: unknown) => string | undefined,
  message: (item: unknown) => string,
): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const k = key(item);
    if (k === undefined) return;
    if (seen.has(k)) out.push({ path: formatPath([...at, i]), message: message(item) });
    seen.add(k);
  });
}
