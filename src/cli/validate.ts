// `conveyor validate <file|dir|->... [--output text|json]`: checks Pipeline YAML offline, with the
// rules the API server and the operator apply (src/api/validate.ts). One line per problem:
//   examples/etl.yaml:14:9: spec.stages[2].dependsOn[0]: unknown stage "ghost"
// Directories are searched recursively for *.yaml and *.yml; `-` reads standard input. Documents
// of other kinds (and of other API groups, e.g. Tekton's Pipeline) are skipped; a conveyor.dev
// Pipeline of another version, or without apiVersion, is a problem. Exit 1 on any problem.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LineCounter } from 'yaml';
import { GROUP, KIND } from '../api/constants.ts';
import { parsePath } from '../api/path.ts';
import { validatePipeline } from '../api/validate.ts';
import type { CliIO } from './main.ts';
import { parseKubernetesYaml } from './kube-yaml.ts';
import { locate } from './yaml-locate.ts';

export type FileProblem = { file: string; line: number; col: number; path: string; message: string };

export type ValidationReport = {
  pipelines: number;
  invalid: number;
  /** Documents that are not valid YAML (and so were not checked). */
  broken: number;
  problems: FileProblem[];
};

const USAGE = 'usage: conveyor validate <file|dir|->... [--output text|json]';

/** Validates every Pipeline in one YAML text (a file's content). */
export function validateYaml(text: string, file: string): ValidationReport {
  const lines = new LineCounter();
  const report: ValidationReport = { pipelines: 0, invalid: 0, broken: 0, problems: [] };
  for (const doc of parseKubernetesYaml(text, lines)) {
    if (doc.errors.length > 0) {
      report.broken++;
      for (const error of doc.errors) {
        const { line, col } = lines.linePos(error.pos[0]);
        report.problems.push({ file, line, col, path: '', message: `invalid YAML: ${error.message}` });
      }
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (error) {
      // e.g. an alias bomb ("Excessive alias count").
      report.broken++;
      const { line, col } = lines.linePos(doc.range[0]);
      report.problems.push({ file, line, col, path: '', message: `invalid YAML: ${(error as Error).message}` });
      continue;
    }
    if (!isConveyorPipeline(value)) continue;
    report.pipelines++;
    const problems = validatePipeline(value);
    if (problems.length > 0) report.invalid++;
    for (const { path, message } of problems) {
      report.problems.push({ file, ...locate(doc, parsePath(path), lines), path, message });
    }
  }
  report.problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return report;
}

/** kind Pipeline, unless its apiVersion names another group (Tekton and others have Pipelines too). */
function isConveyorPipeline(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== KIND) return false;
  const apiVersion = (value as { apiVersion?: unknown }).apiVersion;
  return typeof apiVersion !== 'string' || !apiVersion.includes('/') || apiVersion.split('/')[0] === GROUP;
}

/** The YAML files under `dir`, sorted, skipping hidden directories and node_modules. */
function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && entry.name !== 'node_modules') out.push(...yamlFiles(path));
    } else if (/\.ya?ml$/i.test(entry.name)) {
      out.push(path);
    }
  }
  return out;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export async function validateCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { output: { type: 'string', short: 'o', default: 'text' } }, allowPositionals: true });
  } catch (error) {
    io.err(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.output !== 'text' && values.output !== 'json') {
    io.err(`--output must be text or json, not "${values.output}"`);
    return 2;
  }
  if (positionals.length === 0) {
    io.err(USAGE);
    return 2;
  }

  const total: ValidationReport = { pipelines: 0, invalid: 0, broken: 0, problems: [] };
  let unreadable = 0;
  for (const arg of positionals) {
    let sources: { file: string; text: () => Promise<string> | string }[];
    try {
      if (arg === '-') sources = [{ file: '<stdin>', text: () => (io.stdin ? io.stdin() : '') }];
      else if (statSync(arg).isDirectory()) sources = yamlFiles(arg).map((file) => ({ file, text: () => readFileSync(file, 'utf8') }));
      else sources = [{ file: arg, text: () => readFileSync(arg, 'utf8') }];
    } catch (error) {
      io.err(`${arg}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(error)}`);
      unreadable++;
      continue;
    }
    for (const source of sources) {
      const report = validateYaml(await source.text(), source.file);
      total.pipelines += report.pipelines;
      total.invalid += report.invalid;
      total.broken += report.broken;
      total.problems.push(...report.problems);
    }
  }

  if (values.output === 'json') {
    io.out(JSON.stringify(total.problems, null, 2));
  } else {
    for (const p of total.problems) io.out(`${p.file}:${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
  }
  if (total.problems.length === 0 && unreadable === 0) {
    io.err(total.pipelines === 0 ? 'no Pipeline found' : `${plural(total.pipelines, 'pipeline')} valid`);
    return 0;
  }
  const parts = [`${total.invalid} of ${plural(total.pipelines, 'pipeline')} invalid`];
  if (total.broken > 0) parts.push(`${plural(total.broken, 'document')} with broken YAML`);
  if (unreadable > 0) parts.push(`${plural(unreadable, 'path')} unreadable`);
  io.err(`${plural(total.problems.length, 'problem')}: ${parts.join(', ')}`);
  return 1;
}
