// The Helm chart, rendered by the real helm (built by hack/build-cluster-bins.sh): lint, RBAC
// exactly as the operator needs it and nothing more, the restricted security context, and a
// strict values schema.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE, loadConfig } from '../../../src/config.ts';
import { REPO_ROOT, ensureHelm } from '../../support/tools.ts';

const CHART = join(REPO_ROOT, 'charts/conveyor');
const RELEASE = 'conveyor';
const NAMESPACE = 'conveyor-system';
let helm = '';

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
};
type Rule = {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
};

function run(args: string[]): { status: number; out: string } {
  const res = spawnSync(helm, args, {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: '/tmp/conveyor-helm/cache',
      HELM_CONFIG_HOME: '/tmp/conveyor-helm/config',
      HELM_DATA_HOME: '/tmp/conveyor-helm/data',
    },
  });
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

function render(...set: string[]): Obj[] {
  const res = run(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...set.flatMap((s) => ['--set', s])]);
  if (res.status !== 0) throw new Error(`helm template failed:\n${res.out}`);
  return parseAllDocuments(res.out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object');
}

const find = (objs: Obj[], kind: string, name?: string, namespace?: string): Obj[] =>
  objs.filter(
    (o) =>
      o.kind === kind &&
      (name === undefined || o.metadata.name === name) &&
      (namespace === undefined || o.metadata.namespace === namespace),
  );
const one = (objs: Obj[], kind: string, name?: string, namespace?: string): Obj => {
  const found = find(objs, kind, name, namespace);
  expect(found, `${kind} ${namespace ?? ''}/${name ?? '*'}`).toHaveLength(1);
  return found[0]!;
};
const rules = (o: Obj): Rule[] => o.rules as Rule[];

