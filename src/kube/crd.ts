// Installs or updates a CustomResourceDefinition with server-side apply.
//
// Not through KubernetesObjectApi: its typed serializer knows the schema's `x-kubernetes-*`
// keys only by their TypeScript names and silently drops them, which strips every CEL rule and
// every preserve-unknown-fields marker. A patch body is sent exactly as given.
import * as k8s from '@kubernetes/client-node';
import { makeApiClient } from './client.ts';

export async function applyCrd(
  kc: k8s.KubeConfig,
  crd: k8s.V1CustomResourceDefinition,
  fieldManager: string,
): Promise<void> {
  const api = makeApiClient(kc, k8s.ApiextensionsV1Api);
  await api.patchCustomResourceDefinition(
    { name: crd.metadata?.name ?? '', body: crd, fieldManager, force: true },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
  );
}

/** Waits until the CRD is Established (its API is served). */
export async function waitEstablished(kc: k8s.KubeConfig, name: string, timeoutMs = 30_000): Promise<void> {
  const api = makeApiClient(kc, k8s.ApiextensionsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
