// A stand-in volume provisioner for the local KWOK cluster, which has no storage driver: every
// Pending PersistentVolumeClaim that Conveyor created gets a matching hostPath PersistentVolume
// bound to it (pods on KWOK never touch it), and the volume is deleted once its claim is gone.
// Used by `npm run dev` and the e2e suite; real clusters have a real provisioner.
import * as k8s from '@kubernetes/client-node';

const MARK = 'conveyor.dev/local-volume';

export function startLocalVolumes(kc: k8s.KubeConfig, intervalMs = 1000): () => void {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = async (): Promise<void> => {
    const claims = await core.listPersistentVolumeClaimForAllNamespaces({
      labelSelector: 'app.kubernetes.io/managed-by=conveyor',
    });
    const volumes = await core.listPersistentVolume({ labelSelector: `${MARK}=true` });
    const claimed = new Set(
      volumes.items.map((v) => `${v.spec?.claimRef?.namespace}/${v.spec?.claimRef?.name}/${v.spec?.claimRef?.uid}`),
    );
    const live = new Set(claims.items.map((c) => `${c.metadata?.namespace}/${c.metadata?.name}/${c.metadata?.uid}`));
    for (const claim of claims.items) {
      const key = `${claim.metadata?.namespace}/${claim.metadata?.name}/${claim.metadata?.uid}`;
      if (
        claim.status?.phase !== 'Pending' ||
        claim.spec?.volumeName ||
        claimed.has(key) ||
        claim.metadata?.deletionTimestamp
      )
        continue;
      const name = `local-${claim.metadata?.uid}`;
      await core
        .createPersistentVolume({
          body: {
            metadata: { name, labels: { [MARK]: 'true' } },
            spec: {
              capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
              accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
              persistentVolumeReclaimPolicy: 'Retain',
              storageClassName: claim.spec?.storageClassName ?? '',
              hostPath: { path: `/tmp/conveyor-local-volumes/${name}` },
              claimRef: { namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid: claim.metadata?.uid },
            },
          },
        })
        .catch(() => undefined);
    }
    for (const v of volumes.items) {
      const ref = v.spec?.claimRef;
      if (ref && !live.has(`${ref.namespace}/${ref.name}/${ref.uid}`)) {
        await core.deletePersistentVolume({ name: v.metadata!.name! }).catch(() => undefined);
      }
    }
  };

  const loop = (): void => {
    if (stopped) return;
    tick()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, intervalMs);
      });
  };
  loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
