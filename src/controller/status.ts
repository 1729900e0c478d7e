// Writes a Pipeline's status subresource, only when it changed.
import { isDeepStrictEqual } from 'node:util';
import * as k8s from '@kubernetes/client-node';
import type { Pipeline, PipelineStatus } from '../api/types.ts';
import { GROUP, PLURAL, VERSION } from '../api/constants.ts';

/** Drops undefined fields so that comparison sees what the API server would store. */
export function normalize<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? {})) as T;
}

export function statusChanged(before: PipelineStatus | undefined, after: PipelineStatus): boolean {
  return !isDeepStrictEqual(normalize(before ?? {}), normalize(after));
}

export class StatusWriter {
  private readonly custom: k8s.CustomObjectsApi;

  constructor(custom: k8s.CustomObjectsApi) {
    this.custom = custom;
  }

  /**
   * Replaces .status as a whole, on the condition that the Pipeline is still the version the
   * plan was made from (its resourceVersion goes with the request): a write based on a stale
   * view answers 409 Conflict instead of overwriting a newer decision, and the caller plans
   * again from the newer object. Returns the updated object.
   */
  async write(pipeline: Pipeline, status: PipelineStatus): Promise<Pipeline> {
    const body = { ...pipeline, status: normalize(status) };
    return (await this.custom.replaceNamespacedCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      namespace: pipeline.metadata.namespace ?? 'default',
      plural: PLURAL,
      name: pipeline.metadata.name ?? '',
      body,
      fieldManager: 'conveyor',
    })) as Pipeline;
  }
}
