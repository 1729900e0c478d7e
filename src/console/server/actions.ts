// The Console's writes, as pure data: which permission each action needs, the JSON merge patch
// that does it (the same annotations `conveyor run|retry|cancel` set, or spec.suspend), and the
// checks a Pipeline document must pass before the API server sees it.
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND } from '../../api/constants.ts';
import type { Pipeline } from '../../api/types.ts';
import { ANN_CANCEL_REQUESTED, ANN_RETRY_REQUESTED, ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../api/labels.ts';
import type { RunOptions } from '../../plan/select/params.ts';
import type { ActionName, ActionRequest } from '../protocol.ts';

export const ACTIONS: readonly ActionName[] = ['run', 'retry', 'cancel', 'suspend', 'resume'];

/** The RBAC verb on pipelines each action needs: all of them patch the Pipeline. */
export const ACTION_VERB: Record<ActionName, 'patch'> = {
  run: 'patch',
  retry: 'patch',
  cancel: 'patch',
  suspend: 'patch',
  resume: 'patch',
};

export type MergePatch = { metadata?: { annotations: Record<string, string> }; spec?: { suspend: boolean } };

/** The merge patch that asks the operator for `action`; `now` makes each request a new value. */
export function actionPatch(action: ActionName, request: ActionRequest, now: Date): MergePatch {
  const stamp = now.toISOString();
  const aboutRun = request.run ? `${request.run}:${stamp}` : stamp;
  switch (action) {
    case 'run':
      return { metadata: { annotations: { [ANN_RUN_REQUESTED]: stamp, ...runOptionsAnnotation(request, stamp) } } };
    case 'retry':
      return { metadata: { annotations: { [ANN_RETRY_REQUESTED]: aboutRun } } };
    case 'cancel':
      return { metadata: { annotations: { [ANN_CANCEL_REQUESTED]: aboutRun } } };
    case 'suspend':
      return { spec: { suspend: true } };
    case 'resume':
      return { spec: { suspend: false } };
  }
}

/** A run's options as `conveyor run` writes them: naming their request, `at` the request time; none without options. */
function runOptionsAnnotation(request: ActionRequest, stamp: string): Record<string, string> {
  if (request.params === undefined && request.noCache !== true) return {};
  const options: RunOptions = {
    request: stamp,
    ...(request.params ? { params: request.params } : {}),
    at: stamp,
    ...(request.noCache ? { noCache: true } : {}),
  };
  return { [ANN_RUN_OPTIONS]: JSON.stringify(options) };
}

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
