// Lists as the server's JSON (src/kube/json-list.ts) against the real API server: a named group
// (batch Jobs) and the core group (claims, whose URL is rewritten), by namespace and across all,
// in pages; timestamps stay the strings the watch also delivers, never Date objects.
import type * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAsJson } from '../../src/kube/json-list.ts';
import { makeApis, type KubeApis } from '../../src/kube/client.ts';
import { clients, kubeConfig, testNamespace, type Clients } from './support/kube.ts';

const c: Clients = clients();
const apis: KubeApis = makeApis(kubeConfig());
const LABEL = 'conveyor.dev/e2e-json-list';
let ns: { name: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  ns = await testNamespace(c, 'jsonlist');
  const labels = { [LABEL]: ns.name };
  for (const i of [0, 1, 2]) {
    await c.batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: `j${i}`, labels },
        spec: {
          suspend: true,
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        },
      },
    });
    await c.core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: { name: `c${i}`, labels },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } } },
      },
    });
  }
}, 120_000);
afterAll(() => ns?.cleanup());

/** Every page of a list, following metadata.continue. */
async function allPages(
  target: Parameters<typeof listAsJson>[1],
  limit: number,
): Promise<{ pages: number; items: k8s.KubernetesObject[] }> {
  const items: k8s.KubernetesObject[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const page = await listAsJson(apis.custom, target, { limit, ...(token ? { _continue: token } : {}) });
    pages++;
    items.push(...page.items);
    token = (page.metadata as { continue?: string } | undefined)?.continue || undefined;
  } while (token);
  return { pages, items };
}

describe('listAsJson', () => {
  const cases = [
    { title: 'Jobs of one namespace', apiPath: '/apis/batch/v1', resource: 'jobs', scoped: true },
    { title: 'Jobs of every namespace', apiPath: '/apis/batch/v1', resource: 'jobs', scoped: false },
    {
      title: 'claims of one namespace (core group)',
      apiPath: '/api/v1',
      resource: 'persistentvolumeclaims',
      scoped: true,
    },
    {
      title: 'claims of every namespace (core group)',
      apiPath: '/api/v1',
      resource: 'persistentvolumeclaims',
      scoped: false,
    },
  ];
  for (const t of cases) {
    it(`${t.title}: all three, in pages of 2, as plain JSON`, async () => {
      const target = {
        apiPath: t.apiPath,
        resource: t.resource,
        labelSelector: `${LABEL}=${ns.name}`,
        ...(t.scoped ? { namespace: ns.name } : {}),
      };
      const { pages, items } = await allPages(target, 2);
      expect(items.map((o) => o.metadata?.name).sort()).toEqual(
        t.resource === 'jobs' ? ['j0', 'j1', 'j2'] : ['c0', 'c1', 'c2'],
      );
      expect(pages).toBe(2);
      for (const o of items) {
        expect(typeof o.metadata?.creationTimestamp, 'creationTimestamp as the server wrote it').toBe('string');
        expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
      }
    });
  }
});
