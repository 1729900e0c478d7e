import { describe, expect, it } from 'vitest';
import { actionDoneMessage, actionPatch } from '../../../../src/console/server/action-patch.ts';
import { parsePipelineDocument } from '../../../../src/console/server/actions.ts';
import { checkRunRequest } from '../../../../src/plan/select/params.ts';

const now = new Date('2026-01-02T03:04:05.678Z');

describe('actionPatch: a run with options', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  it('writes conveyor.dev/run-options as `conveyor run` does: naming its request, at the request time', () => {
    const patch = actionPatch('run', { params: { table: 'users' }, noCache: true }, now);
    const annotations = patch.metadata!.annotations;
    expect(annotations['conveyor.dev/run-requested']).toBe('2026-01-02T03:04:05.678Z');
    expect(JSON.parse(annotations['conveyor.dev/run-options']!)).toEqual({
      request: '2026-01-02T03:04:05.678Z',
      params: { table: 'users' },
      at: '2026-01-02T03:04:05.678Z',
      noCache: true,
    });
    expect(
      JSON.parse(actionPatch('run', { noCache: true }, now).metadata!.annotations['conveyor.dev/run-options']!),
    ).toEqual({ request: '2026-01-02T03:04:05.678Z', at: '2026-01-02T03:04:05.678Z', noCache: true });
  });
  it("the options pass the operator's own check of the request", () => {
    const annotations = actionPatch('run', { params: { table: 'users' } }, now).metadata!.annotations;
    const checked = checkRunRequest(
      [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }],
      annotations['conveyor.dev/run-options'],
      annotations['conveyor.dev/run-requested'],
    );
    expect(checked).toMatchObject({ ok: true, value: { params: { table: 'users' } } });
  });
  it('a run without options writes no options (earlier ones name another request)', () => {
    expect(actionPatch('run', { noCache: false }, now).metadata!.annotations).toEqual({
      'conveyor.dev/run-requested': '2026-01-02T03:04:05.678Z',
    });
  });
  it('the answer names the options', () => {
    expect(actionDoneMessage('run', 'ns', 'p', { params: { table: 'users' }, noCache: true })).toBe(
      'pipeline ns/p: a manual run was requested with table=users, no cache',
    );
    expect(actionDoneMessage('run', 'ns', 'p', {})).toBe('pipeline ns/p: a manual run was requested');
  });
});

describe('actionPatch', () => {
  it('asks for a run, a retry and a cancel with the annotations the operator reads', () => {
    expect(actionPatch('run', {}, now)).toEqual({
      metadata: { annotations: { 'conveyor.dev/run-requested': '2026-01-02T03:04:05.678Z' } },
    });
    expect(actionPatch('retry', { run: 'g3' }, now)).toEqual({
      metadata: { annotations: { 'conveyor.dev/retry-requested': 'g3:2026-01-02T03:04:05.678Z' } },
    });
    expect(actionPatch('retry', {}, now)).toEqual({
      metadata: { annotations: { 'conveyor.dev/retry-requested': '2026-01-02T03:04:05.678Z' } },
    });
    expect(actionPatch('cancel', { run: 'm1a2' }, now)).toEqual({
      metadata: { annotations: { 'conveyor.dev/cancel-requested': 'm1a2:2026-01-02T03:04:05.678Z' } },
    });
  });

  it('suspends and resumes with spec.suspend', () => {
    expect(actionPatch('suspend', {}, now)).toEqual({ spec: { suspend: true } });
    expect(actionPatch('resume', { run: 'ignored' }, now)).toEqual({ spec: { suspend: false } });
  });
});

describe('parsePipelineDocument', () => {
  it('accepts one Pipeline document', () => {
    const parsed = parsePipelineDocument(
      '---\napiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: etl}\nspec: {stages: []}\n',
    );
    expect(parsed).toMatchObject({ ok: true, pipeline: { metadata: { name: 'etl' } } });
  });

  it.each([
    ['', 'expected exactly one YAML document, got 0'],
    ['a: [1\n', 'the YAML does not parse: '],
    [
      'apiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\n---\napiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\n',
      'expected exactly one YAML document, got 2',
    ],
    ['- 1\n', 'expected a Pipeline object, got a YAML list'],
    [
      'apiVersion: v1\nkind: ConfigMap\n',
      'expected apiVersion conveyor.dev/v1alpha1 and kind Pipeline, got apiVersion v1 and kind ConfigMap',
    ],
  ])('refuses %j', (text, message) => {
    const parsed = parsePipelineDocument(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});
