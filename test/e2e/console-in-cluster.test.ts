// The in-cluster Console's credentials against the real cluster: a KubeConfig holding nothing but
// a person's bearer token (here a ServiceAccount's TokenRequest token, as an OIDC ID token would
// be), the API server's verdict on a token (SelfSubjectReview), and the per-token backend pool.
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BackendPool } from '../../src/console/server/backend-pool.ts';
import { createKubeBackend } from '../../src/console/server/kube-backend.ts';
import { kubeConfigForToken, validateUser, type ApiServer } from '../../src/console/server/in-cluster.ts';
import { createInClusterConsole } from '../../src/console/server/in-cluster-console.ts';
import { SESSION_COOKIE } from '../../src/console/server/token-sessions.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { createPipeline, installCrd, pipeline, stage } from './support/pipelines.ts';
import { kubeconfigFor } from './support/rbac.ts';

const c: Clients = clients();
let ns = '';
let cleanup: () => Promise<void> = async () => {};
let api: ApiServer;
let viewToken = '';
let noRightsToken = '';
const pool = new BackendPool({ factory: (token) => createKubeBackend(kubeConfigForToken(api, token), { namespaces: [ns] }) });

/** The API server and CA of the test cluster, as a pod would find them. */
function apiServerOf(kc: k8s.KubeConfig, namespace: string): ApiServer {
  const cluster = kc.getCurrentCluster()!;
  return { server: cluster.server, namespace, ...(cluster.caData ? { caData: cluster.caData } : {}), ...(cluster.caFile ? { caFile: cluster.caFile } : {}) };
}

/** The bearer token a kubeconfig written by kubeconfigFor() carries. */
function tokenOf(kubeconfigPath: string): string {
  const config = parse(readFileSync(kubeconfigPath, 'utf8')) as { users: { user: { token: string } }[] };
  return config.users[0]!.user.token;
}

beforeAll(async () => {
  await installCrd(c);
  ({ name: ns, cleanup } = await testNamespace(c, 'console-incluster'));
  api = apiServerOf(c.kc, ns);
  viewToken = tokenOf(await kubeconfigFor(c, ns, 'view'));
  // What the chart gives the Console's own ServiceAccount: nothing.
  await c.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'console-server' } } });
  const request = await c.core.createNamespacedServiceAccountToken({ name: 'console-server', namespace: ns, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  noRightsToken = request.status?.token ?? '';
  await createPipeline(c, ns, pipeline('visible', { stages: [stage('a')] }));
}, 120_000);

afterAll(async () => {
  await pool.close();
  await cleanup();
});

describe('in-cluster Console credentials', () => {
  it('validateUser: the API server names the owner of a good token', async () => {
    expect(await validateUser(api, viewToken)).toMatchObject({ ok: true, username: `system:serviceaccount:${ns}:console-view`, groups: expect.arrayContaining(['system:authenticated']) });
  });

  it('validateUser: a garbage or forged token is refused with 401 and plain words', async () => {
    const forged = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.bm90LWEtc2lnbmF0dXJl';
    for (const token of ['garbage', forged]) {
      const check = await validateUser(api, token);
      expect(check, token).toEqual({ ok: false, status: 401, message: expect.stringContaining('does not accept this token (401 Unauthorized)') });
    }
  });

  it('a view token: its backend from the pool lists the namespace\'s Pipelines and may do nothing', async () => {
    const backend = await pool.get(viewToken);
    expect(backend.snapshot().pipelines.map((p) => p.metadata.name)).toEqual(['visible']);
    expect(backend.snapshot().user).toBe(`system:serviceaccount:${ns}:console-view`);
    const access = await backend.access(ns);
    const { namespace, ...rights } = access;
    expect(namespace).toBe(ns);
    expect(Object.keys(rights).length).toBeGreaterThan(1);
    for (const [right, allowed] of Object.entries(rights)) expect(allowed, right).toBe(false);
    const refused = await backend.act(ns, 'visible', 'run', {});
    expect(refused.status).toBe(403);
    expect(await pool.get(viewToken)).toBe(backend);
  });

  it('the Console\'s own ServiceAccount (no bindings) authenticates but sees and may do nothing', async () => {
    expect(await validateUser(api, noRightsToken)).toMatchObject({ ok: true, username: `system:serviceaccount:${ns}:console-server` });
    const backend = await pool.get(noRightsToken);
    expect(backend.snapshot().pipelines).toEqual([]);
    const { namespace: _ns, ...rights } = await backend.access(ns);
    expect(Object.values(rights).every((allowed) => allowed === false)).toBe(true);
    expect(pool.size).toBe(2);
  });

  it('login with a pasted token: the API server must accept it; the session then acts with it', async () => {
    const ic = createInClusterConsole({ namespaces: [ns], api });
    try {
      expect(await ic.login('garbage')).toMatchObject({ ok: false, status: 401 });
      expect(ic.sessions.size).toBe(0);
      const login = await ic.login(viewToken);
      expect(login).toMatchObject({ ok: true, username: `system:serviceaccount:${ns}:console-view` });
      const cookie = login.ok ? login.setCookie.split(';')[0]! : '';
      expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
      const credentials = ic.credentials({ cookie });
      expect(credentials).toEqual({ ok: true, token: viewToken, via: 'session' });
      const backend = await ic.pool.get(credentials.ok ? credentials.token : '');
      expect(backend.snapshot().pipelines.map((p) => p.metadata.name)).toEqual(['visible']);
    } finally {
      await ic.close();
    }
  });
});
