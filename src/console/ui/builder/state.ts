// The builder's state: the YAML text (what the editor shows and what is exported), the last
// document that parsed (what the drawing shows), its problems and where each box sits.
// Graph edits regenerate the text from the document (clean YAML; a pasted file's comments and
// layout are not kept once the drawing changes it); typing keeps the text exactly as typed and
// redraws whenever it parses.
import { useMemo, useState } from 'preact/hooks';
import { autoPlace, type Point } from './layout.ts';
import {
  addEdge,
  addStage,
  edgesOf,
  removeEdge,
  removeStage,
  setStageField,
  stagesOf,
  type PipelineDoc,
  type StageKind,
} from './model.ts';
import { parsePipelineYaml, toYaml, type Problem } from './yaml-doc.ts';

/** `broken`: the text does not parse, so the drawing shows the last document that did. */
type State = {
  text: string;
  doc: PipelineDoc;
  broken: boolean;
  problems: Problem[];
  placed: Map<string, Point>;
  selected: number | undefined;
};

function fromText(text: string, prev: State): State {
  const parsed = parsePipelineYaml(text);
  if (!parsed.ok) return { ...prev, text, broken: true, problems: parsed.problems };
  const count = stagesOf(parsed.doc).length;
  const selected = prev.selected !== undefined && prev.selected < count ? prev.selected : undefined;
  return { ...prev, text, doc: parsed.doc, broken: false, problems: parsed.problems, selected };
}

export function initialState(doc: PipelineDoc): State {
  return fromText(toYaml(doc), { text: '', doc, broken: false, problems: [], placed: new Map(), selected: undefined });
}

export function useBuilder(start: PipelineDoc) {
  const [state, setState] = useState<State>(() => initialState(start));
  const positions = useMemo(() => autoPlace(state.doc, state.placed), [state.doc, state.placed]);
  const edit = (change: (doc: PipelineDoc) => PipelineDoc, extra: Partial<State> = {}) =>
    setState((s) => ({ ...fromText(toYaml(change(s.doc)), s), ...extra }));
  const problemsByStage = useMemo(() => {
    const map = new Map<number, string[]>();
    for (const p of state.problems)
      if (p.stage !== undefined) map.set(p.stage, [...(map.get(p.stage) ?? []), `${p.path}: ${p.message}`]);
    return map;
  }, [state.problems]);
  return {
    ...state,
    positions,
    problemsByStage,
    edges: edgesOf(state.doc),
    stages: stagesOf(state.doc),
    /** Start over from a document: positions laid out afresh. */
    load: (doc: PipelineDoc) => setState(initialState(doc)),
    loadText: (text: string) => setState((s) => fromText(text, { ...s, placed: new Map(), selected: undefined })),
    typed: (text: string) => setState((s) => fromText(text, s)),
    /** A new stage of `kind`, placed `at` (dropped) or laid out by depth (clicked in the palette). */
    add: (kind: StageKind, at?: Point) =>
      setState((s) => {
        const added = addStage(s.doc, kind);
        const placed = at ? new Map(s.placed).set(added.name, at) : s.placed;
        return { ...fromText(toYaml(added.doc), s), placed, selected: stagesOf(added.doc).length - 1 };
      }),
    connect: (from: string, to: string) => edit((d) => addEdge(d, from, to)),
    disconnect: (from: string, to: string) => edit((d) => removeEdge(d, from, to)),
    move: (name: string, at: Point) => setState((s) => ({ ...s, placed: new Map(s.placed).set(name, at) })),
    select: (index: number | undefined) => setState((s) => ({ ...s, selected: index })),
    setField: (index: number, field: string, value: unknown, order?: readonly string[]) =>
      edit((d) => setStageField(d, index, field, value, order)),
    setMetadata: (field: 'name' | 'namespace', value: string) =>
      edit((d) => {
        const metadata = { ...d.metadata };
        if (value === '') delete metadata[field];
        else metadata[field] = value;
        return { ...d, metadata };
      }),
    remove: (index: number) => edit((d) => removeStage(d, index), { selected: undefined }),
  };
}

export type Builder = ReturnType<typeof useBuilder>;
