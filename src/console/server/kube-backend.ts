// The Console's ConsoleBackend on Kubernetes: every call with the user's own credentials (their
// kubeconfig), so what the Console shows and does is exactly what RBAC lets the user see and do.
// Watches live in watch-cache.ts, the writes' shapes in actions.ts, log reading in src/kube/logs.ts.
import * as k8s from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import type { Writable } from 'node:stream';
import { GROUP, PLURAL, VERSION } from '../../api/constants.ts';
import type { Pipeline } from '../../api/types.ts';
import { validatePipeline } from '../../api/validate.ts';
import { makeApiClient } from '../../kube/client.ts';
import { httpStatus } from '../../kube/errors.ts';
import {
  LogsRefused,
  newestJobPod,
  podsGoneMessage,
  STAGE_CONTAINER,
  statusMessage,
  streamPodLog,
} from '../../kube/logs.ts';
import type { Access, ActionName, ActionRequest, ActionResult, CheckResult, Snapshot } from '../protocol.ts';
import { ACTION_VERB, ACTIONS, actionDoneMessage, actionPatch, type MergePatch } from './action-patch.ts';
import { parsePipelineDocument } from './actions.ts';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../api/labels.ts';
import { checkRunRequest } from '../../plan/select/params.ts';
import type { ConsoleBackend } from './backend.ts';
import { WatchCache } from './watch-cache.ts';
import { onKwokNode } from './canned-logs.ts';

/** The field manager of the Console's server-side applies. */
export const FIELD_MANAGER = 'conveyor-console';

export interface KubeBackendOptions {
  /** Namespaces to watch; [] = all when the user may list Pipelines cluster-wide, else the context's. */
  namespaces: string[];
  /** Where refused watches and failures are logged (default: warnings to stderr). */
  log?: Logger;
}

interface Clients {
  kc: k8s.KubeConfig;
  custom: k8s.CustomObjectsApi;
  core: k8s.CoreV1Api;
  authz: k8s.AuthorizationV1Api;
  authn: k8s.AuthenticationV1Api;
}

export function createKubeBackend(kc: k8s.KubeConfig, options: KubeBackendOptions): ConsoleBackend {
  const clients: Clients = {
    kc,
    custom: makeApiClient(kc, k8s.CustomObjectsApi),
    core: makeApiClient(kc, k8s.CoreV1Api),
    authz: makeApiClient(kc, k8s.AuthorizationV1Api),
    authn: makeApiClient(kc, k8s.AuthenticationV1Api),
  };
  const log = options.log ?? pino({ level: 'warn', base: { component: 'conveyor-console' } }, pino.destination(2));
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  let cache: WatchCache | undefined;
  let scope: string[] = [];
  let user: string | undefined;
  const started = (): WatchCache => {
    if (!cache) throw new Error('the Console backend is not started');
    return cache;
  };
  return {
    async start() {
      scope = await watchScope(clients, options.namespaces, contextNamespace);
      user = await whoAmI(clients, log);
      cache = new WatchCache(kc, scope, log);
      await cache.start();
    },
    async stop() {
      await cache?.stop();
    },
    snapshot(): Snapshot {
      const c = started();
      return {
        pipelines: c.pipelineList(),
        jobs: c.jobList(),
        events: c.eventList(),
        namespaces: scope,
        ...(user ? { user } : {}),
      };
    },
    subscribe: (listener) => started().subscribe(listener),
    access: (namespace) => access(clients, namespace),
    act: (namespace, name, action, request) => act(clients, namespace, name, action, request),
    logs: (namespace, name, stage, run, follow, out, canned) =>
      stageLogs(clients, started(), { namespace, name, stage, run }, { follow, ...(canned ? { canned } : {}) }, out),
    dryRun: (yaml) => dryRun(clients, contextNamespace, yaml),
    apply: (yaml) => apply(clients, contextNamespace, yaml),
  };
}

/** The namespaces to watch: as given; else all if the user may list Pipelines everywhere; else the context's. */
async function watchScope(clients: Clients, given: string[], contextNamespace: string): Promise<string[]> {
  if (given.length > 0) return given;
  return (await allowed(clients, '', 'list')) ? [] : [contextNamespace];
}

