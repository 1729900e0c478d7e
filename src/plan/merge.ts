// Merging partial Kubernetes objects the way users expect from `kubectl apply` (strategic merge):
// objects merge field by field, lists of named things merge by their key, other lists are
// replaced. The `over` side wins. Inputs are never mutated.

import { isPlainObject, type Plain } from './objects.ts';

/**
 * Lists merged item by item, by key. `deep` items (containers) merge field by field; the others
 * (env vars, volumes, ...) are replaced whole, because mixing two of them yields an invalid item
 * (e.g. an env var with both `value` and `valueFrom`).
 */
const LIST_KEYS: Record<string, { key: string; deep: boolean }> = {
  containers: { key: 'name', deep: true },
  initContainers: { key: 'name', deep: true },
  ephemeralContainers: { key: 'name', deep: true },
  volumes: { key: 'name', deep: false },
  env: { key: 'name', deep: false },
  imagePullSecrets: { key: 'name', deep: false },
  resourceClaims: { key: 'name', deep: false },
  volumeMounts: { key: 'mountPath', deep: false },
  volumeDevices: { key: 'devicePath', deep: false },
  ports: { key: 'containerPort', deep: false },
  hostAliases: { key: 'ip', deep: false },
};

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

/** `over` merged onto `base`; `field` is the name of the field holding them (selects list rules). */
export function mergeOver(base: unknown, over: unknown, field?: string): unknown {
  if (over === undefined) return clone(base);
  if (base === undefined) return clone(over);
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Plain = {};
    for (const key of new Set([...Object.keys(base), ...Object.keys(over)])) {
      const merged = mergeOver(base[key], over[key], key);
      if (merged !== undefined) out[key] = merged;
    }
    return out;
  }
  const rule = field !== undefined ? LIST_KEYS[field] : undefined;
  if (rule && Array.isArray(base) && Array.isArray(over)) return mergeList(base, over, rule.key, rule.deep);
  return clone(over);
}

/** Items of `over` replace (or, when deep, merge into) the `base` item with the same key. */
export function mergeList(base: unknown[], over: unknown[], key: string, deep: boolean): unknown[] {
  const out = base.map((item) => clone(item));
  for (const item of over) {
    const id = isPlainObject(item) ? item[key] : undefined;
    const at = id === undefined ? -1 : out.findIndex((existing) => isPlainObject(existing) && existing[key] === id);
    if (at < 0) out.push(clone(item));
    else out[at] = deep ? mergeOver(out[at], item) : clone(item);
  }
  return out;
}

/** Plain object merge with the list rules above; undefined sides are treated as empty. */
export function mergeObjects(base: Plain | undefined, over: Plain | undefined): Plain {
  const merged = mergeOver(base ?? {}, over ?? {});
  return isPlainObject(merged) ? merged : {};
}
