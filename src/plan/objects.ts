// Plain objects as the planner reads and writes them: what counts as one (odd input must not make
// it throw), and a copy without its undefined fields (so status stays small and compares exactly).

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A copy without undefined fields, so objects and status stay small and compare exactly. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field;
  return out as T;
}
