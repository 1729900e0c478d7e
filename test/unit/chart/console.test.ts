// The chart's in-cluster Console (values `console`), rendered by the real helm: nothing of it by
// default; when enabled, a Deployment running `conveyor dashboard --in-cluster` with the
// restricted security context, a Service, and a ServiceAccount with no token and no rights.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDashboardArgs } from '../../../src/cli/dashboard.ts';
import { REPO_ROOT, ensureHelm } from '../../support/tools.ts';

const NAMESPACE = 'conveyor-system';
const CONSOLE = 'conveyor-console';
const HOST = 'console.example.com';
let helm = '';
const env = {
  ...process.env,
  HELM_CACHE_HOME: '/tmp/conveyor-helm/cache',
  HELM_CONFIG_HOME: '/tmp/conveyor-helm/config',
  HELM_DATA_HOME: '/tmp/conveyor-helm/data',
};

type K8sObject = {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};
type PodSpec = {
  serviceAccountName: string;
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: {
    name: string;
    command: string[];
    args: string[];
    ports: unknown[];
    securityContext: Record<string, unknown>;
    volumeMounts: unknown[];
    resources?: unknown;
  }[];
  volumes: unknown[];
};

/** helm template with a values file (lists of objects read more plainly than --set). */
function helmTemplate(values: object): { status: number; out: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'conveyor-console-values-')), 'values.yaml');
  writeFileSync(file, stringify(values));
  const res = spawnSync(
    helm,
    ['template', 'conveyor', join(REPO_ROOT, 'charts/conveyor'), '--namespace', NAMESPACE, '-f', file],
    { encoding: 'utf8', env },
  );
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