/** Who the API server says the user is (SelfSubjectReview); undefined when it does not say. */
async function whoAmI(clients: Clients, log: Logger): Promise<string | undefined> {
  try {
    const review = await clients.authn.createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username;
  } catch (err) {
    log.warn({ err: String(err) }, 'SelfSubjectReview failed: the Console does not show who you are');
    return undefined;
  }
}

/** One SelfSubjectAccessReview: may the user `verb` pipelines in `namespace` ('' = all namespaces)? */
async function allowed(clients: Clients, namespace: string, verb: string): Promise<boolean> {
  const review = await clients.authz.createSelfSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { namespace, verb, group: GROUP, resource: PLURAL } },
    },
  });
  return review.status?.allowed === true;
}

async function access(clients: Clients, namespace: string): Promise<Access> {
  const verbs = [...new Set<string>([...ACTIONS.map((a) => ACTION_VERB[a]), 'create'])];
  const answers = new Map(
    await Promise.all(verbs.map(async (verb) => [verb, await allowed(clients, namespace, verb)] as const)),
  );
  const may = (verb: string): boolean => answers.get(verb) === true;
  return {
    namespace,
    create: may('create'),
    run: may(ACTION_VERB.run),
    retry: may(ACTION_VERB.retry),
    cancel: may(ACTION_VERB.cancel),
    suspend: may(ACTION_VERB.suspend),
    resume: may(ACTION_VERB.resume),
  };
}

const refused = (verb: string, namespace: string): string => `you may not ${verb} pipelines in namespace ${namespace}`;

async function act(
  clients: Clients,
  namespace: string,
  name: string,
  action: ActionName,
  request: ActionRequest,
): Promise<{ status: number; result: ActionResult }> {
  const verb = ACTION_VERB[action];
  if (!(await allowed(clients, namespace, verb)))
    return { status: 403, result: { ok: false, message: refused(verb, namespace) } };
  const patch = actionPatch(action, request, new Date());
  try {
    const problem = await runOptionsProblem(clients, namespace, name, patch);
    if (problem) return { status: 422, result: { ok: false, message: `pipeline ${namespace}/${name}: ${problem}` } };
    await clients.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: patch },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  } catch (err) {
    return failure(err);
  }
  return { status: 200, result: { ok: true, message: actionDoneMessage(action, namespace, name, request) } };
}

/**
 * What the operator would refuse in a run request's options (an unknown parameter, a value
 * outside its enum), checked with its own function against the Pipeline as the user may read it,
 * as `conveyor run` does before writing; undefined when there are no options or they are fine.
 */
async function runOptionsProblem(
  clients: Clients,
  namespace: string,
  name: string,
  patch: MergePatch,
): Promise<string | undefined> {
  const annotations = patch.metadata?.annotations ?? {};
  const raw = annotations[ANN_RUN_OPTIONS];
  if (raw === undefined) return undefined;
  const pipeline = (await clients.custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    name,
  })) as Pipeline;
  const checked = checkRunRequest(pipeline.spec.params, raw, annotations[ANN_RUN_REQUESTED]);
  return checked.ok ? undefined : checked.message;
}

/** An API error as an answer: the API server's status and its own message. */
function failure(err: unknown): { status: number; result: { ok: false; message: string } } {
  const status = httpStatus(err);
  if (status === undefined)
    return { status: 502, result: { ok: false, message: err instanceof Error ? err.message : String(err) } };
  return { status, result: { ok: false, message: statusMessage(err) ?? `the API server answered ${status}` } };
}

type StageRef = { namespace: string; name: string; stage: string; run: string };

type LogOptions = { follow: boolean; canned?: (node: string) => void };

async function stageLogs(
  clients: Clients,
  cache: WatchCache,
  ref: StageRef,
  options: LogOptions,
  out: Writable,
): Promise<{ status: number; message?: string }> {
  const job = cache.stageJobs(ref.namespace, ref.name, ref.stage, ref.run)[0]?.name ?? jobOfPrunedStage(cache, ref);
  if (!job) return { status: 404, message: `stage ${ref.stage} has no Job in run ${ref.run}` };
  try {
    const pod = await newestJobPod(clients.core, ref.namespace, job);
    if (!pod?.metadata?.name) return { status: 404, message: podsGoneMessage(job) };
    if (options.canned && (await onKwokNode(clients.core, pod))) options.canned(pod.spec!.nodeName!);
    const target = { namespace: ref.namespace, pod: pod.metadata.name, container: STAGE_CONTAINER };
    await streamPodLog(clients.kc, clients.core, target, { follow: options.follow }, out);
    return { status: 200 };
  } catch (err) {
    if (err instanceof LogsRefused) return { status: err.status, message: err.message };
    const { status, result } = failure(err);
    return { status, message: result.message };
  }
}

