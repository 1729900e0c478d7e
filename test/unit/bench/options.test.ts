// bench/options.ts: the bench's option parsing and defaults (no cluster).
import { describe, expect, it } from 'vitest';
import { defaultStages, mixOf, positive, shardCount, sizesOf } from '../../../bench/options.ts';

describe('bench options', () => {
  it.each([
    ['5', 5],
    ['200', 200],
  ])('positive(%j) is %d', (text, n) => expect(positive('stages', text)).toBe(n));

  it.each([undefined, '', '0', '-1', '1.5', 'ten'])('positive(%j) names the option and the value', (text) => {
    expect(() => positive('stages', text)).toThrow(/^--stages: expected a positive whole number, got /);
  });

  it.each([
    ['0', 0],
    ['1', 1],
    ['16', 16],
  ])('--shards %s is %d processes', (text, n) => expect(shardCount(text)).toBe(n));

  it.each(['', '-1', '17', 'two'])('--shards %j is refused', (text) =>
    expect(() => shardCount(text)).toThrow(/^--shards: expected a whole number from 0/),
  );

  it.each([
    [undefined, undefined],
    ['10x200', { pipelines: 10, stages: 200 }],
    ['1x1', { pipelines: 1, stages: 1 }],
  ])('--mix %j is %j', (text, mix) => expect(mixOf(text)).toEqual(mix));

  it.each([
    ['10', /expected PIPELINESxSTAGES/],
    ['10x', /expected PIPELINESxSTAGES/],
    ['0x5', /--mix \(pipelines\): expected a positive whole number/],
    ['10x201', /at most 200 stages, got 201/],
  ])('--mix %j is refused: %s', (text, message) => expect(() => mixOf(text)).toThrow(message));

  it.each([
    ['200', 'burst', [200]],
    ['200,1000', 'burst', [200, 1000]],
    [' 200 , 1000 ', 'burst', [200, 1000]],
    ['1000', 'steady', [1000]],
  ])('--pipelines %j with %s runs %j', (text, scenario, sizes) => expect(sizesOf(text, scenario)).toEqual(sizes));

  it('several sizes are only for burst', () => {
    expect(() => sizesOf('200,1000', 'steady')).toThrow(/only with --scenario burst/);
    expect(() => sizesOf('200,', 'burst')).toThrow(/--pipelines: expected a positive whole number, got ""/);
  });

  it.each([
    ['burst', { warmupSeconds: 20, windowSeconds: 60, minSeconds: 5 }, 5],
    ['idle-scale', { warmupSeconds: 20, windowSeconds: 60, minSeconds: 5 }, 5],
    // 20 + 60 + 60 s to outlast at 5 s a stage: 28 stages.
    ['steady', { warmupSeconds: 20, windowSeconds: 60, minSeconds: 5 }, 28],
    ['steady', { warmupSeconds: 20, windowSeconds: 120, minSeconds: 10 }, 20],
    ['steady', { warmupSeconds: 1, windowSeconds: 1, minSeconds: 7 }, 9], // 62 / 7 rounded up
  ])('default stages for %s with %j: %d', (scenario, t, n) => expect(defaultStages(scenario, t)).toBe(n));
});
