// The Helm chart on a real API server: `helm install` works, and the RBAC it grants is exactly
// enough. The operator process runs here (the KWOK cluster runs no containers) but authenticates
// as the chart's ServiceAccount, through a token from the TokenRequest API, so every request it
// makes is authorised by the chart's Roles alone: a pipeline runs end to end with them, and what
// they do not grant is refused.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { USAGE } from '../../src/config.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { ensureHelm, REPO_ROOT } from '../support/tools.ts';
import { clients, onKwok, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { httpStatus as statusCode } from '../../src/kube/errors.ts';
import { startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import {
  createPipeline,
  getPipeline,
  installCrd,
  pipeline,
  runsFor,
  stageJobs,
  waitForPipeline,
} from './support/pipelines.ts';

const c: Clients = clients();
const CHART = join(REPO_ROOT, 'charts/conveyor');
const CRD_NAME = `${PLURAL}.${GROUP}`;
const LEASE = 'conveyor-leader';
const suffix = `${process.pid.toString(36)}${Date.now().toString(36)}`.slice(-8);
// Both names contain "conveyor", so the chart's full name is the release name itself.
const NAMESPACED = `conveyor-c6-ns-${suffix}`;
const CLUSTER_WIDE = `conveyor-c6-cw-${suffix}`;

let helm = '';
let work = '';
let releaseNs = '';
let pipelineNs = '';
let otherNs = '';
const cleanups: (() => Promise<void>)[] = [];
const releases: { name: string; namespace: string }[] = [];
let operator: OperatorProcess | undefined;

function helmRun(args: string[]): string {
  const res = spawnSync(helm, [...args, '--kubeconfig', inject('kubeconfig')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(work, 'helm/cache'),
      HELM_CONFIG_HOME: join(work, 'helm/config'),
      HELM_DATA_HOME: join(work, 'helm/data'),
    },
  });
  if (res.status !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

async function crdInstalled(): Promise<boolean> {
  try {
    await c.ext.readCustomResourceDefinition({ name: CRD_NAME });
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw err;
  }
}

/**
 * `helm install`; the chart's crds/ only when the cluster has no Pipeline CRD yet. `running`:
 * one replica, else none. On the KWOK cluster pods run no containers, so the chart's operator
 * never acts (and its placeholder image is never pulled); on any other cluster (E2E_KUBECONFIG)
 * it would race the operator this test runs, so it gets no replicas there.
 */
async function install(name: string, set: string[], running: boolean): Promise<void> {
  const skipCrds = await crdInstalled();
  helmRun([
    'install',
    name,
    CHART,
    '--namespace',
    releaseNs,
    ...(skipCrds ? ['--skip-crds'] : []),
    ...[...set, `replicaCount=${running ? 1 : 0}`].flatMap((s) => ['--set', s]),
    '--wait',
    '--timeout',
    '120s',
  ]);
  releases.push({ name, namespace: releaseNs });
}

/** A kubeconfig for the test cluster whose user is a fresh token of a ServiceAccount. */
async function serviceAccountKubeconfig(sa: string, namespace: string, file: string): Promise<k8s.KubeConfig> {
  const res = await c.core.createNamespacedServiceAccountToken({
    name: sa,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const token = res.status?.token;
  if (!token) throw new Error('TokenRequest returned no token');
  const cluster = c.kc.getCurrentCluster()!;
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'test',
          cluster: {
            server: cluster.server,
            ...(ca ? { 'certificate-authority-data': ca } : { 'insecure-skip-tls-verify': true }),
          },
        },
      ],
      users: [{ name: sa, user: { token } }],
      contexts: [{ name: sa, context: { cluster: 'test', user: sa } }],
      'current-context': sa,
    }),
    { mode: 0o600 },
  );
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

async function expectForbidden(what: string, call: () => Promise<unknown>): Promise<void> {
  let code: number | undefined;
  try {
    await call();
  } catch (err) {
    code = statusCode(err);
  }
  expect(code, `${what} should be refused with 403`).toBe(403);
}

async function allowed(kc: k8s.KubeConfig, attrs: k8s.V1ResourceAttributes): Promise<boolean> {
  const review = await kc
    .makeApiClient(k8s.AuthorizationV1Api)
    .createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: attrs } } });
  return review.status?.allowed === true;
}

// The leader election flags (src/config.ts); the chart passes them.
const leaderElection = USAGE.includes('--leader-elect');

beforeAll(async () => {
  helm = ensureHelm();
  work = mkdtempSync(join(tmpdir(), 'conveyor-helm-e2e-'));
  for (const [prefix, set] of [
    ['c6-helm', (n: string) => (releaseNs = n)],
    ['c6-pipes', (n: string) => (pipelineNs = n)],
    ['c6-other', (n: string) => (otherNs = n)],
  ] as const) {
    const ns = await testNamespace(c, prefix);
    cleanups.push(ns.cleanup);
    set(ns.name);
  }
}, 20 * 60_000);

