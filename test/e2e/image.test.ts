// The operator image, built by `npm run image` (hack/image.sh) and started with podman against
// the local cluster, as the Helm chart would start it: two builds from one commit are the same
// image; it is small, has no shell and runs as uid 1000; `helm template` pins it by digest; and
// with the chart's securityContext translated to podman flags (read-only root, no capabilities,
// no privilege escalation, uid 1000) it reconciles a Pipeline to Ready, answers /healthz and
// /metrics, elects one leader of two, and hands over when the leader is SIGKILLed.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { APP_DIR, ENTRYPOINT, ENV, USER } from '../../hack/image/layout.ts';
import { ensureHelm, REPO_ROOT } from '../support/tools.ts';
import { clients, testNamespace, waitFor } from './support/kube.ts';
import { freePort, LOG_DIR } from './support/operator.ts';
import {
  condition,
  createPipeline,
  installCrd,
  pipeline,
  runsFor,
  stage,
  waitForPipeline,
} from './support/pipelines.ts';
import {
  CONTAINERS_CONF,
  containerLogs,
  loadArchive,
  podman,
  removeContainers,
  requirePodman,
  runDetached,
  securityFlags,
  volumeFlags,
} from './support/podman.ts';

const c = clients();
const SIZE_LIMIT = 160_000_000;
const LEASE_SECONDS = 6;
let work = '';
let ns: { name: string; cleanup: () => Promise<void> } | undefined;
let digest = '';
const containers: string[] = [];
const suffix = `${process.pid}-${Date.now().toString(36)}`;

