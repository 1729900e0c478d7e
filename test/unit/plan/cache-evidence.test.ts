// The served stages a Job builds on (src/plan/cache/evidence.ts): what is written, and that
// anything else read from the annotation is ignored rather than trusted.
import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import type { StageStatus } from '../../../src/api/types.ts';
import { ANN_CACHED_UPSTREAM } from '../../../src/api/labels.ts';
import { cachedUpstreamAnnotation, servedOnJobs, servedUpstream } from '../../../src/plan/cache/evidence.ts';
import { summarize } from '../../../src/plan/tidy/history.ts';
import { stage } from './fixtures.ts';

const V = 'a'.repeat(16);
const servedStatus = (name: string, run = 'g1', dataVersion = V): StageStatus => ({
  name,
  phase: 'Succeeded',
  reason: 'Cached',
  cachedFrom: run,
  dataVersion,
});
const jobWith = (name: string, value: string | undefined): V1Job => ({
  metadata: { name, annotations: value === undefined ? {} : { [ANN_CACHED_UPSTREAM]: value } },
});

// a → b → d, c → d; e after d.
const stages = [stage('a'), stage('b', ['a']), stage('c'), stage('d', ['b', 'c']), stage('e', ['d'])];

describe('servedUpstream', () => {
  it('names the served dependencies and theirs, through served stages only', () => {
    const decided = new Map<string, StageStatus>([
      ['a', servedStatus('a')],
      ['b', servedStatus('b')],
      ['c', { name: 'c', phase: 'Succeeded', job: 'etl-c-g2' }],
    ]);
    expect([...servedUpstream(stages[3]!, stages, (n) => decided.get(n)).keys()].sort()).toEqual(['a', 'b']);
    // Behind a stage that ran, the served ones are on that stage's Job.
    decided.set('b', { name: 'b', phase: 'Succeeded', job: 'etl-b-g2' });
    expect([...servedUpstream(stages[3]!, stages, (n) => decided.get(n)).keys()]).toEqual([]);
  });

  it('writes them sorted, as [run, dataVersion]; nothing when there are none', () => {
    const served = new Map([
      ['b', servedStatus('b', 'm1')],
      ['a', servedStatus('a', 's60')],
    ]);
    expect(cachedUpstreamAnnotation(served)).toEqual({
      [ANN_CACHED_UPSTREAM]: `{"a":["s60","${V}"],"b":["m1","${V}"]}`,
    });
    expect(cachedUpstreamAnnotation(new Map())).toEqual({});
  });
});

describe('servedOnJobs', () => {
  it('reads back what was written, for stages of the pipeline', () => {
    const value = cachedUpstreamAnnotation(new Map([['a', servedStatus('a', 'g1')]]))[ANN_CACHED_UPSTREAM];
    const served = servedOnJobs([jobWith('etl-d-g2', value)], stages);
    expect(served.get('a')).toMatchObject({
      name: 'a',
      phase: 'Succeeded',
      reason: 'Cached',
      cachedFrom: 'g1',
      dataVersion: V,
    });
  });

  it.each<[string, string]>([
    ['not JSON', '{"a":'],
    ['an array', `[["g1","${V}"]]`],
    ['a pair of the wrong length', `{"a":["g1"]}`],
    ['a malformed version', `{"a":["g1","xyz"]}`],
    ['an empty run', `{"a":["","${V}"]}`],
    ['a run id too long', `{"a":["${'g'.repeat(64)}","${V}"]}`],
    ['a stage the pipeline does not have', `{"ghost":["g1","${V}"]}`],
    ['too long a value', `{"a":["g1","${V}"],"pad":"${'x'.repeat(50_000)}"}`],
  ])('ignores %s', (_what, value) => {
    expect(servedOnJobs([jobWith('j', value)], stages).size).toBe(0);
  });

  it('the first Job by name wins when two disagree; a Job without the annotation says nothing', () => {
    const one = jobWith('etl-b-g2', `{"a":["g1","${V}"]}`);
    const two = jobWith('etl-d-g2', `{"a":["g0","${'b'.repeat(16)}"]}`);
    expect(servedOnJobs([two, jobWith('x', undefined), one], stages).get('a')?.cachedFrom).toBe('g1');
  });
});

describe('run memory keeps the data version of a served stage', () => {
  it('summarize keeps it for an active run that is not lastRun', () => {
    const summary = summarize({
      id: 's1',
      trigger: 'schedule',
      phase: 'Running',
      stages: [servedStatus('a', 's0'), { name: 'b', phase: 'Running', job: 'etl-b-s1' }],
    });
    expect(summary.stages?.[0]).toEqual(servedStatus('a', 's0'));
  });
});
