// The in-cluster Console's credentials against the real cluster: a KubeConfig holding nothing but
// a person's bearer token (here a ServiceAccount's TokenRequest token, as an OIDC ID token would
// be), the API server's verdict on a token (SelfSubjectReview), and the per-token backend pool.
import { spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ensureHelm, REPO_ROOT } from '../support/tools.ts';
import { BackendPool } from '../../src/console/server/backend-pool.ts';
import { createKubeBackend } from '../../src/console/server/kube-backend.ts';
import { kubeConfigForToken, validateUser, type ApiServer } from '../../src/console/server/in-cluster-token.ts';
import { createInClusterConsole } from '../../src/console/server/in-cluster-credentials.ts';
import { SESSION_COOKIE } from '../../src/console/server/token-sessions.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { createPipeline, installCrd, pipeline, stage } from './support/pipelines.ts';
import { kubeconfigFor } from './support/rbac.ts';
import { browser, screenshot, useBrowser } from './support/browser.ts';
import { freePort } from './support/operator.ts';

const c: Clients = clients();
useBrowser();
let ns = '';
let cleanup: () => Promise<void> = async () => {};
let api: ApiServer;
let viewToken = '';
let noRightsToken = '';
const pool = new BackendPool({
  factory: (token) => createKubeBackend(kubeConfigForToken(api, token), { namespaces: [ns] }),
});

/** The API server and CA of the test cluster, as a pod would find them. */
function apiServerOf(kc: k8s.KubeConfig, namespace: string): ApiServer {
  const cluster = kc.getCurrentCluster()!;
  return {
    server: cluster.server,
    namespace,
    ...(cluster.caData ? { caData: cluster.caData } : {}),
    ...(cluster.caFile ? { caFile: cluster.caFile } : {}),
  };
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
  const request = await c.core.createNamespacedServiceAccountToken({
    name: 'console-server',
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  noRightsToken = request.status?.token ?? '';
  await createPipeline(c, ns, pipeline('visible', { stages: [stage('a')] }));
}, 120_000);

afterAll(async () => {
  await pool.close();
  await cleanup();
});

describe('in-cluster Console credentials', () => {
  it('validateUser: the API server names the owner of a good token', async () => {
    expect(await validateUser(api, viewToken)).toMatchObject({
      ok: true,
      username: `system:serviceaccount:${ns}:console-view`,
      groups: expect.arrayContaining(['system:authenticated']),
    });
  });

  it('validateUser: a garbage or forged token is refused with 401 and plain words', async () => {
    const forged = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.bm90LWEtc2lnbmF0dXJl';
    for (const token of ['garbage', forged]) {
      const check = await validateUser(api, token);
      expect(check, token).toEqual({
        ok: false,
        status: 401,
        message: expect.stringContaining('does not accept this token (401 Unauthorized)'),
      });
    }
  });

  it("a view token: its backend from the pool lists the namespace's Pipelines and may do nothing", async () => {
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

  it("the Console's own ServiceAccount (no bindings) authenticates but sees and may do nothing", async () => {
    expect(await validateUser(api, noRightsToken)).toMatchObject({
      ok: true,
      username: `system:serviceaccount:${ns}:console-server`,
    });
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

/** The pod's view of the test cluster: the environment a pod gets and the CA file the chart mounts. */
function podEnvironment(kc: k8s.KubeConfig): { env: NodeJS.ProcessEnv; caFile: string } {
  const cluster = kc.getCurrentCluster()!;
  const url = new URL(cluster.server);
  const caFile = join(mkdtempSync(join(tmpdir(), 'conveyor-console-ca-')), 'ca.crt');
  writeFileSync(caFile, cluster.caData ? Buffer.from(cluster.caData, 'base64') : readFileSync(cluster.caFile!));
  return { env: { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port || '443' }, caFile };
}

describe('in-cluster Console as a pod would run it', () => {
  it("finds the API server from the pod environment and the mounted CA, and acts with the proxy's bearer token", async () => {
    const { env, caFile } = podEnvironment(c.kc);
    const ic = createInClusterConsole({ namespaces: [ns], env, files: { caFile } });
    try {
      expect(ic.api).toEqual({ server: c.kc.getCurrentCluster()!.server.replace(/\/+$/, ''), caFile });
      const credentials = ic.credentials({ authorization: `Bearer ${viewToken}` });
      expect(credentials).toEqual({ ok: true, token: viewToken, via: 'proxy' });
      const backend = await ic.pool.get(viewToken);
      expect(backend.snapshot().pipelines.map((p) => p.metadata.name)).toEqual(['visible']);
    } finally {
      await ic.close();
    }
  });

  it('the API server accepts every Console object the chart renders (server-side dry run, strict field validation)', () => {
    const helm = ensureHelm();
    const set = [
      'console.enabled=true',
      'console.host=console.example.com',
      'console.ingress.enabled=true',
      'console.networkPolicy.enabled=true',
      'console.networkPolicy.from[0].podSelector.matchLabels.app=oauth2-proxy',
      `console.namespaces={${ns}}`,
    ];
    const env = {
      ...process.env,
      HELM_CACHE_HOME: '/tmp/conveyor-helm/cache',
      HELM_CONFIG_HOME: '/tmp/conveyor-helm/config',
      HELM_DATA_HOME: '/tmp/conveyor-helm/data',
    };
    const rendered = spawnSync(
      helm,
      [
        'template',
        'conveyor',
        join(REPO_ROOT, 'charts/conveyor'),
        '--namespace',
        ns,
        ...set.flatMap((x) => ['--set', x]),
      ],
      { encoding: 'utf8', env },
    );
    expect(rendered.status, rendered.stderr).toBe(0);
    const objs = parseAllDocuments(rendered.stdout)
      .map((d) => d.toJS() as k8s.KubernetesObject | null)
      .filter((o): o is k8s.KubernetesObject => o?.metadata?.labels?.['app.kubernetes.io/component'] === 'console');
    expect(objs.map((o) => o.kind).sort()).toEqual([
      'Deployment',
      'Ingress',
      'NetworkPolicy',
      'Service',
      'ServiceAccount',
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'conveyor-console-chart-')), 'console.yaml');
    writeFileSync(file, objs.map((o) => stringify(o)).join('---\n'));
    const applied = spawnSync(
      inject('kubectl'),
      ['--kubeconfig', inject('kubeconfig'), 'apply', '--dry-run=server', '--validate=strict', '-f', file],
      { encoding: 'utf8' },
    );
    expect(applied.status, applied.stderr).toBe(0);
    expect(applied.stdout.trim().split('\n')).toHaveLength(5);
  });
});

/** One HTTP request with exactly these headers (fetch will not send a Host of our choosing). */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        // A stream answers forever: its first event is enough.
        if (path === '/api/stream' && text.includes('\n\n')) res.destroy();
      });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts `conveyor dashboard --in-cluster` as the chart does, with a pod's environment; resolves its port. */
function startInCluster(args: string[]): Promise<{ port: number; stop: () => void }> {
  const { env, caFile } = podEnvironment(c.kc);
  const entry =
    "const { main } = await import('./src/cli/main.ts'); process.exitCode = await main(process.argv.slice(1));";
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', entry, 'dashboard', '--in-cluster', ...args, '-n', ns],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, CONVEYOR_CONSOLE_CA_FILE: caFile, KUBECONFIG: '/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), stop: () => void child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`the in-cluster Console exited (${code}) before listening: ${out}`)));
  });
}