/** The Job the Pipeline's status names for a stage of its latest run, when the Job itself is gone. */
function jobOfPrunedStage(cache: WatchCache, ref: StageRef): string | undefined {
  const pipeline: Pipeline | undefined = cache
    .pipelineList()
    .find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === ref.name);
  const lastRun = pipeline?.status?.lastRun;
  if (lastRun?.id !== ref.run) return undefined;
  return lastRun.stages?.find((s) => s.name === ref.stage)?.job;
}

type Parsed = { namespace: string; pipeline: Pipeline } | { status: number; result: CheckResult };

function parse(yaml: string, contextNamespace: string): Parsed {
  const parsed = parsePipelineDocument(yaml);
  if (!parsed.ok) return { status: 422, result: { ok: false, message: parsed.message } };
  if (typeof parsed.pipeline.metadata?.name !== 'string' || parsed.pipeline.metadata.name === '')
    return { status: 422, result: { ok: false, message: 'metadata.name is required' } };
  const namespace = parsed.pipeline.metadata.namespace ?? contextNamespace;
  return { namespace, pipeline: { ...parsed.pipeline, metadata: { ...parsed.pipeline.metadata, namespace } } };
}

/** The API server's verdict on creating the Pipeline (its schema and CEL rules), without creating it. */
async function dryRun(
  clients: Clients,
  contextNamespace: string,
  yaml: string,
): Promise<{ status: number; result: CheckResult }> {
  const parsed = parse(yaml, contextNamespace);
  if ('status' in parsed) return parsed;
  const { namespace, pipeline } = parsed;
  const what = `Pipeline ${namespace}/${pipeline.metadata?.name ?? ''}`;
  try {
    await clients.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      body: pipeline,
      dryRun: 'All',
    });
  } catch (err) {
    // It exists: check it as the update an apply would make.
    if (httpStatus(err) !== 409) return failure(err);
    const asUpdate = await serverSideApply(clients, namespace, pipeline, true);
    if (!asUpdate.result.ok) return asUpdate;
  }
  return beyondTheServer(pipeline, `the API server accepts ${what} (dry run)`);
}

/**
 * What only code can check (dependency cycles, the cron grammar, time zones) passes the API
 * server: the operator would mark the Pipeline Invalid. A dry run says so before it is applied.
 */
function beyondTheServer(pipeline: Pipeline, accepted: string): { status: number; result: CheckResult } {
  const problems = validatePipeline(pipeline);
  if (problems.length === 0) return { status: 200, result: { ok: true, message: accepted } };
  const listed = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return { status: 422, result: { ok: false, message: `${accepted}, but the operator would refuse it: ${listed}` } };
}

async function apply(
  clients: Clients,
  contextNamespace: string,
  yaml: string,
): Promise<{ status: number; result: CheckResult }> {
  const parsed = parse(yaml, contextNamespace);
  if ('status' in parsed) return parsed;
  if (!(await allowed(clients, parsed.namespace, 'create')))
    return { status: 403, result: { ok: false, message: refused('create', parsed.namespace) } };
  return serverSideApply(clients, parsed.namespace, parsed.pipeline, false);
}

async function serverSideApply(
  clients: Clients,
  namespace: string,
  pipeline: Pipeline,
  dry: boolean,
): Promise<{ status: number; result: CheckResult }> {
  const name = pipeline.metadata?.name ?? '';
  try {
    await clients.custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        name,
        body: pipeline,
        fieldManager: FIELD_MANAGER,
        force: true,
        ...(dry ? { dryRun: 'All' } : {}),
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
  } catch (err) {
    return failure(err);
  }
  const message = dry
    ? `the API server accepts Pipeline ${namespace}/${name} (dry run)`
    : `Pipeline ${namespace}/${name} applied`;
  return { status: 200, result: { ok: true, message } };
}