afterAll(async () => {
  await operator?.stop();
  for (const r of releases.reverse()) {
    try {
      helmRun(['uninstall', r.name, '--namespace', r.namespace, '--wait', '--timeout', '60s']);
    } catch (err) {
      console.error(String(err));
    }
  }
  await Promise.all(cleanups.map((f) => f()));
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('helm chart on the cluster', () => {
  it('installs (watching one namespace) and its Deployment becomes available', async () => {
    await install(NAMESPACED, [`watchNamespaces={${pipelineNs}}`], onKwok());
    // Whether Helm installed the CRD or the cluster had it, make it current and Established.
    await installCrd(c);
    const apps = c.kc.makeApiClient(k8s.AppsV1Api);
    const d = await apps.readNamespacedDeployment({ name: NAMESPACED, namespace: releaseNs });
    // helm --wait returned: the Deployment is available (on KWOK its pod is Ready without running).
    if (onKwok()) expect(d.status?.availableReplicas).toBe(1);
    const args = d.spec?.template.spec?.containers[0]?.args ?? [];
    expect(args).toContain(`--namespaces=${pipelineNs}`);
    const rbac = c.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.readNamespacedRole({ name: NAMESPACED, namespace: pipelineNs });
    await rbac.readNamespacedRole({ name: `${NAMESPACED}-leader-election`, namespace: releaseNs });
    await expect(rbac.readClusterRole({ name: NAMESPACED })).rejects.toMatchObject({ code: 404 });
  });

  it("runs a pipeline end to end with nothing but the chart's RBAC", async () => {
    const kcFile = join(work, 'namespaced.kubeconfig');
    await serviceAccountKubeconfig(NAMESPACED, releaseNs, kcFile);
    const identity = `c6-helm-operator-${suffix}`;
    // startOperatorProcess passes the suite's admin kubeconfig first; the later --kubeconfig wins
    // (node:util parseArgs keeps the last value of a repeated option).
    operator = await startOperatorProcess('helm-rbac', ['--kubeconfig', kcFile, '--namespaces', pipelineNs], {
      POD_NAME: identity,
      POD_NAMESPACE: releaseNs,
    });
    await createPipeline(
      c,
      pipelineNs,
      pipeline('ab', {
        stages: [
          { name: 'a', image: 'busybox:1.36', command: ['sh', '-c', 'echo a'], podTemplate: runsFor(1) },
          { name: 'b', image: 'busybox:1.36', command: ['sh', '-c', 'echo b'], dependsOn: ['a'] },
        ],
      }),
    );
    const done = await waitForPipeline(
      c,
      pipelineNs,
      'ab',
      'pipeline ab Succeeded',
      (p) => p.status?.phase === 'Succeeded',
      120_000,
    );
    expect(done.status?.lastRun?.stages?.map((s) => [s.name, s.phase])).toEqual([
      ['a', 'Succeeded'],
      ['b', 'Succeeded'],
    ]);
    expect((await stageJobs(c, pipelineNs, 'ab')).length).toBe(2);
    // This process, and no other operator on the cluster, did the work: Conveyor's Events on the
    // pipeline name it as their reporting instance (POD_NAME).
    const events = (
      await c.core.listNamespacedEvent({ namespace: pipelineNs, fieldSelector: 'involvedObject.name=ab' })
    ).items.filter((e) => e.reportingComponent === 'conveyor');
    expect(events.length).toBeGreaterThan(0);
    expect([...new Set(events.map((e) => e.reportingInstance))]).toEqual([identity]);
    // And nothing it tried was refused (a refused Event or status write is only logged).
    const log = readFileSync(operator.logFile, 'utf8');
    expect(log, `log of ${operator.logFile}`).not.toMatch(/forbidden|\b403\b/i);
    await operator.stop();
    operator = undefined;
  });

  it.runIf(leaderElection)(
    "leader election works with the chart's Lease Role, as the chart runs it (--leader-elect)",
    async () => {
      const kcFile = join(work, 'namespaced.kubeconfig');
      await serviceAccountKubeconfig(NAMESPACED, releaseNs, kcFile);
      const identity = `c6-helm-leader-${suffix}`;
      operator = await startOperatorProcess(
        'helm-rbac-leader',
        [
          '--kubeconfig',
          kcFile,
          '--namespaces',
          pipelineNs,
          '--leader-elect',
          '--leader-election-namespace',
          releaseNs,
          '--leader-election-id',
          LEASE,
        ],
        { POD_NAME: identity, POD_NAMESPACE: releaseNs },
      );
      const leases = c.kc.makeApiClient(k8s.CoordinationV1Api);
      const logFile = operator.logFile;
      await waitFor(`this operator to hold Lease ${releaseNs}/${LEASE} (log: ${logFile})`, 30_000, async () => {
        const lease = await leases.readNamespacedLease({ name: LEASE, namespace: releaseNs });
        return lease.spec?.holderIdentity?.startsWith(identity);
      });
      // As leader it reconciles: the pipeline stays Succeeded, and nothing was refused.
      await waitFor(
        'the leader to become ready',
        30_000,
        async () => (await fetch(`http://127.0.0.1:${operator!.port}/readyz`)).ok,
      );
      expect((await getPipeline(c, pipelineNs, 'ab')).status?.phase).toBe('Succeeded');
      expect(readFileSync(logFile, 'utf8')).not.toMatch(/forbidden|\b403\b/i);
    },
  );

  it('the same credentials are refused what the chart does not grant', async () => {
    const kc = await serviceAccountKubeconfig(NAMESPACED, releaseNs, join(work, 'namespaced.kubeconfig'));
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await expectForbidden('listing Secrets in the watched namespace', () =>
      core.listNamespacedSecret({ namespace: pipelineNs }),
    );
    await expectForbidden('reading Pods', () => core.listNamespacedPod({ namespace: pipelineNs }));
    await expectForbidden('creating a Deployment', () =>
      apps.createNamespacedDeployment({
        namespace: pipelineNs,
        body: {
          metadata: { name: 'nope' },
          spec: {
            selector: { matchLabels: { a: 'b' } },
            template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
          },
        },
      }),
    );
    await expectForbidden('changing a Pipeline spec (the operator only reads specs)', () =>
      custom.patchNamespacedCustomObject(
        {
          group: GROUP,
          version: VERSION,
          namespace: pipelineNs,
          plural: PLURAL,
          name: 'ab',
          body: { metadata: { labels: { x: 'y' } } },
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      ),
    );
    await expectForbidden('listing Pipelines in a namespace it does not watch', () =>
      custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: otherNs, plural: PLURAL }),
    );
    await expectForbidden('creating Jobs in a namespace it does not watch', () =>
      kc.makeApiClient(k8s.BatchV1Api).createNamespacedJob({
        namespace: otherNs,
        body: {
          metadata: { name: 'nope' },
          spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
        },
      }),
    );
    await expectForbidden('listing Pipelines cluster-wide', () =>
      custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL }),
    );
    await expectForbidden('reading another Lease', () =>
      kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: 'someone-else', namespace: releaseNs }),
    );
  });

  it('cluster-wide mode (default values): Pipelines and Jobs in every namespace, still no Secrets', async () => {
    await install(CLUSTER_WIDE, [], false);
    const kc = await serviceAccountKubeconfig(CLUSTER_WIDE, releaseNs, join(work, 'cluster-wide.kubeconfig'));
    // Asked, not exercised: an operator with these rights would reconcile every test's Pipelines.
    await waitFor('ClusterRoleBinding effective', 10_000, () =>
      allowed(kc, { group: GROUP, resource: PLURAL, verb: 'list' }),
    );
    expect(await allowed(kc, { group: GROUP, resource: PLURAL, verb: 'watch' })).toBe(true);
    expect(
      await allowed(kc, {
        group: GROUP,
        resource: `${PLURAL}`,
        subresource: 'status',
        verb: 'update',
        namespace: otherNs,
      }),
    ).toBe(true);
    expect(await allowed(kc, { group: 'batch', resource: 'jobs', verb: 'create', namespace: otherNs })).toBe(true);
    expect(await allowed(kc, { group: 'batch', resource: 'cronjobs', verb: 'patch', namespace: otherNs })).toBe(true);
    expect(
      await allowed(kc, { group: '', resource: 'persistentvolumeclaims', verb: 'delete', namespace: otherNs }),
    ).toBe(true);
    // A run's pinned spec: recorded and dropped, never changed.
    expect(
      await allowed(kc, { group: 'apps', resource: 'controllerrevisions', verb: 'create', namespace: otherNs }),
    ).toBe(true);
    expect(
      await allowed(kc, { group: 'apps', resource: 'controllerrevisions', verb: 'update', namespace: otherNs }),
    ).toBe(false);
    expect(await allowed(kc, { group: '', resource: 'secrets', verb: 'list' })).toBe(false);
    expect(await allowed(kc, { group: '', resource: 'secrets', verb: 'get', namespace: otherNs })).toBe(false);
    expect(await allowed(kc, { group: 'apps', resource: 'deployments', verb: 'create', namespace: otherNs })).toBe(
      false,
    );
    expect(await allowed(kc, { group: GROUP, resource: PLURAL, verb: 'update', namespace: otherNs })).toBe(false);
    expect(
      await allowed(kc, {
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb: 'update',
        namespace: otherNs,
        name: LEASE,
      }),
    ).toBe(false);
    await expectForbidden('listing Secrets', () => kc.makeApiClient(k8s.CoreV1Api).listSecretForAllNamespaces());
  });

  it('the aggregated roles give namespace users Pipelines through the built-in view and edit roles', async () => {
    const rbac = c.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    const has = async (role: string, verb: string): Promise<boolean> => {
      const r = await rbac.readClusterRole({ name: role });
      return (r.rules ?? []).some(
        (x) => x.apiGroups?.includes(GROUP) && x.resources?.includes(PLURAL) && x.verbs.includes(verb),
      );
    };
    await waitFor('view aggregates pipelines', 20_000, () => has('view', 'list'));
    await waitFor('edit aggregates pipelines', 20_000, () => has('edit', 'create'));
    await waitFor('admin aggregates pipelines', 20_000, () => has('admin', 'delete'));
    expect(await has('view', 'create')).toBe(false);
  });
});
