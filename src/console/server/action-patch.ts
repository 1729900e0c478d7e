// Which permission each action on a Pipeline needs, the JSON merge patch that does it (the
// same annotations `conveyor run|retry|cancel` set (conveyor.dev/run-requested, retry-requested,
// cancel-requested, run-options), or spec.suspend), and the words that say what was asked. Pure,
// with no dependencies beyond the annotation keys, so the Console's server and the Headlamp plugin
// write identical requests.
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
