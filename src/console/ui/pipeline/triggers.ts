// The Triggers block of the pipeline view, under the header: the schedule, the chain triggers
// (each upstream a link to its pipeline), the webhook — its type and Secret, its receiver path
// with a copy button (the path alone: the full URL depends on how the receiver is exposed), or
// why it does not receive, and its last deliveries with their runs as links — and the CloudEvents
// sink with why the operator refuses it. Times in UTC, as everywhere in the Console.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import type { Pipeline } from '../../protocol.ts';
import type { WebhookDelivery } from '../../../api/types.ts';
import { utcTime } from '../shared/time.ts';
import { triggersView, type ChainView, type SinkView, type WebhookView } from './triggers-model.ts';

export type TriggersProps = {
  pipeline: Pipeline;
  /** Runs the view can show: a delivery's run among them is a link that selects it. */
  runIds: ReadonlySet<string>;
  onSelectRun: (run: string) => void;
};

export const URL_HINT =
  'The full URL is the address the webhook receiver is exposed at (the operator’s --webhook-address, or the chart’s webhook Service behind your ingress) followed by this path.';

function CopyPath(props: { path: string }) {
  const [outcome, setOutcome] = useState<'copied' | 'failed' | undefined>(undefined);
  const copy = () =>
    navigator.clipboard.writeText(props.path).then(
      () => setOutcome('copied'),
      () => setOutcome('failed'),
    );
  return html`<span class="webhook-path">
    <code class="chip" data-role="webhook-path">${props.path}</code>
    <button type="button" data-role="copy-path" onClick=${copy}>Copy path</button>
    ${outcome ? html`<span class="muted" data-role="copy-outcome" data-outcome=${outcome}>${outcome === 'copied' ? 'Copied.' : 'The browser did not allow copying: select the path.'}</span>` : null}
  </span>`;
}

function DeliveryRun(props: { run?: string; runIds: ReadonlySet<string>; onSelectRun: (run: string) => void }) {
  const { run } = props;
  if (!run) return html`<span class="muted">—</span>`;
  if (!props.runIds.has(run)) return html`<span data-role="delivery-run">${run}</span>`;
  return html`<button class="link" data-role="delivery-run" onClick=${() => props.onSelectRun(run)}>${run}</button>`;
}

function Deliveries(props: {
  deliveries: WebhookDelivery[];
  runIds: ReadonlySet<string>;
  onSelectRun: (run: string) => void;
}) {
  if (props.deliveries.length === 0) return html`<p class="muted" data-role="no-deliveries">No deliveries yet.</p>`;
  return html`<table class="deliveries" data-role="deliveries">
    <thead><tr><th>Time (UTC)</th><th>Outcome</th><th>Run</th><th>Message</th></tr></thead>
    <tbody>${props.deliveries.map(
      (d) => html`<tr key=${d.id} data-delivery=${d.id} data-outcome=${d.outcome}>
        <td><time datetime=${d.time}>${utcTime(d.time)}</time></td>
        <td class="delivery-outcome">${d.outcome}</td>
        <td><${DeliveryRun} run=${d.run} runIds=${props.runIds} onSelectRun=${props.onSelectRun} /></td>
        <td>${d.message ?? ''}</td>
      </tr>`,
    )}</tbody>
  </table>`;
}

function Webhook(props: { hook: WebhookView; runIds: ReadonlySet<string>; onSelectRun: (run: string) => void }) {
  const { hook } = props;
  return html`<dd data-trigger="webhook">
    <span data-role="webhook-words">${hook.words.join(' · ')}</span>
    ${
      hook.path
        ? html`<div><${CopyPath} path=${hook.path} /><p class="hint">${URL_HINT}</p></div>`
        : html`<p class="not-receiving" data-role="webhook-message">Not receiving: ${hook.notReceiving}</p>`
    }
    <${Deliveries} deliveries=${hook.deliveries} runIds=${props.runIds} onSelectRun=${props.onSelectRun} />
  </dd>`;
}

function After(props: { after: ChainView[]; namespace: string }) {
  return html`<dd data-trigger="after"><ul class="chains">${props.after.map(
    (a) => html`<li key=${a.pipeline} data-upstream=${a.pipeline}>
      when <a href=${`#/p/${props.namespace}/${a.pipeline}`}>${a.pipeline}</a> ${a.phase === 'Failed' ? 'fails' : 'succeeds'}
      ${a.lastRun ? html`<span class="muted"> · last handled run ${a.lastRun}</span>` : null}
    </li>`,
  )}</ul></dd>`;
}

function Sink(props: { sink: SinkView }) {
  const { sink } = props;
  return html`<dd data-trigger="cloudevents"><code class="chip">${sink.url}</code> <span class="muted">${sink.mode}</span>
    ${sink.refused ? html`<p class="not-receiving" data-role="sink-refused">Refused: ${sink.refused}</p>` : null}
  </dd>`;
}

export function Triggers(props: TriggersProps) {
  const p = props.pipeline;
  const view = triggersView(p);
  return html`<section class="triggers" data-role="triggers">
    <h3>Triggers</h3>
    <dl class="trigger-list">
      <dt>Schedule</dt><dd data-trigger="schedule"><span class="schedule">${view.schedule}</span></dd>
      ${view.after.length > 0 ? html`<dt>After</dt><${After} after=${view.after} namespace=${p.metadata.namespace ?? ''} />` : null}
      ${view.webhook ? html`<dt>Webhook</dt><${Webhook} hook=${view.webhook} runIds=${props.runIds} onSelectRun=${props.onSelectRun} />` : null}
      ${view.cloudevents ? html`<dt>CloudEvents</dt><${Sink} sink=${view.cloudevents} />` : null}
    </dl>
  </section>`;
}