/** `bash hack/image.sh --out DIR --no-load`; returns the digest it prints last. */
function buildImage(out: string): string {
  const started = Date.now();
  const res = spawnSync('bash', ['hack/image.sh', '--out', out, '--no-load'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF },
  });
  if (res.status !== 0) throw new Error(`hack/image.sh failed (${res.status}):\n${res.stdout}${res.stderr}`);
  const printed = res.stdout.trim().split('\n').at(-1) ?? '';
  console.log(`[image] built ${printed} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return printed;
}

type Json = Record<string, unknown>;
const blob = (dir: string, digestRef: string): Buffer => readFileSync(join(dir, 'blobs/sha256', digestRef.slice(7)));

/** The archive's manifest, config and layers (uncompressed), read from the OCI layout. */
function readArchive(archive: string): { manifest: Json; config: Json; layers: Buffer[] } {
  const dir = join(work, `unpacked-${Date.now()}`);
  mkdirSync(dir);
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  expect(index.manifests).toHaveLength(1);
  const manifest = JSON.parse(blob(dir, index.manifests[0]!.digest).toString('utf8')) as Json;
  const config = JSON.parse(blob(dir, (manifest.config as { digest: string }).digest).toString('utf8')) as Json;
  const layers = (manifest.layers as { digest: string }[]).map((l) => gunzipSync(blob(dir, l.digest)));
  rmSync(dir, { recursive: true, force: true });
  return { manifest, config, layers };
}

/** The paths in an uncompressed layer tar. */
function layerPaths(layer: Buffer): string[] {
  const res = spawnSync('tar', ['-t'], { input: layer, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`tar -t: ${res.stderr}`);
  return res.stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
}

/** The local cluster's kubeconfig with its certificate files inlined, readable by the container's user. */
function flatKubeconfig(): string {
  const kubectl = inject('kubectl');
  const flat = execFileSync(
    kubectl,
    ['config', 'view', '--flatten', '--minify', '--raw', '--kubeconfig', inject('kubeconfig')],
    {
      encoding: 'utf8',
    },
  );
  const file = join(work, 'kubeconfig');
  writeFileSync(file, flat, { mode: 0o600 });
  // The container runs as uid 1000: give it the file rather than making the key world-readable.
  if (process.getuid?.() === 0) chownSync(file, 1000, 1000);
  else chmodSync(file, 0o644);
  return file;
}

beforeAll(async () => {
  requirePodman();
  work = mkdtempSync(join(tmpdir(), 'conveyor-image-e2e-'));
  chmodSync(work, 0o755);
  digest = buildImage(join(work, 'a'));
  await installCrd(c);
  ns = await testNamespace(c, 'image');
}, 600_000);

afterAll(async () => {
  // Each container's log next to the operator processes' (LOG_DIR), then the containers go.
  mkdirSync(LOG_DIR, { recursive: true });
  for (const name of containers) writeFileSync(join(LOG_DIR, `${name}.log`), containerLogs(name));
  removeContainers(containers);
  await ns?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the image archive (npm run image)', () => {
  it('is the same image when built twice from one commit', () => {
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(readFileSync(join(work, 'a/digest'), 'utf8').trim()).toBe(digest);
    const second = buildImage(join(work, 'b'));
    expect(second).toBe(digest);
    expect(
      readFileSync(join(work, 'b/conveyor-image.oci.tar')).equals(readFileSync(join(work, 'a/conveyor-image.oci.tar'))),
    ).toBe(true);
    expect(readFileSync(join(work, 'b/sbom.cdx.json'), 'utf8')).toBe(
      readFileSync(join(work, 'a/sbom.cdx.json'), 'utf8'),
    );
  }, 300_000);

  it('holds node, the app and the C library in under 160 MB, runs as uid 1000 and has no shell', () => {
    const { config, layers } = readArchive(join(work, 'a/conveyor-image.oci.tar'));
    const run = config.config as Json;
    expect(run.User).toBe(USER);
    expect(run.Entrypoint).toEqual([...ENTRYPOINT]);
    expect(run.WorkingDir).toBe(APP_DIR);
    expect(run.Env).toEqual(Object.entries(ENV).map(([k, v]) => `${k}=${v}`));
    expect((run.Labels as Json)['org.opencontainers.image.revision']).toBe(
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
    );
    const size = layers.reduce((sum, l) => sum + l.length, 0);
    console.log(`[image] ${size} bytes uncompressed in ${layers.length} layers`);
    expect(size).toBeLessThan(SIZE_LIMIT);
    const paths = layers.flatMap(layerPaths);
    for (const needed of [
      'usr/local/bin/node',
      'app/dist/main.js',
      'app/bin/conveyor.js',
      'app/dist/console/index.html',
      'app/schema/pipeline.schema.json',
      'app/crds/conveyor.dev_pipelines.yaml',
      'etc/ssl/certs/ca-certificates.crt',
      'lib/x86_64-linux-gnu/libc.so.6',
      'usr/lib/x86_64-linux-gnu/libstdc++.so.6',
      'etc/passwd',
      'tmp',
    ])
      expect(paths, needed).toContain(needed);
    expect(paths.filter((p) => /(^|\/)(sh|bash|dash|ash|busybox)$/.test(p))).toEqual([]);
    expect(paths.filter((p) => p.split('/').includes('node_modules'))).toEqual([]);
  }, 120_000);

  it('comes with an SBOM of the Debian packages, node and the npm packages in the bundles', () => {
    const sbom = JSON.parse(readFileSync(join(work, 'a/sbom.cdx.json'), 'utf8')) as {
      bomFormat: string;
      components: { purl: string }[];
    };
    expect(sbom.bomFormat).toBe('CycloneDX');
    const purls = sbom.components.map((x) => x.purl);
    for (const prefix of [
      'pkg:deb/debian/libc6@',
      'pkg:generic/node@',
      'pkg:npm/%40kubernetes/client-node@',
      'pkg:npm/pino@',
    ])
      expect(
        purls.some((p) => p.startsWith(prefix)),
        prefix,
      ).toBe(true);
    expect(purls.some((p) => p.startsWith('pkg:npm/vitest@'))).toBe(false);
  });
});

/** The chart rendered with the built image pinned by digest, its release in the test namespace. */
function renderChart(namespace: string, extra: string[] = []): Json[] {
  const helm = ensureHelm();
  const out = execFileSync(
    helm,
    ['template', 'conveyor', join(REPO_ROOT, 'charts/conveyor'), '--namespace', namespace]
      .concat(['--set', 'image.repository=localhost/conveyor', '--set', `image.digest=${digest}`])
      .concat(['--set', `watchNamespaces={${namespace}}`, ...extra]),
    {
      encoding: 'utf8',
      env: { ...process.env, HELM_CACHE_HOME: join(work, 'helm/cache'), HELM_CONFIG_HOME: join(work, 'helm/config') },
    },
  );
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Json | null)
    .filter((d): d is Json => d !== null);
}

type Container = {
  image: string;
  args?: string[];
  command?: string[];
  env?: Json[];
  securityContext?: Json;
  volumeMounts?: Json[];
};
type PodSpec = { securityContext?: Json; containers: Container[]; volumes?: Json[] };

function deployment(docs: Json[], component: string): PodSpec {
  const found = docs.find(
    (d) =>
      d.kind === 'Deployment' && ((d.metadata as Json).labels as Json)['app.kubernetes.io/component'] === component,
  );
  if (!found) throw new Error(`helm template rendered no ${component} Deployment`);
  return ((found.spec as Json).template as Json).spec as PodSpec;
}

/** The rendered env: plain values, and the pod's name and namespace for their fieldRefs. */
function envFlags(env: Json[] | undefined, pod: { name: string; namespace: string }): string[] {
  return (env ?? []).flatMap((e) => {
    const field = ((e.valueFrom as Json | undefined)?.fieldRef as Json | undefined)?.fieldPath;
    const value =
      e.value !== undefined
        ? String(e.value)
        : field === 'metadata.name'
          ? pod.name
          : field === 'metadata.namespace'
            ? pod.namespace
            : undefined;
    if (value === undefined) throw new Error(`env ${String(e.name)}: no translation for ${JSON.stringify(e)}`);
    return ['--env', `${String(e.name)}=${value}`];
  });
}

/** A ConfigMap of the test namespace, its items written to a folder the container's user can read. */
async function configMapFolder(name: string, items: { key: string; path: string }[] | undefined): Promise<string> {
  const cm = await c.core.readNamespacedConfigMap({ name, namespace: ns!.name });
  const dir = join(work, `configmap-${name}`);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const data = cm.data ?? {};
  for (const { key, path } of items ?? Object.keys(data).map((k) => ({ key: k, path: k })))
    writeFileSync(join(dir, path), data[key] ?? '', { mode: 0o644 });
  return dir;
}

/** podman flags for a rendered pod's first container: its security settings, volumes and env. */
async function podFlags(spec: PodSpec, name: string, namespace: string, kubeconfig: string): Promise<string[]> {
  const container = spec.containers[0]!;
  return [
    '--network=host',
    ...securityFlags(spec.securityContext, container.securityContext, USER),
    ...(await volumeFlags(spec.volumes, container.volumeMounts, configMapFolder)),
    ...envFlags(container.env, { name, namespace }),
    `--volume=${kubeconfig}:/kubeconfig:ro`,
  ];
}

describe('the image on the cluster (podman, as the chart runs it)', () => {
  let operator: PodSpec;
  let kubeconfig = '';

  beforeAll(() => {
    loadArchive(join(work, 'a/conveyor-image.oci.tar'));
    operator = deployment(renderChart(ns!.name), 'operator');
    kubeconfig = flatKubeconfig();
  }, 120_000);

  it('helm template pins the built digest, with a securityContext podman can run as given', () => {
    const container = operator.containers[0]!;
    expect(container.image).toBe(`localhost/conveyor@${digest}`);
    const flags = securityFlags(operator.securityContext, container.securityContext, USER);
    for (const f of ['--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges', '--user=1000:1000'])
      expect(flags).toContain(f);
    // The image podman holds is the built one, by the same digest.
    expect(podman(['image', 'inspect', '--format', '{{.Digest}}', container.image]).trim()).toBe(digest);
  });

  async function startOperator(replica: string): Promise<{ name: string; port: number }> {
    const name = `conveyor-image-e2e-${replica}-${suffix}`;
    const port = await freePort();
    const container = operator.containers[0]!;
    const args = (container.args ?? [])
      .filter((a) => !a.startsWith('--health-host=') && !a.startsWith('--health-port='))
      .concat(['--health-host=127.0.0.1', `--health-port=${port}`, '--kubeconfig=/kubeconfig'])
      .concat([`--lease-duration-seconds=${LEASE_SECONDS}`]);
    containers.push(name);
    runDetached(name, container.image, await podFlags(operator, `image-${replica}`, ns!.name, kubeconfig), args);
    await waitFor(`container ${name} answers /healthz`, 60_000, async () => {
      const state = podman(['inspect', '--format', '{{.State.Status}}', name]).trim();
      if (state !== 'running') throw new Error(`container ${name} is ${state}:\n${containerLogs(name)}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok;
    });
    return { name, port };
  }

  async function holder(): Promise<string | undefined> {
    const lease = await c.kc
      .makeApiClient(k8s.CoordinationV1Api)
      .readNamespacedLease({ name: 'conveyor-leader', namespace: ns!.name })
      .catch(() => undefined);
    return lease?.spec?.holderIdentity ?? undefined;
  }

  async function leaderGauge(port: number): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = /^conveyor_leader(?:\{[^}]*\})? (\d+)$/m.exec(text);
    if (!m) throw new Error(`no conveyor_leader in /metrics:\n${text.slice(0, 500)}`);
    return Number(m[1]);
  }

  async function pipelineGoesReady(name: string): Promise<void> {
    await createPipeline(c, ns!.name, pipeline(name, { stages: [stage('hello', { podTemplate: runsFor(1) })] }));
    const p = await waitForPipeline(
      c,
      ns!.name,
      name,
      'Ready',
      (x) => condition(x, 'Ready')?.status === 'True',
      120_000,
    );
    expect(p.status?.phase).toBe('Succeeded');
  }

  it('reconciles to Ready, answers /healthz and /metrics, elects one leader and hands over on SIGKILL', async () => {
    const a = await startOperator('a');
    await waitFor('image-a to hold the Lease', 60_000, async () => (await holder())?.startsWith('image-a_'));
    await pipelineGoesReady('first');
    expect((await fetch(`http://127.0.0.1:${a.port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text()).toContain('conveyor_reconcile_total');

    const b = await startOperator('b');
    await waitFor('image-b to report standing by', 30_000, async () => (await leaderGauge(b.port)) === 0);
    expect(await holder()).toMatch(/^image-a_/);
    expect(await leaderGauge(a.port)).toBe(1);

    podman(['kill', '--signal', 'KILL', a.name]);
    await waitFor('image-b to take the Lease over', LEASE_SECONDS * 4 * 1000, async () =>
      (await holder())?.startsWith('image-b_'),
    );
    await waitFor('image-b to report leading', 30_000, async () => (await leaderGauge(b.port)) === 1);
    await pipelineGoesReady('second');
  }, 300_000);

  it('runs the Console as the chart starts it (node bin/conveyor.js dashboard) and serves its UI and schema', async () => {
    const docs = renderChart(ns!.name, ['--set', 'console.enabled=true', '--set', 'console.host=console.test']);
    const spec = deployment(docs, 'console');
    const container = spec.containers[0]!;
    expect(container.image).toBe(`localhost/conveyor@${digest}`);
    expect(container.args?.[0]).toBe('dashboard');
    // Outside a pod, the in-cluster credentials are the mounted kubeconfig's instead.
    const port = await freePort();
    const name = `conveyor-image-e2e-console-${suffix}`;
    containers.push(name);
    const flags = [...(await podFlags(spec, 'console', ns!.name, kubeconfig)), `--entrypoint=${container.command![0]}`];
    const args = [...container.command!.slice(1), 'dashboard', '--kubeconfig', '/kubeconfig', '--port', String(port)];
    runDetached(name, container.image, flags, args);
    const url = await waitFor('the Console to print its URL', 60_000, async () => {
      const state = podman(['inspect', '--format', '{{.State.Status}}', name]).trim();
      if (state !== 'running') throw new Error(`container ${name} is ${state}:\n${containerLogs(name)}`);
      return /^Conveyor Console: (http:\/\/\S+)$/m.exec(containerLogs(name))?.[1];
    });
    const login = await fetch(url, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const page = await fetch(new URL('/', url), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const schema = await fetch(new URL('/api/schema', url), { headers: { cookie } });
    expect(schema.status).toBe(200);
    expect(((await schema.json()) as Json).title).toContain('Conveyor Pipeline');
  }, 120_000);
});
