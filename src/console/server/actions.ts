// The Console's writes, as pure data: which permission each action needs and the JSON merge patch
// that does it (action-patch.ts, shared with the Headlamp plugin), the words of the answer, and
// the checks a Pipeline document must pass before the API server sees it.
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND } from '../../api/constants.ts';
import type { Pipeline } from '../../api/types.ts';
import type { ActionName, ActionRequest } from '../protocol.ts';

/** What the operator was asked, for the answer the user reads. */
export function actionDoneMessage(action: ActionName, namespace: string, name: string, request: ActionRequest): string {
  const pipeline = `pipeline ${namespace}/${name}`;
  const run = request.run ? `run ${request.run}` : 'the latest run';
  switch (action) {
    case 'run':
      return `${pipeline}: a manual run was requested${runOptionWords(request)}`;
    case 'retry':
      return `${pipeline}: a retry of ${run} was requested`;
    case 'cancel':
      return `${pipeline}: cancelling ${run} was requested`;
    case 'suspend':
      return `${pipeline} is suspended`;
    case 'resume':
      return `${pipeline} is resumed`;
  }
}

/** " with table=users, no cache": the options of a run request, in the CLI's words. */
function runOptionWords(request: ActionRequest): string {
  const words = [
    ...Object.entries(request.params ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(request.noCache ? ['no cache'] : []),
  ];
  return words.length > 0 ? ` with ${words.join(', ')}` : '';
}

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
