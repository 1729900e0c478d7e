import { describe, expect, it } from 'vitest';
import { templateReferences } from '../../../src/api/template.ts';
import { logicalDate, substitute, templateVariables } from '../../../src/plan/values/substitute.ts';

const VARS = {
  'params.table': 'orders',
  'params.price': '$5',
  'params.tricky': '$(params.table)',
  'run.logicalTime': '2026-03-29T00:30:00Z',
};

describe('substitute', () => {
  it.each([
    ['no references', 'plain text', 'plain', 'plain text'],
    ['a known reference', 'load $(params.table)', 'plain', 'load orders'],
    ['a known reference, kubelet', 'load $(params.table)', 'kubelet', 'load orders'],
    ['several references', '$(params.table)@$(run.logicalTime)', 'plain', 'orders@2026-03-29T00:30:00Z'],
    ['an unknown reference stays', '$(HOME)/$(params.nope)', 'plain', '$(HOME)/$(params.nope)'],
    ['an unknown reference stays, kubelet', '$(HOME)/$(params.table)', 'kubelet', '$(HOME)/orders'],
    ['escape, plain', '$$(params.table)', 'plain', '$(params.table)'],
    ['escape, kubelet', '$$(params.table)', 'kubelet', '$$(params.table)'],
    ['a value with $, plain', 'cost $(params.price)', 'plain', 'cost $5'],
    ['a value with $ is doubled for the kubelet', 'cost $(params.price)', 'kubelet', 'cost $$5'],
    ['a value containing $( is not expanded again', '$(params.tricky)', 'plain', '$(params.table)'],
    ['a value containing $( is escaped for the kubelet', '$(params.tricky)', 'kubelet', '$$(params.table)'],
    ['$$ not before ( stays a pair', 'a$$b $$$(params.table)', 'kubelet', 'a$$b $$orders'],
    ['$$ not before ( stays a pair, plain', 'a$$b', 'plain', 'a$$b'],
    ['an unclosed reference stays', 'x $(params.table', 'plain', 'x $(params.table'],
    ['a lone $ stays', 'cost $ 5 $', 'kubelet', 'cost $ 5 $'],
    ['empty', '', 'kubelet', ''],
  ] as const)('%s', (_case, template, mode, expected) => {
    expect(substitute(template, VARS, mode)).toBe(expected);
  });
});

describe('templateReferences', () => {
  it.each([
    ['none', 'echo hi $(HOME)', []],
    ['params and run, each once', '$(params.a) $(run.logicalTime) $(params.a)', ['params.a', 'run.logicalTime']],
    ['escaped ones excluded', '$$(params.a) $(params.b)', ['params.b']],
    ['an unclosed one excluded', '$(params.a', []],
    ['after a $$ pair', '$$$(params.a)', ['params.a']],
  ] as const)('%s', (_case, template, expected) => {
    expect(templateReferences(template)).toEqual(expected);
  });
});

describe('templateVariables', () => {
  it('names every param and the run values', () => {
    const vars = templateVariables(
      {
        params: { table: 'orders', day: '' },
        logicalTime: '2026-03-28T23:30:00Z',
        intervalStart: '2026-03-27T23:00:00Z',
        intervalEnd: '2026-03-28T23:00:00Z',
      },
      'r-1',
      'Europe/Berlin',
    );
    expect(vars).toEqual({
      'params.table': 'orders',
      'params.day': '',
      'run.id': 'r-1',
      'run.logicalTime': '2026-03-28T23:30:00Z',
      'run.logicalDate': '2026-03-29',
      'run.intervalStart': '2026-03-27T23:00:00Z',
      'run.intervalEnd': '2026-03-28T23:00:00Z',
    });
  });

  it('has only run.id without values', () => {
    expect(templateVariables({}, 'r-2')).toEqual({ 'run.id': 'r-2' });
  });
});

describe('logicalDate', () => {
  it.each([
    ['UTC when unset', '2026-03-28T23:30:00Z', undefined, '2026-03-28'],
    ['Berlin is ahead', '2026-03-28T23:30:00Z', 'Europe/Berlin', '2026-03-29'],
    ['New York is behind', '2026-03-29T03:30:00Z', 'America/New_York', '2026-03-28'],
    ['not a time', 'yesterday', undefined, undefined],
  ])('%s', (_case, time, zone, expected) => {
    expect(logicalDate(time, zone)).toBe(expected);
  });
});
