// The receiver's own Pipeline cache: a watch of the same namespaces and shard as the controller's,
// on every replica. The controller's informers run only on the leader, while the webhook Service
// routes to every pod; with its own cache a standby serves deliveries as the leader does (the
// writer's resourceVersion precondition keeps replicas from overwriting each other: writer.ts).
// Each Pipeline is kept only as far as the receiver reads it (slimForReceiver), so the copy the
// leader holds next to the controller's is small.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Pipeline } from '../api/types.ts';
import { ResilientInformer } from '../kube/informer.ts';
import { type CachedPipeline, pipelineWatch } from '../kube/pipeline-watch.ts';
import type { PipelineChange, PipelineSource } from './source.ts';

export interface PipelineCacheOptions {
  kc: k8s.KubeConfig;
  custom: k8s.CustomObjectsApi;
  /** Namespaces watched; empty: all (--namespaces). */
  namespaces: string[];
  /** The shard's label selector (--shard), as the controller's watch has it. */
  pipelineSelector?: string;
  /** Asks the controller for a reconcile: the leader's; a no-op on a standby (it reconciles nothing). */
  requeue: (key: string) => void;
  log: Logger;
}

/** What the annotation kubectl's client-side apply adds: a whole copy of the object, never read here. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * Keeps, in place, what the receiver, the request writer and the path index read: the metadata
 * (names, uid, resourceVersion, the run-request annotations), spec.params and
 * spec.triggers.webhook, status.lastRunRequest and status.webhook. The stages, runs and the rest
 * are dropped: a cached Pipeline here is not a whole Pipeline, and nothing reading it may expect one.
 */
export function slimForReceiver(p: Pipeline): void {
  const { [LAST_APPLIED]: _dropped, ...annotations } = p.metadata.annotations ?? {};
  if (p.metadata.annotations) p.metadata = { ...p.metadata, annotations };
  const spec = p.spec ?? {};
  const webhook = spec.triggers?.webhook;
  p.spec = {
    ...(spec.params ? { params: spec.params } : {}),
    ...(webhook ? { triggers: { webhook } } : {}),
  } as Pipeline['spec'];
  if (!p.status) return;
  const { lastRunRequest, webhook: received } = p.status;
  p.status = {
    ...(lastRunRequest !== undefined ? { lastRunRequest } : {}),
    ...(received ? { webhook: received } : {}),
  } as Pipeline['status'];
}

export class ReceiverPipelineCache implements PipelineSource {
  private readonly informers: ResilientInformer<CachedPipeline>[];
  private readonly listeners: PipelineChange[] = [];
  private readonly o: PipelineCacheOptions;
  private started: Promise<void> | undefined;
  private synced = false;

  constructor(o: PipelineCacheOptions) {
    this.o = o;
    const scopes: (string | undefined)[] = o.namespaces.length > 0 ? o.namespaces : [undefined];
    const log = o.log.child({ cache: 'webhook' });
    this.informers = scopes.map(
      (ns) =>
        new ResilientInformer<CachedPipeline>(
          o.kc,
          { ...pipelineWatch(o.custom, ns, o.pipelineSelector), slim: slimForReceiver },
          log,
          (p, verb) => this.changed(p, verb),
        ),
    );
  }

  /** Lists, then watches; resolves once every namespace is listed. Retries until the API answers. */
  start(): Promise<void> {
    this.started ??= Promise.all(this.informers.map((inf) => inf.start())).then(() => {
      this.synced = true;
    });
    return this.started;
  }

  /** True once the first list of every namespace is in: deliveries are served from then on. */
  hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((inf) => inf.stop()));
  }

  get(namespace: string, name: string): Pipeline | undefined {
    for (const inf of this.informers) {
      const found = inf.get(name, namespace);
      if (found) return found;
    }
    return undefined;
  }

  list(): Pipeline[] {
    return this.informers.flatMap((inf) => inf.list());
  }

  onChange(listener: PipelineChange): void {
    this.listeners.push(listener);
  }

  requeue(key: string): void {
    this.o.requeue(key);
  }

  private changed(p: Pipeline, verb: 'add' | 'update' | 'delete'): void {
    for (const listener of this.listeners) {
      try {
        listener(p, verb);
      } catch (err) {
        this.o.log.error({ err: err instanceof Error ? err.message : String(err) }, 'pipeline listener failed');
      }
    }
  }
}
