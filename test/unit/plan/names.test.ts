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
  webhookRunId,
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

const hashOf = (...parts: string[]) => shortHash(parts.join('/'));

describe('object names', () => {
  it.each([
    // [pipeline, stage, run, Job name]
    ['etl', 'load', 'g3', `etl-load-g3-${hashOf('etl', 'load', 'g3')}`],
    ['ingest', 'events-load', 'g1', `ingest-events-load-g1-${hashOf('ingest', 'events-load', 'g1')}`],
    ['ingest-events', 'load', 'g1', `ingest-events-load-g1-${hashOf('ingest-events', 'load', 'g1')}`],
    // A dotted pipeline name reads with '-' (Job names are DNS labels); the hash keeps the dot.
    [
      'etl.nightly',
      'extract',
      's1735689600',
      `etl-nightly-extract-s1735689600-${hashOf('etl.nightly', 'extract', 's1735689600')}`,
    ],
  ])('Job of %s / %s / %s is the readable text and a hash of the tuple', (p, s, r, expected) => {
    expect(jobName(p, s, r)).toBe(expected);
    expect(expected).toMatch(DNS1123_LABEL);
  });

  it.each([
    ['etl', 'extract', `etl-extract-${hashOf('etl', 'extract')}`],
    ['etl.nightly', 'extract', `etl-nightly-extract-${hashOf('etl.nightly', 'extract')}`],
  ])('CronJob of %s / %s is the readable text and a hash of the pair', (p, s, expected) => {
    expect(cronJobName(p, s)).toBe(expected);
  });

  it.each([
    // Pairs whose hyphen-joined text is the same: the collision of issue 9, and dotted vs dashed.
    ['a stage name with a hyphen vs a pipeline name with it', ['ingest', 'events-load'], ['ingest-events', 'load']],
    ['the same, one hyphen further', ['a-b', 'c-d'], ['a', 'b-c-d']],
    ['a dotted pipeline vs a dashed one', ['etl.nightly', 'load'], ['etl-nightly', 'load']],
    ['a dot in the stage position', ['etl', 'nightly-load'], ['etl.nightly', 'load']],
  ])('never collide: %s', (_case, [p1 = '', s1 = ''], [p2 = '', s2 = '']) => {
    expect(`${p1}-${s1}`.replace(/\./g, '-')).toBe(`${p2}-${s2}`.replace(/\./g, '-'));
    expect(jobName(p1, s1, 'g1')).not.toBe(jobName(p2, s2, 'g1'));
    expect(cronJobName(p1, s1)).not.toBe(cronJobName(p2, s2));
  });

  it('tells apart long names that share their first 54 characters', () => {
    const pipeline = 'p'.repeat(50);
    const a = jobName(pipeline, `${'s'.repeat(40)}-a`, 'g1');
    const b = jobName(pipeline, `${'s'.repeat(40)}-b`, 'g1');
    expect(a).toHaveLength(63);
    expect(b).toHaveLength(63);
    expect(a.slice(0, 54)).toBe(b.slice(0, 54));
    expect(a).not.toBe(b);
  });

  it('keeps the whole readable text while it fits and cuts it, hash kept, when it does not', () => {
    // 63 = text + '-' + 8 hex, so the text may have 54 characters.
    const fits = 's'.repeat(54 - 'p-'.length - '-g1'.length);
    expect(jobName('p', fits, 'g1')).toBe(`p-${fits}-g1-${hashOf('p', fits, 'g1')}`);
    expect(jobName('p', fits, 'g1')).toHaveLength(63);
    const cut = jobName('p', `${fits}s`, 'g1');
    // The 55-character text loses its last character ('1').
    expect(cut).toBe(`p-${fits}s-g-${hashOf('p', `${fits}s`, 'g1')}`);
    expect(cut).toHaveLength(63);
  });

  it.each([
    ['a 63-character stage', 'etl', 's'.repeat(63), 'g12'],
    ['a 63-character stage and a 253-character pipeline', 'p'.repeat(253), 's'.repeat(63), 's1735689600'],
    ['a long dotted pipeline', `${'a.'.repeat(100)}z`, 'load', 'mdeadbeef'],
    ['a cut that falls on hyphens', 'p'.repeat(50), '-'.repeat(3) + 'x'.repeat(20), 'g1'],
  ])('shortens, never refuses: %s', (_case, pipeline, stage, run) => {
    const job = jobName(pipeline, stage, run);
    const cron = cronJobName(pipeline, stage);
    expect(job).toMatch(DNS1123_LABEL);
    expect(job.length).toBeLessThanOrEqual(63);
    expect(job.endsWith(`-${hashOf(pipeline, stage, run)}`)).toBe(true);
    expect(cron).toMatch(DNS1123_LABEL);
    expect(cron.length).toBeLessThanOrEqual(52);
    expect(cron.endsWith(`-${hashOf(pipeline, stage)}`)).toBe(true);
    expect(job).toBe(jobName(pipeline, stage, run));
  });

  it('gives every run and every stage its own Job', () => {
    expect(jobName('etl', 'load', 'g1')).not.toBe(jobName('etl', 'load', 'g2'));
    expect(jobName('p'.repeat(253), 'load', 'g1')).not.toBe(jobName('p'.repeat(253), 'load', 'g2'));
    expect(jobName('etl', 'load', 'g1')).not.toBe(jobName('etl', 'extract', 'g1'));
  });

  it('leaves room for the CronJob controller to name its Jobs within 63', () => {
    const cron = cronJobName('p'.repeat(253), 's'.repeat(63));
    expect(`${cron}-${'9'.repeat(8)}`.length).toBeLessThanOrEqual(63);
  });
});

