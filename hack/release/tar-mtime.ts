// Rewrites the modification time of every entry of a .tgz (ustar headers, as helm writes them)
// and gzips it again with fixed settings: the same files give the same bytes on any day.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';

const BLOCK = 512;

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function isZeroBlock(buf: Buffer, at: number): boolean {
  for (let i = at; i < at + BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

function entrySize(header: Buffer): number {
  const field = header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim();
  const size = Number.parseInt(field || '0', 8);
  if (!Number.isSafeInteger(size)) throw new Error(`unreadable tar size field ${JSON.stringify(field)}`);
  return size;
}

/** Sets the mtime field of one header and recomputes its checksum (bytes 148–155 count as spaces). */
function stamp(header: Buffer, mtime: number): void {
  header.write(octal(mtime, 12), 136, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

export function setTarMtimes(file: string, mtime: number): void {
  const tar = gunzipSync(readFileSync(file));
  for (let at = 0; at + BLOCK <= tar.length && !isZeroBlock(tar, at); ) {
    const header = tar.subarray(at, at + BLOCK);
    const type = String.fromCharCode(header[156]!);
    const size = entrySize(header);
    // A PAX header can carry its own mtime record, which would win over the field set here.
    if ((type === 'x' || type === 'g') && /\d+ mtime=/.test(tar.subarray(at + BLOCK, at + BLOCK + size).toString()))
      throw new Error(`${file}: a PAX header sets mtime; only ustar headers are rewritten`);
    stamp(header, mtime);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  writeFileSync(file, gzipSync(tar, { level: 9 }));
}
