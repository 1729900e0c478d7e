// The checks a Pipeline document must pass before the API server sees it (the Console's create
// and apply). The actions' patches and words are in action-patch.ts, shared with the Headlamp plugin.
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND } from '../../api/constants.ts';
import type { Pipeline } from '../../api/types.ts';

export type ParsedPipeline = { ok: true; pipeline: Pipeline } | { ok: false; message: string };

/** Exactly one YAML document holding a conveyor.dev/v1alpha1 Pipeline; else what is wrong. */
export function parsePipelineDocument(text: string): ParsedPipeline {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return { ok: false, message: 'the YAML is empty' };
  const problems = docs.flatMap((d) => d.errors.map((e) => e.message));
  if (problems.length > 0) return { ok: false, message: `the YAML does not parse: ${problems[0]}` };
  const objects = docs.map((d) => d.toJS() as unknown).filter((o) => o !== null && o !== undefined);
  if (objects.length !== 1) return { ok: false, message: `expected exactly one YAML document, got ${objects.length}` };
  const obj = objects[0];
  if (typeof obj !== 'object' || Array.isArray(obj))
    return { ok: false, message: `expected a Pipeline object, got a YAML ${Array.isArray(obj) ? 'list' : typeof obj}` };
  const { apiVersion, kind } = obj as { apiVersion?: unknown; kind?: unknown };
  if (apiVersion !== API_VERSION || kind !== KIND) {
    return {
      ok: false,
      message: `expected apiVersion ${API_VERSION} and kind ${KIND}, got apiVersion ${String(apiVersion)} and kind ${String(kind)}`,
    };
  }
  return { ok: true, pipeline: obj as Pipeline };
}
