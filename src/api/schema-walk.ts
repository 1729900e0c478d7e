// Copies a TypeBox schema into plain JSON, node by node, so generators can reshape it.
// Copying through Object.entries drops TypeBox's symbol keys ([Kind], [OptionalKind], ...).

export type JsonSchema = { [key: string]: unknown };

/** Keys whose value is a map of schemas (name → schema). */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs']);
/** Keys whose value is one schema (or a list of schemas). */
const SCHEMA_VALUES = new Set(['items', 'additionalProperties', 'not', 'anyOf', 'allOf', 'oneOf']);

/**
 * A plain copy of `schema` in which every schema node (root included) went through `visit`.
 * `visit` gets the node with its children already copied and returns the node to keep.
 */
export function transformSchema(
  schema: unknown,
  visit: (node: JsonSchema, path: string) => JsonSchema,
  path = '',
): JsonSchema {
  const node: JsonSchema = {};
  for (const [key, value] of Object.entries(schema as JsonSchema)) {
    if (SCHEMA_MAPS.has(key) && isObject(value)) {
      const out: JsonSchema = {};
      for (const [name, child] of Object.entries(value)) out[name] = transformSchema(child, visit, `${path}.${name}`);
      node[key] = out;
    } else if (SCHEMA_VALUES.has(key) && Array.isArray(value)) {
      node[key] = value.map((child, i) => transformSchema(child, visit, `${path}.${key}[${i}]`));
    } else if (SCHEMA_VALUES.has(key) && isObject(value)) {
      node[key] = transformSchema(value, visit, key === 'items' ? `${path}[]` : `${path}.${key}`);
    } else {
      node[key] = structuredClone(value);
    }
  }
  return visit(node, path);
}

/** The keys of `node` in the order people expect to read them in a schema. */
const KEY_ORDER = [
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'format',
  'enum',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'anyOf',
];

/** A copy with keys in KEY_ORDER first (x-kubernetes-* and unknown keys last, sorted). */
export function orderKeys(node: JsonSchema): JsonSchema {
  const rank = (key: string) => {
    const at = KEY_ORDER.indexOf(key);
    return at < 0 ? KEY_ORDER.length : at;
  };
  const keys = Object.keys(node).sort(
    (a, b) => rank(a) - rank(b) || (rank(a) === KEY_ORDER.length ? a.localeCompare(b) : 0),
  );
  const out: JsonSchema = {};
  for (const key of keys) out[key] = node[key];
  return out;
}

export function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
