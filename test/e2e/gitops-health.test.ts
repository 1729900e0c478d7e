// GitOps health of live Pipelines: objects read back from the cluster in each phase, judged by
// Argo CD's Lua health check (deploy/argocd/health.lua, in gopher-lua as Argo CD runs it) and by
// kstatus (sigs.k8s.io/cli-utils, what Flux uses). CONVEYOR_CAPTURE_FIXTURES=1 also writes the
// live objects to test/fixtures/status/ for the unit tests.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline, PipelineSpec } from '../../src/api/types.ts';
import { REPO_ROOT, ensureGoTool } from '../support/tools.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import { createPipeline, failsWith, installCrd, pipeline, runsFor, waitForPipeline } from './support/pipelines.ts';

const c: Clients = clients();
let operator: OperatorProcess;
let ns: { name: string; cleanup: () => Promise<void> };
let luaHealth = '';
let kstatus = '';

beforeAll(async () => {
  luaHealth = ensureGoTool('lua-health');
  kstatus = ensureGoTool('kstatus');
  await installCrd(c);
  ns = await testNamespace(c, 'health');
  operator = await startOperatorProcess('gitops-health', ['--namespaces', ns.name]);
}, 20 * 60_000);
afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

function judge(tool: string, args: string[], obj: unknown): { status: string; message?: string } {
  const res = spawnSync(tool, args, { input: JSON.stringify(obj), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${tool} failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as { status: string; message?: string };
}

const image = 'busybox:1.36';
const CASES: { name: string; phase: string; spec: PipelineSpec; argo: string; kstatus: string }[] = [
  {
    name: 'running',
    phase: 'Running',
    spec: { stages: [{ name: 'work', image, command: ['sleep', '120'], podTemplate: runsFor(120) }] },
    argo: 'Progressing',
    kstatus: 'InProgress',
  },
  {
    name: 'succeeded',
    phase: 'Succeeded',
    spec: { stages: [{ name: 'work', image }] },
    argo: 'Healthy',
    kstatus: 'Current',
  },
  {
    name: 'failed',
    phase: 'Failed',
    spec: { stages: [{ name: 'work', image, command: ['sh', '-c', 'exit 1'], podTemplate: failsWith(1) }] },
    argo: 'Degraded',
    kstatus: 'Failed',
  },
  // A dependency cycle passes the API server's rules; the operator finds it and marks the spec Invalid.
  {
    name: 'invalid',
    phase: 'Invalid',
    spec: {
      stages: [
        { name: 'a', image, dependsOn: ['b'] },
        { name: 'b', image, dependsOn: ['a'] },
      ],
    },
    argo: 'Degraded',
    kstatus: 'Failed',
  },
  {
    name: 'suspended',
    phase: 'Suspended',
    spec: { schedule: '0 2 * * *', suspend: true, stages: [{ name: 'work', image }] },
    argo: 'Suspended',
    kstatus: 'Current',
  },
  {
    name: 'scheduled',
    phase: 'Scheduled',
    spec: { schedule: '0 2 * * *', timeZone: 'Europe/Berlin', stages: [{ name: 'work', image }] },
    argo: 'Healthy',
    kstatus: 'Current',
  },
];

describe.concurrent('GitOps health of live Pipelines', () => {
  it.each(CASES)('$name: Argo CD says $argo, kstatus says $kstatus', async (tc) => {
    await createPipeline(c, ns.name, pipeline(tc.name, tc.spec));
    // Settled: in its phase for the current generation and, but for a running one, done
    // reconciling (a scheduled pipeline is briefly Reconciling while its CronJobs are applied).
    const settled = (p: Pipeline): boolean =>
      p.status?.phase === tc.phase &&
      p.status?.observedGeneration === p.metadata.generation &&
      (tc.phase === 'Running' || !p.status?.conditions?.some((x) => x.type === 'Reconciling' && x.status === 'True'));
    const live: Pipeline = await waitForPipeline(c, ns.name, tc.name, `phase ${tc.phase}, settled`, settled, 90_000);
    if (process.env.CONVEYOR_CAPTURE_FIXTURES === '1') {
      const { managedFields: _m, ...metadata } = live.metadata as Record<string, unknown>;
      writeFileSync(
        join(REPO_ROOT, 'test/fixtures/status', `${tc.name}.json`),
        `${JSON.stringify({ ...live, metadata }, null, 2)}\n`,
      );
    }
    const argo = judge(luaHealth, [join(REPO_ROOT, 'deploy/argocd/health.lua')], live);
    const k = judge(kstatus, [], live);
    expect(argo.status, `Argo CD health of ${tc.name}: ${argo.message}`).toBe(tc.argo);
    expect(k.status, `kstatus of ${tc.name}: ${k.message}`).toBe(tc.kstatus);
  });
});
