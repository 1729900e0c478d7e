// `npm run generate`: writes the files derived from src/api/schema.ts. Tests compare the files in
// the repo with what render() gives now (test/unit/api/generated.test.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCrdYaml } from './crd.ts';
import { renderJsonSchema } from './json-schema.ts';
import { renderSchemaValidator } from './schema-validator-source.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const GENERATED_FILES: { path: string; render: () => string }[] = [
  { path: 'crds/conveyor.dev_pipelines.yaml', render: renderCrdYaml },
  // Helm installs the CRD from the chart's crds/ directory: the same bytes.
  { path: 'charts/conveyor/crds/conveyor.dev_pipelines.yaml', render: renderCrdYaml },
  { path: 'schema/pipeline.schema.json', render: renderJsonSchema },
  // ajv's code for that schema, compiled once: the Console's CSP allows no eval (schema-check.ts).
  { path: 'src/api/schema-validator.generated.ts', render: renderSchemaValidator },
];

export function generate(root = REPO_ROOT): string[] {
  return GENERATED_FILES.map(({ path, render }) => {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, render());
    return path;
  });
}

// import.meta.main is Node ≥ 24.2; the argv test covers older Nodes.
if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const path of generate()) console.log(`wrote ${path}`);
}
