// The Console benchmark's cluster side: a fresh namespace holding N one-stage Pipelines, each
// given a status through the status subresource (no operator: the statuses are written here, so
// the figures are the Console's alone), the status updates the benchmark times, and the cleanup.
import * as k8s from '@kubernetes/client-node';
import type { Pipeline, PipelineStatus } from '../src/api/types.ts';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';

/** The label on the Pipelines whose status the benchmark changes (the overview filters on it). */
export const UPDATED_LABEL = 'conveyor-bench/updated';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** bench-0000, bench-0001, …: zero-padded so the overview's name order is the numeric order. */
export function pipelineNames(count: number): string[] {
  const width = String(count - 1).length;
  return Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(width, '0')}`);
}

export async function createNamespace(core: k8s.CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name, labels: { 'conveyor-bench': 'console' } } } });
}

/** Deletes the namespace and waits until it is gone, so the run leaves nothing behind. */
export async function deleteNamespace(core: k8s.CoreV1Api, name: string, timeoutMs = 180_000): Promise<boolean> {
  await core.deleteNamespace({ name }).catch(() => undefined);
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (
      await core.readNamespace({ name }).then(
        () => false,
        () => true,
      )
    )
      return true;
    await sleep(500);
  }
  return false;
}

function pipeline(name: string, updated: boolean): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name, labels: { [UPDATED_LABEL]: updated ? 'yes' : 'no' } },
    spec: { stages: [{ name: 'extract', image: 'busybox:1.36', command: ['true'] }] },
  };
}

/** A run as the operator would report it: Running (from creation) or Succeeded a little later. */
export function runStatus(phase: 'Running' | 'Succeeded', startTime: string): PipelineStatus {
  const done = phase === 'Succeeded';
  const run = {
    id: 'g1',
    trigger: 'create' as const,
    phase,
    generation: 1,
    startTime,
    ...(done ? { completionTime: new Date().toISOString() } : {}),
  };
  return { observedGeneration: 1, phase, progress: done ? '1/1' : '0/1', lastRun: run, runs: [run] };
}

export async function writeStatus(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
  status: PipelineStatus,
): Promise<void> {
  await custom.patchNamespacedCustomObjectStatus(
    { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  );
}

/** Creates the Pipelines (the first `updated` carry the label) and gives each a Running status. */
export async function createPipelines(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  names: string[],
  updated: number,
  concurrency: number,
): Promise<void> {
  const startTime = new Date().toISOString();
  await pool(
    names.map((name, i) => ({ name, i })),
    concurrency,
    async ({ name, i }) => {
      await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PLURAL,
        body: pipeline(name, i < updated),
      });
      await writeStatus(custom, namespace, name, runStatus('Running', startTime));
    },
  );
}
