// The chart's webhook receiver (docs/triggers.md): off by default with no Secret rights at all;
// on, the operator gets `get` on Secrets (never list or watch) and `patch` on Pipelines, its own
// port and flag (never the health port), and a Service per shard selecting only that shard's pods.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { REPO_ROOT, ensureHelm } from '../../support/tools.ts';

const CHART = join(REPO_ROOT, 'charts/conveyor');
const NAMESPACE = 'conveyor-system';
let helm = '';

type Rule = { apiGroups?: string[]; resources?: string[]; verbs: string[] };
type Obj = { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[]; spec?: any };

function template(set: string[]): { status: number; out: string } {
  const res = spawnSync(
    helm,
    ['template', 'conveyor', CHART, '--namespace', NAMESPACE, ...set.flatMap((s) => ['--set', s])],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        HELM_CACHE_HOME: '/tmp/conveyor-helm/cache',
        HELM_CONFIG_HOME: '/tmp/conveyor-helm/config',
        HELM_DATA_HOME: '/tmp/conveyor-helm/data',
      },
    },
  );
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

function render(...set: string[]): Obj[] {
  const res = template(set);
  if (res.status !== 0) throw new Error(`helm template failed:\n${res.out}`);
  return parseAllDocuments(res.out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null && typeof o === 'object');
}

const roleRules = (objs: Obj[]): Rule[] =>
  objs.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole').flatMap((o) => o.rules ?? []);
const secretRules = (objs: Obj[]): Rule[] => roleRules(objs).filter((r) => r.resources?.includes('secrets'));
const containers = (objs: Obj[]) =>
  objs
    .filter((o) => o.kind === 'Deployment')
    .map((d) => ({ name: d.metadata.name, pod: d.spec.template, c: d.spec.template.spec.containers[0] }));

beforeAll(() => {
  helm = ensureHelm();
}, 20 * 60_000);

describe('webhooks off (default)', () => {
  it.each([
    [[]],
    [['watchNamespaces={a,b}']],
    [['shards={x}']],
    [['console.enabled=true', 'console.host=c.example.com']],
  ])('no Role or ClusterRole grants anything on Secrets, nor patch on Pipelines (%j)', (set) => {
    const objs = render(...(set as string[]));
    expect(secretRules(objs)).toEqual([]);
    // The operator's own roles (the aggregated view/edit roles are for people).
    const operator = objs.filter(
      (o) => (o.kind === 'Role' || o.kind === 'ClusterRole') && o.metadata.name === 'conveyor',
    );
    expect(operator.length).toBeGreaterThan(0);
    const patch = operator
      .flatMap((o) => o.rules ?? [])
      .filter((r) => r.resources?.includes('pipelines') && r.verbs.includes('patch'));
    expect(patch).toEqual([]);
  });

  it('no receiver flag, port or Service', () => {
    const objs = render();
    for (const { c } of containers(objs)) {
      expect(c.args.some((a: string) => a.startsWith('--webhook'))).toBe(false);
      expect(c.ports.map((p: { name: string }) => p.name)).toEqual(['http']);
    }
    expect(objs.filter((o) => o.kind === 'Service').map((o) => o.metadata.name)).toEqual(['conveyor-metrics']);
  });
});

describe('webhooks.enabled', () => {
  it.each([
    ['all namespaces', [], 1],
    ['watchNamespaces', ['watchNamespaces={a,b}'], 2],
  ])('grants only get on Secrets and patch on Pipelines, in every operator role (%s)', (_label, set, roles) => {
    const objs = render('webhooks.enabled=true', ...set);
    expect(secretRules(objs)).toEqual(Array(roles).fill({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }));
    const patch = roleRules(objs).filter(
      (r) =>
        r.resources?.length === 1 &&
        r.resources[0] === 'pipelines' &&
        r.verbs.includes('patch') &&
        r.verbs.length === 1,
    );
    expect(patch).toHaveLength(roles);
  });

  it('passes --webhook-address on its own port and rate flags the operator accepts', () => {
    const [first] = containers(render('webhooks.enabled=true', 'webhooks.port=9000', 'webhooks.pipelineRateLimit=2:9'));
    const c = first!.c;
    expect(c.ports).toContainEqual({ name: 'webhook', containerPort: 9000, protocol: 'TCP' });
    const config = loadConfig(
      c.args.filter((a: string) => !a.startsWith('--leader-elect')),
      {},
    );
    expect(config).toMatchObject({
      webhookAddress: { host: '0.0.0.0', port: 9000 },
      healthPort: 8081,
      webhookRateLimit: { perSecond: 100, burst: 200 },
      webhookPipelineRateLimit: { perSecond: 2, burst: 9 },
    });
  });

  it('one Service per shard, each selecting only its own Deployment’s pods', () => {
    const objs = render('webhooks.enabled=true', 'shards={a}');
    const services = objs.filter((o) => o.kind === 'Service' && o.metadata.name.endsWith('-webhook'));
    expect(services.map((s) => s.metadata.name)).toEqual(['conveyor-webhook', 'conveyor-shard-a-webhook']);
    const deployments = containers(objs);
    for (const svc of services) {
      expect(svc.spec.ports).toEqual([{ name: 'webhook', port: 80, targetPort: 'webhook', protocol: 'TCP' }]);
      const selected = deployments.filter(({ pod }) =>
        Object.entries(svc.spec.selector as Record<string, string>).every(([k, v]) => pod.metadata.labels[k] === v),
      );
      expect(selected.map((d) => `${d.name}-webhook`)).toEqual([svc.metadata.name]);
    }
  });

  it.each(['webhooks.port=8081', 'webhooks.rateLimit=fast', 'webhooks.service.type=ExternalName', 'webhooks.bogus=1'])(
    'values.schema.json refuses %s',
    (set) => {
      expect(template(['webhooks.enabled=true', set]).status).not.toBe(0);
    },
  );
});
