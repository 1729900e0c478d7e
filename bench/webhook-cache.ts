// Micro-benchmark of the webhook receiver's own Pipeline cache (src/webhook/pipeline-cache.ts):
// the JS heap its copy of N Pipelines takes, alone and next to the controller's cache as on the
// leader (strings are pooled across both: kube/string-pool.ts). Each Pipeline is parsed from the
// JSON the API server would send and goes through what the informer does on arrival (managedFields
// stripped, slimmed, interned). Run: `node --expose-gc bench/webhook-cache.ts [N]` (Node >= 23.6,
// default N 1,000). No cluster. Nothing is asserted: what the slim keeps is a unit test
// (test/unit/webhook/pipeline-cache.test.ts), not this.
import { slimPipeline } from '../src/controller/cache/drop-unread-fields.ts';
import { withoutManagedFields } from '../src/kube/informer.ts';
import { cachePool } from '../src/kube/string-pool.ts';
import { slimForReceiver } from '../src/webhook/pipeline-cache.ts';

const N = Number(process.argv[2] ?? 1000);
const T = '2026-12-06T10:00:00Z';

/** A Pipeline of 10 stages with a webhook, 10 runs and 10 deliveries in status, applied by kubectl. */
function pipelineJson(i: number): string {
  const stages = Array.from({ length: 10 }, (_, s) => ({
    name: `stage-${s}`,
    image: 'registry.example.com/etl/loader:1.4.2',
    command: ['python', '-m', 'loader'],
    args: ['--table', `t${s}`, '--date', '$(run.logicalDate)'],
    env: [{ name: 'MODE', value: 'full' }],
    resources: { requests: { cpu: '100m', memory: '256Mi' } },
    ...(s ? { dependsOn: [`stage-${s - 1}`] } : {}),
  }));
  const spec = {
    params: [{ name: 'commit', default: '' }],
    triggers: { webhook: { type: 'github', secretRef: { name: 'gh' }, params: [{ name: 'commit', from: '/after' }] } },
    concurrencyPolicy: 'Allow',
    stages,
  };
  const stageStatus = stages.map((s) => ({ name: s.name, phase: 'Succeeded', startTime: T, completionTime: T }));
  const run = (r: number) => ({
    id: `w${i}x${r}`,
    phase: 'Succeeded',
    trigger: 'webhook',
    startTime: T,
    completionTime: T,
    params: { commit: `c${i}-${r}` },
    stages: stageStatus,
  });
  return JSON.stringify({
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: {
      name: `p${i}`,
      namespace: `team-${i % 20}`,
      uid: `uid-${i}`,
      resourceVersion: String(1000 + i),
      generation: 3,
      creationTimestamp: T,
      annotations: {
        'conveyor.dev/run-requested': `webhook:d-${i}`,
        'conveyor.dev/run-options': `{"request":"webhook:d-${i}"}`,
        'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec }),
      },
      managedFields: [{ manager: 'kubectl', operation: 'Update', time: T, fieldsType: 'FieldsV1', fieldsV1: {} }],
    },
    spec,
    status: {
      phase: 'Succeeded',
      lastRunRequest: `webhook:d-${i}`,
      lastRun: run(0),
      runs: Array.from({ length: 10 }, (_, r) => run(r)),
      webhook: {
        path: `/hook/${i.toString(16).padStart(64, '0')}`,
        deliveries: Array.from({ length: 10 }, (_, d) => ({ id: `d-${i}-${d}`, time: T, outcome: 'Started' })),
      },
    },
  });
}

type Slim = (p: never) => void;
const cached = (texts: string[], slim: Slim): unknown[] =>
  texts.map((text) => {
    const p = JSON.parse(text);
    p.metadata = withoutManagedFields(p.metadata);
    slim(p as never);
    return cachePool.internAll(p);
  });

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heapMiB = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

const texts = Array.from({ length: N }, (_, i) => pipelineJson(i));
const held: unknown[][] = [];
const start = heapMiB();
held.push(cached(texts, slimPipeline as Slim));
const controller = heapMiB();
held.push(cached(texts, slimForReceiver as Slim));
const both = heapMiB();
const kb = (mib: number) => ((mib * 1024) / N).toFixed(1);
console.log(`${N} Pipelines, ${(texts.join('').length / N / 1024).toFixed(1)} KB of JSON each`);
console.log(`controller's cache: ${(controller - start).toFixed(1)} MiB (${kb(controller - start)} KB each)`);
console.log(`receiver's cache next to it: +${(both - controller).toFixed(1)} MiB (${kb(both - controller)} KB each)`);
console.log(`held: ${held.flat().length} objects, RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
