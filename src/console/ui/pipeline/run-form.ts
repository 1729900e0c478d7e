// "Run with parameters": a form from spec.params (an enum is a select, anything else a text
// field, each starting at its default) and "no cache", sent as action `run` with its options; the
// server writes conveyor.dev/run-options as `conveyor run --param … --no-cache` does, after the
// operator's own check. Shown only to those the API server lets run the pipeline (actions.ts).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { ParamSpec } from '../../../api/types.ts';
import type { ActionRequest, Pipeline } from '../../protocol.ts';

/** A run with options makes sense when the pipeline declares parameters or caches a stage. */
export function offersRunOptions(p: Pipeline): boolean {
  return (p.spec.params?.length ?? 0) > 0 || p.spec.stages.some((s) => s.cache !== undefined);
}

/** The form's starting values: every parameter's default ("" when it has none). */
export function initialValues(specs: ParamSpec[] | undefined): Record<string, string> {
  return Object.fromEntries((specs ?? []).map((s) => [s.name, s.default ?? '']));
}

/** The request the form sends: every declared parameter's value, and noCache when ticked. */
export function runOptionsRequest(
  specs: ParamSpec[] | undefined,
  values: Record<string, string>,
  noCache: boolean,
): ActionRequest {
  const declared = specs ?? [];
  const params = Object.fromEntries(declared.map((s) => [s.name, values[s.name] ?? s.default ?? '']));
  return { ...(declared.length > 0 ? { params } : {}), ...(noCache ? { noCache: true } : {}) };
}

function Field(props: { spec: ParamSpec; value: string; onChange: (value: string) => void }) {
  const { spec, value } = props;
  const changed = (e: Event) => props.onChange((e.target as HTMLInputElement | HTMLSelectElement).value);
  const input = spec.enum
    ? html`<select data-param=${spec.name} value=${value} onChange=${changed}>${spec.enum.map((v) => html`<option key=${v} value=${v}>${v}</option>`)}</select>`
    : html`<input data-param=${spec.name} value=${value} onInput=${changed} />`;
  return html`<label class="run-form-field" title=${spec.description ?? ''}><code>${spec.name}</code> ${input}</label>`;
}

export function RunForm(props: {
  pipeline: Pipeline;
  busy: boolean;
  onRun: (request: ActionRequest) => void;
  onClose: () => void;
}) {
  const specs = props.pipeline.spec.params;
  const [values, setValues] = useState<Record<string, string>>(() => initialValues(specs));
  const [noCache, setNoCache] = useState(false);
  const submit = (e: Event) => {
    e.preventDefault();
    props.onRun(runOptionsRequest(specs, values, noCache));
  };
  return html`<form class="run-form" data-role="run-form" onSubmit=${submit}>
    ${(specs ?? []).map((s) => html`<${Field} key=${s.name} spec=${s} value=${values[s.name] ?? ''} onChange=${(v: string) => setValues({ ...values, [s.name]: v })} />`)}
    <label class="run-form-field" title="run every stage, whatever the cache holds (conveyor run --no-cache)">
      <input type="checkbox" data-role="no-cache" checked=${noCache} onChange=${(e: Event) => setNoCache((e.target as HTMLInputElement).checked)} /> no cache</label>
    <button type="submit" data-action="run-with-options" disabled=${props.busy}>Run</button>
    <button type="button" class="link" onClick=${props.onClose}>Close</button>
  </form>`;
}
