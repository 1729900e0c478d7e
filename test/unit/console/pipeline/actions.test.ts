import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../../src/console/protocol.ts';
import { buttonsFor } from '../../../../src/console/ui/pipeline/actions.ts';
import type { RunView } from '../../../../src/console/ui/pipeline/runs.ts';
import { stageEvents } from '../../../../src/console/ui/pipeline/stage-panel.ts';

const p = (suspend: boolean): Pipeline => ({ apiVersion: 'conveyor.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'p', namespace: 'ns' }, spec: { suspend, stages: [{ name: 'a', image: 'x' }] } });
const run = (id: string, phase: RunView['phase']): RunView => ({ id, phase, stages: new Map(), jobs: [] });

describe('buttonsFor', () => {
  it('enables retry for a failed run, cancel for the active one, and offers resume when suspended', () => {
    const failed = buttonsFor(p(false), run('r1', 'Failed'), run('r2', 'Running'));
    expect(failed.map((b) => [b.action, b.enabled, b.run])).toEqual([['run', true, undefined], ['retry', true, 'r1'], ['cancel', true, 'r2'], ['suspend', true, undefined]]);
    const held = buttonsFor(p(true), run('r1', 'Succeeded'), undefined);
    expect(held.map((b) => [b.action, b.enabled])).toEqual([['run', false], ['retry', false], ['cancel', false], ['resume', true]]);
  });
});

describe('stageEvents', () => {
  it('keeps events about the stage’s Jobs in the run and Pipeline events naming the stage and run', () => {
    const r: RunView = { ...run('r1', 'Failed'), stages: new Map([['load', { name: 'load', phase: 'Failed', job: 'p-load-r1' }]]) };
    const ev = (kind: string, name: string, message: string) => ({ namespace: 'ns', name: message, uid: message, involved: { kind, name }, type: 'Warning', reason: 'X', message, count: 1 });
    const events = [ev('Job', 'p-load-r1', 'job event'), ev('Job', 'p-other-r1', 'other job'), ev('Pipeline', 'p', 'run r1: stage "load" failed'), ev('Pipeline', 'p', 'run r0: stage "load" failed')];
    expect(stageEvents(events, r, 'load', 'p').map((e) => e.message)).toEqual(['job event', 'run r1: stage "load" failed']);
  });
});