function objects(values: object): K8sObject[] {
  const res = helmTemplate(values);
  if (res.status !== 0) throw new Error(`helm template failed:\n${res.out}`);
  return parseAllDocuments(res.out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

const enabled = (extra: Record<string, unknown> = {}): object => ({ console: { enabled: true, host: HOST, ...extra } });
const consoleObjects = (objs: K8sObject[]): K8sObject[] =>
  objs.filter(
    (o) => o.metadata.name.includes('console') || o.metadata.labels?.['app.kubernetes.io/component'] === 'console',
  );
const kindsOf = (objs: K8sObject[]): string[] => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const podSpec = (d: K8sObject): PodSpec => (d.spec as { template: { spec: PodSpec } }).template.spec;
const deployment = (objs: K8sObject[]): K8sObject =>
  objs.find((o) => o.kind === 'Deployment' && o.metadata.name === CONSOLE)!;

beforeAll(() => {
  helm = ensureHelm();
}, 20 * 60_000);

describe('chart: the in-cluster Console', () => {
  it('is off by default: nothing of it is rendered', () => {
    expect(consoleObjects(objects({}))).toEqual([]);
  });

  it('on: a Deployment, a Service and a ServiceAccount; Ingress and NetworkPolicy only when asked for', () => {
    expect(kindsOf(consoleObjects(objects(enabled())))).toEqual([
      `Deployment/${CONSOLE}`,
      `Service/${CONSOLE}`,
      `ServiceAccount/${CONSOLE}`,
    ]);
    const all = objects(
      enabled({
        ingress: { enabled: true },
        networkPolicy: { enabled: true, from: [{ podSelector: { matchLabels: { app: 'oauth2-proxy' } } }] },
      }),
    );
    expect(kindsOf(consoleObjects(all))).toEqual([
      `Deployment/${CONSOLE}`,
      `Ingress/${CONSOLE}`,
      `NetworkPolicy/${CONSOLE}`,
      `Service/${CONSOLE}`,
      `ServiceAccount/${CONSOLE}`,
    ]);
  });

  it('its ServiceAccount has no rights: no binding anywhere names it, its token is not mounted', () => {
    const objs = objects(enabled({ namespaces: ['a', 'b'] }));
    const account = objs.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === CONSOLE)!;
    expect(account.automountServiceAccountToken).toBe(false);
    for (const binding of objs.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
      const subjects = (binding.subjects ?? []) as { name: string }[];
      expect(
        subjects.map((s) => s.name),
        `${binding.kind} ${binding.metadata.name}`,
      ).not.toContain(CONSOLE);
    }
    expect(consoleObjects(objs).filter((o) => /Role/.test(o.kind))).toEqual([]);
    const pod = podSpec(deployment(objs));
    expect(pod.serviceAccountName).toBe(CONSOLE);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(JSON.stringify(pod)).not.toContain('/var/run/secrets/kubernetes.io/serviceaccount');
  });

  it('runs `conveyor dashboard --in-cluster` on 0.0.0.0:8080 for console.host, flags the CLI parses', () => {
    const container = podSpec(deployment(objects(enabled({ namespaces: ['a', 'b'] })))).containers[0]!;
    expect(container.command).toEqual(['node', 'bin/conveyor.js']);
    expect(container.args).toEqual([
      'dashboard',
      '--in-cluster',
      '--address',
      '0.0.0.0',
      '--port',
      '8080',
      '--allowed-host',
      HOST,
      '--namespace',
      'a',
      '--namespace',
      'b',
    ]);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  });

  // The CLI must accept what the chart passes. Checked once `conveyor dashboard` has the
  // in-cluster flags (src/cli/dashboard.ts), so a renamed flag is caught from then on.
  const cliHasInClusterFlags = /['"]?in-cluster['"]?\s*:/.test(
    readFileSync(join(REPO_ROOT, 'src/cli/dashboard.ts'), 'utf8'),
  );
  it.runIf(cliHasInClusterFlags)('conveyor dashboard parses the flags the chart passes', () => {
    const container = podSpec(deployment(objects(enabled({ namespaces: ['a', 'b'] })))).containers[0]!;
    expect(parseDashboardArgs(container.args.slice(1))).toMatchObject({
      port: 8080,
      address: '0.0.0.0',
      namespaces: ['a', 'b'],
    });
  });

  it("the operator's restricted security context (read-only root, no capabilities), the cluster CA from kube-root-ca.crt at /etc/conveyor/ca", () => {
    const objs = objects(enabled());
    const pod = podSpec(deployment(objs));
    // The operator's pod and container security contexts, which chart.test.ts pins to "restricted".
    const operator = podSpec(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'conveyor')!);
    expect(pod.securityContext).toEqual(operator.securityContext);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    const c = pod.containers[0]!;
    expect(c.securityContext).toEqual(operator.containers[0]!.securityContext);
    expect(c.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.resources).toMatchObject({
      requests: { cpu: expect.any(String), memory: expect.any(String) },
      limits: { memory: expect.any(String) },
    });
    expect(c.volumeMounts).toEqual([
      { name: 'cluster-ca', mountPath: '/etc/conveyor/ca', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
    expect(pod.volumes).toEqual([
      { name: 'cluster-ca', configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ]);
  });

  it("its pods are selected only by its own Deployment and Service, never by the operator's", () => {
    const objs = objects(enabled());
    const podLabels = (deployment(objs).spec as { template: { metadata: { labels: Record<string, string> } } }).template
      .metadata.labels;
    const matches = (selector: Record<string, string>): boolean =>
      Object.entries(selector).every(([k, v]) => podLabels[k] === v);
    const operator = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'conveyor')!;
    expect(matches((operator.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)).toBe(
      false,
    );
    for (const svc of objs.filter((o) => o.kind === 'Service')) {
      expect(matches((svc.spec as { selector: Record<string, string> }).selector), svc.metadata.name).toBe(
        svc.metadata.name === CONSOLE,
      );
    }
  });

  it('console.apiServer: another https server (kube-oidc-proxy) and its CA ConfigMap', () => {
    expect((podSpec(deployment(objects(enabled()))).containers[0] as { env?: unknown }).env).toBeUndefined();
    const pod = podSpec(
      deployment(
        objects(enabled({ apiServer: { url: 'https://kube-oidc-proxy.auth.svc', caConfigMap: 'oidc-proxy-ca' } })),
      ),
    );
    expect((pod.containers[0] as { env?: unknown }).env).toEqual([
      { name: 'CONVEYOR_CONSOLE_API_SERVER', value: 'https://kube-oidc-proxy.auth.svc' },
    ]);
    expect(pod.volumes[0]).toEqual({
      name: 'cluster-ca',
      configMap: { name: 'oidc-proxy-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(helmTemplate(enabled({ apiServer: { url: 'http://kube-oidc-proxy.auth.svc' } })).status).not.toBe(0);
  });

  it('Ingress: console.host (without a port) to the Service; NetworkPolicy: only the given peers, on http', () => {
    const objs = objects(
      enabled({
        host: `${HOST}:8443`,
        ingress: { enabled: true, className: 'nginx', tls: [{ secretName: 'tls', hosts: [HOST] }] },
        networkPolicy: { enabled: true, from: [{ podSelector: { matchLabels: { app: 'oauth2-proxy' } } }] },
      }),
    );
    const ingress = objs.find((o) => o.kind === 'Ingress')!;
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ secretName: 'tls', hosts: [HOST] }],
      rules: [
        {
          host: HOST,
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: CONSOLE, port: { name: 'http' } } } }],
          },
        },
      ],
    });
    expect(podSpec(deployment(objs)).containers[0]!.args).toContain(`${HOST}:8443`);
    const policy = objs.find((o) => o.kind === 'NetworkPolicy')!;
    expect(policy.spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': CONSOLE, 'app.kubernetes.io/instance': 'conveyor' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: 'oauth2-proxy' } } }],
          ports: [{ port: 'http', protocol: 'TCP' }],
        },
      ],
    });
  });

  it('helm lint --strict is clean with everything of the Console on', () => {
    const set = [
      'console.enabled=true',
      `console.host=${HOST}`,
      'console.ingress.enabled=true',
      'console.networkPolicy.enabled=true',
      'console.networkPolicy.from[0].podSelector.matchLabels.app=oauth2-proxy',
    ];
    const res = spawnSync(
      helm,
      ['lint', '--strict', join(REPO_ROOT, 'charts/conveyor'), ...set.flatMap((s) => ['--set', s])],
      { encoding: 'utf8', env },
    );
    expect(`${res.stdout}${res.stderr}`).not.toMatch(/\[(WARNING|ERROR)\]/);
    expect(res.status, res.stdout).toBe(0);
  });

  it('refuses: no host, a NetworkPolicy with nobody allowed in, unknown or malformed values', () => {
    const cases: [object, RegExp][] = [
      [{ console: { enabled: true } }, /console\.host is required/],
      [enabled({ networkPolicy: { enabled: true } }), /console\.networkPolicy\.from/],
      [enabled({ bogus: 1 }), /additional propert/i],
      [enabled({ ingress: { enabled: true, bogus: 1 } }), /additional propert/i],
      [enabled({ host: 'Not A Host' }), /host/],
      [enabled({ namespaces: ['Bad_NS'] }), /namespaces/],
    ];
    for (const [values, message] of cases) {
      const res = helmTemplate(values);
      expect(res.status, JSON.stringify(values)).not.toBe(0);
      expect(res.out, JSON.stringify(values)).toMatch(message);
    }
  });
});
