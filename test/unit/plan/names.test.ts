import { describe, expect, it } from 'vitest';
import {
  chainRunId,
  claimName,
  cronJobName,
  isRunId,
  generationRunId,
  jobName,
  labelValue,
  manualRunId,
  retryRunId,
  scheduledRunId,
  scheduledTimeOf,
  shortHash,
  shortName,
} from '../../../src/plan/names.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('shortName', () => {
  it.each([
    ['fits', 'etl-load-g1', 63, 'etl-load-g1'],
    ['exactly at the limit', 'a'.repeat(63), 63, 'a'.repeat(63)],
  ])('keeps a valid name that %s', (_case, full, max, expected) => {
    expect(shortName(full, max)).toBe(expected);
  });

  it.each([
    [63, 64],
    [63, 200],
    [52, 53],
    [52, 300],
  ])('shortens a name over %i (length %i) to exactly the limit with a hash suffix', (max, length) => {
    const full = 'x'.repeat(length);
    const short = shortName(full, max);
    expect(short).toHaveLength(max);
    expect(short).toMatch(DNS1123_LABEL);
    expect(short.endsWith(`-${shortHash(full)}`)).toBe(true);
  });

  it('never leaves a trailing dash where the cut falls on one', () => {
    const full = `${'a'.repeat(53)}-----${'b'.repeat(20)}`;
    const short = shortName(full, 63);
    expect(short).toMatch(DNS1123_LABEL);
    expect(short).not.toContain('--');
    expect(short.length).toBeLessThanOrEqual(63);
  });

  it('is deterministic and tells different long names apart', () => {
    const a = `${'p'.repeat(60)}-a`;
    const b = `${'p'.repeat(60)}-b`;
    expect(shortName(a, 63)).toBe(shortName(a, 63));
    expect(shortName(a, 63)).not.toBe(shortName(b, 63));
  });

  it('turns anything into a DNS-1123 label and never fails', () => {
    for (const odd of ['', '-', 'Upper.Case_name', '---x---', 'ünïcode', '9'.repeat(100)]) {
      const short = shortName(odd, 52);
      expect(short).toMatch(DNS1123_LABEL);
      expect(short.length).toBeLessThanOrEqual(52);
    }
  });
});

describe('object names', () => {
  it('builds the documented names when they fit', () => {
    expect(jobName('etl', 'load', 'g3')).toBe('etl-load-g3');
    expect(cronJobName('etl', 'extract')).toBe('etl-extract');
    expect(claimName('etl', 'g3')).toBe('etl-g3-staging');
  });

  it('keeps a Job name of exactly 63 characters and shortens one of 64', () => {
    const stage = 's'.repeat(63 - 'p-'.length - '-g1'.length);
    expect(jobName('p', stage, 'g1')).toHaveLength(63);
    expect(jobName('p', stage, 'g1')).toBe(`p-${stage}-g1`);
    const longer = jobName('p', `${stage}s`, 'g1');
    expect(longer).toHaveLength(63);
    expect(longer).not.toBe(`p-${stage}s-g1`);
    expect(longer).toMatch(DNS1123_LABEL);
  });

  it('keeps a CronJob name of exactly 52 characters and shortens one of 53', () => {
    const stage = 's'.repeat(52 - 'p-'.length);
    expect(cronJobName('p', stage)).toBe(`p-${stage}`);
    const longer = cronJobName('p', `${stage}s`);
    expect(longer).toHaveLength(52);
    expect(longer).toMatch(DNS1123_LABEL);
  });

  it('shortens long pipeline names (up to 253) for every object, deterministically', () => {
    const pipeline = 'p'.repeat(253);
    for (const name of [jobName(pipeline, 'load', 'g1'), claimName(pipeline, 'g1'), labelValue(pipeline)]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(DNS1123_LABEL);
    }
    expect(cronJobName(pipeline, 'load').length).toBeLessThanOrEqual(52);
    expect(jobName(pipeline, 'load', 'g1')).toBe(jobName(pipeline, 'load', 'g1'));
    expect(jobName(pipeline, 'load', 'g1')).not.toBe(jobName(pipeline, 'load', 'g2'));
  });
});

describe('run ids', () => {
  it('derives ids from the trigger', () => {
    expect(generationRunId(7)).toBe('g7');
    expect(manualRunId('2025-01-01T00:00:00Z')).toMatch(/^m[0-9a-f]{8}$/);
    expect(manualRunId('x')).toBe(manualRunId('x'));
    expect(manualRunId('x')).not.toBe(manualRunId('y'));
    expect(retryRunId('x')).toMatch(/^r[0-9a-f]{8}$/);
    expect(scheduledRunId(new Date('2025-01-01T00:00:00Z'))).toBe('s1735689600');
  });
});

describe('run ids of schedules and chains', () => {
  it('maps a scheduled run id back to its tick', () => {
    const tick = new Date('2025-03-31T00:30:00Z');
    expect(scheduledTimeOf(scheduledRunId(tick))).toEqual(tick);
    expect(scheduledTimeOf('g3')).toBeUndefined();
  });

  it('derives a chain run id from the upstream pipeline and run', () => {
    expect(chainRunId('ingest', 'g4')).toMatch(/^c[0-9a-f]{8}$/);
    expect(chainRunId('ingest', 'g4')).toBe(chainRunId('ingest', 'g4'));
    expect(chainRunId('ingest', 'g4')).not.toBe(chainRunId('ingest', 'g5'));
    expect(chainRunId('ingest', 'g4')).not.toBe(chainRunId('other', 'g4'));
  });

  it.each([
    ['g12', true],
    ['s1735693200', true],
    [manualRunId('x'), true],
    [retryRunId('x'), true],
    [chainRunId('a', 'g1'), true],
    ['2025-01-01T00', false],
    ['mzzzzzzzz', false],
    ['', false],
  ])('isRunId(%s) = %s', (text, expected) => {
    expect(isRunId(text)).toBe(expected);
  });
});
