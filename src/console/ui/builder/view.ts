// The Builder (#/builder): draw a pipeline, see the YAML beside it, get clean YAML for Git.
// Start empty, from the ETL template, from a pipeline the Console shows, or from pasted YAML;
// problems come live from the same validator as `conveyor validate` (yaml-doc.ts).
import { html } from 'htm/preact';
import { useMemo, useState } from 'preact/hooks';
import schema from '../../../../schema/pipeline.schema.json' with { type: 'json' };
import { useStoreVersion } from '../shared/use-store.ts';
import type { ConsoleStore } from '../shared/store-types.ts';
import { ExportBar } from './actions.ts';
import { Canvas, Palette } from './canvas.ts';
import { YamlEditor } from './editor.ts';
import { StageForm } from './form.ts';
import { stageFields } from './form-fields.ts';
import { emptyPipeline, etlTemplate, type PipelineDoc, type StageKind } from './model.ts';
import { useBuilder, type Builder } from './state.ts';
import { cleanForGit, problemLine, toYaml, type Problem } from './yaml-doc.ts';

function StartBar(props: { store: ConsoleStore; builder: Builder }) {
  useStoreVersion(props.store);
  const [paste, setPaste] = useState('');
  const pipelines = props.store.pipelines();
  const pick = (e: Event) => {
    const [namespace, name] = (e.currentTarget as HTMLSelectElement).value.split('/');
    const found = namespace && name ? props.store.pipeline(namespace, name) : undefined;
    if (found) props.builder.load(cleanForGit(found as unknown as PipelineDoc));
  };
  return html`<div class="builder-start">
    <strong>Start</strong>
    <button type="button" data-testid="builder-start-empty" onClick=${() => props.builder.load(emptyPipeline())}>Empty</button>
    <button type="button" data-testid="builder-start-template" title="ingest → transform → stage → load" onClick=${() => props.builder.load(etlTemplate())}>ETL template</button>
    <select data-testid="builder-start-existing" aria-label="From an existing pipeline" onChange=${pick} value="">
      <option value="">From a pipeline…</option>
      ${pipelines.map((p) => html`<option value=${`${p.metadata.namespace}/${p.metadata.name}`}>${p.metadata.namespace}/${p.metadata.name}</option>`)}
    </select>
    <details><summary data-testid="builder-start-paste">Paste YAML</summary>
      <textarea data-testid="builder-paste" rows="6" cols="60" placeholder="Paste a Pipeline here" value=${paste} onInput=${(e: Event) => setPaste((e.currentTarget as HTMLTextAreaElement).value)}></textarea>
      <div><button type="button" data-testid="builder-paste-load" disabled=${paste.trim() === ''} onClick=${() => props.builder.loadText(paste)}>Load</button></div>
    </details>
  </div>`;
}

function ProblemList(props: { problems: Problem[]; onPick: (problem: Problem) => void }) {
  if (props.problems.length === 0)
    return html`<p class="builder-problems none" data-testid="builder-problems" data-count="0">✓ No problems: conveyor validate accepts this pipeline.</p>`;
  return html`<ul class="builder-problems" data-testid="builder-problems" data-count=${props.problems.length} aria-label="Problems">
    ${props.problems.map(
      (p) => html`<li data-testid="builder-problem" data-path=${p.path} data-stage=${p.stage}>
        <button type="button" class="link" title="Show in the YAML" onClick=${() => props.onPick(p)}>${problemLine(p)}</button></li>`,
    )}
  </ul>`;
}

function MetadataFields(props: { builder: Builder }) {
  const { metadata } = props.builder.doc;
  const field = (name: 'name' | 'namespace', placeholder: string) => html`<label>${name}
    <input key=${String(metadata?.[name] ?? '')} data-testid=${`builder-meta-${name}`} defaultValue=${metadata?.[name] ?? ''} placeholder=${placeholder}
      onChange=${(e: Event) => props.builder.setMetadata(name, (e.currentTarget as HTMLInputElement).value.trim())} /></label>`;
  return html`<div class="builder-meta">${field('name', 'my-pipeline')}${field('namespace', 'default')}</div>`;
}

export function BuilderView(props: { store: ConsoleStore }) {
  const builder = useBuilder(emptyPipeline());
  const fields = useMemo(() => stageFields(schema), []);
  const fieldOrder = useMemo(() => fields.map((f) => f.name), [fields]);
  const [reveal, setReveal] = useState<{ line: number; col: number } | undefined>(undefined);
  // A problem picked in the list: its stage selected in the drawing, its line shown in the YAML.
  const pick = (problem: Problem) => {
    if (problem.stage !== undefined) builder.select(problem.stage);
    setReveal({ line: problem.line, col: problem.col });
  };
  const selected = builder.selected !== undefined ? builder.stages[builder.selected] : undefined;
  const exported = useMemo(() => toYaml(builder.doc), [builder.doc]);
  const namespace = typeof builder.doc.metadata?.namespace === 'string' ? builder.doc.metadata.namespace : 'default';
  const fileName = `${typeof builder.doc.metadata?.name === 'string' && builder.doc.metadata.name ? builder.doc.metadata.name : 'pipeline'}.yaml`;
  return html`<section class="builder" data-testid="builder">
    <${StartBar} store=${props.store} builder=${builder} />
    <${MetadataFields} builder=${builder} />
    <${Palette} onAdd=${(kind: StageKind) => builder.add(kind)} />
    <div class="builder-columns">
      <div class="builder-panel">
        <${Canvas} stages=${builder.stages} edges=${builder.edges} positions=${builder.positions} problemsByStage=${builder.problemsByStage} selected=${builder.selected}
          onDropKind=${builder.add} onConnect=${builder.connect} onDisconnect=${builder.disconnect} onMove=${builder.move} onSelect=${builder.select} />
        <${ProblemList} problems=${builder.problems} onPick=${pick} />
        ${
          selected && builder.selected !== undefined
            ? html`<${StageForm} key=${builder.selected} fields=${fields} stage=${selected} problems=${builder.problems.filter((p) => p.stage === builder.selected)}
              onSet=${(field: string, value: unknown) => builder.setField(builder.selected!, field, value, fieldOrder)} onRemove=${() => builder.remove(builder.selected!)} />`
            : html`<p class="muted">Select a stage to edit it; drag from its blue handle to another stage to make that one depend on it.</p>`
        }
      </div>
      <div class="builder-panel">
        <${YamlEditor} text=${builder.text} onChange=${builder.typed} reveal=${reveal} />
        <${ExportBar} store=${props.store} yaml=${exported} fileName=${fileName} namespace=${namespace} disabled=${builder.broken} />
      </div>
    </div>
  </section>`;
}
