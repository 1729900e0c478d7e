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
   * Replaces .status as a whole with a JSON patch: Conveyor is the only writer of status and
   * never reconciles one Pipeline twice at once, so a whole replacement is both simple and
   * exact (fields that disappeared are removed). Returns the updated object.
   */
  async write(pipeline: Pipeline, status: PipelineStatus): Promise<Pipeline> {
    const body = [{ op: 'add', path: '/status', value: normalize(status) }];
    return (await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: pipeline.metadata.namespace ?? 'default',
        plural: PLURAL,
        name: pipeline.metadata.name ?? '',
        body,
        fieldManager: 'conveyor',
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    )) as Pipeline;
  }
}
