// Pipeline helpers for e2e tests: install the CRD, create and read Pipelines, wait on status.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import type { Pipeline, PipelineSpec, StageSpec } from '../../../src/api/types.ts';
import { GROUP, PLURAL, VERSION } from '../../../src/api/constants.ts';
import { ANN_CANCEL_REQUESTED } from '../../../src/api/labels.ts';
import { applyCrd, waitEstablished } from '../../../src/kube/crd.ts';
import { waitFor, type Clients } from './kube.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
export const CRD_FILE = `${root}/crds/conveyor.dev_pipelines.yaml`;

/** Applies the generated CRD (server-side apply) and waits until it is Established. */
export async function installCrd(c: Clients): Promise<void> {
  const crd = parse(readFileSync(CRD_FILE, 'utf8')) as k8s.V1CustomResourceDefinition;
  await applyCrd(c.kc, crd, 'conveyor-e2e');
  await waitEstablished(c.kc, crd.metadata!.name!);
}

/** A busybox stage that echoes its name; `extra` adds dependsOn, podTemplate, ... */
export function stage(name: string, extra: Partial<StageSpec> = {}): StageSpec {
  return { name, image: 'busybox:1.36', command: ['sh', '-c', `echo ${name}`], ...extra };
}

export function pipeline(name: string, spec: PipelineSpec, annotations?: Record<string, string>): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

export async function createPipeline(c: Clients, namespace: string, p: Pipeline): Promise<Pipeline> {
  return (await c.custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    body: p,
  })) as Pipeline;
}

export async function getPipeline(c: Clients, namespace: string, name: string): Promise<Pipeline> {
  return (await c.custom.getNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
    name,
  })) as Pipeline;
}

export async function mergePatchPipeline(
  c: Clients,
  namespace: string,
  name: string,
  patch: object,
): Promise<Pipeline> {
  return (await c.custom.patchNamespacedCustomObject(
    { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: patch },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as Pipeline;
}

/** Waits until the Pipeline satisfies `check`; the error shows its last status. */
export async function waitForPipeline(
  c: Clients,
  namespace: string,
  name: string,
  what: string,
  check: (p: Pipeline) => boolean,
  timeoutMs = 120_000,
): Promise<Pipeline> {
  let last: Pipeline | undefined;
  try {
    return await waitFor(what, timeoutMs, async () => {
      last = await getPipeline(c, namespace, name);
      return check(last) ? last : undefined;
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast status: ${JSON.stringify(last?.status, null, 1)}`);
  }
}

let markers = 0;

/**
 * Waits until the operator has reconciled the Pipeline after this call: it records a fresh cancel
 * request as handled (status.lastCancelRequest). With no active run, a cancel changes nothing but
 * that field (and a CancelRefused Event), so a test that something did NOT happen waits for this
 * proof of a later reconcile, then asserts the absence, instead of sleeping a fixed time.
 */
export async function reconciledSince(c: Clients, namespace: string, name: string): Promise<Pipeline> {
  const marker = `e2e-marker-${Date.now()}-${++markers}`;
  await mergePatchPipeline(c, namespace, name, { metadata: { annotations: { [ANN_CANCEL_REQUESTED]: marker } } });
  const handled = (p: Pipeline) => p.status?.lastCancelRequest === marker;
  return waitForPipeline(c, namespace, name, `the cancel marker ${marker} handled`, handled);
}

export function condition(p: Pipeline, type: string): { status: string; reason: string; message: string } | undefined {
  return p.status?.conditions?.find((x) => x.type === type);
}

/** Jobs of a pipeline's stages, by the Conveyor labels. */
export async function stageJobs(c: Clients, namespace: string, pipelineName: string): Promise<k8s.V1Job[]> {
  const list = await c.batch.listNamespacedJob({ namespace, labelSelector: `conveyor.dev/pipeline=${pipelineName}` });
  return list.items;
}

/** A podTemplate that makes a stage run for `seconds` on KWOK (and with real containers). */
export function runsFor(seconds: number): Record<string, unknown> {
  return { metadata: { annotations: { 'kwok.conveyor.dev/run-duration': `${seconds}s` } } };
}

/** A podTemplate that makes a stage's pod fail with `code`. */
export function failsWith(code: number): Record<string, unknown> {
  return { metadata: { annotations: { 'kwok.conveyor.dev/fail-exit-code': String(code) } } };
}
