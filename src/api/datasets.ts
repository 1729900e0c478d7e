// What the schema cannot say about a stage's datasets (stages[].inputs / outputs, also of onFailure
// stages): their facets are free-form (x-kubernetes-preserve-unknown-fields), yet each goes into
// OpenLineage events as a facet, which OpenLineage requires to be an object naming its schema
// (_schemaURL; _producer defaults to Conveyor's), and all of them travel in every lineage event of
// the stage, so their size is bounded.
import { formatPath, type PathSegment } from './path.ts';
import type { ValidationProblem } from './problem.ts';
import { MAX_DATASET_FACETS_BYTES, MAX_DATASETS } from './schema.ts';
import { jsonBytes } from './size.ts';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const URL = /^https?:\/\/\S+$/;

/** Problems of every dataset's facets, each at its path. */
export function datasetProblems(spec: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  for (const list of ['stages', 'onFailure'] as const) {
    const stages = spec[list];
    if (!Array.isArray(stages)) continue;
    stages.forEach((stage, i) => {
      if (!isObj(stage)) return;
      for (const field of ['inputs', 'outputs'] as const) {
        const datasets = stage[field];
        // Past the limit the schema already complains; don't walk an arbitrarily long list.
        if (!Array.isArray(datasets) || datasets.length > MAX_DATASETS) continue;
        datasets.forEach((dataset, j) => {
          if (isObj(dataset)) problems.push(...facetProblems(dataset.facets, ['spec', list, i, field, j, 'facets']));
        });
      }
    });
  }
  return problems;
}

function facetProblems(facets: unknown, at: PathSegment[]): ValidationProblem[] {
  if (!isObj(facets)) return []; // absent, or not an object: the schema's business
  const bytes = jsonBytes(facets, MAX_DATASET_FACETS_BYTES * 2);
  if (bytes > MAX_DATASET_FACETS_BYTES) {
    const size = bytes > MAX_DATASET_FACETS_BYTES * 2 ? `over ${MAX_DATASET_FACETS_BYTES * 2}` : String(bytes);
    return [
      {
        path: formatPath(at),
        message: `facets are ${size} bytes as JSON; at most ${MAX_DATASET_FACETS_BYTES} (they travel in every lineage event of the stage)`,
      },
    ];
  }
  return Object.entries(facets).flatMap(([name, facet]): ValidationProblem[] => {
    const path = formatPath([...at, name]);
    if (!isObj(facet)) return [{ path, message: 'an OpenLineage facet must be an object (a map of fields)' }];
    if (typeof facet._schemaURL !== 'string' || !URL.test(facet._schemaURL)) {
      return [
        {
          path: formatPath([...at, name, '_schemaURL']),
          message: 'required: the http(s) URL of the facet’s JSON schema, as OpenLineage requires of every facet',
        },
      ];
    }
    if (facet._producer !== undefined && typeof facet._producer !== 'string') {
      return [{ path: formatPath([...at, name, '_producer']), message: 'must be a string (a URI), or left out' }];
    }
    return [];
  });
}
