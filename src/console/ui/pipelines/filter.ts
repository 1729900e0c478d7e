// The overview's filters, applied in memory to every Pipeline the store holds: namespace, phase,
// a Kubernetes-style label selector and free text. Pure functions, so the view only renders.
import type { Pipeline } from '../../protocol.ts';
import { pipelinePhase } from '../model/graph.ts';

export type OverviewFilter = { namespace: string; phase: string; labels: string; text: string };

export const NO_FILTER: OverviewFilter = { namespace: '', phase: '', labels: '', text: '' };

/** The filter as the hash's query (#/?ns=…&phase=…&labels=…&q=…), so a view can be linked. */
const QUERY_KEYS: [keyof OverviewFilter, string][] = [
  ['namespace', 'ns'],
  ['phase', 'phase'],
  ['labels', 'labels'],
  ['text', 'q'],
];

export function filterToQuery(filter: OverviewFilter): string {
  const query = new URLSearchParams();
  for (const [field, key] of QUERY_KEYS) if (filter[field]) query.set(key, filter[field]);
  return query.toString();
}

/** The filter a hash names, or undefined when the hash has no query. */
export function filterFromHash(hash: string): OverviewFilter | undefined {
  const at = hash.indexOf('?');
  if (at < 0) return undefined;
  const query = new URLSearchParams(hash.slice(at + 1));
  const filter = { ...NO_FILTER };
  for (const [field, key] of QUERY_KEYS) filter[field] = query.get(key) ?? '';
  return filter;
}

type Requirement = { key: string; op: '=' | '!=' | 'exists' | '!exists'; value: string };

const LABEL_KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function requirement(term: string): Requirement | string {
  const m = /^(!?)\s*([^!=\s]+)\s*(?:(==|=|!=)\s*(\S*))?$/.exec(term);
  if (!m || !LABEL_KEY.test(m[2]!)) return `“${term}” is not key=value, key!=value, key or !key`;
  const [, not, key, op, value] = m as unknown as [string, string, string, string | undefined, string | undefined];
  if (not && op) return `“${term}”: ! goes only before a bare key`;
  if (!op) return { key, op: not ? '!exists' : 'exists', value: '' };
  return { key, op: op === '!=' ? '!=' : '=', value: value ?? '' };
}

/** Parses `app=etl, tier!=test, team, !legacy`; an error names the term it could not read. */
export function parseLabelSelector(selector: string): { requirements: Requirement[] } | { error: string } {
  const requirements: Requirement[] = [];
  for (const term of selector
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)) {
    const r = requirement(term);
    if (typeof r === 'string') return { error: r };
    requirements.push(r);
  }
  return { requirements };
}

function labelsMatch(labels: Record<string, string>, requirements: Requirement[]): boolean {
  return requirements.every(({ key, op, value }) => {
    const has = Object.hasOwn(labels, key);
    if (op === 'exists') return has;
    if (op === '!exists') return !has;
    if (op === '=') return has && labels[key] === value;
    return labels[key] !== value;
  });
}

/** What free text is matched against: name, namespace, phase, last run id, schedule, labels. */
function haystack(p: Pipeline): string {
  const labels = Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return [p.metadata.namespace, p.metadata.name, p.status?.phase, p.status?.lastRun?.id, p.spec.schedule, ...labels]
    .join(' ')
    .toLowerCase();
}

/** The overview's name for the shared rule (the Headlamp plugin reads the same). */
export const phaseOf = pipelinePhase;

function matchesAll(text: string, words: string[]): boolean {
  return words.every((w) => text.includes(w));
}

/** The Pipelines passing every filter (a selector that does not parse filters nothing). */
export function applyFilter(pipelines: Pipeline[], filter: OverviewFilter): Pipeline[] {
  const selector = parseLabelSelector(filter.labels);
  const requirements = 'requirements' in selector ? selector.requirements : [];
  const words = filter.text.toLowerCase().split(/\s+/).filter(Boolean);
  return pipelines.filter(
    (p) =>
      (!filter.namespace || p.metadata.namespace === filter.namespace) &&
      (!filter.phase || phaseOf(p) === filter.phase) &&
      (requirements.length === 0 || labelsMatch(p.metadata.labels ?? {}, requirements)) &&
      (words.length === 0 || matchesAll(haystack(p), words)),
  );
}

/** How many Pipelines are in each phase (for the summary chips). */
export function countByPhase(pipelines: Pipeline[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const p of pipelines) counts.set(phaseOf(p), (counts.get(phaseOf(p)) ?? 0) + 1);
  return counts;
}
