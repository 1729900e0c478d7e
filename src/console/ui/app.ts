// The Console's shell: a header (name, connection state, who you are, navigation) and the view
// the hash route asks for. The pipeline view and the builder are loaded on first use, so the
// overview (the first page most people want) does not wait for the DAG layout or the editor.
import { html } from 'htm/preact';
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Overview } from './pipelines/view.ts';
import { useStoreVersion } from './shared/use-store.ts';
import { useRoute, type Route } from './shared/router.ts';
import type { StreamState, StreamStore } from './shared/store.ts';
import type { ConsoleStore } from './shared/store-types.ts';

// biome-ignore lint/suspicious/noExplicitAny: each lazy view declares its own props type.
type AnyView = ComponentType<any>;

const loaders: Record<'pipeline' | 'builder', () => Promise<AnyView>> = {
  pipeline: () => import('./pipeline/view.ts').then((m) => m.PipelineView as AnyView),
  builder: () => import('./builder/view.ts').then((m) => m.BuilderView as AnyView),
};

function Lazy(props: { which: keyof typeof loaders; viewProps: Record<string, unknown> }) {
  const [loaded, setLoaded] = useState<{ view?: AnyView; error?: string }>({});
  useEffect(() => {
    let live = true;
    loaders[props.which]().then(
      (view) => live && setLoaded({ view }),
      (error: unknown) => live && setLoaded({ error: error instanceof Error ? error.message : String(error) }),
    );
    return () => (live = false);
  }, [props.which]);
  if (loaded.error)
    return html`<p class="empty" role="alert">This view could not be loaded: ${loaded.error}. Reload the page to try again.</p>`;
  return loaded.view ? html`<${loaded.view} ...${props.viewProps} />` : html`<p class="empty muted">Loading…</p>`;
}

const STATE_WORDS: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'reconnecting…',
};

function Header(props: { store: StreamStore; route: Route }) {
  const state = props.store.streamStatus();
  const user = props.store.user();
  // A pipeline is reached from the overview: its tab stays lit there.
  const section = props.route.view === 'pipeline' ? 'overview' : props.route.view;
  const tab = (view: Route['view'], href: string, label: string) =>
    html`<a href=${href} class=${section === view ? 'tab active' : 'tab'} aria-current=${section === view ? 'page' : undefined}>${label}</a>`;
  return html`<header class="topbar">
    <a class="brand" href="#/"><span class="logo" aria-hidden="true">⇶</span> Conveyor <span class="muted">Console</span></a>
    <nav>${tab('overview', '#/', 'Overview')}${tab('builder', '#/builder', 'Builder')}</nav>
    <span class="spacer"></span>
    ${user ? html`<span class="user muted" title="Who the API server says you are">${user}</span>` : null}
    <span class="connection" data-connection=${state} role="status"><span class="dot"></span>${STATE_WORDS[state]}</span>
  </header>`;
}

function titleOf(route: Route): string {
  if (route.view === 'pipeline') return `${route.namespace}/${route.name} · Conveyor`;
  if (route.view === 'builder') return 'Builder · Conveyor';
  return 'Conveyor Console';
}

function Main(props: { store: ConsoleStore; route: Route }) {
  const { store, route } = props;
  switch (route.view) {
    case 'overview':
      return html`<${Overview} store=${store} />`;
    case 'pipeline':
      return html`<${Lazy} key=${`${route.namespace}/${route.name}`} which="pipeline" viewProps=${{ store, namespace: route.namespace, name: route.name }} />`;
    case 'builder':
      return html`<${Lazy} which="builder" viewProps=${{ store }} />`;
    default:
      return html`<p class="empty">Nothing here (${route.hash}). <a href="#/">Back to the overview</a></p>`;
  }
}

export function App(props: { store: StreamStore }) {
  useStoreVersion(props.store);
  const route = useRoute();
  useEffect(() => void (document.title = titleOf(route)), [route]);
  return html`<${Header} store=${props.store} route=${route} />
    <main class=${`view-${route.view}`}><${Main} store=${props.store} route=${route} /></main>`;
}
