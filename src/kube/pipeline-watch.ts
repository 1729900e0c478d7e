// Where Pipelines are watched and listed, for every cache of them: the controller's and the
// webhook receiver's (src/webhook/pipeline-cache.ts) see the same namespaces and the same shard.
import type * as k8s from '@kubernetes/client-node';
import type { Pipeline } from '../api/types.ts';
import { GROUP, PLURAL, VERSION } from '../api/constants.ts';
import type { InformerSpec } from './informer.ts';

/** A Pipeline as an informer holds it (client-node's object shape). */
export type CachedPipeline = Pipeline & k8s.KubernetesObject;

/**
 * The watch path and paged list of the Pipelines in `ns` (every namespace when undefined) matching
 * `labelSelector` (the shard; unset: all).
 */
export function pipelineWatch(
  custom: k8s.CustomObjectsApi,
  ns: string | undefined,
  labelSelector: string | undefined,
): Pick<InformerSpec<CachedPipeline>, 'kind' | 'path' | 'list' | 'labelSelector'> {
  return {
    kind: 'pipelines',
    path: ns ? `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}` : `/apis/${GROUP}/${VERSION}/${PLURAL}`,
    list: (page) =>
      (ns
        ? custom.listNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            namespace: ns,
            plural: PLURAL,
            labelSelector,
            ...page,
          })
        : custom.listClusterCustomObject({
            group: GROUP,
            version: VERSION,
            plural: PLURAL,
            labelSelector,
            ...page,
          })) as Promise<k8s.KubernetesListObject<CachedPipeline>>,
    labelSelector,
  };
}
