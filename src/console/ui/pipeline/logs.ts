// A stage's logs, streamed from the server into a <pre> (followed while the stage runs). When the
// server cannot give them (the pod is gone, never started) it answers 404 with a message, which
// is shown as it is: the user learns why, not just that nothing came.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { CANNED_LOGS_HEADER } from '../../protocol.ts';

/** `cannedOn`: the KWOK node whose canned log this is, not the pod's own output. */
type LogState = {
  text: string;
  status: 'loading' | 'streaming' | 'done' | 'error';
  message?: string;
  cannedOn?: string;
};
const MAX_CHARS = 500_000;

async function errorMessage(res: Response): Promise<string> {
  const body = await res.text();
  try {
    return (JSON.parse(body) as { message?: string }).message ?? body;
  } catch {
    return body || `HTTP ${res.status}`;
  }
}

async function stream(url: string, signal: AbortSignal, update: (s: LogState) => void): Promise<void> {
  const res = await fetch(url, { signal, credentials: 'same-origin' });
  if (!res.ok || !res.body) {
    update({ text: '', status: 'error', message: await errorMessage(res) });
    return;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const canned = res.headers.get(CANNED_LOGS_HEADER);
  const source = canned ? { cannedOn: canned } : {};
  let text = '';
  update({ text, status: 'streaming', ...source });
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    // Keep the tail of very long logs: the page must stay responsive.
    text = (text + value).slice(-MAX_CHARS);
    update({ text, status: 'streaming', ...source });
  }
  update({ text, status: 'done', ...source });
}

/** The local cluster's pods all print KWOK's one shared file: say so before anyone reads it as this stage's. */
function CannedNote(props: { node: string }) {
  return html`<p class="logs-note" data-role="canned-logs" data-node=${props.node}>
    <b>Canned logs.</b> This pod runs on ${props.node}, a KWOK node of a simulated cluster, which serves every pod
    the same log file: these lines may come from other stages and pipelines, not from this stage.</p>`;
}

export function Logs(props: { url: string; follow: boolean }) {
  const [state, setState] = useState<LogState>({ text: '', status: 'loading' });
  useEffect(() => {
    const abort = new AbortController();
    setState({ text: '', status: 'loading' });
    stream(props.url, abort.signal, setState).catch((err: Error) => {
      if (!abort.signal.aborted)
        setState((s) => ({ ...s, status: 'error', message: `logs could not be read: ${err.message}` }));
    });
    return () => abort.abort();
  }, [props.url]);
  const note =
    state.status === 'loading' ? 'loading logs…' : state.status === 'streaming' && props.follow ? 'following…' : '';
  return html`<div class="stage-logs">
    ${state.cannedOn ? html`<${CannedNote} node=${state.cannedOn} />` : null}
    ${state.status === 'error' ? html`<p class="logs-message" data-logs="error">${state.message}</p>` : null}
    ${state.status !== 'error' ? html`<pre data-logs=${state.status}>${state.text || (state.status === 'done' ? '(no output)' : '')}</pre>` : null}
    ${note ? html`<small>${note}</small>` : null}
  </div>`;
}
