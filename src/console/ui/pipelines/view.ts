// "Central control": every Pipeline the user may see, across namespaces, filtered in memory and
// rendered one page at a time, so a thousand Pipelines cost no more to draw than fifty.
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Pipeline } from '../../protocol.ts';
import {
  applyFilter,
  countByPhase,
  filterFromHash,
  filterToQuery,
  NO_FILTER,
  parseLabelSelector,
  type OverviewFilter,
} from './filter.ts';
import { OverviewRow, PhaseBadge } from './row.ts';
import type { ConsoleStore } from '../shared/store-types.ts';
import { useNow } from '../shared/clock.ts';
import { useStoreVersion } from '../shared/use-store.ts';

export const PAGE_SIZE = 50;
const PHASES = ['Running', 'Pending', 'Scheduled', 'Succeeded', 'Failed', 'Suspended', 'Invalid'];

/**
 * The filter and page outlive the view: back from a pipeline, the list is as it was left. The
 * filter is also written into the hash (#/?ns=…), so it can be bookmarked and shared.
 */
const remembered = { filter: NO_FILTER, page: 0 };

function useRememberedFilter(): [OverviewFilter, (f: OverviewFilter) => void] {
  const [filter, setFilter] = useState<OverviewFilter>(() => filterFromHash(location.hash) ?? remembered.filter);
  useEffect(() => {
    remembered.filter = filter;
    const query = filterToQuery(filter);
    history.replaceState(history.state, '', query ? `#/?${query}` : '#/');
  }, [filter]);
  return [filter, setFilter];
}

function namespacesOf(pipelines: Pipeline[]): string[] {
  return [...new Set(pipelines.map((p) => p.metadata.namespace ?? ''))].sort();
}

function Filters(props: { filter: OverviewFilter; namespaces: string[]; onChange: (f: OverviewFilter) => void }) {
  const { filter, onChange } = props;
  const set = (field: keyof OverviewFilter) => (e: Event) =>
    onChange({ ...filter, [field]: (e.target as HTMLInputElement).value });
  const selector = parseLabelSelector(filter.labels);
  return html`<div class="filters">
    <select aria-label="Namespace" value=${filter.namespace} onChange=${set('namespace')}>
      <option value="">All namespaces</option>
      ${props.namespaces.map((ns) => html`<option key=${ns} value=${ns}>${ns}</option>`)}
    </select>
    <select aria-label="Phase" value=${filter.phase} onChange=${set('phase')}>
      <option value="">All phases</option>
      ${PHASES.map((ph) => html`<option key=${ph} value=${ph}>${ph}</option>`)}
    </select>
    <input aria-label="Labels" class=${'error' in selector ? 'invalid' : ''} placeholder="labels: app=etl, tier!=test" value=${filter.labels} onInput=${set('labels')} />
    <input aria-label="Search" type="search" placeholder="Search name, namespace, run…" value=${filter.text} onInput=${set('text')} />
    ${'error' in selector ? html`<span class="filter-error" role="alert">${selector.error}</span>` : null}
  </div>`;
}

function PhaseSummary(props: { pipelines: Pipeline[]; current: string; onPick: (phase: string) => void }) {
  const counts = countByPhase(props.pipelines);
  return html`<div class="summary">
    <button class=${props.current === '' ? 'chip active' : 'chip'} onClick=${() => props.onPick('')}>All <b>${props.pipelines.length}</b></button>
    ${PHASES.filter((ph) => counts.has(ph)).map(
      (
        ph,
      ) => html`<button key=${ph} class=${props.current === ph ? 'chip active' : 'chip'} data-phase-count=${ph} onClick=${() => props.onPick(props.current === ph ? '' : ph)}>
        <${PhaseBadge} phase=${ph} /> <b>${counts.get(ph)}</b>
      </button>`,
    )}
  </div>`;
}

function Pager(props: { page: number; pages: number; total: number; onPage: (page: number) => void }) {
  const { page, pages, total } = props;
  const first = total === 0 ? 0 : page * PAGE_SIZE + 1;
  const last = Math.min(total, (page + 1) * PAGE_SIZE);
  return html`<nav class="pager" aria-label="Pages">
    <span data-role="page-info">${first}–${last} of ${total}</span>
    <button aria-label="Previous page" disabled=${page === 0} onClick=${() => props.onPage(page - 1)}>‹ Prev</button>
    <span>Page ${page + 1} of ${Math.max(pages, 1)}</span>
    <button aria-label="Next page" disabled=${page >= pages - 1} onClick=${() => props.onPage(page + 1)}>Next ›</button>
  </nav>`;
}

function Table(props: { rows: Pipeline[]; now: number }) {
  return html`<table class="overview-table">
    <thead><tr><th>Phase</th><th>Pipeline</th><th>Namespace</th><th>Progress</th><th>Last run</th><th>Next run</th><th>Schedule</th><th>Recent runs</th></tr></thead>
    <tbody>${props.rows.map((p) => html`<${OverviewRow} key=${`${p.metadata.namespace}/${p.metadata.name}`} pipeline=${p} now=${props.now} />`)}</tbody>
  </table>`;
}

function EmptyState(props: { any: boolean; onClear: () => void }) {
  return props.any
    ? html`<p class="empty">No pipeline matches these filters. <button class="link" onClick=${props.onClear}>Clear filters</button></p>`
    : html`<p class="empty">No pipelines yet. Apply one (<code>kubectl apply -f examples/…</code>) or draw one in the <a href="#/builder">Builder</a>; it appears here as soon as the cluster has it.</p>`;
}

export function Overview(props: { store: ConsoleStore }) {
  useStoreVersion(props.store);
  const now = useNow(30_000);
  const [filter, setFilter] = useRememberedFilter();
  const [page, setPage] = useState(remembered.page);
  const all = props.store.pipelines();
  const shown = useMemo(() => applyFilter(all, filter), [all, filter]);
  const namespaces = useMemo(() => namespacesOf(all), [all]);
  const pages = Math.ceil(shown.length / PAGE_SIZE);
  const current = Math.min(page, Math.max(pages - 1, 0));
  const firstFilter = useRef(filter);
  useEffect(() => {
    if (filter !== firstFilter.current) setPage(0);
  }, [filter]);
  useEffect(() => void (remembered.page = current), [current]);
  const rows = shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);
  return html`<section class="overview">
    <div class="overview-head">
      <h1>Pipelines</h1>
      <${PhaseSummary} pipelines=${all} current=${filter.phase} onPick=${(phase: string) => setFilter({ ...filter, phase })} />
    </div>
    <${Filters} filter=${filter} namespaces=${namespaces} onChange=${setFilter} />
    ${rows.length ? html`<${Table} rows=${rows} now=${now} />` : html`<${EmptyState} any=${all.length > 0} onClear=${() => setFilter(NO_FILTER)} />`}
    ${shown.length > PAGE_SIZE ? html`<${Pager} page=${current} pages=${pages} total=${shown.length} onPage=${setPage} />` : html`<p class="count" data-role="page-info">${shown.length} of ${all.length} pipelines</p>`}
  </section>`;
}