describe('claim names', () => {
  it('are <pipeline>-<run>-staging, unambiguous since a run id has no hyphen', () => {
    expect(claimName('etl', 'g3')).toBe('etl-g3-staging');
    expect(claimName('ingest-events', 'g1')).toBe('ingest-events-g1-staging');
    expect(claimName('ingest', 'g1')).not.toBe(claimName('ingest-events', 'g1'));
  });

  it('hash a dotted or long pipeline name, so etl.nightly and etl-nightly differ', () => {
    expect(claimName('etl.nightly', 'g1')).toMatch(/^etl-nightly-g1-staging-[0-9a-f]{8}$/);
    expect(claimName('etl.nightly', 'g1')).not.toBe(claimName('etl-nightly', 'g1'));
    const long = claimName('p'.repeat(253), 'g1');
    expect(long).toHaveLength(63);
    expect(long).toMatch(DNS1123_LABEL);
    expect(long).not.toBe(claimName('p'.repeat(253), 'g2'));
  });
});

describe('labelValue', () => {
  const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

  it.each([['etl'], ['etl.nightly'], ['a.b-c_d'], ['x'.repeat(63)], ['s1735689600']])(
    'keeps the valid label value %s as it is',
    (name) => {
      expect(labelValue(name)).toBe(name);
    },
  );

  it.each([
    ['64 characters', 'x'.repeat(64)],
    ['a 253-character dotted name', `${'ab.'.repeat(84)}z`],
    ['a cut that ends on a dot', `${'a'.repeat(53)}.${'b'.repeat(20)}`],
    ['characters no label value has', 'ünïcode/name'],
  ])('shortens %s with a hash of the whole name', (_case, name) => {
    const value = labelValue(name);
    expect(value).toMatch(LABEL_VALUE);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value.endsWith(`-${shortHash(name)}`)).toBe(true);
  });

  it('tells apart long names that share their first 54 characters', () => {
    expect(labelValue(`${'p'.repeat(60)}-a`)).not.toBe(labelValue(`${'p'.repeat(60)}-b`));
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

  it('derives a chain run id from the upstream pipeline, its uid and its run', () => {
    expect(chainRunId('ingest', 'uid-1', 'g4')).toMatch(/^c[0-9a-f]{8}$/);
    expect(chainRunId('ingest', 'uid-1', 'g4')).toBe(chainRunId('ingest', 'uid-1', 'g4'));
    expect(chainRunId('ingest', 'uid-1', 'g4')).not.toBe(chainRunId('ingest', 'uid-1', 'g5'));
    expect(chainRunId('ingest', 'uid-1', 'g4')).not.toBe(chainRunId('other', 'uid-1', 'g4'));
    // issue 17 case 11: a re-created upstream's g1 is another run than the old one's g1.
    expect(chainRunId('ingest', 'uid-2', 'g1')).not.toBe(chainRunId('ingest', 'uid-1', 'g1'));
    // An upstream without a uid (odd input) keeps the id of the previous version.
    expect(chainRunId('ingest', undefined, 'g4')).toMatch(/^c[0-9a-f]{8}$/);
  });

  it.each([
    ['g12', true],
    ['s1735693200', true],
    [manualRunId('x'), true],
    [retryRunId('x'), true],
    [chainRunId('a', 'uid-a', 'g1'), true],
    [webhookRunId('webhook:d1#0'), true],
    ['2025-01-01T00', false],
    ['mzzzzzzzz', false],
    ['', false],
  ])('isRunId(%s) = %s', (text, expected) => {
    expect(isRunId(text)).toBe(expected);
  });
});
