// Action buttons, each shown only when the API server (a SelfSubjectAccessReview, through
// store.access) says the user may make the underlying request; the server checks again.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { Access, ActionName, ActionRequest, Pipeline } from '../../protocol.ts';
import { buttonsFor } from '../model/actions.ts';
import type { ConsoleStore } from '../shared/store-types.ts';
import { isActive, type RunView } from '../model/runs.ts';
import { offersRunOptions, RunForm } from './run-form.ts';

export function Actions(props: { store: ConsoleStore; pipeline: Pipeline; selected?: RunView; runs: RunView[] }) {
  const { store, pipeline } = props;
  const namespace = pipeline.metadata.namespace!;
  const name = pipeline.metadata.name!;
  const [access, setAccess] = useState<Access | undefined>(undefined);
  const [result, setResult] = useState<{ ok: boolean; message: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [formOpen, setFormOpen] = useState(false);
  useEffect(() => {
    let live = true;
    store.access(namespace).then(
      (a) => live && setAccess(a),
      // Rights that cannot be checked are treated as absent: no buttons, and the reason shown.
      (err: Error) => {
        if (!live) return;
        setAccess({ namespace, create: false, run: false, retry: false, cancel: false, suspend: false, resume: false });
        setResult({ ok: false, message: `could not check your rights: ${err.message}` });
      },
    );
    return () => {
      live = false;
    };
  }, [store, namespace]);
  if (!access) return html`<div class="pipeline-actions" data-access="pending"></div>`;
  const act = async (action: ActionName, request: ActionRequest) => {
    setBusy(true);
    try {
      setResult(await store.act(namespace, name, action, request));
    } catch (err) {
      setResult({ ok: false, message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const shown = buttonsFor(pipeline, props.selected, props.runs.find(isActive)).filter((b) => access[b.action]);
  const withOptions = access.run && !pipeline.spec.suspend && offersRunOptions(pipeline);
  // data-access="loaded" tells that the answer is in (and no button means: not allowed).
  return html`<div class="pipeline-actions" data-access="loaded">
    ${shown.map((b) => html`<button key=${b.action} data-action=${b.action} disabled=${busy || !b.enabled} title=${b.why} onClick=${() => act(b.action, b.run ? { run: b.run } : {})}>${b.label}</button> `)}
    ${withOptions ? html`<button data-action="run-form" disabled=${busy} aria-expanded=${String(formOpen)} title="choose the run's parameters, or bypass the cache" onClick=${() => setFormOpen(!formOpen)}>Run with parameters…</button>` : null}
    ${withOptions && formOpen ? html`<${RunForm} pipeline=${pipeline} busy=${busy} onRun=${(r: ActionRequest) => act('run', r)} onClose=${() => setFormOpen(false)} />` : null}
    ${result ? html`<span class="action-result" data-ok=${String(result.ok)}>${result.message}</span>` : null}
  </div>`;
}
