// The template syntax of stage commands, args, env values and cache keys: `$(params.x)` and
// `$(run.x)`, read the way the kubelet reads `$(VAR)` (`$$` is a literal pair). Here, below the
// planner, because both validation (which names a template uses) and substitution read it.

/** The namespaces of references Conveyor substitutes; anything else is the kubelet's. */
const CONVEYOR_PREFIXES = ['params.', 'run.'];

/** One lexical piece of a template. */
export type Token =
  | { kind: 'text'; text: string }
  | { kind: 'escape' } // `$$(`
  | { kind: 'ref'; name: string; raw: string };

/** Splits a template the way the kubelet reads it: `$$` is a pair, `$(name)` a reference. */
export function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i];
    const next = template[i + 1];
    if (ch === '$' && next === '$') {
      if (template[i + 2] === '(') {
        if (text) tokens.push({ kind: 'text', text });
        text = '';
        tokens.push({ kind: 'escape' });
        i += 3;
      } else {
        text += '$$';
        i += 2;
      }
      continue;
    }
    if (ch === '$' && next === '(') {
      const close = template.indexOf(')', i + 2);
      if (close !== -1) {
        if (text) tokens.push({ kind: 'text', text });
        text = '';
        tokens.push({ kind: 'ref', name: template.slice(i + 2, close), raw: template.slice(i, close + 1) });
        i = close + 1;
        continue;
      }
    }
    text += ch;
    i += 1;
  }
  if (text) tokens.push({ kind: 'text', text });
  return tokens;
}

/** The `params.*` and `run.*` names a template refers to (escaped ones excluded), each once. */
export function templateReferences(template: string): string[] {
  const names = new Set<string>();
  for (const token of tokenize(template)) {
    if (token.kind === 'ref' && CONVEYOR_PREFIXES.some((prefix) => token.name.startsWith(prefix)))
      names.add(token.name);
  }
  return [...names];
}
