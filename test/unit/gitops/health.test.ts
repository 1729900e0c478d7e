// GitOps health of a Pipeline, computed by the real evaluators: deploy/argocd/health.lua in
// gopher-lua set up as Argo CD sets it up, and kstatus (sigs.k8s.io/cli-utils, what Flux uses)
// on the conditions the operator writes. Both run from hack/gitops-health, built into the cache
// by hack/build-cluster-bins.sh. The objects are test/fixtures/status/*.json: realistic Pipelines
// (captured from live runs by test/e2e/gitops-health.test.ts with CONVEYOR_CAPTURE_FIXTURES=1).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureGoTool } from '../../support/tools.ts';

type Health = { status: string; message?: string };
type Pipeline = { metadata: Record<string, unknown>; spec: Record<string, unknown>; status?: Record<string, unknown> };

const FIXTURES = join(REPO_ROOT, 'test/fixtures/status');
const SCRIPT = join(REPO_ROOT, 'deploy/argocd/health.lua');
let luaHealth = '';
let kstatus = '';

function evaluate(tool: string, args: string[], obj: unknown): Health {
  const res = spawnSync(tool, args, { input: JSON.stringify(obj), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${tool} failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as Health;
}
const argo = (obj: unknown): Health => evaluate(luaHealth, [SCRIPT], obj);
const kstat = (obj: unknown): Health => evaluate(kstatus, [], obj);
const fixture = (name: string): Pipeline =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Pipeline;

beforeAll(() => {
  luaHealth = ensureGoTool('lua-health');
  kstatus = ensureGoTool('kstatus');
}, 20 * 60_000);

describe('fixtures', () => {
  it('are the six phases, each a Pipeline whose status the operator could have written', () => {
    expect(
      readdirSync(FIXTURES)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(['failed', 'invalid', 'running', 'scheduled', 'succeeded', 'suspended'].map((n) => `${n}.json`));
    for (const [name, phase] of Object.entries({
      running: 'Running',
      succeeded: 'Succeeded',
      failed: 'Failed',
      invalid: 'Invalid',
      suspended: 'Suspended',
      scheduled: 'Scheduled',
    })) {
      const p = fixture(name);
      expect(p.status?.phase, name).toBe(phase);
      expect(p.status?.observedGeneration, name).toBe(p.metadata.generation);
    }
  });
});

describe('health of each phase', () => {
  const cases: [fixture: string, argo: string, kstatus: string][] = [
    ['running', 'Progressing', 'InProgress'],
    ['succeeded', 'Healthy', 'Current'],
    ['failed', 'Degraded', 'Failed'],
    ['invalid', 'Degraded', 'Failed'],
    ['suspended', 'Suspended', 'Current'],
    ['scheduled', 'Healthy', 'Current'],
  ];
  for (const [name, wantArgo, wantKstatus] of cases) {
    it(`${name}: Argo CD ${wantArgo}, kstatus ${wantKstatus}`, () => {
      const p = fixture(name);
      expect(argo(p).status).toBe(wantArgo);
      expect(kstat(p).status).toBe(wantKstatus);
    });
  }

  it('a failed run is Degraded with the message that names the failing stage', () => {
    const p = fixture('failed');
    const stalled = ((p.status?.conditions ?? []) as { type: string; reason: string; message: string }[]).find(
      (c) => c.type === 'Stalled',
    )!;
    expect(stalled.message).toContain('"work"');
    expect(argo(p)).toEqual({ status: 'Degraded', message: `${stalled.reason}: ${stalled.message}` });
    expect(kstat(p).message).toBe(stalled.message);
  });

  it('an invalid spec is Degraded with the validation message', () => {
    const h = argo(fixture('invalid'));
    expect(h.message).toMatch(/^InvalidSpec: .*dependency cycle/);
  });
});

describe('transitions GitOps tools care about', () => {
  it('a change the operator has not observed yet is Progressing / InProgress, whatever the old status says', () => {
    for (const name of ['succeeded', 'failed', 'scheduled']) {
      const p = fixture(name);
      p.metadata.generation = Number(p.metadata.generation) + 1;
      expect(argo(p), name).toEqual({
        status: 'Progressing',
        message: `Waiting for the operator to observe generation ${p.metadata.generation}`,
      });
      expect(kstat(p).status, name).toBe('InProgress');
    }
  });

  it('a Pipeline without status yet (just applied) is Progressing in Argo CD', () => {
    const p = fixture('running');
    delete p.status;
    expect(argo(p).status).toBe('Progressing');
  });

  it('a scheduled pipeline stays Healthy / Current while a scheduled run is in progress', () => {
    // Scheduled runs do not set Reconciling (the pipeline is in place; runs come and go), so
    // Argo CD does not flap between Healthy and Progressing every tick.
    const p = fixture('scheduled');
    p.status = { ...p.status, phase: 'Running' };
    expect(argo(p).status).toBe('Healthy');
    expect(kstat(p).status).toBe('Current');
  });

  it('odd status shapes do not break the script', () => {
    for (const status of [
      {},
      { phase: 'Pending' },
      { conditions: [] },
      { phase: 'Running', conditions: [{ type: 'Ready' }] },
    ]) {
      const p = fixture('running');
      p.status = { observedGeneration: p.metadata.generation, ...status };
      expect(argo(p).status, JSON.stringify(status)).toBe('Progressing');
    }
  });
});

describe('deploy/argocd/argocd-cm.yaml', () => {
  it('embeds health.lua verbatim under the documented key', () => {
    const cm = parse(readFileSync(join(REPO_ROOT, 'deploy/argocd/argocd-cm.yaml'), 'utf8')) as {
      kind: string;
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect(cm.kind).toBe('ConfigMap');
    expect(cm.metadata.name).toBe('argocd-cm');
    expect(Object.keys(cm.data)).toEqual(['resource.customizations.health.conveyor.dev_Pipeline']);
    expect(
      cm.data['resource.customizations.health.conveyor.dev_Pipeline'],
      'deploy/argocd/argocd-cm.yaml must embed deploy/argocd/health.lua exactly (indent it by 4 spaces under the key)',
    ).toBe(readFileSync(SCRIPT, 'utf8'));
  });

  it('the Argo CD Application example carries the same health check', () => {
    const docs = readFileSync(join(REPO_ROOT, 'examples/gitops/argocd/argocd-cm-patch.yaml'), 'utf8');
    const cm = parse(docs) as { data: Record<string, string> };
    expect(cm.data['resource.customizations.health.conveyor.dev_Pipeline']).toBe(readFileSync(SCRIPT, 'utf8'));
  });
});
