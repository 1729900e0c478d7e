// The selected stage's form, one input per stage property of the schema (form-fields.ts). Inputs
// commit on change (blur or Enter), so a list being typed line by line is not reformatted midway;
// they are keyed by their value, so an edit in the YAML or the drawing shows up here.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { fieldText, fieldValue, type FieldSpec } from './form-fields.ts';
import type { StageDoc } from './model.ts';

export type StageFormProps = {
  fields: FieldSpec[];
  stage: StageDoc;
  problems: { path: string; message: string }[];
  onSet: (field: string, value: unknown) => void;
  onRemove: () => void;
};

function Input(props: { field: FieldSpec; text: string; commit: (text: string) => void }) {
  const { field, text, commit } = props;
  const common = {
    id: `builder-field-${field.name}`,
    'data-testid': `builder-field-${field.name}`,
    title: field.description,
  };
  const onChange = (e: Event) => commit((e.currentTarget as HTMLInputElement).value);
  switch (field.kind) {
    case 'boolean':
      return html`<input ...${common} type="checkbox" checked=${text === 'true'} onChange=${(e: Event) => commit(String((e.currentTarget as HTMLInputElement).checked))} />`;
    case 'enum':
      return html`<select ...${common} class="builder-input" value=${text} onChange=${onChange}><option value="">(not set)</option>${field.options?.map((o) => html`<option value=${o}>${o}</option>`)}</select>`;
    case 'list':
    case 'yaml':
      return html`<textarea ...${common} class="builder-input mono" rows=${Math.min(8, Math.max(2, text.split('\n').length))} defaultValue=${text} onChange=${onChange}
        placeholder=${field.kind === 'list' ? 'one item per line' : 'YAML'}></textarea>`;
    default:
      return html`<input ...${common} class="builder-input" type=${field.kind === 'integer' ? 'number' : 'text'} defaultValue=${text} onChange=${onChange} />`;
  }
}

/** The stage property a problem path names: `spec.stages[2].dependsOn[0]` → dependsOn. */
function fieldOf(path: string): string | undefined {
  return /^spec\.stages\[\d+\]\.([A-Za-z]+)/.exec(path)?.[1];
}

export function StageForm(props: StageFormProps) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const commit = (field: FieldSpec) => (text: string) => {
    const result = fieldValue(field.kind, text);
    setErrors({ ...errors, [field.name]: 'error' in result ? result.error : '' });
    if ('value' in result) props.onSet(field.name, result.value);
  };
  return html`<form data-testid="builder-form" aria-label=${`Stage ${props.stage.name}`} onSubmit=${(e: Event) => e.preventDefault()}
      class="builder-form">
    <div class="builder-form-head"><strong>Stage ${props.stage.name}</strong>
      <button type="button" data-testid="builder-remove-stage" onClick=${props.onRemove}>Remove stage</button></div>
    ${props.fields.map((field) => {
      const text = fieldText(field.kind, props.stage[field.name]);
      const own = props.problems.filter((p) => fieldOf(p.path) === field.name);
      return html`<label key=${field.name} for=${`builder-field-${field.name}`} class="builder-field">
        <span>${field.name}${field.required ? ' *' : ''} <span class="muted builder-field-help">${field.description}</span></span>
        <${Input} key=${`${field.name}:${text}`} field=${field} text=${text} commit=${commit(field)} />
        ${errors[field.name] ? html`<span class="builder-field-error" role="alert">${errors[field.name]}</span>` : null}
        ${own.map((p) => html`<span class="builder-field-error" data-testid="builder-field-problem">${p.message}</span>`)}
      </label>`;
    })}
  </form>`;
}
