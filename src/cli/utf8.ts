// Strict UTF-8. A file that is not UTF-8 (a Latin-1 é, say) is not refused by kubectl: the bad
// bytes become U+FFFD (�) on the way to the API server, which stores "caf�" for "café". Node's
// 'utf8' decoding does the same, so `conveyor validate` would pass what is then silently changed.
import { isUtf8 } from 'node:buffer';

export type Decoded = { text: string } | { offset: number; byte: number; line: number; col: number };

/** Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i] ?? 0;
  if (lead < 0x80) return 1;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) length = 2;
  else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) low = 0xa0; // no overlong forms
    if (lead === 0xed) high = 0x9f; // no surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) low = 0x90;
    if (lead === 0xf4) high = 0x8f; // nothing above U+10FFFF
  } else return 0;
  for (let k = 1; k < length; k++) {
    const next = bytes[i + k];
    if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return 0;
  }
  return length;
}

function firstInvalid(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const length = sequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return -1;
}

/** The text of `bytes`, or where the first byte that is not UTF-8 sits (line and column from 1). */
export function decodeUtf8(bytes: Uint8Array): Decoded {
  // A byte order mark is allowed and dropped, as kubectl does.
  if (isUtf8(bytes)) return { text: new TextDecoder('utf-8').decode(bytes) };
  const offset = firstInvalid(bytes);
  const before = new TextDecoder('utf-8').decode(bytes.subarray(0, offset)).split('\n');
  return { offset, byte: bytes[offset] ?? 0, line: before.length, col: (before.at(-1)?.length ?? 0) + 1 };
}
