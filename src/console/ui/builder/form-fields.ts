// The stage form, generated from the Pipeline JSON Schema (schema/pipeline.schema.json, the file
// GET /api/schema serves): one field per property of a stage, its input chosen by the property's
// type. Values go to and from the text of the input; an empty input means "not set".
import { parse, stringify } from 'yaml';

type SchemaNode = {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: string[];
};

export type FieldKind = 'text' | 'integer' | 'boolean' | 'enum' | 'list' | 'yaml';
export type FieldSpec = { name: string; kind: FieldKind; description: string; required: boolean; options?: string[] };

function kindOf(node: SchemaNode): FieldKind {
  if (node.enum) return 'enum';
  if (node.type === 'string') return 'text';
  if (node.type === 'integer' || node.type === 'number') return 'integer';
  if (node.type === 'boolean') return 'boolean';
  if (node.type === 'array' && node.items?.type === 'string') return 'list';
  return 'yaml'; // objects and lists of objects (env, resources, podTemplate): edited as YAML
}

/** The fields of one stage, in the schema's order. */
export function stageFields(schema: unknown): FieldSpec[] {
  const stage = (schema as { properties?: { spec?: SchemaNode } }).properties?.spec?.properties?.stages?.items;
  if (!stage?.properties) return [];
  const required = new Set(stage.required ?? []);
  return Object.entries(stage.properties).map(([name, node]) => ({
    name,
    kind: kindOf(node),
    description: node.description ?? '',
    required: required.has(name),
    ...(node.enum ? { options: node.enum.map(String) } : {}),
  }));
}

/** The input's text for a value. */
export function fieldText(kind: FieldKind, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (kind === 'list' && Array.isArray(value)) return value.map(String).join('\n');
  if (kind === 'yaml') return stringify(value, { lineWidth: 0 }).trimEnd();
  return String(value);
}

/**
 * The value for an input's text: undefined when empty (the field is removed), or an error to
 * show beside the field. Numbers that are not integers stay strings, so the validator words it.
 */
export function fieldValue(kind: FieldKind, text: string): { value: unknown } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  switch (kind) {
    case 'integer':
      return { value: /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text };
    case 'boolean':
      return { value: text === 'true' };
    case 'list':
      return { value: text.split('\n').filter((line) => line !== '') };
    case 'yaml':
      try {
        return { value: parse(text) };
      } catch (error) {
        return { error: (error as Error).message.split('\n')[0] ?? 'invalid YAML' };
      }
    default:
      return { value: text };
  }
}
