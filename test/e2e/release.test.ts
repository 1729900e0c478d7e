// The release artifacts, used the way a user would use them: `npm run release` once into a
// temporary folder, SHA256SUMS checked with sha256sum -c, then each artifact unpacked somewhere
// else and put to work. The chart installs from its tarball (image pinned by the archive's
// digest); the CLI installs from its tarball with no registry and runs against the cluster; the
// image archive loads into podman and the operator in it answers /healthz; the Headlamp tarball
// unpacks to a plugin folder. Nothing here reaches beyond 127.0.0.1: npm is pointed at a closed
// local port, the container shares the host's network only to reach the local API server.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { VERSION } from '../../src/version.ts';
import { ensureHelm, REPO_ROOT } from '../support/tools.ts';
import { login, startConsole } from './support/console.ts';
import { clients, onKwok, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { createPipeline, installCrd, pipeline } from './support/pipelines.ts';
import { containerLogs, podman, removeContainers, requirePodman } from './support/podman.ts';

const c: Clients = clients();
const work = mkdtempSync(join(tmpdir(), 'conveyor-release-e2e-'));
const releaseDir = join(work, 'release');
const suffix = `${process.pid.toString(36)}${Date.now().toString(36)}`.slice(-8);
const chartFile = `conveyor-${VERSION}.tgz`;
const ARTIFACTS = [
  'SHA256SUMS',
  chartFile,
  `conveyor-cli-${VERSION}.tgz`,
  `conveyor-headlamp-${VERSION}.tar.gz`,
  `conveyor-image-${VERSION}.oci.tar`,
  'sbom.cdx.json',
].sort();
const cleanups: (() => Promise<void> | void)[] = [];

/** Runs a command to completion; throws with its output when it fails. */
function sh(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const res = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20, cwd: options.cwd, env: options.env });
  if (res.error) throw new Error(`${command} ${args.join(' ')}: ${res.error.message}`);
  if (res.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${res.status}:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

/** The manifest digest an OCI archive's index.json names (what a registry calls the image). */
function archiveDigest(archive: string): string {
  const index = JSON.parse(sh('tar', ['-xOf', archive, 'index.json'])) as { manifests: { digest: string }[] };
  expect(index.manifests, 'a single-arch image has one manifest').toHaveLength(1);
  return index.manifests[0]!.digest;
}

function unpack(archive: string, name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  sh('tar', ['-xf', archive, '-C', dir]);
  return dir;
}

beforeAll(() => {
  ensureHelm();
  const started = Date.now();
  execFileSync(process.execPath, [join(REPO_ROOT, 'hack/release.ts'), '--out', releaseDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  console.log(`[release.test] npm run release took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}, 1_800_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(work, { recursive: true, force: true });
});

describe('npm run release', () => {
  it('writes exactly the release artifacts, and sha256sum -c verifies every one', () => {
    expect(readdirSync(releaseDir).sort()).toEqual(ARTIFACTS);
    const sums = readFileSync(join(releaseDir, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.map((line) => line.split('  ')[1])).toEqual(ARTIFACTS.filter((a) => a !== 'SHA256SUMS'));
    const checked = sh('sha256sum', ['--strict', '-c', 'SHA256SUMS'], { cwd: releaseDir });
    expect(checked.trim().split('\n')).toEqual(sums.map((line) => `${line.split('  ')[1]}: OK`));
  });

  it('the Headlamp tarball unpacks to one plugin folder with main.js and package.json', () => {
    const dir = unpack(join(releaseDir, `conveyor-headlamp-${VERSION}.tar.gz`), 'headlamp');
    const folders = readdirSync(dir);
    expect(folders).toHaveLength(1);
    const plugin = join(dir, folders[0]!);
    expect(existsSync(join(plugin, 'main.js')) && existsSync(join(plugin, 'package.json'))).toBe(true);
  });
});

describe('the chart package', () => {
  const helmRun = (args: string[]): string =>
    sh(ensureHelm(), [...args, '--kubeconfig', inject('kubeconfig')], {
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(work, 'helm/cache'),
        HELM_CONFIG_HOME: join(work, 'helm/config'),
        HELM_DATA_HOME: join(work, 'helm/data'),
      },
    });

  it('pins image.digest to the manifest digest of the image archive', () => {
    const values = parse(
      readFileSync(join(unpack(join(releaseDir, chartFile), 'chart'), 'conveyor/values.yaml'), 'utf8'),
    );
    expect(values.image.digest).toBe(archiveDigest(join(releaseDir, `conveyor-image-${VERSION}.oci.tar`)));
  });

  it('installs from its tarball: both Deployments run the image by that digest', async () => {
    const digest = archiveDigest(join(releaseDir, `conveyor-image-${VERSION}.oci.tar`));
    const ns = await testNamespace(c, 'release-chart');
    cleanups.push(ns.cleanup);
    const release = `conveyor-rel-${suffix}`;
    const crdThere = await c.ext
      .readCustomResourceDefinition({ name: 'pipelines.conveyor.dev' })
      .then(() => true)
      .catch(() => false);
    // On KWOK pods run no containers: Deployments become available without pulling the image.
    // On another cluster (E2E_KUBECONFIG) nothing may pull the chart's placeholder registry.
    const replicas = onKwok() ? 1 : 0;
    const sets = [`watchNamespaces={${ns.name}}`, `replicaCount=${replicas}`, 'console.enabled=true'];
    sets.push(`console.host=conveyor.test`, `console.replicaCount=${replicas}`);
    helmRun([
      'install',
      release,
      join(releaseDir, chartFile),
      '--namespace',
      ns.name,
      ...(crdThere ? ['--skip-crds'] : []),
      ...sets.flatMap((s) => ['--set', s]),
      '--wait',
      '--timeout',
      '120s',
    ]);
    cleanups.push(() => void helmRun(['uninstall', release, '--namespace', ns.name, '--wait']));
    const apps = c.kc.makeApiClient(k8s.AppsV1Api);
    for (const name of [release, `${release}-console`]) {
      const deployment = await apps.readNamespacedDeployment({ name, namespace: ns.name });
      const [container] = deployment.spec!.template.spec!.containers;
      expect(container!.image).toBe(`ghcr.io/example/conveyor@${digest}`);
      expect(deployment.status?.availableReplicas ?? 0).toBe(replicas);
    }
    const rbac = c.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await c.core.readNamespacedServiceAccount({ name: release, namespace: ns.name });
    await rbac.readNamespacedRoleBinding({ name: release, namespace: ns.name });
    const statuses = JSON.parse(helmRun(['status', release, '--namespace', ns.name, '-o', 'json'])) as {
      info: { status: string };
    };
    expect(statuses.info.status).toBe('deployed');
  });
});

describe('the CLI tarball', () => {
  const prefix = join(work, 'cli');
  const bin = (name: string): string => join(prefix, 'node_modules/.bin', name);
  // The user's node on PATH (the bin's #!/usr/bin/env node), nothing of the repository's.
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin` });
  /** Runs the installed conveyor; its stdout and stderr (validate reports on stderr). */
  const conveyor = (...args: string[]): string => {
    const res = spawnSync(bin('conveyor'), args, { cwd: work, env: env(), encoding: 'utf8' });
    if (res.status !== 0)
      throw new Error(`conveyor ${args.join(' ')} exited ${res.status}:\n${res.stdout}${res.stderr}`);
    return `${res.stdout}${res.stderr}`;
  };
  let ns: { name: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    // An empty npm cache and a registry on a closed local port: the install succeeds only if
    // it needs nothing but the tarball.
    sh(
      'npm',
      [
        'install',
        '--offline',
        '--no-audit',
        '--no-fund',
        '--prefix',
        prefix,
        join(releaseDir, `conveyor-cli-${VERSION}.tgz`),
      ],
      {
        cwd: work,
        env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_cache: join(work, 'npm-cache') },
      },
    );
    await installCrd(c);
    ns = await testNamespace(c, 'release-cli');
    cleanups.push(ns.cleanup);
  });

  it('installs with no dependencies, as conveyor and kubectl-conveyor', () => {
    expect(readdirSync(join(prefix, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['conveyor-cli']);
    expect(existsSync(bin('kubectl-conveyor'))).toBe(true);
    expect(conveyor('--version').trim()).toBe(VERSION);
  });

  it('validates an example offline', () => {
    expect(conveyor('validate', join(REPO_ROOT, 'examples/hello.yaml'))).toMatch(/^1 pipeline valid$/m);
  });

  it('lists and describes a Pipeline on the cluster', async () => {
    await createPipeline(c, ns.name, pipeline('from-tarball', { stages: [{ name: 'only', image: 'busybox:1.36' }] }));
    const kubeconfig = ['-n', ns.name, '--kubeconfig', inject('kubeconfig')];
    expect(conveyor('get', ...kubeconfig)).toMatch(/^from-tarball\s/m);
    expect(conveyor('describe', 'from-tarball', ...kubeconfig)).toContain('from-tarball');
  });

  it('serves the Console and its schema from the installed package', async () => {
    const console = await startConsole({ command: [bin('conveyor')], cwd: work, args: ['-n', ns.name] });
    cleanups.push(() => console.stop());
    const cookie = await login(console.url);
    const page = await fetch(`${console.origin}/`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script');
    const schema = await fetch(`${console.origin}/api/schema`, { headers: { cookie } });
    expect(schema.status).toBe(200);
    expect(((await schema.json()) as { title?: string }).title).toBeTruthy();
  });
});

describe('the image archive', () => {
  const name = `conveyor-release-${suffix}`;

  /** A free local port for the operator's health server (it shares the host's network). */
  const freePort = (): Promise<number> =>
    new Promise((resolve, reject) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
      server.once('error', reject);
    });

  it('loads into podman and the operator in it answers /healthz', async () => {
    requirePodman();
    const archive = join(releaseDir, `conveyor-image-${VERSION}.oci.tar`);
    const loaded = podman(['load', '-i', archive]);
    const ref = /^Loaded image(?:\(s\))?: (\S+)$/m.exec(loaded)?.[1];
    expect(ref, `podman load printed no image name:\n${loaded}`).toBeTruthy();
    expect(podman(['image', 'inspect', '--format', '{{.Digest}}', ref!]).trim()).toBe(archiveDigest(archive));
    const ns = await testNamespace(c, 'release-image');
    cleanups.push(ns.cleanup);
    // The user's kubeconfig with its certificates inlined: the container sees only this file.
    const kubeconfig = join(work, 'kubeconfig.yaml');
    writeFileSync(
      kubeconfig,
      sh(inject('kubectl'), ['--kubeconfig', inject('kubeconfig'), 'config', 'view', '--flatten', '--minify']),
    );
    chmodSync(kubeconfig, 0o644);
    const port = await freePort();
    podman([
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--cap-drop=ALL',
      '--security-opt',
      'no-new-privileges',
      '-v',
      `${kubeconfig}:/kubeconfig:ro`,
      ref!,
      '--kubeconfig',
      '/kubeconfig',
      '--namespaces',
      ns.name,
      '--health-port',
      String(port),
    ]);
    cleanups.push(() => removeContainers([name]));
    // Until /healthz answers, or the container has stopped (then its log says why).
    const exitLog = await waitFor(`/healthz of the container ${name} on port ${port}`, 60_000, async () => {
      if (podman(['inspect', '--format', '{{.State.Status}}', name]).trim() === 'exited')
        return `the container exited:\n${containerLogs(name)}`;
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok && 'none';
    });
    expect(exitLog).toBe('none');
  });
});
