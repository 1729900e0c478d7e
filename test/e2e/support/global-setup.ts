// Brings the local cluster up when no cluster is running, and stops it afterwards only if this
// run started it (a cluster someone started by hand is left alone). E2E_KUBECONFIG points the
// suite at any other cluster instead (kind, a dev cluster), and then nothing is started.
import * as k8s from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import { startLocalVolumes } from '../../../hack/local-volumes.ts';
import { clusterScript } from '../../../hack/cluster-script.ts';

function cluster(command: string, inherit = true): string {
  return clusterScript([command], { quiet: !inherit });
}

function isRunning(): boolean {
  try {
    cluster('status', false);
    return true;
  } catch {
    return false;
  }
}

export default function setup(project: TestProject): () => void {
  const external = process.env.E2E_KUBECONFIG;
  if (external) {
    project.provide('kubeconfig', external);
    project.provide('kwok', process.env.E2E_KWOK === '1');
    project.provide('kubectl', process.env.KUBECTL ?? 'kubectl');
    return () => {};
  }
  const startedHere = !isRunning();
  if (startedHere) cluster('up');
  project.provide('kubeconfig', cluster('kubeconfig', false));
  project.provide('kwok', true);
  project.provide('kubectl', cluster('kubectl', false));
  // The local cluster has no storage driver: bind staging claims to stand-in volumes.
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster('kubeconfig', false));
  const stopVolumes = startLocalVolumes(kc);
  return () => {
    stopVolumes();
    if (startedHere && process.env.CONVEYOR_KEEP_CLUSTER !== '1') cluster('down');
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    kwok: boolean;
    kubectl: string;
  }
}
