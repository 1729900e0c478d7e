// The Console inside the cluster (`conveyor dashboard --in-cluster`, the Helm chart's `console`):
// the same server, but the pod's ServiceAccount has no rights at all and its token is not even
// mounted. Every browser request carries the person's own bearer token — put there by an auth
// proxy in front (oauth2-proxy, Pomerium, kube-oidc-proxy…) or pasted at login — and every API
// call is made with that token alone, so Kubernetes RBAC decides, person by person.
//
// Here, a person's token: where the API server is (from the pod's environment and the mounted
// cluster CA), a KubeConfig that holds one bearer token and nothing else, reading the token off a
// request, and asking the API server who a token belongs to. The request path:
// in-cluster-routes.ts; which token a request acts with, and logins: in-cluster-credentials.ts;
// sessions for pasted tokens: token-sessions.ts; one backend per person: backend-pool.ts.
import { existsSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { makeApiClient } from '../../kube/client.ts';
import { describeError, httpStatus } from '../../kube/errors.ts';
import { ConveyorKubeConfig } from '../../kube/kubeconfig.ts';

/** Where the chart mounts the namespace's `kube-root-ca.crt` ConfigMap (key ca.crt). */
export const DEFAULT_CA_FILE = '/etc/conveyor/ca/ca.crt';

export interface ApiServer {
  server: string;
  caFile?: string;
  /** Base64 PEM, as in a kubeconfig's certificate-authority-data. */
  caData?: string;
  /** The namespace of the KubeConfig's context (what the backend falls back to). Default "default". */
  namespace?: string;
}

export interface InClusterFiles {
  caFile: string;
  exists?: (path: string) => boolean;
}

export const DEFAULT_IN_CLUSTER_FILES: InClusterFiles = { caFile: DEFAULT_CA_FILE, exists: existsSync };

/**
 * The API server as seen from a pod: https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT
 * (an IPv6 host in brackets) and the cluster CA file. CONVEYOR_CONSOLE_API_SERVER (an https URL)
 * replaces it, e.g. with a kube-oidc-proxy in front of the API server, and CONVEYOR_CONSOLE_CA_FILE
 * the CA path. Throws with what is missing.
 */
export function inClusterApiServer(
  env: NodeJS.ProcessEnv = process.env,
  files: InClusterFiles = DEFAULT_IN_CLUSTER_FILES,
): { server: string; caFile: string } {
  const server = env.CONVEYOR_CONSOLE_API_SERVER?.trim()
    ? explicitServer(env.CONVEYOR_CONSOLE_API_SERVER.trim())
    : serviceServer(env);
  const caFile = env.CONVEYOR_CONSOLE_CA_FILE?.trim() || files.caFile;
  if ((files.exists ?? existsSync)(caFile) === false) {
    throw new Error(
      `the cluster CA is not at ${caFile}: mount the namespace's kube-root-ca.crt ConfigMap there ` +
        '(the Helm chart does), since the ServiceAccount token and its CA are deliberately not mounted',
    );
  }
  return { server, caFile };
}

function serviceServer(env: NodeJS.ProcessEnv): string {
  const host = env.KUBERNETES_SERVICE_HOST?.trim();
  if (!host) throw new Error('not running in a Kubernetes pod: KUBERNETES_SERVICE_HOST is not set');
  const port = env.KUBERNETES_SERVICE_PORT?.trim() || '443';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    throw new Error(`KUBERNETES_SERVICE_PORT is not a port number: ${JSON.stringify(port)}`);
  }
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return `https://${bare.includes(':') ? `[${bare}]` : bare}:${port}`;
}

