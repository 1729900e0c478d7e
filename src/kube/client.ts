// Loads the Kubernetes client configuration: an explicit kubeconfig file, in-cluster service
// account credentials, or the default kubeconfig lookup ($KUBECONFIG, ~/.kube/config).
import * as k8s from '@kubernetes/client-node';
import { ConveyorKubeConfig } from './kubeconfig.ts';

export function loadKubeConfig(kubeconfigPath?: string): k8s.KubeConfig {
  const kc = new ConveyorKubeConfig();
  if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
  else if (process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

export interface KubeApis {
  kc: k8s.KubeConfig;
  batch: k8s.BatchV1Api;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  coordination: k8s.CoordinationV1Api;
  /** ControllerRevisions: the pinned spec of each Pipeline generation (src/plan/revision.ts). */
  apps: k8s.AppsV1Api;
}

export function makeApis(kc: k8s.KubeConfig): KubeApis {
  return {
    kc,
    batch: kc.makeApiClient(k8s.BatchV1Api),
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    coordination: kc.makeApiClient(k8s.CoordinationV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
  };
}
