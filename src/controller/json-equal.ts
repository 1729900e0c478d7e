// Equality of two values as JSON would see them, without serialising either: the comparison of a
// Pipeline's status before and after a plan ran once per reconcile as a JSON round trip of both
// (JSON.parse(JSON.stringify(...))), 1.5 s of CPU in a cold restart of 10,000 Pipelines.
//
// "As JSON would see them" is what the API server stores: an object field whose value is
// undefined (or a function or symbol) is absent; the same inside an array is null; a Date (any
// object with toJSON) is its JSON value, so a Date equals its ISO string; NaN and ±Infinity are
// null. Object key order does not matter.

/** True when JSON.stringify(a) and JSON.stringify(b) describe the same value. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return same(asJson(a), asJson(b));
}

/** What JSON.stringify writes for a value in an array slot: undefined for "nothing" (→ null). */
function asJson(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return (value as { toJSON: () => unknown }).toJSON();
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  return value;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const aList = Array.isArray(a);
  if (aList !== Array.isArray(b)) return false;
  return aList
    ? sameArrays(a as unknown[], b as unknown[])
    : sameObjects(a as Record<string, unknown>, b as Record<string, unknown>);
}

function sameArrays(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (!same(asJson(a[i]) ?? null, asJson(b[i]) ?? null)) return false;
  }
  return true;
}

function sameObjects(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  let present = 0;
  for (const key of Object.keys(a)) {
    const value = asJson(a[key]);
    if (value === undefined) continue;
    present++;
    if (!same(value, asJson(b[key]))) return false;
  }
  // Every present field of a has its equal in b; b must have no other present field.
  let inB = 0;
  for (const key of Object.keys(b)) if (asJson(b[key]) !== undefined) inB++;
  return present === inB;
}
