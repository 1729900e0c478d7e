// Placeholder so the shell's #/builder route builds until the builder lands: the builder
// engineer replaces this file with the real BuilderView (props { store }).
import { html } from 'htm/preact';
import type { ConsoleStore } from '../store-types.ts';

export function BuilderView(_props: { store: ConsoleStore }) {
  return html`<p class="empty">The builder is on its way.</p>`;
}
