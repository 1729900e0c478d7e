// The plugin's data, from fixture Pipelines: list columns, DAG colours, the stage table, action
// gating by the SelfSubjectAccessReview's answer, and the map's links between Pipelines and Jobs.
import { describe, expect, it } from 'vitest';
import rootPackage from '../../../package.json';
import pluginPackage from '../package.json';
import { actionPatch } from '../../../src/console/server/action-patch.ts';
import { PHASE_COLOUR } from '../../../src/console/ui/model/phases.ts';
import { failedEtl, neverRun, NOW, scheduledRunning } from './fixtures.ts';
import {
  actionAccessReview,
  actionButtons,
  linkedJobs,
  mapEdges,
  pipelineDag,
  pipelineRow,
  reviewAllows,
  stageRows,
  type MapObject,
} from './model.ts';

describe('the Pipelines list', () => {
  it('shows phase, progress, last run and next run in the Console words', () => {
    expect(pipelineRow(failedEtl, NOW)).toEqual({
      name: 'etl',
      namespace: 'team-a',
      phase: 'Failed',
      phaseLabel: '✖ Failed',
      progress: '2/4 (50%)',
      lastRun: 'g1 · 5m ago',
      lastRunPhase: 'Failed',
      nextRun: '—',
    });
    const hourly = pipelineRow(scheduledRunning, NOW);
    expect([hourly.phaseLabel, hourly.progress, hourly.lastRun, hourly.nextRun]).toEqual([
      '▶ Running',
      '1/2 (50%)',
      's1796608800 · 2m ago',
      'in 1h (2026-12-07 03:00Z)',
    ]);
  });

  it('says Pending, — and suspended for a Pipeline that never ran', () => {
    const row = pipelineRow(neverRun, NOW);
    expect([row.phase, row.progress, row.lastRun, row.lastRunPhase, row.nextRun]).toEqual([
      'Pending',
      '—',
      '—',
      undefined,
      'suspended',
    ]);
  });
});

describe('the DAG', () => {
  it('colours every stage by its phase in the latest run, pending ones and onFailure included', () => {
    const dag = pipelineDag(failedEtl);
    const byStage = Object.fromEntries(dag.nodes.map((n) => [n.id, [n.phase, n.fill, n.kind]]));
    expect(byStage).toEqual({
      extract: ['Succeeded', PHASE_COLOUR.Succeeded, 'stage'],
      transform: ['Failed', PHASE_COLOUR.Failed, 'stage'],
      load: ['None', PHASE_COLOUR.None, 'stage'],
      report: ['Skipped', PHASE_COLOUR.Skipped, 'stage'],
      alert: ['None', PHASE_COLOUR.None, 'onFailure'],
    });
    expect(dag.edges.map((e) => `${e.from}>${e.to}`).sort()).toEqual([
      'extract>report',
      'extract>transform',
      'transform>load',
    ]);
  });

  it('draws stages not started in a running run as Pending, with white text on running ones', () => {
    const dag = pipelineDag(scheduledRunning);
    expect(dag.nodes.map((n) => [n.id, n.phase, n.text])).toEqual([
      ['a', 'Succeeded', '#0f172a'],
      ['b', 'Pending', '#0f172a'],
    ]);
    const running = pipelineDag({
      ...scheduledRunning,
      status: {
        ...scheduledRunning.status,
        lastRun: { ...scheduledRunning.status!.lastRun!, stages: [{ name: 'a', phase: 'Running' }] },
      },
    });
    expect(running.nodes[0]).toMatchObject({ phase: 'Running', fill: PHASE_COLOUR.Running, text: '#ffffff' });
  });

  it('collapses a wide fan-out into one group node coloured by its members', () => {
    const wide = Array.from({ length: 20 }, (_, i) => ({ name: `s${i}`, image: 'x', dependsOn: ['start'] }));
    const dag = pipelineDag({
      ...failedEtl,
      spec: { stages: [{ name: 'start', image: 'x' }, ...wide] },
      status: { lastRun: { id: 'g1', trigger: 'create', phase: 'Running', stages: [{ name: 's3', phase: 'Failed' }] } },
    });
    expect(dag.nodes.map((n) => [n.id, n.kind, n.phase, n.label])).toEqual([
      ['start', 'stage', 'Pending', 'start'],
      ['group:s0', 'group', 'Failed', '20 stages: s0…s19'],
    ]);
  });
});

describe('the stage table', () => {
  it('lists every stage of the latest run with phase, attempts, times and message', () => {
    expect(stageRows(failedEtl)).toEqual([
      {
        stage: 'extract',
        phase: 'Succeeded',
        attempts: '1',
        started: '2026-12-07 01:50Z',
        finished: '2026-12-07 01:51Z',
        message: '',
      },
      {
        stage: 'transform',
        phase: 'Failed',
        attempts: '2',
        started: '2026-12-07 01:51Z',
        finished: '2026-12-07 01:55Z',
        message: 'BackoffLimitExceeded: exit code 3',
      },
      { stage: 'load', phase: 'None', attempts: '—', started: '—', finished: '—', message: '' },
      { stage: 'report', phase: 'Skipped', attempts: '—', started: '—', finished: '—', message: 'RunFailed' },
      { stage: 'alert', phase: 'None', attempts: '—', started: '—', finished: '—', message: '' },
    ]);
  });
});

