// A Pipeline cache the webhook modules read, in memory: tests change Pipelines and the
// listeners hear of it as they would from the informer.
import type { Pipeline } from '../../../src/api/types.ts';
import type { PipelineChange, PipelineSource } from '../../../src/webhook/source.ts';

export function pipeline(
  name: string,
  extra: { annotations?: Record<string, string>; status?: Pipeline['status']; rv?: string; webhook?: unknown } = {},
): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      resourceVersion: extra.rv ?? '1',
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: {
      stages: [{ name: 's', image: 'busybox' }],
      ...(extra.webhook ? { triggers: { webhook: extra.webhook } } : {}),
    },
    ...(extra.status ? { status: extra.status } : {}),
  } as Pipeline;
}

export class FakeSource implements PipelineSource {
  readonly pipelines = new Map<string, Pipeline>();
  readonly requeued: string[] = [];
  private readonly listeners: PipelineChange[] = [];

  get(namespace: string, name: string): Pipeline | undefined {
    return this.pipelines.get(`${namespace}/${name}`);
  }
  list(): Pipeline[] {
    return [...this.pipelines.values()];
  }
  onChange(listener: PipelineChange): void {
    this.listeners.push(listener);
  }
  requeue(key: string): void {
    this.requeued.push(key);
  }
  /** As the watch delivers it. */
  set(p: Pipeline): void {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    const verb = this.pipelines.has(key) ? 'update' : 'add';
    this.pipelines.set(key, p);
    for (const l of this.listeners) l(p, verb);
  }
  delete(p: Pipeline): void {
    this.pipelines.delete(`${p.metadata.namespace}/${p.metadata.name}`);
    for (const l of this.listeners) l(p, 'delete');
  }
}
