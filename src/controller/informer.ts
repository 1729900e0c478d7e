// A watch-backed cache of one kind of object, kept alive across errors.
//
// client-node's informer stops on any watch or list error and never resyncs. This wrapper
// restarts it with exponential backoff: start() resumes the watch from the last resourceVersion,
// and the informer relists by itself when that version has expired (410 Gone). managedFields are
// stripped as objects enter the cache: they are large and Conveyor never reads them.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface InformerSpec<T extends k8s.KubernetesObject> {
  /** What is watched, for logs: "pipelines", "jobs", ... */
  kind: string;
  /** Watch path, e.g. /apis/batch/v1/jobs or /apis/batch/v1/namespaces/x/jobs. */
  path: string;
  list: () => Promise<k8s.KubernetesListObject<T>>;
  labelSelector?: string;
}

export type ChangeHandler<T> = (obj: T, verb: 'add' | 'update' | 'delete') => void;

const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export class ResilientInformer<T extends k8s.KubernetesObject> {
  private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private readonly spec: InformerSpec<T>;
  private readonly log: Logger;
  private backoffMs = BASE_BACKOFF_MS;
  private stopped = false;
  private synced = false;
  private restartTimer: NodeJS.Timeout | undefined;
  /** True once a list has succeeded: the cache holds a complete view. */
  private listed = false;
  /** While start() drives the first list itself, errors must not schedule a second restart. */
  private starting = false;

  constructor(kc: k8s.KubeConfig, spec: InformerSpec<T>, log: Logger, onChange: ChangeHandler<T>) {
    this.spec = spec;
    this.log = log.child({ informer: spec.kind });
    // client-node's start() does not throw when the list fails (it emits 'error' and returns),
    // so success is recorded here, where the list itself resolves.
    const list = async (): Promise<k8s.KubernetesListObject<T>> => {
      const result = await spec.list();
      this.listed = true;
      this.backoffMs = BASE_BACKOFF_MS;
      return result;
    };
    this.informer = k8s.makeInformer<T>(kc, spec.path, list, spec.labelSelector);
    const strip = (obj: T): T => {
      if (obj.metadata) delete obj.metadata.managedFields;
      return obj;
    };
    this.informer.on('add', (obj) => onChange(strip(obj), 'add'));
    this.informer.on('update', (obj) => onChange(strip(obj), 'update'));
    this.informer.on('delete', (obj) => onChange(obj, 'delete'));
    this.informer.on('error', (err) => {
      if (this.starting) {
        this.log.debug({ err: String(err) }, 'list failed during start');
        return;
      }
      this.restartLater(err);
    });
  }

  /** Lists, then watches. Resolves once the first list is in the cache (or on stop). */
  async start(): Promise<void> {
    while (!this.stopped) {
      this.starting = true;
      let failure: unknown;
      await this.informer.start().catch((err: unknown) => (failure = err));
      this.starting = false;
      if (this.listed) {
        this.synced = true;
        return;
      }
      const delay = this.nextBackoff();
      this.log.warn({ err: failure === undefined ? 'list failed' : String(failure), retryInMs: delay }, 'initial list failed; retrying');
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  hasSynced(): boolean {
    return this.synced;
  }

  list(namespace?: string): ReadonlyArray<T> {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  private restartLater(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = this.nextBackoff();
    this.log.warn({ err: String(err), retryInMs: delay }, 'watch failed; restarting');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.informer.start().catch((e: unknown) => this.restartLater(e));
    }, delay);
    this.restartTimer.unref();
  }

  private nextBackoff(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    return delay;
  }
}
