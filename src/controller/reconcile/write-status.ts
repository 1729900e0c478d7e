// Writes a Pipeline's status subresource, only when it changed.
import type * as k8s from '@kubernetes/client-node';
import type { Pipeline, PipelineStatus } from '../../api/types.ts';
import { GROUP, PLURAL, VERSION } from '../../api/constants.ts';
import { jsonEqual } from '../json-equal.ts';

/** Drops undefined fields: the value as the API server would store it (for the request body). */
export function normalize<T>(value: T): T {
  return JSON.parse(JSON.stringify(value ?? {})) as T;
}

/** Whether the API server would store `after` differently from `before` (json-equal.ts: no copies). */
export function statusChanged(before: PipelineStatus | undefined, after: PipelineStatus): boolean {
  return !jsonEqual(before ?? {}, after ?? {});
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
