// Writes the configuration table of docs/install.md from charts/conveyor/values.schema.json (what
// each value means) and charts/conveyor/values.yaml (its default), between the markers
//   <!-- values-table:start --> and <!-- values-table:end -->
//
//   node hack/values-table.ts           rewrite docs/install.md
//   node hack/values-table.ts --check   exit 1 when docs/install.md is stale
//
// test/unit/chart/values-table.test.ts fails when the table is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DOC = join(ROOT, 'docs/install.md');
export const START = '<!-- values-table:start -->';
export const END = '<!-- values-table:end -->';

interface Schema {
  description?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  minimum?: number;
}

function typeOf(s: Schema): string {
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes('array') && s.items?.type)
    return `array of ${Array.isArray(s.items.type) ? s.items.type.join(' or ') : s.items.type}`;
  return types.join(' or ') || 'any';
}

function defaultOf(value: unknown): string {
  if (value === undefined) return '';
  const text =
    typeof value === 'string'
      ? JSON.stringify(value)
      : JSON.stringify(value, null, 0).replaceAll(',', ', ').replaceAll(':', ': ');
  return `\`${text}\``;
}

const cell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function rows(schema: Schema, values: Record<string, unknown> | undefined, prefix: string): string[] {
  const out: string[] = [];
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const value = values?.[key];
    // Objects whose keys the schema names are broken down; free-form maps are one row.
    const children = Object.values(prop.properties ?? {});
    if (children.length > 0 && children.every((c) => c.description)) {
      out.push(...rows(prop, value as Record<string, unknown> | undefined, path));
      continue;
    }
    let description = prop.description ?? '';
    if (prop.enum) description += ` One of: ${prop.enum.map((e) => `\`${String(e)}\``).join(', ')}.`;
    out.push(`| \`${path}\` | ${cell(typeOf(prop))} | ${cell(defaultOf(value))} | ${cell(description.trim())} |`);
  }
  return out;
}

/** The Markdown table, from the chart's schema and default values. */
export function renderValuesTable(root = ROOT): string {
  const schema = JSON.parse(readFileSync(join(root, 'charts/conveyor/values.schema.json'), 'utf8')) as Schema;
  const values = parse(readFileSync(join(root, 'charts/conveyor/values.yaml'), 'utf8')) as Record<string, unknown>;
  return ['| Value | Type | Default | Description |', '|---|---|---|---|', ...rows(schema, values, '')].join('\n');
}

/** `doc` with the table between the markers replaced by `table`. */
export function withTable(doc: string, table: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/install.md needs the markers ${START} and ${END}`);
  return `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`;
}

if (import.meta.main) {
  const doc = readFileSync(DOC, 'utf8');
  const next = withTable(doc, renderValuesTable());
  if (process.argv.includes('--check')) {
    if (next !== doc) {
      console.error('docs/install.md: the values table is stale; run `node hack/values-table.ts`');
      process.exit(1);
    }
  } else if (next !== doc) {
    writeFileSync(DOC, next);
    console.log('wrote docs/install.md');
  }
}
