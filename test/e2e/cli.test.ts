// The CLI against a live cluster, invoked as a user would: as the kubectl plugin
// (`kubectl conveyor ...`, found on PATH as kubectl-conveyor) and as `conveyor`.
import { execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../support/tools.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../src/api/labels.ts';
import {
  createPipeline,
  failsWith,
  installCrd,
  mergePatchPipeline,
  pipeline,
  waitForPipeline,
} from './support/pipelines.ts';

const exec = promisify(execFile);
const c: Clients = clients();
let ns: { name: string; cleanup: () => Promise<void> };
let operator: OperatorProcess;
// A directory holding kubectl-conveyor, as `npm install -g conveyor` would put it on PATH.
const pluginDir = mkdtempSync(join(tmpdir(), 'conveyor-plugin-'));
symlinkSync(join(REPO_ROOT, 'bin/conveyor.js'), join(pluginDir, 'kubectl-conveyor'));
// kubectl hands plugins its environment, not its flags: the plugin finds the cluster through
// $KUBECONFIG, as it would for a user.
const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  KUBECONFIG: inject('kubeconfig'),
  PATH: `${pluginDir}:${dirname(process.execPath)}:${process.env.PATH}`,
});

async function kubectl(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await exec(inject('kubectl'), args, { env: env() });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? 1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}
const plugin = (...args: string[]) => kubectl('conveyor', ...args, '-n', ns.name);

beforeAll(async () => {
  await installCrd(c);
  ns = await testNamespace(c, 'cli');
  operator = await startOperatorProcess('cli', ['--namespaces', ns.name]);
  const image = 'busybox:1.36';
  await createPipeline(
    c,
    ns.name,
    pipeline('report', {
      stages: [
        { name: 'extract', image },
        { name: 'load', image, dependsOn: ['extract'] },
      ],
    }),
  );
  await createPipeline(
    c,
    ns.name,
    pipeline('broken', {
      stages: [{ name: 'only', image, command: ['sh', '-c', 'exit 4'], podTemplate: failsWith(4) }],
      onFailure: [{ name: 'alert', image }],
    }),
  );
  await waitForPipeline(c, ns.name, 'report', 'report Succeeded', (p) => p.status?.phase === 'Succeeded');
  await waitForPipeline(c, ns.name, 'broken', 'broken Failed', (p) => p.status?.phase === 'Failed');
});
afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

describe('kubectl conveyor', () => {
  it('get lists pipelines with phase, progress and last run', async () => {
    const r = await plugin('get');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PHASE\s+PROGRESS\s+LAST RUN\s+TRIGGER\s+NEXT RUN\s+AGE$/);
    expect(lines.find((l) => l.startsWith('report'))).toMatch(/^report\s+Succeeded\s+2\/2\s+g1\s+create\s+<none>/);
    expect(lines.find((l) => l.startsWith('broken'))).toMatch(/^broken\s+Failed\s+0\/1\s+g1/);
  });

  it('describe draws the DAG with states and names the failure', async () => {
    const ok = await plugin('describe', 'report');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/✔ extract\s+Succeeded/);
    expect(ok.out).toMatch(/✔ load\s+Succeeded .*◀ extract/);
    const bad = await plugin('describe', 'broken');
    expect(bad.out).toContain('Condition:   Stalled=True StageFailed: stage "only" failed');
    expect(bad.out).toMatch(/✖ only\s+Failed/);
    expect(bad.out).toMatch(/✔ alert\s+Succeeded/);
  });

  it('describe shows a webhook, its deliveries, a run it started and the datasets', async () => {
    await createPipeline(
      c,
      ns.name,
      pipeline('hooked', {
        params: [{ name: 'commit' }],
        triggers: { webhook: { type: 'hmac', secretRef: { name: 'hook' }, params: [{ name: 'commit', from: '/id' }] } },
        stages: [
          {
            name: 'load',
            image: 'busybox:1.36',
            inputs: [{ namespace: 's3://raw', name: 'orders/$(params.commit)' }],
            outputs: [{ namespace: 'postgres://wh:5432', name: 'public.orders' }],
          },
        ],
      }),
    );
    // What the webhook receiver writes for a delivery it accepted (its run request); the operator
    // starts the run and records the delivery in status.webhook.deliveries.
    const request = 'webhook:e2e-d1';
    await mergePatchPipeline(c, ns.name, 'hooked', {
      metadata: {
        annotations: {
          [ANN_RUN_REQUESTED]: request,
          [ANN_RUN_OPTIONS]: JSON.stringify({ request, params: { commit: 'abc' } }),
        },
      },
    });
    const p = await waitForPipeline(
      c,
      ns.name,
      'hooked',
      'the delivery started a run that Succeeded',
      (x) => x.status?.webhook?.deliveries?.[0]?.outcome === 'Started' && x.status.lastRun?.phase === 'Succeeded',
    );
    const d = p.status!.webhook!.deliveries![0]!;
    const r = await plugin('describe', 'hooked');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toContain('Webhook:     hmac, Secret hook (key token), params commit ← /id');
    const header = lines.indexOf('Deliveries:');
    expect(lines[header + 1]).toMatch(/^ +TIME \(UTC\) +OUTCOME +RUN +MESSAGE$/);
    expect(lines[header + 2]).toBe(`             ${d.time}   Started   ${d.run}`);
    expect(r.out).toContain(`Run:         ${d.run} (webhook) Succeeded`);
    expect(lines).toContain('  load  reads   s3://raw  orders/$(params.commit)');
    expect(lines).toContain('        writes  postgres://wh:5432  public.orders');
  });

  it('graph prints DOT with live states', async () => {
    const r = await plugin('graph', 'report', '--format', 'dot');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('"extract" -> "load";');
    expect(r.out).toContain('fillcolor=palegreen');
  });

  it('run starts a manual run', async () => {
    const r = await plugin('run', 'report');
    expect(r.code, r.err).toBe(0);
    const p = await waitForPipeline(
      c,
      ns.name,
      'report',
      'a manual run Succeeded',
      (x) => x.status?.lastRun?.trigger === 'manual' && x.status?.phase === 'Succeeded',
    );
    expect(p.status?.runs?.length).toBe(2);
  });

  it('says clearly what is wrong', async () => {
    const missing = await plugin('describe', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(`pipeline "nope" not found in namespace "${ns.name}"`);
    const usage = await plugin('frobnicate');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('unknown command "frobnicate"');
  });
});
