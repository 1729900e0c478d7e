// What the schema cannot say about parameters: every `$(params.x)` names a declared parameter,
// every `$(run.x)` a known run variable, and a default lies within its enum. Checked by
// `conveyor validate` and the operator (validate.ts); each problem names the exact field.
import { formatPath, type PathSegment } from './path.ts';
import type { ValidationProblem } from './problem.ts';
import { templateReferences } from './template.ts';
import { MAX_DATASETS } from './schema.ts';

type Obj = Record<string, unknown>;

/** The `run.*` names a template may use (templateVariables in src/plan/values/substitute.ts). */
export const RUN_VARIABLES = ['run.id', 'run.logicalTime', 'run.logicalDate', 'run.intervalStart', 'run.intervalEnd'];

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objects(value: unknown): [number, Obj][] {
  return Array.isArray(value) ? value.flatMap((item, i): [number, Obj][] => (isObj(item) ? [[i, item]] : [])) : [];
}

/** Every templated string of the spec, at its path: command, args, env values, cache keys, dataset names. */
function templates(spec: Obj): { path: PathSegment[]; text: string }[] {
  const out: { path: PathSegment[]; text: string }[] = [];
  const strings = (value: unknown, path: PathSegment[]) => {
    if (!Array.isArray(value)) return;
    for (const [i, text] of value.entries()) if (typeof text === 'string') out.push({ path: [...path, i], text });
  };
  const envValues = (env: unknown, path: PathSegment[]) => {
    for (const [i, item] of objects(env))
      if (typeof item.value === 'string') out.push({ path: [...path, i, 'value'], text: item.value });
  };
  for (const list of ['stages', 'onFailure'] as const) {
    for (const [i, stage] of objects(spec[list])) {
      strings(stage.command, ['spec', list, i, 'command']);
      strings(stage.args, ['spec', list, i, 'args']);
      envValues(stage.env, ['spec', list, i, 'env']);
      if (isObj(stage.cache) && typeof stage.cache.key === 'string')
        out.push({ path: ['spec', list, i, 'cache', 'key'], text: stage.cache.key });
      for (const field of ['inputs', 'outputs'] as const) {
        for (const [j, dataset] of objects(stage[field]).slice(0, MAX_DATASETS)) {
          for (const key of ['namespace', 'name'] as const)
            if (typeof dataset[key] === 'string')
              out.push({ path: ['spec', list, i, field, j, key], text: dataset[key] });
        }
      }
    }
  }
  if (isObj(spec.defaults)) envValues(spec.defaults.env, ['spec', 'defaults', 'env']);
  return out;
}

function referenceProblem(name: string, declared: string[]): string | undefined {
  if (name.startsWith('params.')) {
    const param = name.slice('params.'.length);
    if (declared.includes(param)) return undefined;
    const known = declared.length > 0 ? `declared parameters: ${declared.join(', ')}` : 'spec.params declares none';
    return `$(${name}) names an unknown parameter "${param}" (${known})`;
  }
  if (RUN_VARIABLES.includes(name)) return undefined;
  return `$(${name}) is not a run variable (known: ${RUN_VARIABLES.join(', ')})`;
}

/** Problems of parameter references and of the parameters themselves. */
export function paramProblems(spec: Obj): ValidationProblem[] {
  const params = objects(spec.params);
  const declared = params.flatMap(([, p]) => (typeof p.name === 'string' ? [p.name] : []));
  const problems: ValidationProblem[] = [];
  for (const [i, param] of params) {
    if (typeof param.default === 'string' && Array.isArray(param.enum) && !param.enum.includes(param.default)) {
      const allowed = param.enum.map((v) => JSON.stringify(v)).join(', ');
      problems.push({
        path: formatPath(['spec', 'params', i, 'default']),
        message: `default "${param.default}" of parameter "${String(param.name)}" is not one of its enum values: ${allowed}`,
      });
    }
  }
  for (const { path, text } of templates(spec)) {
    for (const name of templateReferences(text)) {
      const message = referenceProblem(name, declared);
      if (message) problems.push({ path: formatPath(path), message });
    }
  }
  return problems;
}
