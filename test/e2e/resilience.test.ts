// The operator survives its API server crashing: kube-apiserver is killed (SIGKILL) mid-run and
// started again; every watch fails, is restarted (relisting), and the work goes on: the run in
// flight finishes, a Pipeline created after the outage runs, finished work is not redone.
// Only on the local cluster, whose API server this test can restart.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterScript } from '../../hack/cluster-script.ts';
import { clients, onKwok, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import { createPipeline, installCrd, pipeline, runsFor, stageJobs, waitForPipeline } from './support/pipelines.ts';

const local = onKwok() && !process.env.E2E_KUBECONFIG;
const c: Clients = clients();
let ns: { name: string; cleanup: () => Promise<void> };
let operator: OperatorProcess;
const image = 'busybox:1.36';

beforeAll(async () => {
  if (!local) return;
  await installCrd(c);
  ns = await testNamespace(c, 'outage');
  operator = await startOperatorProcess('resilience', ['--namespaces', ns.name]);
});
afterAll(async () => {
  await operator?.stop();
  await ns?.cleanup();
});

describe('API server crash', () => {
  it.runIf(local)(
    'finishes the run in flight and picks up new work after kube-apiserver restarts',
    async () => {
      await createPipeline(c, ns.name, pipeline('finished', { stages: [{ name: 'one', image }] }));
      await waitForPipeline(c, ns.name, 'finished', 'phase Succeeded', (p) => p.status?.phase === 'Succeeded');
      await createPipeline(
        c,
        ns.name,
        pipeline('inflight', {
          stages: [
            { name: 'long', image, command: ['sleep', '20'], podTemplate: runsFor(20) },
            { name: 'next', image, dependsOn: ['long'] },
          ],
        }),
      );
      await waitFor('stage long running', 60_000, async () => (await stageJobs(c, ns.name, 'inflight')).length > 0);

      clusterScript(['restart-apiserver', '3']);

      // Seen only if the Pipeline watch came back; its second stage only if the Job watch did.
      await createPipeline(
        c,
        ns.name,
        pipeline('new', {
          stages: [
            { name: 'a', image },
            { name: 'b', image, dependsOn: ['a'] },
          ],
        }),
      );
      const inflight = await waitForPipeline(
        c,
        ns.name,
        'inflight',
        'the run in flight Succeeded',
        (p) => p.status?.phase === 'Succeeded',
        150_000,
      );
      expect(inflight.status?.progress).toBe('2/2');
      const created = await waitForPipeline(
        c,
        ns.name,
        'new',
        'the new Pipeline Succeeded',
        (p) => p.status?.phase === 'Succeeded',
        150_000,
      );
      expect(created.status?.progress).toBe('2/2');
      for (const name of ['finished', 'inflight', 'new']) {
        const jobs = await stageJobs(c, ns.name, name);
        const stages = jobs.map((j) => j.metadata?.labels?.['conveyor.dev/stage']);
        expect(new Set(stages).size, `one Job per stage of ${name}: ${stages.join(', ')}`).toBe(stages.length);
      }
      const finished = await waitForPipeline(
        c,
        ns.name,
        'finished',
        'still Succeeded',
        (p) => p.status?.phase === 'Succeeded',
      );
      expect(finished.status?.lastRun?.id).toBe('g1');
      expect(finished.status?.runs?.length).toBe(1);
      // The watches failed and were restarted while the operator kept running.
      expect(operator.child.exitCode).toBeNull();
      expect(readFileSync(operator.logFile, 'utf8')).toContain('watch failed; restarting');
    },
    240_000,
  );
});