/** What the operator does, and nothing else (see the chart README). */
const OPERATOR_RULES: Rule[] = [
  { apiGroups: ['conveyor.dev'], resources: ['pipelines'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['conveyor.dev'], resources: ['pipelines/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] },
  {
    apiGroups: ['batch'],
    resources: ['cronjobs'],
    verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: ['apps'], resources: ['controllerrevisions'], verbs: ['get', 'list', 'watch', 'create', 'delete'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
];
const LEASE_RULES: Rule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  {
    apiGroups: ['coordination.k8s.io'],
    resources: ['leases'],
    resourceNames: ['conveyor-leader'],
    verbs: ['get', 'update'],
  },
];

function expectNoBroadRights(objs: Obj[]): void {
  for (const o of objs.filter((x) => x.kind === 'Role' || x.kind === 'ClusterRole')) {
    for (const r of rules(o)) {
      const where = `${o.kind} ${o.metadata.name}`;
      for (const field of [r.apiGroups ?? [], r.resources ?? [], r.verbs]) expect(field, where).not.toContain('*');
      expect(r.resources ?? [], where).not.toContain('secrets');
      expect(r.resources ?? [], where).not.toContain('pods');
      expect(r.resources ?? [], where).not.toContain('serviceaccounts');
      expect(r.nonResourceURLs, where).toBeUndefined();
      for (const v of ['escalate', 'bind', 'impersonate']) expect(r.verbs, where).not.toContain(v);
    }
  }
}

beforeAll(() => {
  helm = ensureHelm();
}, 20 * 60_000);

describe('helm lint', () => {
  for (const [label, set] of [
    ['default values', []],
    [
      'watchNamespaces, ServiceMonitor and dashboard',
      ['watchNamespaces={a,b}', 'metrics.serviceMonitor.enabled=true', 'metrics.dashboard.enabled=true'],
    ],
  ] as const) {
    it(`is clean with --strict (${label})`, () => {
      const res = run(['lint', '--strict', CHART, ...set.flatMap((s) => ['--set', s])]);
      expect(res.out).not.toMatch(/\[(WARNING|ERROR)\]/);
      expect(res.status, res.out).toBe(0);
    });
  }
});

describe('RBAC', () => {
  it('all namespaces (default): one ClusterRole with exactly the operator rules, bound to the chart ServiceAccount', () => {
    const objs = render();
    expect(rules(one(objs, 'ClusterRole', RELEASE))).toEqual(OPERATOR_RULES);
    const binding = one(objs, 'ClusterRoleBinding', RELEASE);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: RELEASE });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: RELEASE, namespace: NAMESPACE }]);
    one(objs, 'ServiceAccount', RELEASE, NAMESPACE);
    // The only Role is leader election's, in the release namespace.
    expect(find(objs, 'Role').map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      `${NAMESPACE}/${RELEASE}-leader-election`,
    ]);
    expect(find(objs, 'RoleBinding').map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual([
      `${NAMESPACE}/${RELEASE}-leader-election`,
    ]);
    expectNoBroadRights(objs);
  });

  it('watchNamespaces=[a,b]: a Role and RoleBinding per namespace and no cluster-wide operator rights', () => {
    const objs = render('watchNamespaces={a,b}');
    for (const ns of ['a', 'b']) {
      expect(rules(one(objs, 'Role', RELEASE, ns))).toEqual(OPERATOR_RULES);
      const binding = one(objs, 'RoleBinding', RELEASE, ns);
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RELEASE });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: RELEASE, namespace: NAMESPACE }]);
    }
    expect(find(objs, 'ClusterRoleBinding')).toEqual([]);
    // Cluster-wide, only the aggregated user roles remain (they grant the operator nothing).
    expect(
      find(objs, 'ClusterRole')
        .map((r) => r.metadata.name)
        .sort(),
    ).toEqual([`${RELEASE}-edit`, `${RELEASE}-view`]);
    expect(
      find(objs, 'Role')
        .map((r) => r.metadata.namespace)
        .sort(),
    ).toEqual(['a', 'b', NAMESPACE]);
    const args = containerOf(one(objs, 'Deployment', RELEASE)).args as string[];
    expect(args).toContain('--namespaces=a,b');
    expectNoBroadRights(objs);
  });

  it('leader election: create, and get/update of the one Lease, in the release namespace only', () => {
    for (const objs of [render(), render('watchNamespaces={a,b}')]) {
      expect(rules(one(objs, 'Role', `${RELEASE}-leader-election`, NAMESPACE))).toEqual(LEASE_RULES);
      const binding = one(objs, 'RoleBinding', `${RELEASE}-leader-election`, NAMESPACE);
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: RELEASE, namespace: NAMESPACE }]);
    }
    const off = render('leaderElection.enabled=false');
    expect(find(off, 'Role')).toEqual([]);
    expect(containerOf(one(off, 'Deployment', RELEASE)).args).not.toContain('--leader-elect');
    expect((one(off, 'Deployment', RELEASE).spec as { strategy?: { type: string } }).strategy?.type).toBe('Recreate');
  });

  it('aggregated roles: view reads Pipelines, edit/admin manage them but not their status', () => {
    const objs = render();
    const view = one(objs, 'ClusterRole', `${RELEASE}-view`);
    expect(view.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBe('true');
    expect(rules(view)).toEqual([
      { apiGroups: ['conveyor.dev'], resources: ['pipelines'], verbs: ['get', 'list', 'watch'] },
    ]);
    const edit = one(objs, 'ClusterRole', `${RELEASE}-edit`);
    expect(edit.metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(rules(edit)).toEqual([
      {
        apiGroups: ['conveyor.dev'],
        resources: ['pipelines'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
      },
    ]);
    expect(find(render('rbac.aggregateToDefaultRoles=false'), 'ClusterRole').map((r) => r.metadata.name)).toEqual([
      RELEASE,
    ]);
  });

  it('pipelines/finalizers only when asked for (OwnerReferencesPermissionEnforcement)', () => {
    const objs = render('rbac.ownerReferencesPermissionEnforcement=true');
    expect(rules(one(objs, 'ClusterRole', RELEASE))).toEqual([
      ...OPERATOR_RULES.slice(0, 2),
      { apiGroups: ['conveyor.dev'], resources: ['pipelines/finalizers'], verbs: ['update'] },
      ...OPERATOR_RULES.slice(2),
    ]);
  });

  it('rbac.create=false renders no operator RBAC', () => {
    const objs = render('rbac.create=false', 'rbac.aggregateToDefaultRoles=false');
    for (const kind of ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'])
      expect(find(objs, kind), kind).toEqual([]);
  });
});

type Container = Record<string, unknown> & { args?: string[]; env?: { name: string; valueFrom?: unknown }[] };
const podSpecOf = (d: Obj): Record<string, unknown> =>
  (d.spec as { template: { spec: Record<string, unknown> } }).template.spec;
const containerOf = (d: Obj): Container => (podSpecOf(d).containers as Container[])[0]!;

describe('Deployment', () => {
  const deployment = (): Obj => one(render(), 'Deployment', RELEASE, NAMESPACE);

  it('meets the restricted Pod Security Standard and writes only to an emptyDir at /tmp', () => {
    const d = deployment();
    const pod = podSpecOf(d);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const c = containerOf(d);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
    expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    expect(pod.serviceAccountName).toBe(RELEASE);
    expect(pod.hostNetwork).toBeUndefined();
    // runAsUser may be left to the platform (OpenShift); everything else stays.
    const open = one(render('runAsUser=null'), 'Deployment', RELEASE);
    expect(podSpecOf(open).securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(containerOf(open).securityContext).not.toHaveProperty('runAsUser');
  });

  it('probes /healthz and /readyz on port 8081 named http, with resources set', () => {
    const c = containerOf(deployment());
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8081, protocol: 'TCP' }]);
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 'http' } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz', port: 'http' } });
    expect(c.resources).toMatchObject({
      requests: { cpu: expect.any(String), memory: expect.any(String) },
      limits: { memory: expect.any(String) },
    });
    expect(c.image).toBe('ghcr.io/example/conveyor:0.1.0');
  });

  it('passes flags the operator accepts, and POD_NAME/POD_NAMESPACE from the downward API', () => {
    const c = containerOf(deployment());
    const args = c.args ?? [];
    expect(args).toEqual(
      expect.arrayContaining([
        '--health-host=0.0.0.0',
        '--health-port=8081',
        '--leader-elect',
        `--leader-election-namespace=${NAMESPACE}`,
        '--leader-election-id=conveyor-leader',
      ]),
    );
    expect(args.some((a) => a.startsWith('--namespaces'))).toBe(false);
    expect(c.env).toEqual([
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    ]);
    // The operator's own flag parser accepts them. Leader election flags are checked once the
    // operator documents them (src/config.ts USAGE), so a renamed flag is caught either way.
    const leader = (a: string): boolean => a.startsWith('--leader-elect');
    const accepted = USAGE.includes('--leader-elect') ? args : args.filter((a) => !leader(a));
    const config = loadConfig(accepted, {});
    expect(config).toMatchObject({
      healthHost: '0.0.0.0',
      healthPort: 8081,
      workers: 64,
      logLevel: 'info',
      resyncSeconds: 300,
      namespaces: [],
      events: 'all',
    });
    expect(
      loadConfig(
        containerOf(one(render('events=warnings'), 'Deployment', RELEASE)).args!.filter((a) => !leader(a)),
        {},
      ),
    ).toMatchObject({ events: 'warnings' });
    expect(
      (
        loadConfig(
          containerOf(one(render('watchNamespaces={a,b}'), 'Deployment', RELEASE)).args!.filter((a) => !leader(a)),
          {},
        ) as { namespaces: string[] }
      ).namespaces,
    ).toEqual(['a', 'b']);
  });

  it('refuses several replicas without leader election', () => {
    const res = run(['template', RELEASE, CHART, '--set', 'replicaCount=2', '--set', 'leaderElection.enabled=false']);
    expect(res.status).not.toBe(0);
    expect(res.out).toContain('replicaCount > 1 needs leaderElection.enabled=true');
  });
});

