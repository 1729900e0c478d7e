// A watch-backed cache of one kind of object, kept alive across errors.
//
// client-node's informer stops on any watch or list error and never resyncs. This wrapper
// restarts it with exponential backoff: start() resumes the watch from the last resourceVersion,
// and the informer relists by itself when that version has expired (410 Gone).
//
// Memory: managedFields are stripped as objects enter the cache (large, never read; the metadata
// is copied without them, not deleted from: see withoutManagedFields), a spec
// may slim each object further (keep only the fields its readers use), and recurring string
// values are shared (string-pool.ts). A list is read in pages
// (LIST_PAGE_SIZE objects each, limit/continue) and each page is slimmed before the next is
// fetched: one unpaginated list of 50,000 Jobs is a ~200 MB response body held in full, twice
// (text and parsed), next to the objects it becomes.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { cachePool } from './string-pool.ts';

/** One page of a list: pass both to the API's list call as `limit` and `_continue`. */
export interface ListPage {
  limit: number;
  _continue?: string;
}

export interface InformerSpec<T extends k8s.KubernetesObject> {
  /** What is watched, for logs: "pipelines", "jobs", ... */
  kind: string;
  /** Watch path, e.g. /apis/batch/v1/jobs or /apis/batch/v1/namespaces/x/jobs. */
  path: string;
  /**
   * One page of the list. A list that ignores `page` (returns no continue token) is read in one
   * request, as before.
   */
  list: (page?: ListPage) => Promise<k8s.KubernetesListObject<T>>;
  labelSelector?: string;
  /** Drops, in place, what no reader of the cache uses. Runs once per object on arrival. */
  slim?: (obj: T) => void;
  /** Objects per list page; LIST_PAGE_SIZE when unset. */
  pageSize?: number;
  /**
   * A list that started at `startedAt` (Date.now()) is in the cache: what existed then is in it or
   * gone. Called after the informer has applied the list (its adds and deletes delivered).
   */
  onListed?: (startedAt: number) => void;
}

/** Objects per list request: small enough that a page's body is a few MB, large enough to be few. */
export const LIST_PAGE_SIZE = 500;

export type ChangeHandler<T> = (obj: T, verb: 'add' | 'update' | 'delete') => void;

const BASE_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

export class ResilientInformer<T extends k8s.KubernetesObject> {
  private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
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
    this.log = log.child({ informer: spec.kind });
    // client-node's start() does not throw when the list fails (it emits 'error' and returns),
    // so success is recorded here, where the list itself resolves.
    // CONVEYOR_DEBUG_FULL_CACHE=1: whole objects, one list request (the benchmark's "before").
    const lean = process.env.CONVEYOR_DEBUG_FULL_CACHE !== '1';
    const strip = (obj: T): T => {
      if (obj.metadata?.managedFields) obj.metadata = withoutManagedFields(obj.metadata);
      if (!lean) return obj;
      spec.slim?.(obj);
      // Recurring strings (namespace, labels, times, condition texts) held once (string-pool.ts).
      return cachePool.internAll(obj);
    };
    // A listed object is stripped with its page, then handed to 'add' (or 'update') once more:
    // walking it twice cost as much CPU again in a cold restart (50,000 Jobs slimmed and interned
    // twice). Weak, so a listed object the cache did not keep leaves no entry behind.
    const strippedInList = new WeakSet<T>();
    const stripListed = (obj: T): T => {
      strippedInList.add(obj);
      return strip(obj);
    };
    const arrived = (obj: T): T => (strippedInList.delete(obj) ? obj : strip(obj));
    const list = async (): Promise<k8s.KubernetesListObject<T>> => {
      const startedAt = Date.now();
      const result = lean ? await listInPages(spec.list, stripListed, spec.pageSize) : await spec.list();
      this.listed = true;
      this.backoffMs = BASE_BACKOFF_MS;
      // client-node applies the list to its cache synchronously once this promise resolves, in a
      // microtask; setImmediate runs after every microtask, so after the cache holds the list.
      const { onListed } = spec;
      if (onListed) setImmediate(() => onListed(startedAt));
      return result;
    };
    this.informer = k8s.makeInformer<T>(kc, spec.path, list, spec.labelSelector);
    this.informer.on('add', (obj) => onChange(arrived(obj), 'add'));
    this.informer.on('update', (obj) => onChange(arrived(obj), 'update'));
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
      this.log.warn(
        { err: failure === undefined ? 'list failed' : String(failure), retryInMs: delay },
        'initial list failed; retrying',
      );
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

/**
 * A copy of `metadata` without managedFields. Not `delete`: deleting a property turns a V8 object
 * into a hash table of its properties, and every cached object's metadata was one: 1.5 KB of heap
 * per slimmed Job instead of 0.8 KB (35 MiB more for 50,000 Jobs).
 */
export function withoutManagedFields(metadata: k8s.V1ObjectMeta): k8s.V1ObjectMeta {
  const { managedFields: _dropped, ...kept } = metadata;
  return kept;
}

/**
 * Reads every page of a list, slimming each page's objects before fetching the next. The pages
 * of one list are one consistent snapshot; the last page's resourceVersion is the snapshot's, the
 * one to watch from. An expired continue token (410) fails the list like any other error, and the
 * informer lists again from the start.
 */
export async function listInPages<T extends k8s.KubernetesObject>(
  list: (page: ListPage) => Promise<k8s.KubernetesListObject<T>>,
  slim: (obj: T) => T,
  limit = LIST_PAGE_SIZE,
): Promise<k8s.KubernetesListObject<T>> {
  const items: T[] = [];
  let page = await list({ limit });
  for (;;) {
    for (const item of page.items) items.push(slim(item));
    // Typed lists (client-node's models) call it _continue; custom objects come as the server's JSON.
    const token = page.metadata?._continue ?? (page.metadata as { continue?: string } | undefined)?.continue;
    if (!token) return { ...page, items };
    page = await list({ limit, _continue: token });
  }
}
