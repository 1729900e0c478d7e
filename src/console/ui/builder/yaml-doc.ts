// The builder's YAML: text → document with the problems `conveyor validate` would print for it,
// and document → clean YAML for Git. Problems come from the very same validatePipeline, with
// line and column found as the CLI finds them (yaml-locate.ts), read as kubectl reads YAML.
import { LineCounter, stringify } from 'yaml';
import { parsePath } from '../../../api/path.ts';
import { validatePipeline } from '../../../api/validate.ts';
import { parseKubernetesYaml } from '../../../api/kube-yaml.ts';
import { locate } from '../../../api/yaml-locate.ts';
import type { PipelineDoc } from './model.ts';

export type Problem = { line: number; col: number; path: string; message: string; stage?: number };

export type Parsed =
  | { ok: true; doc: PipelineDoc; problems: Problem[] }
  /** Not YAML, or not one mapping: the drawing keeps its last good document. */
  | { ok: false; problems: Problem[] };

/** As the CLI prints it, without the file name: `8:7: spec.stages[0].image: must not be empty`. */
export function problemLine(p: Problem): string {
  return `${p.line}:${p.col}: ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** The stage a problem path is about (`spec.stages[2]…` → 2). */
export function stageIndexOf(path: string): number | undefined {
  const match = /^spec\.stages\[(\d+)\]/.exec(path);
  return match ? Number(match[1]) : undefined;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parsePipelineYaml(text: string): Parsed {
  const lines = new LineCounter();
  const docs = parseKubernetesYaml(text, lines);
  const first = docs[0];
  if (!first) return { ok: false, problems: [{ line: 1, col: 1, path: '', message: 'no YAML document' }] };
  if (first.errors.length > 0) {
    return {
      ok: false,
      problems: first.errors.map((e) => ({
        ...lines.linePos(e.pos[0]),
        path: '',
        message: `invalid YAML: ${e.message}`,
      })),
    };
  }
  let value: unknown;
  try {
    value = first.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    return {
      ok: false,
      problems: [{ line: 1, col: 1, path: '', message: `invalid YAML: ${(error as Error).message}` }],
    };
  }
  if (!isMapping(value))
    return {
      ok: false,
      problems: [{ line: 1, col: 1, path: '', message: 'a Pipeline is a mapping (apiVersion, kind, metadata, spec)' }],
    };
  const problems: Problem[] = validatePipeline(value).map(
    ({ path, message }) =>
      ({ ...locate(first, parsePath(path), lines), path, message, stage: stageIndexOf(path) }) as Problem,
  );
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  const second = docs[1];
  if (second)
    problems.push({
      line: lines.linePos(second.range[0]).line,
      col: 1,
      path: '',
      message: 'the builder edits one Pipeline; later documents are ignored',
    });
  return { ok: true, doc: value as PipelineDoc, problems };
}

/** Metadata a person writes; everything else in metadata the API server adds. */
const AUTHORED_METADATA = ['name', 'generateName', 'namespace', 'labels', 'annotations'];
// Written by kubectl and by Console/CLI actions on a live object, not by the pipeline's author.
const SERVER_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'conveyor.dev/cancel-requested'];

/** The document as it belongs in Git: apiVersion, kind, authored metadata, spec; no status. */
export function cleanForGit(doc: PipelineDoc): PipelineDoc {
  const metadata: PipelineDoc['metadata'] = {};
  for (const key of AUTHORED_METADATA) if (doc.metadata?.[key] !== undefined) metadata[key] = doc.metadata[key];
  if (isMapping(metadata.annotations)) {
    const kept = Object.fromEntries(
      Object.entries(metadata.annotations).filter(([k]) => !SERVER_ANNOTATIONS.includes(k)),
    );
    if (Object.keys(kept).length > 0) metadata.annotations = kept;
    else delete metadata.annotations;
  }
  return { apiVersion: doc.apiVersion, kind: doc.kind, metadata, spec: doc.spec };
}

/** Clean YAML, regenerated from the document (comments and layout of a pasted file are not kept). */
export function toYaml(doc: PipelineDoc): string {
  return stringify(cleanForGit(doc), { lineWidth: 0, aliasDuplicateObjects: false });
}
