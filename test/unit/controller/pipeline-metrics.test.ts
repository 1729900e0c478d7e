// The per-pipeline gauges the alert rules read: set from the status just written, one series per
// Pipeline, removed when the Pipeline goes.
import { describe, expect, it } from 'vitest';
import type { PipelineStatus } from '../../../src/api/types.ts';
import { registry } from '../../../src/metrics.ts';
import { forgetPipelineKey, recordTransitions } from '../../../src/controller/reconcile/run-metrics.ts';

async function series(name: string): Promise<Map<string, number>> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const out = new Map<string, number>();
  for (const v of metric?.values ?? []) out.set(`${v.labels.pipeline_namespace}/${v.labels.pipeline}`, v.value);
  return out;
}

const run = (phase: string): PipelineStatus['lastRun'] =>
  ({ id: `r-${phase}`, trigger: 'manual', phase }) as PipelineStatus['lastRun'];

describe('per-pipeline metrics', () => {
  it('reports Stalled, the last finished run and the schedule of the pipeline it was given', async () => {
    const status = {
      conditions: [{ type: 'Stalled', status: 'True', reason: 'StageFailed', message: 'x' }],
      lastRun: run('Failed'),
      lastScheduleTime: '2026-01-01T10:00:00Z',
      nextScheduleTime: '2026-01-01T11:00:00Z',
    } as PipelineStatus;
    recordTransitions(undefined, status, { namespace: 'team-a', name: 'nightly' });
    expect((await series('conveyor_pipeline_stalled')).get('team-a/nightly')).toBe(1);
    expect((await series('conveyor_pipeline_last_run_failed')).get('team-a/nightly')).toBe(1);
    expect((await series('conveyor_pipeline_last_schedule_timestamp_seconds')).get('team-a/nightly')).toBe(
      Date.parse('2026-01-01T10:00:00Z') / 1000,
    );
    expect((await series('conveyor_pipeline_next_schedule_timestamp_seconds')).get('team-a/nightly')).toBe(
      Date.parse('2026-01-01T11:00:00Z') / 1000,
    );
  });

  it('keeps the last verdict while a new run is in flight, clears it on success, drops a suspended schedule', async () => {
    const ref = { namespace: 'team-a', name: 'retry' };
    recordTransitions(
      undefined,
      { lastRun: run('Failed'), nextScheduleTime: '2026-01-01T11:00:00Z' } as PipelineStatus,
      ref,
    );
    recordTransitions(undefined, { lastRun: run('Running') } as PipelineStatus, ref);
    expect((await series('conveyor_pipeline_last_run_failed')).get('team-a/retry')).toBe(1);
    expect((await series('conveyor_pipeline_next_schedule_timestamp_seconds')).has('team-a/retry')).toBe(false);
    recordTransitions(undefined, { lastRun: run('Succeeded'), conditions: [] } as unknown as PipelineStatus, ref);
    expect((await series('conveyor_pipeline_last_run_failed')).get('team-a/retry')).toBe(0);
    expect((await series('conveyor_pipeline_stalled')).get('team-a/retry')).toBe(0);
  });

  it('forgets a deleted pipeline and reports nothing for a status without a pipeline', async () => {
    recordTransitions(undefined, { lastRun: run('Failed') } as PipelineStatus, { namespace: 'team-b', name: 'gone' });
    forgetPipelineKey('team-b/gone');
    for (const name of ['conveyor_pipeline_stalled', 'conveyor_pipeline_last_run_failed']) {
      expect((await series(name)).has('team-b/gone')).toBe(false);
    }
    const before = (await series('conveyor_pipeline_stalled')).size;
    recordTransitions(undefined, { lastRun: run('Failed') } as PipelineStatus);
    expect((await series('conveyor_pipeline_stalled')).size).toBe(before);
  });

  it('exports conveyor_leader as 1 when no leader election is in play', async () => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === 'conveyor_leader');
    expect(metric?.values[0]?.value).toBe(1);
  });
});
