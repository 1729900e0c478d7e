// Lists of any kind as the API server's JSON: plain objects with string timestamps, the same
// shape the watch delivers. client-node's typed list calls (listNamespacedJob, ...) turn every
// object into class instances and every timestamp into a Date: 2.6 s of CPU and more heap for
// 50,000 Jobs in a cold restart, and a second shape of the same object next to the watch's.
//
// The request goes through CustomObjectsApi, whose list answer is the parsed JSON untouched: same
// client configuration, TLS, authentication, User-Agent and deadline as every other call. Its path
// is /apis/{group}/{version}/...; a core kind (/api/v1) is asked for under a placeholder group and
// its URL rewritten to /api/v1 before it is sent.
import * as k8s from '@kubernetes/client-node';

/** Where the objects are: an API path (/api/v1, /apis/batch/v1) and a resource (jobs). */
export interface JsonListTarget {
  apiPath: string;
  resource: string;
  /** Unset: every namespace. */
  namespace?: string;
  labelSelector?: string;
}

export interface JsonListPage {
  limit?: number;
  _continue?: string;
}

/** The group placeholder for the core API; never sent (see coreUrl). */
const CORE_PLACEHOLDER = 'core.conveyor.invalid';

/** One page of a list, as the server's JSON (its metadata.continue is the next page's token). */
export async function listAsJson<T extends k8s.KubernetesObject>(
  custom: k8s.CustomObjectsApi,
  target: JsonListTarget,
  page: JsonListPage = {},
): Promise<k8s.KubernetesListObject<T>> {
  const { group, version } = groupVersionOf(target.apiPath);
  const request = {
    group: group ?? CORE_PLACEHOLDER,
    version,
    plural: target.resource,
    labelSelector: target.labelSelector,
    ...page,
  };
  const options = group === undefined ? rewriteToCore() : undefined;
  const list = target.namespace
    ? custom.listNamespacedCustomObject({ ...request, namespace: target.namespace }, options)
    : custom.listClusterCustomObject(request, options);
  return (await list) as k8s.KubernetesListObject<T>;
}

/** "/api/v1" → core (group undefined); "/apis/batch/v1" → batch, v1. */
export function groupVersionOf(apiPath: string): { group: string | undefined; version: string } {
  const core = /^\/api\/([^/]+)$/.exec(apiPath);
  if (core) return { group: undefined, version: core[1]! };
  const named = /^\/apis\/([^/]+)\/([^/]+)$/.exec(apiPath);
  if (named) return { group: named[1]!, version: named[2]! };
  throw new Error(`apiPath: expected /api/<version> or /apis/<group>/<version>, got ${JSON.stringify(apiPath)}`);
}

/** The placeholder group's URL as the core API's: /apis/<placeholder>/v1/... → /api/v1/... */
export function coreUrl(url: string): string {
  const from = `/apis/${CORE_PLACEHOLDER}/`;
  const at = url.indexOf(from);
  if (at < 0) throw new Error(`core list: the request URL ${url} does not hold ${from}`);
  return `${url.slice(0, at)}/api/${url.slice(at + from.length)}`;
}

/** Call-time middleware that rewrites the URL; 'append' keeps the client's own middleware. */
function rewriteToCore(): k8s.ConfigurationOptions {
  const middleware: k8s.ObservableMiddleware = {
    pre: (context) => {
      context.setUrl(coreUrl(context.getUrl()));
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
