// Writes an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
// from gzipped layer tars: the blobs, the image config (entrypoint, user, environment from
// hack/image/layout.ts), the manifest and index.json. Everything in it is a function of the
// layers and the flags, so equal inputs give an equal manifest digest.
//
//   node hack/image/oci.ts --dir DIR --version V --revision SHA --created EPOCH_SECONDS
//     --digest-file FILE --image-id-file FILE --layer FILE.tar.gz=DESCRIPTION ...
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { APP_DIR, ENTRYPOINT, ENV, EXPOSED_PORT, USER } from './layout.ts';

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

type Descriptor = { mediaType: string; digest: string; size: number };
type Layer = Descriptor & { diffId: string; createdBy: string };

async function sha256Of(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return `sha256:${hash.digest('hex')}`;
}

/** A layer's digest (of the gzip) and diff ID (of the tar inside), and its blob moved into place. */
async function addLayer(blobs: string, spec: string): Promise<Layer> {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--layer ${spec}: want FILE=DESCRIPTION`);
  const file = spec.slice(0, eq);
  const digest = await sha256Of(createReadStream(file));
  const diffId = await sha256Of(createReadStream(file).pipe(createGunzip()));
  const size = statSync(file).size;
  renameSync(file, join(blobs, digest.slice('sha256:'.length)));
  return { mediaType: MEDIA.layer, digest, size, diffId, createdBy: spec.slice(eq + 1) };
}

/** Writes a JSON blob and returns its descriptor. */
function addJson(blobs: string, mediaType: string, value: unknown): Descriptor {
  const bytes = Buffer.from(JSON.stringify(value));
  const hex = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(join(blobs, hex), bytes);
  return { mediaType, digest: `sha256:${hex}`, size: bytes.length };
}

function imageConfig(layers: Layer[], created: string, labels: Record<string, string>): unknown {
  return {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {
      User: USER,
      ExposedPorts: { [`${EXPOSED_PORT}/tcp`]: {} },
      Env: Object.entries(ENV).map(([k, v]) => `${k}=${v}`),
      Entrypoint: [...ENTRYPOINT],
      WorkingDir: APP_DIR,
      Labels: labels,
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created, created_by: l.createdBy, comment: 'hack/image.sh' })),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      version: { type: 'string' },
      revision: { type: 'string' },
      created: { type: 'string' },
      'digest-file': { type: 'string' },
      'image-id-file': { type: 'string' },
      layer: { type: 'string', multiple: true },
    },
  });
  const { dir, version, revision, layer: layerSpecs } = values;
  const seconds = Number(values.created);
  if (!dir || !version || !revision || !Number.isInteger(seconds) || !layerSpecs?.length)
    throw new Error('usage: oci.ts --dir DIR --version V --revision SHA --created EPOCH_SECONDS --layer FILE=TEXT ...');
  const created = new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
  const blobs = join(dir, 'blobs/sha256');
  mkdirSync(blobs, { recursive: true });
  const layers: Layer[] = [];
  for (const spec of layerSpecs) layers.push(await addLayer(blobs, spec));
  const labels = {
    'org.opencontainers.image.title': 'conveyor',
    'org.opencontainers.image.description': 'The Conveyor operator: data pipelines declared as YAML, run as Jobs.',
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.revision': revision,
    'org.opencontainers.image.created': created,
    'org.opencontainers.image.licenses': 'Apache-2.0',
  };
  const config = addJson(blobs, MEDIA.config, imageConfig(layers, created, labels));
  const manifest = addJson(blobs, MEDIA.manifest, {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    annotations: labels,
  });
  const ref = { 'org.opencontainers.image.ref.name': `localhost/conveyor:${version}` };
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [{ ...manifest, annotations: ref }] }),
  );
  if (values['digest-file']) writeFileSync(values['digest-file'], `${manifest.digest}\n`);
  if (values['image-id-file']) writeFileSync(values['image-id-file'], `${config.digest.slice('sha256:'.length)}\n`);
}

await main();
