// Test users with the permissions the chart hands out: a ServiceAccount bound, in one namespace,
// to the built-in `view` or `edit` role plus the Pipeline rules of the chart's aggregated
// ClusterRoles (charts/conveyor/templates/aggregate-roles.yaml), with a kubeconfig of its own.
//
// The rules are granted by ClusterRoles of the tests' own (CONSOLE_TEST_ROLES), not by the chart's
// names and not through the aggregation labels: helm.test.ts installs the chart, whose ClusterRoles
// would clash with ours, and aggregated rules would leak into every `view`/`edit` user of the cluster.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { stringify } from 'yaml';
import type { Clients } from './kube.ts';

export type TestRole = 'view' | 'edit';

/** The rules of the chart's conveyor-view / conveyor-edit ClusterRoles, kept only here. */
export const CONSOLE_TEST_ROLES: Record<TestRole, { name: string; rules: k8s.V1PolicyRule[] }> = {
  view: {
    name: 'conveyor-e2e-pipelines-view',
    rules: [{ apiGroups: ['conveyor.dev'], resources: ['pipelines'], verbs: ['get', 'list', 'watch'] }],
  },
  edit: {
    name: 'conveyor-e2e-pipelines-edit',
    rules: [
      {
        apiGroups: ['conveyor.dev'],
        resources: ['pipelines'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
      },
    ],
  },
};

/**
 * Creates (idempotently) a ServiceAccount `console-<role>` in `namespace` with `role` there,
 * and returns the path of a kubeconfig that authenticates as it (a TokenRequest token, an hour).
 */
export async function kubeconfigFor(c: Clients, namespace: string, role: TestRole): Promise<string> {
  const rbac = c.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const spec = CONSOLE_TEST_ROLES[role];
  await ignoreConflict(rbac.createClusterRole({ body: { metadata: { name: spec.name }, rules: spec.rules } }));
  const account = `console-${role}`;
  await ignoreConflict(c.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: account } } }));
  const subjects = [{ kind: 'ServiceAccount', name: account, namespace }];
  for (const clusterRole of [role, spec.name]) {
    const body = {
      metadata: { name: `${account}-${clusterRole}` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
      subjects,
    };
    await ignoreConflict(rbac.createNamespacedRoleBinding({ namespace, body }));
  }
  const token = await c.core.createNamespacedServiceAccountToken({
    name: account,
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  return writeKubeconfig(c.kc, namespace, account, token.status?.token ?? '');
}

function writeKubeconfig(kc: k8s.KubeConfig, namespace: string, user: string, token: string): string {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig has no current cluster');
  const ca = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'test', cluster: { server: cluster.server, ...(ca ? { 'certificate-authority-data': ca } : {}) } },
    ],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'test', user, namespace } }],
    'current-context': user,
  };
  const path = join(mkdtempSync(join(tmpdir(), 'conveyor-rbac-')), `${namespace}-${user}.kubeconfig`);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

async function ignoreConflict(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}
