import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../../../src/console/protocol.ts';
import { buttonsFor } from '../../../../../src/console/ui/model/actions.ts';
import { initialValues, offersRunOptions, runOptionsRequest } from '../../../../../src/console/ui/pipeline/run-form.ts';
import type { RunView } from '../../../../../src/console/ui/model/runs.ts';

const p = (suspend: boolean): Pipeline => ({
  apiVersion: 'conveyor.dev/v1alpha1',
  kind: 'Pipeline',
  metadata: { name: 'p', namespace: 'ns' },
  spec: { suspend, stages: [{ name: 'a', image: 'x' }] },
});
const run = (id: string, phase: RunView['phase']): RunView => ({ id, phase, stages: new Map(), jobs: [] });

describe('buttonsFor', () => {
  it('enables retry for a failed run, cancel for the active one, and offers resume when suspended', () => {
    const failed = buttonsFor(p(false), run('r1', 'Failed'), run('r2', 'Running'));
    expect(failed.map((b) => [b.action, b.enabled, b.run])).toEqual([
      ['run', true, undefined],
      ['retry', true, 'r1'],
      ['cancel', true, 'r2'],
      ['suspend', true, undefined],
    ]);
    const held = buttonsFor(p(true), run('r1', 'Succeeded'), undefined);
    expect(held.map((b) => [b.action, b.enabled])).toEqual([
      ['run', false],
      ['retry', false],
      ['cancel', false],
      ['resume', true],
    ]);
  });
});

describe('run with parameters', () => {
  const specs = [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }, { name: 'note' }];
  it('is offered for pipelines with params or a cached stage', () => {
    expect(offersRunOptions(p(false))).toBe(false);
    expect(offersRunOptions({ ...p(false), spec: { stages: [], params: specs } })).toBe(true);
    expect(offersRunOptions({ ...p(false), spec: { stages: [{ name: 'a', image: 'x', cache: { key: 'k' } }] } })).toBe(
      true,
    );
  });
  it('starts at the defaults and sends every declared parameter, noCache only when ticked', () => {
    expect(initialValues(specs)).toEqual({ table: 'orders', note: '' });
    expect(initialValues(undefined)).toEqual({});
    expect(runOptionsRequest(specs, { table: 'users' }, false)).toEqual({ params: { table: 'users', note: '' } });
    expect(runOptionsRequest(specs, { table: 'users', note: 'x' }, true)).toEqual({
      params: { table: 'users', note: 'x' },
      noCache: true,
    });
    expect(runOptionsRequest(undefined, {}, true)).toEqual({ noCache: true });
    expect(runOptionsRequest([], {}, false)).toEqual({});
  });
});
