// Whether a pod's log is its own. On the local cluster (hack/cluster.sh) KWOK plays every kubelet
// and serves every pod's container log from one shared file (hack/kwok-logs.yaml), so a stage
// panel there would show lines of other pipelines' runs as if they were this stage's. A node KWOK
// manages carries the annotation kwok.x-k8s.io/node (kwokctl sets it to "fake"): a pod on such a
// node has canned logs, and the Console says so beside them (CANNED_LOGS_HEADER).
import type * as k8s from '@kubernetes/client-node';

export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** A node whose kubelet is KWOK's simulation. */
export function isKwokNode(node: Pick<k8s.V1Node, 'metadata'> | undefined): boolean {
  return node?.metadata?.annotations?.[KWOK_NODE_ANNOTATION] !== undefined;
}

/**
 * Whether `pod` runs on a KWOK node. Reading the Node takes a right many users lack (nodes are
 * cluster-scoped): then, or when the pod is not scheduled yet, the answer is false — the panel
 * says nothing rather than guess.
 */
export async function onKwokNode(
  core: Pick<k8s.CoreV1Api, 'readNode'>,
  pod: Pick<k8s.V1Pod, 'spec'>,
): Promise<boolean> {
  const nodeName = pod.spec?.nodeName;
  if (!nodeName) return false;
  return isKwokNode(await core.readNode({ name: nodeName }).catch(() => undefined));
}
