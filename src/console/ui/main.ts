// Entry point of the Console bundle (dist/console/app.js): open the event stream, draw the shell.
import { html } from 'htm/preact';
import { render } from 'preact';
import { App } from './app.ts';
import { StreamStore } from './store.ts';

const store = new StreamStore('/api/stream');
store.start();
render(html`<${App} store=${store} />`, document.getElementById('app')!);
