// What leaves the builder: clean YAML copied or downloaded, a server-side dry run ("Check on
// cluster", the API server's own answer), and Apply, shown only to those allowed to create
// Pipelines in the namespace and styled as the secondary, deliberate choice.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { CheckResult } from '../../protocol.ts';
import type { ConsoleStore } from '../shared/store-types.ts';

export type ExportProps = { store: ConsoleStore; yaml: string; fileName: string; namespace: string; disabled: boolean };

function download(yaml: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([yaml], { type: 'application/yaml' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Whether the user may create Pipelines in `namespace`, once the access review has answered. */
type CreateAccess = 'asking' | 'allowed' | 'denied';

function useCreateAccess(store: ConsoleStore, namespace: string): CreateAccess {
  const [access, setAccess] = useState<CreateAccess>('asking');
  useEffect(() => {
    let live = true;
    setAccess('asking');
    store.access(namespace).then(
      (answer) => live && setAccess(answer.create ? 'allowed' : 'denied'),
      () => live && setAccess('denied'),
    );
    return () => void (live = false);
  }, [store, namespace]);
  return access;
}

type Outcome = { what: 'check' | 'apply' | 'copy'; result: CheckResult } | { what: 'pending'; label: string };

export function ExportBar(props: ExportProps) {
  const createAccess = useCreateAccess(props.store, props.namespace);
  const [outcome, setOutcome] = useState<Outcome | undefined>(undefined);
  useEffect(() => setOutcome(undefined), [props.yaml]);
  const ask = (what: 'check' | 'apply', call: () => Promise<CheckResult>) => {
    setOutcome({ what: 'pending', label: what === 'check' ? 'Checking on the cluster…' : 'Applying…' });
    call().then(
      (result) => setOutcome({ what, result }),
      (error: unknown) =>
        setOutcome({ what, result: { ok: false, message: error instanceof Error ? error.message : String(error) } }),
    );
  };
  const copy = () =>
    navigator.clipboard.writeText(props.yaml).then(
      () => setOutcome({ what: 'copy', result: { ok: true, message: 'Copied to the clipboard.' } }),
      () =>
        setOutcome({
          what: 'copy',
          result: { ok: false, message: 'The browser did not allow copying; use Download.' },
        }),
    );
  return html`<div class="builder-export">
    <div class="builder-export-buttons" data-testid="builder-export" data-namespace=${props.namespace} data-create-access=${createAccess}>
      <button type="button" data-testid="builder-copy" disabled=${props.disabled} onClick=${copy}>Copy YAML</button>
      <button type="button" data-testid="builder-download" disabled=${props.disabled} onClick=${() => download(props.yaml, props.fileName)}>Download ${props.fileName}</button>
      <button type="button" data-testid="builder-check" disabled=${props.disabled} title="A server-side dry run: the API server's own checks, nothing is stored"
        onClick=${() => ask('check', () => props.store.dryRun(props.yaml))}>Check on cluster</button>
      <span class="spacer"></span>
      ${
        createAccess === 'allowed'
          ? html`<button type="button" data-testid="builder-apply" class="link" disabled=${props.disabled} title=${`Server-side apply into ${props.namespace}; the usual path is Git`}
            onClick=${() => ask('apply', () => props.store.apply(props.yaml))}>Apply to ${props.namespace}…</button>`
          : null
      }
    </div>
    ${
      outcome
        ? outcome.what === 'pending'
          ? html`<p class="muted" role="status">${outcome.label}</p>`
          : html`<pre data-testid=${`builder-${outcome.what}-result`} data-ok=${String(outcome.result.ok)} role="status"
            class="builder-result">${outcome.result.ok ? '✓ ' : '✗ '}${outcome.result.message}</pre>`
        : null
    }
  </div>`;
}
