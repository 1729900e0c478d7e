import { describe, expect, it } from 'vitest';
import { actionPatch, parsePipelineDocument } from '../../../src/console/server/actions.ts';

const now = new Date('2026-01-02T03:04:05.678Z');

describe('actionPatch', () => {
  it('asks for a run, a retry and a cancel with the annotations the operator reads', () => {
    expect(actionPatch('run', {}, now)).toEqual({ metadata: { annotations: { 'conveyor.dev/run-requested': '2026-01-02T03:04:05.678Z' } } });
    expect(actionPatch('retry', { run: 'g3' }, now)).toEqual({ metadata: { annotations: { 'conveyor.dev/retry-requested': 'g3:2026-01-02T03:04:05.678Z' } } });
    expect(actionPatch('retry', {}, now)).toEqual({ metadata: { annotations: { 'conveyor.dev/retry-requested': '2026-01-02T03:04:05.678Z' } } });
    expect(actionPatch('cancel', { run: 'm1a2' }, now)).toEqual({ metadata: { annotations: { 'conveyor.dev/cancel-requested': 'm1a2:2026-01-02T03:04:05.678Z' } } });
  });

  it('suspends and resumes with spec.suspend', () => {
    expect(actionPatch('suspend', {}, now)).toEqual({ spec: { suspend: true } });
    expect(actionPatch('resume', { run: 'ignored' }, now)).toEqual({ spec: { suspend: false } });
  });
});

describe('parsePipelineDocument', () => {
  it('accepts one Pipeline document', () => {
    const parsed = parsePipelineDocument('---\napiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: etl}\nspec: {stages: []}\n');
    expect(parsed).toMatchObject({ ok: true, pipeline: { metadata: { name: 'etl' } } });
  });

  it.each([
    ['', 'expected exactly one YAML document, got 0'],
    ['a: [1\n', 'the YAML does not parse: '],
    ['apiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\n---\napiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\n', 'expected exactly one YAML document, got 2'],
    ['- 1\n', 'expected a Pipeline object, got a YAML list'],
    ['apiVersion: v1\nkind: ConfigMap\n', 'expected apiVersion conveyor.dev/v1alpha1 and kind Pipeline, got apiVersion v1 and kind ConfigMap'],
  ])('refuses %j', (text, message) => {
    const parsed = parsePipelineDocument(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toContain(message);
  });
});
