// Cluster access for CLI commands: the kubeconfig (flag, $KUBECONFIG or ~/.kube/config) and the
// namespace (-n flag, else the kubeconfig context's namespace, else "default"), as kubectl does.
import * as k8s from '@kubernetes/client-node';
import type { Pipeline } from '../api/types.ts';
import { GROUP, PLURAL, VERSION } from '../api/constants.ts';
import { httpStatus } from '../kube/errors.ts';
import { loadKubeConfig, makeApiClient } from '../kube/client.ts';

export interface KubeContext {
  kc: k8s.KubeConfig;
  namespace: string;
  custom: k8s.CustomObjectsApi;
  batch: k8s.BatchV1Api;
  core: k8s.CoreV1Api;
}

export function kubeContext(opts: { kubeconfig?: string; namespace?: string }): KubeContext {
  const kc = loadKubeConfig(opts.kubeconfig);
  const contextNs = kc.getContextObject(kc.getCurrentContext())?.namespace;
  return {
    kc,
    namespace: opts.namespace ?? contextNs ?? 'default',
    // With the operator's per-call deadline: a hung API server fails a command instead of hanging it.
    custom: makeApiClient(kc, k8s.CustomObjectsApi),
    batch: makeApiClient(kc, k8s.BatchV1Api),
    core: makeApiClient(kc, k8s.CoreV1Api),
  };
}

export class CliError extends Error {}

export async function readPipeline(ctx: KubeContext, name: string): Promise<Pipeline> {
  try {
    return (await ctx.custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: ctx.namespace,
      plural: PLURAL,
      name,
    })) as Pipeline;
  } catch (err) {
    if (httpStatus(err) === 404) throw new CliError(`pipeline "${name}" not found in namespace "${ctx.namespace}"`);
    throw err;
  }
}

export async function listPipelines(ctx: KubeContext, allNamespaces: boolean): Promise<Pipeline[]> {
  const list = (
    allNamespaces
      ? await ctx.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
      : await ctx.custom.listNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: ctx.namespace,
          plural: PLURAL,
        })
  ) as { items: Pipeline[] };
  return list.items;
}

/** Sets one annotation on a Pipeline with a merge patch (the way `kubectl annotate` does). */
export async function annotatePipeline(ctx: KubeContext, name: string, key: string, value: string): Promise<Pipeline> {
  await readPipeline(ctx, name);
  return patchAnnotations(ctx, name, { [key]: value });
}

/** Sets several annotations in one merge patch (a run request and its options land together). */
export async function patchAnnotations(
  ctx: KubeContext,
  name: string,
  annotations: Record<string, string>,
): Promise<Pipeline> {
  return (await ctx.custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace: ctx.namespace,
      plural: PLURAL,
      name,
      body: { metadata: { annotations } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as Pipeline;
}
