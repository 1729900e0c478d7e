// The builder's document: a Pipeline as plain data (what the YAML says), and the graph edits the
// drawing makes to it. Pure functions returning new documents, so undo-free views can compare.
// Edges are `dependsOn`: an edge from A to B means B depends on A.

export type StageDoc = { name: string; dependsOn?: string[]; [field: string]: unknown };
export type PipelineDoc = {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; [field: string]: unknown };
  spec: { stages?: StageDoc[]; [field: string]: unknown };
  [field: string]: unknown;
};

export const STAGE_KINDS = ['ingest', 'transform', 'stage', 'load', 'custom'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

const API_VERSION = 'conveyor.dev/v1alpha1';
const DEFAULT_IMAGE = 'busybox:1.36';

/** What each palette kind starts with: a runnable busybox step saying what it stands for. */
const KIND_COMMAND: Record<StageKind, string> = {
  ingest: 'echo "pulling the source into $CONVEYOR_STAGING"',
  transform: 'echo "cleaning and reshaping the data"',
  stage: 'echo "staging the intermediate table"',
  load: 'echo "loading the warehouse"',
  custom: 'echo "a step of your own"',
};

export function emptyPipeline(name = 'my-pipeline', namespace?: string): PipelineDoc {
  return {
    apiVersion: API_VERSION,
    kind: 'Pipeline',
    metadata: namespace ? { name, namespace } : { name },
    spec: { stages: [] },
  };
}

/** The shape of examples/etl-nightly.yaml, reduced to one stage per step: ingest → transform → stage → load. */
export function etlTemplate(name = 'etl', namespace?: string): PipelineDoc {
  let doc = emptyPipeline(name, namespace);
  let previous: string | undefined;
  for (const kind of ['ingest', 'transform', 'stage', 'load'] as const) {
    const added = addStage(doc, kind);
    doc = previous ? addEdge(added.doc, previous, added.name) : added.doc;
    previous = added.name;
  }
  return doc;
}

/**
 * The stages, index for index with spec.stages (problem paths count on it). Half-typed YAML has
 * items that are not mappings (`- ` is null): they are drawn as stages without a name.
 */
export function stagesOf(doc: PipelineDoc): StageDoc[] {
  const stages: unknown = doc.spec?.stages;
  if (!Array.isArray(stages)) return [];
  return stages.map((s: unknown) =>
    typeof s === 'object' && s !== null && !Array.isArray(s) ? (s as StageDoc) : { name: '' },
  );
}

function withStages(doc: PipelineDoc, stages: StageDoc[]): PipelineDoc {
  return { ...doc, spec: { ...doc.spec, stages } };
}

/** `kind`, or `kind-2`, `kind-3`, ...: the first name no stage has. */
export function freshName(doc: PipelineDoc, base: string): string {
  const taken = new Set(stagesOf(doc).map((s) => s.name));
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

export function addStage(doc: PipelineDoc, kind: StageKind): { doc: PipelineDoc; name: string } {
  const name = freshName(doc, kind);
  const stage: StageDoc = { name, image: DEFAULT_IMAGE, command: ['sh', '-c', KIND_COMMAND[kind]] };
  return { doc: withStages(doc, [...stagesOf(doc), stage]), name };
}

/** Why an edge from → to cannot be drawn, or undefined. Cycles may be drawn: the validator reports them. */
export function edgeRefusal(doc: PipelineDoc, from: string, to: string): string | undefined {
  if (from === to) return 'a stage cannot depend on itself';
  const target = stagesOf(doc).find((s) => s.name === to);
  if (!target || !stagesOf(doc).some((s) => s.name === from)) return 'no such stage';
  if (target.dependsOn?.includes(from)) return `${to} already depends on ${from}`;
  return undefined;
}

export function addEdge(doc: PipelineDoc, from: string, to: string): PipelineDoc {
  if (edgeRefusal(doc, from, to) !== undefined) return doc;
  return withStages(
    doc,
    stagesOf(doc).map((s) => (s.name === to ? { ...s, dependsOn: [...(s.dependsOn ?? []), from] } : s)),
  );
}

export function removeEdge(doc: PipelineDoc, from: string, to: string): PipelineDoc {
  return withStages(
    doc,
    stagesOf(doc).map((s) =>
      s.name === to && s.dependsOn ? withoutEmptyDeps({ ...s, dependsOn: s.dependsOn.filter((d) => d !== from) }) : s,
    ),
  );
}

function withoutEmptyDeps(stage: StageDoc): StageDoc {
  if (stage.dependsOn && stage.dependsOn.length > 0) return stage;
  const { dependsOn: _dropped, ...rest } = stage;
  return rest as StageDoc;
}

/** Removes the stage at `index` and every dependsOn that named it. */
export function removeStage(doc: PipelineDoc, index: number): PipelineDoc {
  const gone = stagesOf(doc)[index]?.name;
  const kept = stagesOf(doc).filter((_, i) => i !== index);
  return withStages(
    doc,
    kept.map((s) => (s.dependsOn ? withoutEmptyDeps({ ...s, dependsOn: s.dependsOn.filter((d) => d !== gone) }) : s)),
  );
}

/**
 * Sets one field of the stage at `index`; undefined removes it (an emptied form field means
 * "not set", as in YAML). A field added anew goes where `order` (the schema's) puts it. A new name is carried into every dependsOn that named the old one.
 */
export function setStageField(
  doc: PipelineDoc,
  index: number,
  field: string,
  value: unknown,
  order: readonly string[] = [],
): PipelineDoc {
  const stages = stagesOf(doc);
  const old = stages[index];
  if (!old) return doc;
  let next: StageDoc = { ...old };
  if (value === undefined) delete next[field];
  else next[field] = value;
  if (!(field in old) && value !== undefined) next = inOrder(next, order);
  let updated = stages.map((s, i) => (i === index ? next : s));
  if (field === 'name' && typeof value === 'string' && value !== old.name) {
    updated = updated.map((s) =>
      s.dependsOn ? { ...s, dependsOn: s.dependsOn.map((d) => (d === old.name ? value : d)) } : s,
    );
  }
  return withStages(
    doc,
    updated.map((s, i) => (i === index ? withoutEmptyDeps(s) : s)),
  );
}

/** The stage's fields in `order` (others after them, as they were). */
function inOrder(stage: StageDoc, order: readonly string[]): StageDoc {
  const rank = (key: string) => (order.includes(key) ? order.indexOf(key) : order.length);
  return Object.fromEntries(Object.entries(stage).sort(([a], [b]) => rank(a) - rank(b))) as StageDoc;
}

/** Edges as drawn: one per dependsOn entry that names a stage (unknown names are the validator's to report). */
export function edgesOf(doc: PipelineDoc): { from: string; to: string }[] {
  const names = new Set(stagesOf(doc).map((s) => s.name));
  return stagesOf(doc).flatMap((s) =>
    (Array.isArray(s.dependsOn) ? s.dependsOn : []).filter((d) => names.has(d)).map((d) => ({ from: d, to: s.name })),
  );
}
