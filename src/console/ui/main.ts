// Entry point of the Console bundle (dist/console/app.js): find out how the page is signed in
// (sign-in.ts), then open the event stream and draw the shell — or the sign-in form of the
// in-cluster Console, or why the Console refused the page.
import { html } from 'htm/preact';
import { render } from 'preact';
import { App } from './app.ts';
import { Refused, SignIn, sessionState } from './shared/sign-in.ts';
import { StreamStore } from './shared/store.ts';

const root = document.getElementById('app')!;
const session = await sessionState().catch((error: unknown) => ({ kind: 'refused' as const, message: String(error) }));
if (session.kind === 'signed-in') {
  const store = new StreamStore('/api/stream');
  store.start();
  render(html`<${App} store=${store} />`, root);
} else if (session.kind === 'sign-in') {
  render(html`<${SignIn} />`, root);
} else {
  render(html`<${Refused} message=${session.message} />`, root);
}
