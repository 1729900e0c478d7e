// Loads the Kubernetes client configuration: an explicit kubeconfig file, in-cluster service
// account credentials, or the default kubeconfig lookup ($KUBECONFIG, ~/.kube/config).
// Builds the operator's API clients, every call of which has a deadline.
import * as k8s from '@kubernetes/client-node';
import { ConveyorKubeConfig } from './kubeconfig.ts';
import { ApiTimeoutError } from './errors.ts';
import { VERSION } from '../version.ts';
import { MAX_TIMER_DELAY_MS } from '../time-limits.ts';

export function loadKubeConfig(kubeconfigPath?: string): k8s.KubeConfig {
  const kc = new ConveyorKubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export interface KubeApis {
  kc: k8s.KubeConfig;
  batch: k8s.BatchV1Api;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  coordination: k8s.CoordinationV1Api;
  /** ControllerRevisions: the pinned spec of each Pipeline generation (src/plan/tidy/revision.ts). */
  apps: k8s.AppsV1Api;
}

/** How long one API call may take, answer body included, before it fails with ApiTimeoutError. */
export const DEFAULT_API_TIMEOUT_MS = 30_000;

export interface ApiOptions {
  /** Deadline of each request. Default DEFAULT_API_TIMEOUT_MS. */
  requestTimeoutMs?: number;
}

/**
 * The clients the operator calls the API server with. Watches are not made here: the informers
 * open them with client-node's Watch on the same KubeConfig, and they must stay open, so the
 * deadline lives in these clients' configuration and not in the KubeConfig.
 */
export function makeApis(kc: k8s.KubeConfig, options: ApiOptions = {}): KubeApis {
  const make = <T>(api: ApiClass<T>): T => makeApiClient(kc, api, options);
  return {
    kc,
    batch: make(k8s.BatchV1Api),
    core: make(k8s.CoreV1Api),
    custom: make(k8s.CustomObjectsApi),
    coordination: make(k8s.CoordinationV1Api),
    apps: make(k8s.AppsV1Api),
  };
}

export type ApiClass<T> = new (configuration: k8s.Configuration) => T;

/**
 * One API client with a deadline on every call: what KubeConfig.makeApiClient builds (server, the
 * KubeConfig as authenticator, a User-Agent) plus the deadline middleware, for which client-node
 * offers no other place. Use it instead of kc.makeApiClient for any client that is not a watch.
 */
export function makeApiClient<T>(kc: k8s.KubeConfig, api: ApiClass<T>, options: ApiOptions = {}): T {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_API_TIMEOUT_MS;
  // Node fires a timer above MAX_TIMER_DELAY_MS after 1 ms: that would abort every request.
  if (!(timeoutMs > 0 && timeoutMs <= MAX_TIMER_DELAY_MS))
    throw new RangeError(`requestTimeoutMs: expected 1 to ${MAX_TIMER_DELAY_MS} ms, got ${timeoutMs}`);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster!');
  const configuration = k8s.createConfiguration({
    baseServer: new k8s.ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    middleware: [k8s.setHeaderMiddleware('User-Agent', `conveyor/${VERSION}`)],
    promiseMiddleware: [deadline(timeoutMs)],
  });
  return new api(configuration);
}

/**
 * Per-call options: the call also fails with ApiTimeoutError if it has not been answered in full
 * by `deadlineAt` (epoch ms), on top of its client's own deadline. For a sequence of calls that
 * must all finish by one moment, such as a Lease renewal that must land before the renew
 * deadline. A deadline already past aborts the call at once.
 */
export function answerBy(deadlineAt: number): k8s.ConfigurationOptions {
  // Call-time middleware is the observable kind (client-node does not wrap it as it wraps a
  // configuration's promiseMiddleware). 'append' keeps the client's own User-Agent and deadline.
  const middleware: k8s.ObservableMiddleware = {
    pre: (context) => new k8s.Observable(Promise.resolve(armDeadline(context, Math.max(0, deadlineAt - Date.now())))),
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}

/** The client's deadline: every request of the client is armed with the same one. */
function deadline(timeoutMs: number): k8s.Middleware {
  return {
    pre: async (context) => armDeadline(context, timeoutMs),
    post: async (response) => response,
  };
}

/**
 * Aborts a request that has not been answered in full within `timeoutMs` (undici's fetch rejects
 * with the abort reason, an ApiTimeoutError, also when the body stalls halfway). The clock starts
 * after authentication, when the request is about to be sent. A signal already on the request
 * (an earlier deadline) still applies: whichever fires first aborts. The timer is not cleared
 * when the answer arrives (no hook sees the body end); unref'd, it only costs memory until it
 * expires, and aborting a finished request does nothing.
 */
function armDeadline(context: k8s.RequestContext, timeoutMs: number): k8s.RequestContext {
  const controller = new AbortController();
  const method = String(context.getHttpMethod());
  const url = context.getUrl();
  setTimeout(() => controller.abort(new ApiTimeoutError(method, url, timeoutMs)), timeoutMs).unref();
  const existing = context.getSignal();
  context.setSignal(existing ? AbortSignal.any([existing, controller.signal]) : controller.signal);
  return context;
}