describe('the actions', () => {
  it('asks to patch pipelines.conveyor.dev in the namespace', () => {
    expect(actionAccessReview('team-a')).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {
        resourceAttributes: { namespace: 'team-a', verb: 'patch', group: 'conveyor.dev', resource: 'pipelines' },
      },
    });
  });

  it('reads only an explicit allowed: true as a yes', () => {
    expect(reviewAllows({ status: { allowed: true } })).toBe(true);
    expect(reviewAllows({ status: { allowed: false, reason: 'RBAC: no' } })).toBe(false);
    expect(reviewAllows({ status: {} })).toBe(false);
    expect(reviewAllows(undefined)).toBe(false);
  });

  it('shows no button when the review says no', () => {
    expect(actionButtons(failedEtl, false)).toEqual([]);
  });

  it('offers run, retry of the failed latest run and cancel (disabled when nothing runs) when allowed', () => {
    const buttons = actionButtons(failedEtl, true);
    expect(buttons.map((b) => [b.action, b.enabled, b.run])).toEqual([
      ['run', true, undefined],
      ['retry', true, 'g1'],
      ['cancel', false, undefined],
    ]);
    const running = actionButtons(scheduledRunning, true);
    expect(running.map((b) => [b.action, b.enabled, b.run])).toEqual([
      ['run', true, undefined],
      ['retry', false, 's1796608800'],
      ['cancel', true, 's1796608800'],
    ]);
    expect(actionButtons(neverRun, true).map((b) => [b.action, b.enabled])).toEqual([
      ['run', false],
      ['retry', false],
      ['cancel', false],
    ]);
  });

  it('writes the annotations conveyor run / retry / cancel write', () => {
    const at = new Date('2026-12-07T02:00:00Z');
    expect(actionPatch('run', {}, at)).toEqual({
      metadata: { annotations: { 'conveyor.dev/run-requested': '2026-12-07T02:00:00.000Z' } },
    });
    expect(actionPatch('retry', { run: 'g1' }, at)).toEqual({
      metadata: { annotations: { 'conveyor.dev/retry-requested': 'g1:2026-12-07T02:00:00.000Z' } },
    });
    expect(actionPatch('cancel', { run: 'g1' }, at)).toEqual({
      metadata: { annotations: { 'conveyor.dev/cancel-requested': 'g1:2026-12-07T02:00:00.000Z' } },
    });
  });
});

describe('the map source', () => {
  const pipelines: MapObject[] = [
    { metadata: { uid: 'p1', name: 'etl', namespace: 'team-a' } },
    { metadata: { uid: 'p2', name: 'etl', namespace: 'team-b' } },
    {
      metadata: {
        uid: 'p3',
        name: 'a-very-long-pipeline-name-that-does-not-fit-in-a-label-value-at-all',
        namespace: 'team-a',
      },
    },
  ];
  const job = (uid: string, namespace: string, labels: Record<string, string>, annotations = {}): MapObject => ({
    metadata: { uid, name: uid, namespace, labels, annotations },
  });
  const jobs = [
    job('j1', 'team-a', { 'conveyor.dev/pipeline': 'etl', 'conveyor.dev/stage': 'extract' }),
    job('j2', 'team-a', { 'conveyor.dev/pipeline': 'etl' }, { 'conveyor.dev/pipeline-name': 'etl' }),
    job('j3', 'team-b', { 'conveyor.dev/pipeline': 'etl' }),
    job(
      'j4',
      'team-a',
      { 'conveyor.dev/pipeline': 'a-very-long-pipeline-name-that-does-not-fit-in-a-label-va-1a2b3c' },
      { 'conveyor.dev/pipeline-name': 'a-very-long-pipeline-name-that-does-not-fit-in-a-label-value-at-all' },
    ),
    job('j5', 'team-a', { 'conveyor.dev/pipeline': 'gone' }),
    job('j6', 'team-a', { app: 'other' }),
  ];

  it('links each Pipeline to its Jobs in its own namespace, by full name where the label is shortened', () => {
    expect(mapEdges(pipelines, jobs)).toEqual([
      { id: 'p1-j1', source: 'p1', target: 'j1' },
      { id: 'p1-j2', source: 'p1', target: 'j2' },
      { id: 'p2-j3', source: 'p2', target: 'j3' },
      { id: 'p3-j4', source: 'p3', target: 'j4' },
    ]);
  });

  it('shows only the Jobs that belong to a shown Pipeline', () => {
    expect(linkedJobs(pipelines, jobs).map((j) => j.metadata.uid)).toEqual(['j1', 'j2', 'j3', 'j4']);
  });
});

describe('the package', () => {
  it('has the version of the Conveyor release it ships with', () => {
    expect(pluginPackage.version).toBe(rootPackage.version);
  });
});
