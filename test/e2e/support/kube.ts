// Helpers for e2e tests: clients for the test cluster, a namespace per test, and polling.
import * as k8s from '@kubernetes/client-node';
import { inject } from 'vitest';

export function kubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  return kc;
}

/** True on the local KWOK cluster, where pod outcomes follow the kwok.conveyor.dev annotations. */
export function onKwok(): boolean {
  return inject('kwok');
}

export interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  batch: k8s.BatchV1Api;
  custom: k8s.CustomObjectsApi;
  ext: k8s.ApiextensionsV1Api;
}

export function clients(): Clients {
  const kc = kubeConfig();
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    batch: kc.makeApiClient(k8s.BatchV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    ext: kc.makeApiClient(k8s.ApiextensionsV1Api),
  };
}

let counter = 0;

/** Creates a fresh namespace; the returned function deletes it (and everything in it). */
export async function testNamespace(
  c: Clients,
  prefix: string,
): Promise<{ name: string; cleanup: () => Promise<void> }> {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`.slice(0, 63).replace(/-+$/, '');
  await c.core.createNamespace({ body: { metadata: { name, labels: { 'conveyor.dev/e2e': 'true' } } } });
  // Pods need the namespace's default ServiceAccount, which a controller creates shortly after.
  await waitFor(`ServiceAccount default in ${name}`, 60_000, async () => {
    try {
      await c.core.readNamespacedServiceAccount({ name: 'default', namespace: name });
      return true;
    } catch {
      return false;
    }
  });
  return {
    name,
    cleanup: async () => {
      await c.core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

/** Polls `check` until it returns a truthy value, or fails with what was awaited. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined | false | null>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function jobCondition(job: k8s.V1Job, type: string): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}
