// The JSON Schema of a whole Pipeline document, built from src/api/schema.ts. It is written to
// schema/pipeline.schema.json for editors (yaml-language-server) and is exactly what ajv checks in
// validate.ts. Unlike the CRD it keeps additionalProperties: false, so a typo is an error, as
// with kubectl's strict field validation. The CEL rules are left out here: editors cannot run
// them, and validate.ts runs their TypeScript twins (src/api/rules.ts).
import { PipelineSchema } from './schema.ts';
import { orderKeys, transformSchema, type JsonSchema } from './schema-walk.ts';

function withoutKubernetesKeywords(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) if (!key.startsWith('x-kubernetes-')) out[key] = value;
  return orderKeys(out);
}

export function pipelineJsonSchema(): JsonSchema {
  const schema = transformSchema(PipelineSchema, withoutKubernetesKeywords);
  return orderKeys({
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Conveyor Pipeline (conveyor.dev/v1alpha1)',
    ...schema,
  });
}

export function renderJsonSchema(): string {
  return `${JSON.stringify(pipelineJsonSchema(), null, 2)}\n`;
}
