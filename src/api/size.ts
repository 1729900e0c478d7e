// How large a Pipeline is as JSON. The API server keeps each object in etcd, which refuses
// requests over 1.5 MiB: a larger Pipeline cannot be created, whatever it says.
import type { ValidationProblem } from './problem.ts';

export const MAX_OBJECT_BYTES = 1.5 * 1024 * 1024;
/** Counting stops here: enough to say how far over the limit a document is, bounded work for a bomb. */
const COUNT_CAP = 16 * MAX_OBJECT_BYTES;

/** UTF-8 length of a JS string, without encoding it. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) n += 1;
    else if (unit < 0x800) n += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
      n += 4; // a surrogate pair: one 4-byte character
      i++;
    } else n += 3;
  }
  return n;
}

function scalarBytes(value: unknown): number {
  if (typeof value === 'string') return utf8Length(JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean') return String(JSON.stringify(value)).length;
  return 4; // null, and undefined in a list (JSON null)
}

/**
 * Bytes of JSON.stringify(value) as UTF-8, counted until past `cap`: a value whose YAML aliases
 * share one object a billion times is not walked a billion times. Infinity when the value
 * contains itself (an alias inside its own anchor).
 */
export function jsonBytes(value: unknown, cap = COUNT_CAP): number {
  let total = 0;
  const ancestors = new Set<object>();
  const walk = (node: unknown): void => {
    if (total > cap) return;
    if (node === null || typeof node !== 'object') return void (total += scalarBytes(node));
    if (ancestors.has(node)) return void (total = Infinity);
    ancestors.add(node);
    const entries: [string | undefined, unknown][] = Array.isArray(node)
      ? node.map((item) => [undefined, item])
      : Object.entries(node).filter(([, v]) => v !== undefined);
    total += 2 + Math.max(0, entries.length - 1); // brackets and commas
    for (const [key, item] of entries) {
      if (key !== undefined) total += utf8Length(JSON.stringify(key)) + 1; // "key":
      walk(item);
    }
    ancestors.delete(node);
  };
  walk(value);
  return total;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/** The document is too large for the API server (or contains itself); empty when it fits. */
export function sizeProblems(doc: unknown): ValidationProblem[] {
  const bytes = jsonBytes(doc);
  if (bytes <= MAX_OBJECT_BYTES) return [];
  if (bytes === Infinity)
    return [{ path: '', message: 'the document contains itself (a YAML alias inside its own anchor)' }];
  const size = bytes > COUNT_CAP ? `more than ${mib(COUNT_CAP)}` : mib(bytes);
  return [
    {
      path: '',
      message: `too large: ${size} as JSON, and the API server stores at most ${mib(MAX_OBJECT_BYTES)} per object`,
    },
  ];
}
