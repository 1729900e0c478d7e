// Parameter references and parameter rules, through validatePipeline (what `conveyor validate` and the operator say).
import { describe, expect, it } from 'vitest';
import { validatePipeline } from '../../../src/api/validate.ts';

function doc(spec: Record<string, unknown>) {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'etl' },
    spec: { defaults: { image: 'busybox' }, ...spec },
  };
}

const params = [{ name: 'table', default: 'orders', enum: ['orders', 'users'] }, { name: 'day' }];

describe('parameter references', () => {
  it.each([
    [
      'declared params and known run variables',
      { stages: [{ name: 'a', args: ['$(params.table)', '$(run.logicalDate)', '$(run.id)'] }] },
      [],
    ],
    ['an escaped reference is not one', { stages: [{ name: 'a', args: ['$$(params.nope)'] }] }, []],
    ['a kubelet reference is not ours', { stages: [{ name: 'a', command: ['echo', '$(HOME)'] }] }, []],
    [
      'an unknown param in args',
      { stages: [{ name: 'a' }, { name: 'b' }, { name: 'c', args: ['x', '$(params.tabel)'] }] },
      [
        {
          path: 'spec.stages[2].args[1]',
          message: '$(params.tabel) names an unknown parameter "tabel" (declared parameters: table, day)',
        },
      ],
    ],
    [
      'an unknown run variable in a command',
      { stages: [{ name: 'a', command: ['sh', '-c', 'echo $(run.date)'] }] },
      [
        {
          path: 'spec.stages[0].command[2]',
          message:
            '$(run.date) is not a run variable (known: run.id, run.logicalTime, run.logicalDate, run.intervalStart, run.intervalEnd)',
        },
      ],
    ],
    [
      'env values of stages, onFailure and defaults, and cache keys',
      {
        defaults: { image: 'busybox', env: [{ name: 'D', value: '$(params.d)' }] },
        stages: [{ name: 'a', env: [{ name: 'X', value: '$(params.x)' }], cache: { key: 'k-$(params.k)' } }],
        onFailure: [{ name: 'alert', env: [{ name: 'Y', value: '$(params.y)' }] }],
      },
      [
        {
          path: 'spec.stages[0].env[0].value',
          message: '$(params.x) names an unknown parameter "x" (declared parameters: table, day)',
        },
        {
          path: 'spec.stages[0].cache.key',
          message: '$(params.k) names an unknown parameter "k" (declared parameters: table, day)',
        },
        {
          path: 'spec.onFailure[0].env[0].value',
          message: '$(params.y) names an unknown parameter "y" (declared parameters: table, day)',
        },
        {
          path: 'spec.defaults.env[0].value',
          message: '$(params.d) names an unknown parameter "d" (declared parameters: table, day)',
        },
      ],
    ],
  ])('%s', (_case, spec, expected) => {
    expect(validatePipeline(doc({ params, ...spec }))).toEqual(expected);
  });

  it('without spec.params every $(params.x) is unknown', () => {
    expect(validatePipeline(doc({ stages: [{ name: 'a', args: ['$(params.day)'] }] }))).toEqual([
      {
        path: 'spec.stages[0].args[0]',
        message: '$(params.day) names an unknown parameter "day" (spec.params declares none)',
      },
    ]);
  });
});

describe('parameter rules', () => {
  it('refuses a default outside the enum', () => {
    expect(
      validatePipeline(
        doc({ params: [{ name: 'env', default: 'qa', enum: ['dev', 'prod'] }], stages: [{ name: 'a' }] }),
      ),
    ).toEqual([
      {
        path: 'spec.params[0].default',
        message: 'default "qa" of parameter "env" is not one of its enum values: "dev", "prod"',
      },
    ]);
  });

  it('refuses duplicate names', () => {
    const problems = validatePipeline(doc({ params: [{ name: 'day' }, { name: 'day' }], stages: [{ name: 'a' }] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('spec.params[1]');
    expect(problems[0]?.message).toContain('duplicate');
  });

  it('refuses a name that is not an identifier (schema)', () => {
    const problems = validatePipeline(doc({ params: [{ name: 'my-day' }], stages: [{ name: 'a' }] }));
    expect(problems.map((p) => p.path)).toEqual(['spec.params[0].name']);
  });
});
