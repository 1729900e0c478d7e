// `conveyor validate <file|dir|->... [--output text|json]`: checks Pipeline YAML offline, with the
// rules the API server and the operator apply (src/api/validate.ts). One line per problem:
//   examples/etl.yaml:14:9: spec.stages[2].dependsOn[0]: unknown stage "ghost"
// Directories are searched recursively for *.yaml and *.yml; `-` reads standard input. Documents
// of other kinds (and of other API groups, e.g. Tekton's Pipeline) are skipped; a conveyor.dev
// document of another kind, a Pipeline of another version or without apiVersion is a problem.
// The YAML is read as kubectl reads it: YAML 1.1 booleans and merge keys, any number of aliases as
// long as their expansion stays within what the API server stores (1.5 MiB); and strictly UTF-8,
// where kubectl would quietly replace the bad bytes.
// Exit 1 on any problem.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LineCounter, type Document } from 'yaml';
import { GROUP, KIND } from '../api/constants.ts';
import { parsePath } from '../api/path.ts';
import type { ValidationProblem } from '../api/problem.ts';
import { MAX_OBJECT_BYTES } from '../api/size.ts';
import { validatePipeline } from '../api/validate.ts';
import type { CliIO } from './io.ts';
import { parseKubernetesYaml } from '../api/kube-yaml.ts';
import { decodeUtf8 } from './utf8.ts';
import { measureExpansion } from './yaml-expand.ts';
import { locate } from '../api/yaml-locate.ts';

export type FileProblem = { file: string; line: number; col: number; path: string; message: string };

export type ValidationReport = {
  pipelines: number;
  invalid: number;
  /** Documents that are not valid YAML (and so were not checked). */
  broken: number;
  problems: FileProblem[];
};

const USAGE = 'usage: conveyor validate <file|dir|->... [--output text|json]';

/**
 * More nodes than this after alias expansion cannot be a Pipeline the API server stores: every
 * JSON value takes at least one byte. The document is refused before it is expanded.
 */
const MAX_EXPANDED_NODES = MAX_OBJECT_BYTES;

/** Validates every Pipeline in one YAML file's content; bytes are decoded as strict UTF-8. */
export function validateYaml(input: string | Uint8Array, file: string): ValidationReport {
  const report: ValidationReport = { pipelines: 0, invalid: 0, broken: 0, problems: [] };
  const decoded = typeof input === 'string' ? { text: input } : decodeUtf8(input);
  if (!('text' in decoded)) {
    report.broken++;
    const byte = decoded.byte.toString(16).toUpperCase().padStart(2, '0');
    report.problems.push({
      file,
      line: decoded.line,
      col: decoded.col,
      path: '',
      message: `invalid YAML: not UTF-8 (byte 0x${byte}); kubectl would store U+FFFD (�) in its place`,
    });
    return report;
  }
  const lines = new LineCounter();
  for (const doc of parseKubernetesYaml(decoded.text, lines)) checkDocument(doc, file, lines, report);
  report.problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return report;
}

/** One YAML document: parse errors, expansion, then the Pipeline checks if it is one. */
function checkDocument(doc: Document.Parsed, file: string, lines: LineCounter, report: ValidationReport): void {
  const broken = (pos: number, message: string): void => {
    report.broken++;
    report.problems.push({ file, ...lines.linePos(pos), path: '', message: `invalid YAML: ${message}` });
  };
  if (doc.errors.length > 0) {
    report.broken++;
    for (const error of doc.errors)
      report.problems.push({
        file,
        ...lines.linePos(error.pos[0]),
        path: '',
        message: `invalid YAML: ${error.message}`,
      });
    return;
  }
  const { nodes, cycle } = measureExpansion(doc);
  if (cycle) {
    broken(
      cycle.range?.[0] ?? doc.range[0],
      `alias *${cycle.source} is inside the node its anchor names: the document would contain itself`,
    );
    return;
  }
  if (nodes > MAX_EXPANDED_NODES) {
    broken(
      doc.range[0],
      `aliases expand this document to more than ${MAX_EXPANDED_NODES} values, more than the API server stores (1.5 MiB as JSON)`,
    );
    return;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: -1 }); // the expansion is bounded above
  } catch (error) {
    broken(doc.range[0], (error as Error).message);
    return;
  }
  const problems = conveyorProblems(value);
  if (problems === undefined) return;
  report.pipelines++;
  if (problems.length > 0) report.invalid++;
  for (const { path, message } of problems)
    report.problems.push({ file, ...locate(doc, parsePath(path), lines), path, message });
}

/**
 * The problems of a Conveyor document, or undefined for a document of someone else: kind
 * Pipeline, unless its apiVersion names another group (Tekton and others have Pipelines too).
 * A conveyor.dev document of another kind is a problem: Pipeline is the only kind there is.
 */
function conveyorProblems(value: unknown): ValidationProblem[] | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { apiVersion, kind } = value as { apiVersion?: unknown; kind?: unknown };
  const group = typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : undefined;
  if (group === GROUP && kind !== KIND) {
    const message =
      kind === undefined
        ? 'required field is missing'
        : `must be ${KIND} (the only kind in ${GROUP}), not ${JSON.stringify(kind)}`;
    return [{ path: 'kind', message }];
  }
  if (kind !== KIND || (group !== undefined && group !== GROUP)) return undefined;
  return validatePipeline(value);
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

function parseValidateArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: { output: { type: 'string', short: 'o', default: 'text' } },
    allowPositionals: true,
  });
}

export async function validateCommand(argv: string[], io: CliIO): Promise<number> {
  let parsed: ReturnType<typeof parseValidateArgs>;
  try {
    parsed = parseValidateArgs(argv);
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
    let sources: { file: string; text: () => Promise<string | Uint8Array> | string | Uint8Array }[];
    try {
      // Bytes, not 'utf8' strings: Node would replace invalid UTF-8 silently.
      if (arg === '-') sources = [{ file: '<stdin>', text: () => (io.stdin ? io.stdin() : '') }];
      else if (statSync(arg).isDirectory())
        sources = yamlFiles(arg).map((file) => ({ file, text: () => readFileSync(file) }));
      else sources = [{ file: arg, text: () => readFileSync(arg) }];
    } catch (error) {
      io.err(
        `${arg}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(error)}`,
      );
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
