// Running the operator image with podman in tests: always with the project's containers.conf
// (hack/containers.conf: runc, ulimits this sandbox allows; never /etc), and with the flags a
// rendered Kubernetes Deployment asks for, translated field by field so the container runs under
// exactly the security settings the Helm chart gives the pod.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../support/tools.ts';

export const CONTAINERS_CONF = join(REPO_ROOT, 'hack/containers.conf');

/** The environment every podman call gets: the project's containers.conf. */
export function podmanEnv(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF };
}

/** Runs podman and returns its stdout; a failure throws with podman's own words. */
export function podman(args: string[], opts: { allowFailure?: boolean; timeoutMs?: number } = {}): string {
  const res = spawnSync('podman', args, {
    env: podmanEnv(),
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw new Error(`podman ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0 && !opts.allowFailure)
    throw new Error(`podman ${args.join(' ')} exited ${res.status}:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

/** Stops with one clear line when podman is missing (hack/ensure-packages.sh installs it). */
export function requirePodman(): void {
  const res = spawnSync('podman', ['--version'], { env: podmanEnv(), encoding: 'utf8' });
  if (res.error || res.status !== 0)
    throw new Error('the image test needs podman: run `bash hack/ensure-packages.sh` (apt-get install podman runc)');
}

/** Loads an OCI archive into podman's store. */
export function loadArchive(archive: string): void {
  podman(['load', '--quiet', '--input', archive]);
}

/** Starts a detached container; the caller removes it (removeContainers) when done. */
export function runDetached(name: string, image: string, flags: string[], args: string[]): void {
  podman(['run', '--detach', '--name', name, ...flags, image, ...args]);
}

export function containerLogs(name: string): string {
  const res = spawnSync('podman', ['logs', name], { env: podmanEnv(), encoding: 'utf8' });
  return `${res.stdout ?? ''}${res.stderr ?? ''}`;
}

/** Removes containers (running or not) at once; missing ones are fine. */
export function removeContainers(names: string[]): void {
  if (names.length > 0) podman(['rm', '--force', '--ignore', '--time', '0', ...names], { allowFailure: true });
}

type Fields = Record<string, unknown>;

/** Each securityContext field, translated to podman flags, or an error naming what has no translation. */
function translateField(key: string, value: unknown): string[] {
  const caps = value as { add?: string[]; drop?: string[] };
  const seccomp = value as { type?: string };
  switch (key) {
    case 'runAsUser':
    case 'runAsGroup':
    case 'runAsNonRoot':
      return []; // together below: --user, and a check that the user is not root
    case 'readOnlyRootFilesystem':
      // Kubernetes gives a read-only root nothing writable but the declared volumes: no podman tmpfs on /tmp, /run.
      return value === true ? ['--read-only', '--read-only-tmpfs=false'] : [];
    case 'allowPrivilegeEscalation':
      return value === false ? ['--security-opt=no-new-privileges'] : [];
    case 'privileged':
      return value === true ? ['--privileged'] : [];
    case 'capabilities':
      return [...(caps.drop ?? []).map((c) => `--cap-drop=${c}`), ...(caps.add ?? []).map((c) => `--cap-add=${c}`)];
    case 'seccompProfile':
      // RuntimeDefault is podman's default profile; Unconfined turns it off.
      if (seccomp.type === 'RuntimeDefault') return [];
      if (seccomp.type === 'Unconfined') return ['--security-opt=seccomp=unconfined'];
      throw new Error(`securityContext.seccompProfile.type ${seccomp.type} has no podman translation here`);
    default:
      throw new Error(`securityContext.${key} has no podman translation here: translate it or drop it from the chart`);
  }
}

/**
 * podman flags for a pod's and a container's securityContext (the container's fields win), so a
 * test runs the image as the chart would. Fails on any field it does not translate, and when
 * runAsNonRoot is asked for but the user would be root (`imageUser` is the image's USER).
 */
export function securityFlags(
  podContext: Fields | undefined,
  containerContext: Fields | undefined,
  imageUser: string,
): string[] {
  const merged: Fields = { ...(podContext ?? {}), ...(containerContext ?? {}) };
  const flags = Object.entries(merged).flatMap(([k, v]) => translateField(k, v));
  const uid = merged.runAsUser === undefined ? undefined : String(merged.runAsUser);
  const gid = merged.runAsGroup === undefined ? undefined : String(merged.runAsGroup);
  if (uid !== undefined) flags.unshift(`--user=${uid}${gid !== undefined ? `:${gid}` : ''}`);
  const effectiveUser = (uid ?? imageUser.split(':')[0] ?? '').trim();
  if (merged.runAsNonRoot === true && (effectiveUser === '' || effectiveUser === '0' || effectiveUser === 'root'))
    throw new Error(`runAsNonRoot: the container would run as "${effectiveUser || 'root'}"`);
  return flags;
}

/** Writes a ConfigMap volume's items into a host folder and returns it (the test reads them from the cluster). */
export type ConfigMapFolder = (name: string, items: { key: string; path: string }[] | undefined) => Promise<string>;

/**
 * podman flags for the volumes a container mounts: --tmpfs for an emptyDir (with its sizeLimit),
 * a read-only bind mount of a ConfigMap's items; any other volume kind has no translation here.
 */
export async function volumeFlags(
  volumes: Fields[] | undefined,
  mounts: Fields[] | undefined,
  configMapFolder: ConfigMapFolder,
): Promise<string[]> {
  const flags: string[] = [];
  for (const m of mounts ?? []) {
    const volume = (volumes ?? []).find((v) => v.name === m.name);
    const emptyDir = volume?.emptyDir as { sizeLimit?: string } | undefined;
    const configMap = volume?.configMap as { name: string; items?: { key: string; path: string }[] } | undefined;
    if (emptyDir) {
      const size = emptyDir.sizeLimit ? `,size=${emptyDir.sizeLimit.replace(/i$/, '').toLowerCase()}` : '';
      flags.push(`--tmpfs=${String(m.mountPath)}:rw,nosuid,nodev${size}`);
    } else if (configMap) {
      flags.push(`--volume=${await configMapFolder(configMap.name, configMap.items)}:${String(m.mountPath)}:ro`);
    } else {
      throw new Error(`volume ${String(m.name)}: only emptyDir and configMap volumes are translated to podman`);
    }
  }
  return flags;
}
