// Pipelines with a given status, for the notify tests.
import type { Pipeline, PipelineSpec, PipelineStatus, RunStatus, StageStatus } from '../../../src/api/types.ts';
import type { LifecycleEvent } from '../../../src/notify/lifecycle.ts';

export const UID = '6b1f5e2a-0000-4000-8000-000000000019';

export function pipelineWith(status: PipelineStatus, spec: Partial<PipelineSpec> = {}): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name: 'orders', namespace: 'data', uid: UID },
    spec: {
      stages: [
        { name: 'extract', image: 'busybox' },
        { name: 'load', image: 'busybox' },
      ],
      ...spec,
    },
    status,
  };
}

export const T = (minute: number) => `2026-12-06T10:${String(minute).padStart(2, '0')}:00Z`;

export function run(id: string, phase: RunStatus['phase'], fields: Partial<RunStatus> = {}): RunStatus {
  return { id, trigger: 'manual', phase, startTime: T(0), ...fields };
}

export function stage(name: string, phase: StageStatus['phase'], fields: Partial<StageStatus> = {}): StageStatus {
  return { name, phase, ...fields };
}

/** `stage.started r1/extract#1`, `run.succeeded r1`: an event in one short line. */
export function short(event: LifecycleEvent): string {
  const what = event.type.replace('dev.conveyor.', '').replace('.v1', '');
  if (event.stage === undefined) return `${what} ${event.run}`;
  return `${what} ${event.run}/${event.stage}${event.attempt === undefined ? '' : `#${event.attempt}`}`;
}