describe('the in-cluster Console in a browser', () => {
  it('asks for a token, refuses a bad one in plain words, and with a good one shows what that person may see', async () => {
    const port = await freePort();
    const consoleProcess = await startInCluster(['--allowed-host', `127.0.0.1:${port}`, '--port', String(port)]);
    const context = await (await browser()).newContext({
      viewport: { width: 1280, height: 800 },
      colorScheme: 'light',
    });
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForSelector('[data-testid=sign-in]');
      await page.fill('[data-testid=token]', 'not-a-token');
      await page.click('[data-testid=sign-in] button[type=submit]');
      await page.waitForSelector('[data-testid=sign-in] .error');
      await screenshot(page, 'console-sign-in');
      await page.fill('[data-testid=token]', viewToken);
      await page.click('[data-testid=sign-in] button[type=submit]');
      await page.waitForSelector(`tr[data-overview-row="${ns}/visible"]`);
    } finally {
      await context.close();
      consoleProcess.stop();
    }
  });
});

describe('conveyor dashboard --in-cluster, as the chart runs it', () => {
  it("acts as each request's sender: the proxy's bearer token or a pasted token; a wrong Host, no token or a cross-origin POST is refused", async () => {
    const consoleProcess = await startInCluster(['--allowed-host', 'console.test', '--port', '0']);
    try {
      const port = consoleProcess.port;
      const host = { Host: 'console.test' };
      const bearer = { ...host, Authorization: `Bearer ${viewToken}` };
      expect((await call(port, 'GET', '/api/stream', { Host: '127.0.0.1' })).status).toBe(421);
      expect((await call(port, 'GET', '/api/stream', host)).status).toBe(401);
      // The UI itself is code, not data: it loads without a token and asks for one.
      expect((await call(port, 'GET', '/', host)).status).toBe(200);
      const stream = await call(port, 'GET', '/api/stream', bearer);
      expect(stream.status).toBe(200);
      expect(stream.text).toContain('event: reset');
      expect(stream.text).toContain('"visible"');
      const access = JSON.parse((await call(port, 'GET', `/api/access?namespace=${ns}`, bearer)).text) as Record<
        string,
        unknown
      >;
      expect(access).toMatchObject({ run: false, create: false });
      const post = (origin: string, headers: Record<string, string>) =>
        call(
          port,
          'POST',
          `/api/pipelines/${ns}/visible/run`,
          { ...headers, Origin: origin, 'Content-Type': 'application/json' },
          '{}',
        );
      expect((await post('https://evil.example', bearer)).status).toBe(403);
      expect((await post('https://console.test', bearer)).status).toBe(403); // RBAC: a view user may not run
      // Pasted at login: the API server must accept the token; the cookie then acts with it.
      const bad = await call(
        port,
        'POST',
        '/api/login',
        { ...host, Origin: 'https://console.test', 'Content-Type': 'application/json' },
        JSON.stringify({ token: 'not-a-token' }),
      );
      expect(bad.status).toBe(401);
      const good = await call(
        port,
        'POST',
        '/api/login',
        { ...host, Origin: 'https://console.test', 'Content-Type': 'application/json' },
        JSON.stringify({ token: viewToken }),
      );
      expect(good.status).toBe(200);
      const cookie = String(good.headers['set-cookie']).split(';')[0]!;
      expect(String(good.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict; Secure/);
      const session = await call(port, 'GET', '/api/session', { ...host, Cookie: cookie });
      expect(JSON.parse(session.text)).toEqual({ mode: 'in-cluster', via: 'session' });
      expect(stream.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      consoleProcess.stop();
    }
  });
});