/** Only https: a bearer token must never travel in the clear. */
function explicitServer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`CONVEYOR_CONSOLE_API_SERVER is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:')
    throw new Error(
      `CONVEYOR_CONSOLE_API_SERVER must be an https URL (tokens travel with every request): ${JSON.stringify(value)}`,
    );
  return value.replace(/\/+$/, '');
}

/**
 * A KubeConfig that authenticates with `token` and nothing else: no client certificate, no exec
 * plugin, no auth provider, TLS verified against the given CA.
 */
export function kubeConfigForToken(api: ApiServer, token: string): k8s.KubeConfig {
  if (!isWellFormedToken(token)) throw new Error('not a bearer token');
  const kc = new ConveyorKubeConfig();
  const cluster = {
    name: 'cluster',
    server: api.server,
    skipTLSVerify: false,
    ...(api.caFile ? { caFile: api.caFile } : {}),
    ...(api.caData ? { caData: api.caData } : {}),
  };
  kc.loadFromOptions({
    clusters: [cluster],
    users: [{ name: 'console-user', token }],
    contexts: [{ name: 'console', cluster: 'cluster', user: 'console-user', namespace: api.namespace ?? 'default' }],
    currentContext: 'console',
  });
  return kc;
}

/** RFC 6750's b64token, bounded: long enough for an OIDC ID token with many groups. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MAX_TOKEN_LENGTH = 16 * 1024;

export function isWellFormedToken(token: string): boolean {
  return token.length > 0 && token.length <= MAX_TOKEN_LENGTH && TOKEN.test(token);
}

export type Authorization =
  | { kind: 'none' }
  | { kind: 'bearer'; token: string }
  | { kind: 'malformed'; message: string };

/** What the Authorization header says: nothing, a well-formed bearer token, or something refused. */
export function parseAuthorization(headers: { authorization?: string | string[] | undefined }): Authorization {
  const value = headers.authorization;
  if (value === undefined || value === '') return { kind: 'none' };
  if (Array.isArray(value)) return { kind: 'malformed', message: 'more than one Authorization header' };
  const match = /^Bearer +(\S+)$/i.exec(value);
  if (!match) return { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' };
  const token = match[1]!;
  if (!isWellFormedToken(token))
    return { kind: 'malformed', message: 'the bearer token has characters a token cannot have, or is too long' };
  return { kind: 'bearer', token };
}

/** The bearer token of `Authorization: Bearer …` (as an auth proxy passes it on), if well formed. */
export function bearerToken(headers: { authorization?: string | string[] | undefined }): string | undefined {
  const auth = parseAuthorization(headers);
  return auth.kind === 'bearer' ? auth.token : undefined;
}

export type UserCheck =
  | { ok: true; username?: string; groups: string[] }
  /** 401: the API server refused the token; 502: it could not be asked. */
  | { ok: false; status: 401 | 502; message: string };

/**
 * Asks the API server who `token` is (a SelfSubjectReview made with the token itself), so a bad
 * token is refused at once with a clear message rather than as empty lists later. The API server
 * is the only authority: nothing about the token is decided here.
 */
export async function validateUser(api: ApiServer, token: string): Promise<UserCheck> {
  if (!isWellFormedToken(token)) return { ok: false, status: 401, message: 'not a bearer token' };
  const authn = makeApiClient(kubeConfigForToken(api, token), k8s.AuthenticationV1Api, { requestTimeoutMs: 10_000 });
  try {
    const review = await authn.createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    const info = review.status?.userInfo;
    return { ok: true, ...(info?.username ? { username: info.username } : {}), groups: info?.groups ?? [] };
  } catch (err) {
    const status = httpStatus(err);
    // Authenticated but not allowed to review itself: the token is good; RBAC decides the rest.
    if (status === 403) return { ok: true, groups: [] };
    if (status === 401) {
      return {
        ok: false,
        status: 401,
        message:
          'the Kubernetes API server does not accept this token (401 Unauthorized): it is expired, revoked, or not issued for this cluster',
      };
    }
    return {
      ok: false,
      status: 502,
      message: `could not ask the Kubernetes API server who this token is: ${describeError(err)}`,
    };
  }
}
