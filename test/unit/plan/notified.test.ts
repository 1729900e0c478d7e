// status notified and status.notify (status/notified.ts): the planner marks the finished runs the
// notifier reports as delivered or dropped, keeps the mark, and records why the Pipeline's own
// CloudEvents sink is refused. Table-driven over what the shell gathers, reconcile after reconcile.
import { describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../../../src/api/types.ts';
import { plan } from '../../../src/plan/planner.ts';
import type { NotifiedInput } from '../../../src/plan/types.ts';
import { FakeCluster, at, eventReasons, pipeline, stage } from './fixtures.ts';

/** A pipeline whose first run g1 succeeded (status written), a second stage spec to fail runs on. */
function finished(): FakeCluster {
  const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
  cluster.reconcile(at(0));
  cluster.set('a', { state: 'succeeded', at: at(5) });
  cluster.reconcile(at(10));
  expect(cluster.pipeline.status?.lastRun).toMatchObject({ id: 'g1', phase: 'Succeeded' });
  return cluster;
}

const flags = (status: PipelineStatus | undefined) => ({
  lastRun: status?.lastRun?.notified,
  runs: Object.fromEntries((status?.runs ?? []).map((r) => [r.id, r.notified])),
});

const CASES: { name: string; inputs: (NotifiedInput | undefined)[]; expected: ReturnType<typeof flags> }[] = [
  { name: 'no input: nothing marked', inputs: [undefined], expected: { lastRun: undefined, runs: { g1: undefined } } },
  {
    name: 'g1 reported: marked in lastRun and runs[]',
    inputs: [{ runs: new Set(['g1']) }],
    expected: { lastRun: true, runs: { g1: true } },
  },
  {
    name: 'marked, then no input: kept',
    inputs: [{ runs: new Set(['g1']) }, undefined, undefined],
    expected: { lastRun: true, runs: { g1: true } },
  },
  {
    name: 'marked, then reported no more (the notifier forgot it after a restart): kept',
    inputs: [{ runs: new Set(['g1']) }, { runs: new Set() }],
    expected: { lastRun: true, runs: { g1: true } },
  },
  {
    name: 'another run reported: g1 not marked',
    inputs: [{ runs: new Set(['g9']) }],
    expected: { lastRun: undefined, runs: { g1: undefined } },
  },
  {
    name: 'not a set (a hostile or broken shell): nothing marked',
    inputs: [{ runs: ['g1'] as unknown as ReadonlySet<string> }],
    expected: { lastRun: undefined, runs: { g1: undefined } },
  },
];

describe('notified runs', () => {
  it.each(CASES)('$name', ({ inputs, expected }) => {
    const cluster = finished();
    for (const [i, input] of inputs.entries()) {
      cluster.notified = input;
      cluster.reconcile(at(20 + i));
    }
    expect(flags(cluster.pipeline.status)).toEqual(expected);
  });

  it('an active run is never marked, even when reported', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.notified = { runs: new Set(['g1']) };
    const result = cluster.reconcile(at(0));
    expect(result.status.lastRun).toMatchObject({ id: 'g1', phase: 'Running' });
    expect(flags(result.status)).toEqual({ lastRun: undefined, runs: { g1: undefined } });
  });

  it('the mark follows the run from lastRun into runs[] when a newer run starts', () => {
    const cluster = finished();
    cluster.notified = { runs: new Set(['g1']) };
    cluster.reconcile(at(20));
    cluster.notified = undefined;
    cluster.edit((spec) => {
      spec.stages[0] = stage('a', undefined, { args: ['again'] });
    });
    const result = cluster.reconcile(at(30));
    expect(result.status.lastRun).toMatchObject({ id: 'g2', phase: 'Running' });
    expect(result.status.lastRun?.notified).toBeUndefined();
    expect(flags(result.status).runs).toEqual({ g2: undefined, g1: true });
  });

  it('an invalid spec keeps and sets the marks too', () => {
    const cluster = finished();
    cluster.problems = [{ path: 'spec.stages', message: 'broken' }];
    cluster.notified = { runs: new Set(['g1']) };
    const result = cluster.reconcile(at(20));
    expect(result.status.phase).toBe('Invalid');
    expect(flags(result.status)).toEqual({ lastRun: true, runs: { g1: true } });
  });

  it('a status that said notified on an active run loses it (only finished runs are notified)', () => {
    const cluster = new FakeCluster(pipeline({ stages: [stage('a')] }));
    cluster.reconcile(at(0));
    const status = cluster.pipeline.status as PipelineStatus;
    cluster.pipeline = { ...cluster.pipeline, status: { ...status, lastRun: { ...status.lastRun!, notified: true } } };
    expect(cluster.reconcile(at(1)).status.lastRun?.notified).toBeUndefined();
  });
});

describe('status.notify.message: the refused sink', () => {
  const refused = 'https://evil.example/ is not under an allowed sink prefix (--cloudevents-allowed-sinks)';

  it.each([
    {
      name: 'a refusal: recorded, with one Warning',
      inputs: [{ runs: new Set<string>(), message: refused }],
      message: refused,
      events: 1,
    },
    {
      name: 'the same refusal again: no second Warning',
      inputs: [
        { runs: new Set<string>(), message: refused },
        { runs: new Set<string>(), message: refused },
      ],
      message: refused,
      events: 1,
    },
    {
      name: 'the shell says nothing: the message stays',
      inputs: [{ runs: new Set<string>(), message: refused }, undefined],
      message: refused,
      events: 1,
    },
    {
      name: 'accepted again (input without a message): cleared',
      inputs: [{ runs: new Set<string>(), message: refused }, { runs: new Set<string>() }],
      message: undefined,
      events: 1,
    },
    {
      name: 'a message over 1024 characters is trimmed',
      inputs: [{ runs: new Set<string>(), message: 'x'.repeat(5000) }],
      message: `${'x'.repeat(1021)}...`,
      events: 1,
    },
  ])('$name', ({ inputs, message, events }) => {
    const cluster = finished();
    const reasons: string[] = [];
    for (const [i, input] of inputs.entries()) {
      cluster.notified = input;
      reasons.push(...eventReasons(cluster.reconcile(at(20 + i))));
    }
    expect(cluster.pipeline.status?.notify?.message).toBe(message);
    expect(reasons.filter((r) => r === 'NotifySinkRefused')).toHaveLength(events);
  });

  it('the Warning names the field and says why', () => {
    const cluster = finished();
    cluster.notified = { runs: new Set(), message: refused };
    const event = cluster.reconcile(at(20)).events.find((e) => e.reason === 'NotifySinkRefused');
    expect(event).toEqual({
      type: 'Warning',
      reason: 'NotifySinkRefused',
      message: `spec.notify.cloudevents: ${refused}`,
    });
  });

  it('without input, plan() output is what it was before notifications existed', () => {
    const p = pipeline({ stages: [stage('a')] });
    const without = plan({ pipeline: p, problems: [], jobs: [], claims: [], now: at(0) });
    expect(without.status).not.toHaveProperty('notify');
    expect(JSON.stringify(without.status)).not.toContain('notified');
  });
});
