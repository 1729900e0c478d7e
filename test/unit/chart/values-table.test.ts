// docs/install.md's configuration table is generated from the chart's values schema and defaults.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC, renderValuesTable, withTable } from '../../../hack/values-table.ts';

describe('docs/install.md values table', () => {
  it('is up to date with charts/conveyor/values.schema.json and values.yaml (run `node hack/values-table.ts`)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(withTable(doc, renderValuesTable()), 'stale: run `node hack/values-table.ts`').toBe(doc);
  });

  it('has a row for every value with a description and its default', () => {
    const table = renderValuesTable();
    for (const key of [
      'image.repository',
      'watchNamespaces',
      'leaderElection.enabled',
      'rbac.aggregateToDefaultRoles',
      'metrics.serviceMonitor.enabled',
      'metrics.dashboard.enabled',
      'resources',
      'runAsUser',
    ]) {
      expect(table).toContain(`| \`${key}\` |`);
    }
    expect(table).toContain('| `workers` | integer | `64` |');
    for (const line of table.split('\n').slice(2))
      expect(line.split(' | ').at(-1)!.replace(/ \|$/, '').length, line).toBeGreaterThan(5);
  });
});
