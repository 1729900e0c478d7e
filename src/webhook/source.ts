// What the receiver needs, as small interfaces: its own Pipeline cache (pipeline-cache.ts, on every
// replica), and from the entry point (src/operator.ts) the controller's requeue and the event
// recorder, so this layer never imports the controller.
import type { Pipeline } from '../api/types.ts';

export type PipelineChange = (pipeline: Pipeline, verb: 'add' | 'update' | 'delete') => void;

/**
 * A Pipeline cache, read-only, and a way to ask for a reconcile. Its Pipelines may be slimmed to
 * what the receiver reads (pipeline-cache.ts slimForReceiver): no stages, no runs.
 */
export interface PipelineSource {
  get(namespace: string, name: string): Pipeline | undefined;
  list(): Pipeline[];
  /** Called after the cache took in a change of a Pipeline. */
  onChange(listener: PipelineChange): void;
  /** Asks for a reconcile of `namespace/name` (its status.webhook changed). */
  requeue(key: string): void;
}

/** A Kubernetes Event on a Pipeline (the operator's recorder: best effort, never blocks). */
export type EventEmitter = (pipeline: Pipeline, event: { type: 'Warning'; reason: string; message: string }) => void;

export const keyOf = (p: Pipeline): string => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