describe('metrics', () => {
  it('a Service on port 8081 named http selects the operator pod', () => {
    const objs = render();
    const svc = one(objs, 'Service', `${RELEASE}-metrics`, NAMESPACE);
    const spec = svc.spec as { selector: Record<string, string>; ports: unknown[] };
    expect(spec.ports).toEqual([{ name: 'http', port: 8081, targetPort: 'http', protocol: 'TCP' }]);
    const podLabels = (
      one(objs, 'Deployment', RELEASE).spec as { template: { metadata: { labels: Record<string, string> } } }
    ).template.metadata.labels;
    expect(podLabels).toMatchObject(spec.selector);
    expect(find(objs, 'ServiceMonitor')).toEqual([]);
    expect(find(objs, 'ConfigMap')).toEqual([]);
  });

  it('an optional ServiceMonitor scrapes /metrics on port http', () => {
    const objs = render('metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.release=prometheus');
    const sm = one(objs, 'ServiceMonitor', RELEASE, NAMESPACE);
    expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(sm.metadata.labels?.release).toBe('prometheus');
    const spec = sm.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    expect(spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
    expect(one(objs, 'Service', `${RELEASE}-metrics`).metadata.labels).toMatchObject(spec.selector.matchLabels);
  });

  it('an optional Grafana dashboard ConfigMap carries the dashboard file unchanged', () => {
    const cm = one(render('metrics.dashboard.enabled=true'), 'ConfigMap', `${RELEASE}-dashboard`, NAMESPACE);
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    const data = cm.data as Record<string, string>;
    expect(JSON.parse(data['conveyor.json']!)).toEqual(
      JSON.parse(readFileSync(join(CHART, 'dashboards/conveyor.json'), 'utf8')),
    );
  });

  it('the dashboard charts every Conveyor metric, and no metric the operator does not export', () => {
    const dashboard = JSON.parse(readFileSync(join(CHART, 'dashboards/conveyor.json'), 'utf8')) as {
      panels: { targets?: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    const used = new Set(exprs.flatMap((e) => e.match(/\bconveyor_[a-z0-9_]+/g) ?? []));
    const source = readFileSync(join(REPO_ROOT, 'src/metrics.ts'), 'utf8');
    const exported = [...source.matchAll(/name: '(conveyor_[a-z0-9_]+)'/g)].map((m) => m[1]!);
    expect(exported.sort()).toEqual(
      [
        'conveyor_api_errors_total',
        'conveyor_api_requests_total',
        'conveyor_queue_depth',
        'conveyor_queue_wait_seconds',
        'conveyor_handoff_operator_seconds',
        'conveyor_plan_seconds',
        'conveyor_reconcile_duration_seconds',
        'conveyor_reconcile_total',
        'conveyor_runs_finished_total',
        'conveyor_runs_started_total',
        'conveyor_stage_duration_seconds',
        'conveyor_leader',
        'conveyor_pipeline_stalled',
        'conveyor_pipeline_last_run_failed',
        'conveyor_pipeline_last_schedule_timestamp_seconds',
        'conveyor_pipeline_next_schedule_timestamp_seconds',
        'conveyor_notify_sent_total',
        'conveyor_notify_failed_total',
        'conveyor_notify_dropped_total',
        'conveyor_notify_queue_depth',
        'conveyor_webhook_deliveries_total',
      ].sort(),
    );
    for (const m of exported)
      expect(
        [...used].some((u) => u === m || u === `${m}_bucket` || u === `${m}_sum`),
        m,
      ).toBe(true);
    // prom-client's default process metrics carry the same prefix (collectDefaultMetrics).
    const defaults = [
      'conveyor_process_resident_memory_bytes',
      'conveyor_process_cpu_seconds_total',
      'conveyor_nodejs_heap_size_used_bytes',
      'conveyor_nodejs_eventloop_lag_p99_seconds',
    ];
    for (const u of used) {
      const base = u.replace(/_(bucket|sum|count)$/, '');
      expect(exported.includes(base) || exported.includes(u) || defaults.includes(u), u).toBe(true);
    }
  });
});

describe('values.schema.json', () => {
  it('rejects unknown keys, at the top and nested', () => {
    for (const set of ['bogus=1', 'image.bogus=1', 'metrics.serviceMonitor.bogus=true', 'leaderElection.bogus=x']) {
      const res = run(['template', RELEASE, CHART, '--set', set]);
      expect(res.status, set).not.toBe(0);
      expect(res.out, set).toMatch(/additional propert(y|ies)/i);
    }
  });

  it('rejects wrong types and values', () => {
    for (const set of [
      'workers=0',
      'logLevel=verbose',
      'watchNamespaces=Not_A_Namespace',
      'image.pullPolicy=Sometimes',
    ]) {
      expect(run(['template', RELEASE, CHART, '--set', set]).status, set).not.toBe(0);
    }
  });

  it('is strict at the top level and describes every value in values.yaml', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as {
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.additionalProperties).toBe(false);
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(values).sort());
  });
});

describe('lifecycle notifications', () => {
  const leader = (a: string): boolean => a.startsWith('--leader-elect');
  const operatorConfig = (objs: Obj[]) =>
    loadConfig(
      (containerOf(one(objs, 'Deployment', RELEASE)).args ?? []).filter((a) => !leader(a)),
      {},
    );

  it('off by default: no sink flag, no token volume', () => {
    const objs = render();
    expect(operatorConfig(objs)).toMatchObject({ notify: { cloudEventsAllowedSinks: [], queueSize: 10_000 } });
    const notify = (operatorConfig(objs) as { notify: object }).notify;
    expect(notify).not.toHaveProperty('cloudEventsSink');
    expect(notify).not.toHaveProperty('openLineageUrl');
    expect(podSpecOf(one(objs, 'Deployment', RELEASE)).volumes).toEqual([
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
    ]);
  });

  it('passes the sinks, the allow-list and the OpenLineage endpoint as flags the operator accepts', () => {
    const objs = render(
      'cloudevents.sink=http://broker-ingress.knative-eventing.svc/team/default?a=1&b=2',
      'cloudevents.allowedSinks={https://hooks.example.com/team-a/,http://sink.team-b.svc/}',
      'openlineage.url=http://marquez.lineage.svc:5000',
      'openlineage.namespace=prod',
      'notifyQueueSize=500',
    );
    expect(operatorConfig(objs)).toMatchObject({
      notify: {
        cloudEventsSink: 'http://broker-ingress.knative-eventing.svc/team/default?a=1&b=2',
        cloudEventsAllowedSinks: ['https://hooks.example.com/team-a/', 'http://sink.team-b.svc/'],
        openLineageUrl: 'http://marquez.lineage.svc:5000',
        openLineageNamespace: 'prod',
        queueSize: 500,
      },
    });
  });

  it('mounts openlineage.tokenSecret as a read-only file, and grants no Secret rights for it', () => {
    const objs = render(
      'openlineage.url=http://marquez:5000',
      'openlineage.tokenSecret=lineage-token',
      'openlineage.tokenSecretKey=api-key',
    );
    const deployment = one(objs, 'Deployment', RELEASE);
    expect(operatorConfig(objs)).toMatchObject({
      notify: { openLineageTokenFile: '/var/run/secrets/conveyor/openlineage/token' },
    });
    expect(containerOf(deployment).volumeMounts).toContainEqual({
      name: 'openlineage-token',
      mountPath: '/var/run/secrets/conveyor/openlineage',
      readOnly: true,
    });
    expect(podSpecOf(deployment).volumes).toContainEqual({
      name: 'openlineage-token',
      secret: { secretName: 'lineage-token', items: [{ key: 'api-key', path: 'token' }] },
    });
    expect(rules(one(objs, 'ClusterRole', RELEASE))).toEqual(OPERATOR_RULES);
    expectNoBroadRights(objs);
  });

  it('refuses a token without an endpoint, and URLs the operator would refuse', () => {
    const res = run(['template', RELEASE, CHART, '--set', 'openlineage.tokenSecret=t']);
    expect(res.status).not.toBe(0);
    expect(res.out).toContain('openlineage.tokenSecret needs openlineage.url');
    for (const set of [
      'cloudevents.sink=ftp://x',
      'cloudevents.allowedSinks={sink.svc}',
      'openlineage.url=marquez:5000',
      'openlineage.namespace=a b',
      'notifyQueueSize=0',
      'cloudevents.bogus=1',
      'openlineage.bogus=1',
    ]) {
      expect(run(['template', RELEASE, CHART, '--set', set]).status, set).not.toBe(0);
    }
  });
});

describe('chart metadata', () => {
  it('appVersion is the operator version (package.json)', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; appVersion: string };
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('crds/ holds the generated CRD, byte for byte', () => {
    const generated = readFileSync(join(REPO_ROOT, 'crds/conveyor.dev_pipelines.yaml'));
    const copy = readFileSync(join(CHART, 'crds/conveyor.dev_pipelines.yaml'));
    expect(
      copy.equals(generated),
      'charts/conveyor/crds/conveyor.dev_pipelines.yaml differs from crds/conveyor.dev_pipelines.yaml: run `npm run generate` ' +
        '(or, until the generator writes the chart copy too, cp crds/conveyor.dev_pipelines.yaml charts/conveyor/crds/)',
    ).toBe(true);
  });
});

describe('shards', () => {
  type Labels = Record<string, string>;
  const selectorOf = (d: Obj): Labels => (d.spec as { selector: { matchLabels: Labels } }).selector.matchLabels;
  const podLabelsOf = (d: Obj): Labels =>
    (d.spec as { template: { metadata: { labels: Labels } } }).template.metadata.labels;
  const matches = (selector: Labels, labels: Labels): boolean =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('none by default: one Deployment, the default shard (Pipelines without the shard label)', () => {
    const objs = render();
    expect(find(objs, 'Deployment').map((d) => d.metadata.name)).toEqual([RELEASE]);
    const args = containerOf(one(objs, 'Deployment', RELEASE)).args ?? [];
    expect(args.some((a) => a.startsWith('--shard-key'))).toBe(false);
    expect(loadConfig(args, {})).toMatchObject({
      pipelineSelector: '!sharding.conveyor.dev/key',
      leaderElectionId: 'conveyor-leader',
    });
  });

  it('shards={a,b}: one more Deployment per key, each with --shard-key and its own Lease', () => {
    const objs = render('shards={a,b}');
    expect(find(objs, 'Deployment').map((d) => d.metadata.name)).toEqual([
      RELEASE,
      `${RELEASE}-shard-a`,
      `${RELEASE}-shard-b`,
    ]);
    for (const key of ['a', 'b']) {
      const d = one(objs, 'Deployment', `${RELEASE}-shard-${key}`, NAMESPACE);
      const args = containerOf(d).args ?? [];
      expect(args).toEqual(
        expect.arrayContaining([
          `--shard-key=${key}`,
          '--leader-elect',
          `--leader-election-namespace=${NAMESPACE}`,
          `--leader-election-id=conveyor-leader-${key}`,
        ]),
      );
      // The operator reads them as the shard: its label selector and Lease.
      expect(loadConfig(args, {})).toMatchObject({
        shardKey: key,
        pipelineSelector: `sharding.conveyor.dev/key=${key}`,
        leaderElectionId: `conveyor-leader-${key}`,
        leaderElect: true,
      });
      expect(d.metadata.labels?.['conveyor.dev/shard']).toBe(key);
      expect(selectorOf(d)).toEqual({ ...selectorOf(one(objs, 'Deployment', RELEASE)), 'conveyor.dev/shard': key });
      expect(matches(selectorOf(d), podLabelsOf(d))).toBe(true);
      expect(podSpecOf(d).serviceAccountName).toBe(RELEASE);
    }
    // No shard's selector takes another shard's pods; the metrics Service reaches them all.
    const [a, b] = [one(objs, 'Deployment', `${RELEASE}-shard-a`), one(objs, 'Deployment', `${RELEASE}-shard-b`)];
    expect(matches(selectorOf(a), podLabelsOf(b))).toBe(false);
    expect(matches(selectorOf(b), podLabelsOf(a))).toBe(false);
    const service = (one(objs, 'Service', `${RELEASE}-metrics`).spec as { selector: Labels }).selector;
    for (const d of find(objs, 'Deployment')) expect(matches(service, podLabelsOf(d)), d.metadata.name).toBe(true);
  });

  it('the leader-election Role names every shard Lease, and only those', () => {
    const objs = render('shards={a,b}', 'leaderElection.id=ops-leader');
    expect(rules(one(objs, 'Role', `${RELEASE}-leader-election`, NAMESPACE))).toEqual([
      LEASE_RULES[0],
      { ...LEASE_RULES[1], resourceNames: ['ops-leader', 'ops-leader-a', 'ops-leader-b'] },
    ]);
    expect(containerOf(one(objs, 'Deployment', `${RELEASE}-shard-b`)).args).toContain(
      '--leader-election-id=ops-leader-b',
    );
  });

  it('without leader election every shard Deployment is Recreate, and none passes --leader-elect', () => {
    const objs = render('shards={a}', 'leaderElection.enabled=false');
    for (const d of find(objs, 'Deployment')) {
      expect((d.spec as { strategy?: { type: string } }).strategy?.type, d.metadata.name).toBe('Recreate');
      expect(containerOf(d).args, d.metadata.name).not.toContain('--leader-elect');
    }
  });

  it('refuses a key that is not a DNS label, a repeated key, and a Deployment name beyond 63 characters', () => {
    for (const set of ['shards={A}', 'shards={a_b}', 'shards={a,a}', `shards={${'k'.repeat(48)}}`]) {
      expect(run(['template', RELEASE, CHART, '--set', set]).status, set).not.toBe(0);
    }
    const long = run([
      'template',
      RELEASE,
      CHART,
      '--set',
      `shards={${'k'.repeat(47)}}`,
      '--set',
      `fullnameOverride=${'f'.repeat(20)}`,
    ]);
    expect(long.status).not.toBe(0);
    expect(long.out).toContain('is longer than 63 characters; use a shorter shard key or fullnameOverride');
  });
});
