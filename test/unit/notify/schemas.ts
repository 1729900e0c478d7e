// The official JSON schemas (test/schemas, copied unchanged) as ajv validators: every event the
// notify tests produce goes through these. CloudEvents' schema is draft-07 (ajv's default build);
// OpenLineage's and its facets' are draft 2020-12 (ajv/dist/2020), the facets registered by $id.
// ajv-formats is not installed: the four formats the schemas use are checked here, strictly.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { CloudEvent } from '../../../src/notify/cloudevents.ts';
import type { LineageRunEvent } from '../../../src/notify/openlineage.ts';

const SCHEMAS = resolve(import.meta.dirname, '../../schemas');
const read = (path: string) => JSON.parse(readFileSync(join(SCHEMAS, path), 'utf8')) as Record<string, unknown>;

const FORMATS: Record<string, RegExp> = {
  'date-time': /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/,
  'uri-reference': /^[^\s]+$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

function addFormats(ajv: Ajv | Ajv2020): void {
  for (const [name, pattern] of Object.entries(FORMATS)) ajv.addFormat(name, pattern);
}

const cloudEventsAjv = new Ajv({ allErrors: true, strict: false });
addFormats(cloudEventsAjv);
const cloudEventSchema = cloudEventsAjv.compile(read('cloudevents/cloudevents.json'));

const lineageAjv = new Ajv2020({ allErrors: true, strict: false });
addFormats(lineageAjv);
lineageAjv.addSchema(read('openlineage/OpenLineage.json'));
const facetFiles = readdirSync(join(SCHEMAS, 'openlineage/facets'));
for (const file of facetFiles) lineageAjv.addSchema(read(`openlineage/facets/${file}`));
const runEventSchema = lineageAjv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json') as ValidateFunction;

/** Facet name → the validator of the schema file that defines it (its top-level properties). */
const facetSchemas = new Map<string, ValidateFunction>(
  facetFiles.flatMap((file) => {
    const schema = read(`openlineage/facets/${file}`);
    const validate = lineageAjv.getSchema(String(schema.$id)) as ValidateFunction;
    return Object.keys(schema.properties as object).map((name) => [name, validate] as const);
  }),
);

function problems(validate: ValidateFunction, value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** Problems of a CloudEvent against the CloudEvents 1.0 schema; [] when it is valid. */
export function cloudEventProblems(event: CloudEvent): string[] {
  return problems(cloudEventSchema, event);
}

/**
 * Problems of a RunEvent against OpenLineage.json, and of each run and job facet against the facet
 * schema that defines it; a facet no copied schema defines is a problem too (it would go unchecked).
 */
export function lineageProblems(event: LineageRunEvent): string[] {
  const found = problems(runEventSchema, event);
  for (const facets of [event.run.facets, event.job.facets]) {
    for (const name of Object.keys(facets)) {
      const validate = facetSchemas.get(name);
      if (!validate) found.push(`facet ${name}: no schema in test/schemas`);
      else found.push(...problems(validate, { [name]: facets[name] }).map((p) => `facet ${name}: ${p}`));
    }
  }
  return found;
}
