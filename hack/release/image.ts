// The image archive and its SBOM, from hack/image.sh (the image helper's script; not rebuilt
// here). --no-load: the release only needs the archive, not a copy in podman's storage.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.ts';

export type BuiltImage = { archive: string; sbom: string; digest: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Reads DIR/digest and checks the archive and SBOM are there. */
export function readImageDir(dir: string): BuiltImage {
  const digestFile = join(dir, 'digest');
  if (!existsSync(digestFile)) throw new Error(`${digestFile} is missing`);
  const digest = readFileSync(digestFile, 'utf8').trim();
  if (!DIGEST.test(digest)) throw new Error(`${digestFile} holds ${JSON.stringify(digest)}, not sha256:<64 hex>`);
  const image = { archive: join(dir, 'conveyor-image.oci.tar'), sbom: join(dir, 'sbom.cdx.json'), digest };
  for (const file of [image.archive, image.sbom]) if (!existsSync(file)) throw new Error(`${file} is missing`);
  return image;
}

export function buildImage(repo: string, outDir: string): BuiltImage {
  const script = join(repo, 'hack/image.sh');
  if (!existsSync(script)) throw new Error(`${script} is missing: the release packs the image it builds`);
  const stdout = run('bash', [script, '--out', outDir, '--no-load'], { cwd: repo, showOutput: true });
  const image = readImageDir(outDir);
  const printed = stdout.trim().split('\n').at(-1)?.trim();
  if (printed !== image.digest)
    throw new Error(`hack/image.sh printed ${JSON.stringify(printed)} last but wrote ${image.digest} to digest`);
  return image;
}
