// Where a webhook value comes from (spec.triggers.webhook filter[].field and params[].from): an
// RFC 6901 JSON pointer into the body, or `header:<Name>`. The schema's WEBHOOK_SOURCE_PATTERN
// admits only these shapes; this reads them, and reads the value a pointer names. A lookup walks
// only the pointer's own tokens (at most MAX_WEBHOOK_SOURCE_LENGTH / 2), never the whole body.
import { MAX_WEBHOOK_SOURCE_LENGTH, WEBHOOK_SOURCE_PATTERN } from '../api/schema.ts';

export type Source = { kind: 'pointer'; tokens: string[] } | { kind: 'header'; name: string };

const SOURCE = new RegExp(WEBHOOK_SOURCE_PATTERN);

/** The source `text` names, or undefined when it is neither a JSON pointer nor header:<Name>. */
export function parseSource(text: string): Source | undefined {
  if (text.length > MAX_WEBHOOK_SOURCE_LENGTH || !SOURCE.test(text)) return undefined;
  if (text.startsWith('header:')) return { kind: 'header', name: text.slice('header:'.length).toLowerCase() };
  // ~1 before ~0: "~01" is the name "~1", not "/" (RFC 6901 section 4).
  const tokens = text
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  return { kind: 'pointer', tokens };
}

export type Found = { found: true; value: unknown } | { found: false };

const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;

/** The value `tokens` name in `doc`; own properties only (a body's "__proto__" is just a name). */
export function readPointer(doc: unknown, tokens: readonly string[]): Found {
  let node = doc;
  for (const token of tokens) {
    if (Array.isArray(node)) {
      if (!ARRAY_INDEX.test(token)) return { found: false };
      const index = Number(token);
      if (index >= node.length) return { found: false };
      node = node[index];
    } else if (typeof node === 'object' && node !== null && Object.hasOwn(node, token)) {
      node = (node as Record<string, unknown>)[token];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: node };
}

/** A request header by its lower-case name; a repeated one joined as Node joins it (`a, b`). */
export function readHeader(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): Found {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return { found: false };
  return { found: true, value: Array.isArray(value) ? value.join(', ') : value };
}
