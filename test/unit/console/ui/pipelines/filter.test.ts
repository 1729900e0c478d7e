import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../../../src/api/types.ts';
import {
  applyFilter,
  countByPhase,
  filterFromHash,
  filterToQuery,
  NO_FILTER,
  parseLabelSelector,
} from '../../../../../src/console/ui/pipelines/filter.ts';

function p(namespace: string, name: string, phase?: string, labels?: Record<string, string>): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { namespace, name, ...(labels ? { labels } : {}) },
    spec: { stages: [{ name: 'a', image: 'busybox' }] },
    ...(phase ? { status: { phase, lastRun: { id: `run-of-${name}`, trigger: 'create', phase: 'Succeeded' } } } : {}),
  } as Pipeline;
}

const all = [
  p('etl', 'orders', 'Succeeded', { team: 'data', tier: 'prod' }),
  p('etl', 'sales', 'Failed', { team: 'analytics' }),
  p('ml', 'train', 'Running', { team: 'ml', legacy: 'yes' }),
  p('ml', 'fresh'),
];
const names = (ps: Pipeline[]) => ps.map((x) => x.metadata.name);

describe('label selectors', () => {
  it('reads =, ==, !=, a bare key and !key, separated by commas', () => {
    expect(parseLabelSelector('team=data, tier==prod,x!=y, legacy, !gone')).toEqual({
      requirements: [
        { key: 'team', op: '=', value: 'data' },
        { key: 'tier', op: '=', value: 'prod' },
        { key: 'x', op: '!=', value: 'y' },
        { key: 'legacy', op: 'exists', value: '' },
        { key: 'gone', op: '!exists', value: '' },
      ],
    });
    expect(parseLabelSelector('app.kubernetes.io/name=conveyor')).toEqual({
      requirements: [{ key: 'app.kubernetes.io/name', op: '=', value: 'conveyor' }],
    });
  });

  it('names the term it cannot read', () => {
    expect(parseLabelSelector('team=data, =x')).toEqual({ error: '“=x” is not key=value, key!=value, key or !key' });
    expect(parseLabelSelector('!team=data')).toEqual({ error: '“!team=data”: ! goes only before a bare key' });
  });
});

describe('applyFilter', () => {
  it('passes everything with no filter', () => {
    expect(names(applyFilter(all, NO_FILTER))).toEqual(['orders', 'sales', 'train', 'fresh']);
  });

  it('narrows by namespace and by phase (no status counts as Pending)', () => {
    expect(names(applyFilter(all, { ...NO_FILTER, namespace: 'ml' }))).toEqual(['train', 'fresh']);
    expect(names(applyFilter(all, { ...NO_FILTER, phase: 'Pending' }))).toEqual(['fresh']);
    expect(names(applyFilter(all, { ...NO_FILTER, namespace: 'etl', phase: 'Failed' }))).toEqual(['sales']);
  });

  it('narrows by labels: equality, inequality (a missing label is unequal), presence and absence', () => {
    expect(names(applyFilter(all, { ...NO_FILTER, labels: 'team=data' }))).toEqual(['orders']);
    expect(names(applyFilter(all, { ...NO_FILTER, labels: 'team!=data' }))).toEqual(['sales', 'train', 'fresh']);
    expect(names(applyFilter(all, { ...NO_FILTER, labels: 'legacy' }))).toEqual(['train']);
    expect(names(applyFilter(all, { ...NO_FILTER, labels: '!team' }))).toEqual(['fresh']);
  });

  it('ignores a selector that does not parse rather than hiding everything', () => {
    expect(applyFilter(all, { ...NO_FILTER, labels: '=x' })).toHaveLength(4);
  });

  it('matches every word of the text, case-insensitively, in name, namespace, phase, run id and labels', () => {
    expect(names(applyFilter(all, { ...NO_FILTER, text: 'ETL fail' }))).toEqual(['sales']);
    expect(names(applyFilter(all, { ...NO_FILTER, text: 'run-of-train' }))).toEqual(['train']);
    expect(names(applyFilter(all, { ...NO_FILTER, text: 'tier=prod' }))).toEqual(['orders']);
    expect(applyFilter(all, { ...NO_FILTER, text: 'nothing-like-this' })).toEqual([]);
  });

  it('counts pipelines by phase', () => {
    expect(Object.fromEntries(countByPhase(all))).toEqual({ Succeeded: 1, Failed: 1, Running: 1, Pending: 1 });
  });
});

describe('the filter in the hash', () => {
  it('round-trips through the query, leaving empty fields out', () => {
    const filter = { namespace: 'team a', phase: 'Failed', labels: 'app=etl,tier!=x', text: '' };
    expect(filterToQuery(filter)).toBe('ns=team+a&phase=Failed&labels=app%3Detl%2Ctier%21%3Dx');
    expect(filterFromHash(`#/?${filterToQuery(filter)}`)).toEqual(filter);
    expect(filterToQuery(NO_FILTER)).toBe('');
  });
  it('is absent when the hash has no query', () => {
    expect(filterFromHash('#/')).toBeUndefined();
    expect(filterFromHash('')).toBeUndefined();
  });
});
