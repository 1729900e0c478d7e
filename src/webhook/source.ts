// What the receiver needs from the operator, as small interfaces: the entry point (src/operator.ts)
// wires them to the controller's Pipeline cache and event recorder, so this layer never imports
// the controller.
import type { Pipeline } from '../api/types.ts';

export type PipelineChange = (pipeline: Pipeline, verb: 'add' | 'update' | 'delete') => void;

/** The operator's Pipeline cache (its informers), read-only, and a way to ask for a reconcile. */
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
