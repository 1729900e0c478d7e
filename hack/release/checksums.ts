// SHA256SUMS in the format `sha256sum -c` reads: "<hex>  <name>", one line per file, sorted.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SUMS_FILE = 'SHA256SUMS';

export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export type Artifact = { name: string; bytes: number; sha256: string };

/** Hashes every file of `dir` (but SHA256SUMS), writes SHA256SUMS and returns the rows. */
export async function writeChecksums(dir: string): Promise<Artifact[]> {
  const names = readdirSync(dir)
    .filter((name) => name !== SUMS_FILE)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rows: Artifact[] = [];
  for (const name of names) {
    const file = join(dir, name);
    rows.push({ name, bytes: statSync(file).size, sha256: await sha256(file) });
  }
  writeFileSync(join(dir, SUMS_FILE), rows.map((r) => `${r.sha256}  ${r.name}\n`).join(''));
  return rows;
}
