// Wires observe → queue → reconcile: informers on Pipelines and on the objects Conveyor manages
// (Jobs, CronJobs, claims, ControllerRevisions) feed the owner indexes and, through the wake
// filters (wake-filters.ts), a work queue keyed by Pipeline; workers reconcile one Pipeline at a
// time (reconcile/reconciler.ts). Nothing here decides anything about a Pipeline: the indexes hold
// what the watch delivered, and the one memory shared with the reconciler is its
// PendingObservations, which the watch tells of the created Jobs it delivers.
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Pipeline } from '../../api/types.ts';
import { GROUP, KIND } from '../../api/constants.ts';
import type { KubeApis } from '../../kube/client.ts';
import { ANN_PIPELINE_NAME, LABEL_PIPELINE, MANAGED_BY, MANAGED_BY_VALUE } from '../../api/labels.ts';
import { ResilientInformer } from '../../kube/informer.ts';
import { type CachedPipeline, pipelineWatch } from '../../kube/pipeline-watch.ts';
import { listAsJson } from '../../kube/json-list.ts';
import { DownstreamIndex } from '../cache/downstream-index.ts';
import { jobUnchangedForPlanner, LastDelivered, pipelineChangeWakes, unchangedForReaders } from './wake-filters.ts';
import { shareSpec } from '../cache/revision-spec-share.ts';
import { slimJob, slimPipeline } from '../cache/drop-unread-fields.ts';
import { timings, type WokenBy } from './timings.ts';
import { WorkQueue } from './work-queue.ts';
import { Reconciler } from '../reconcile/reconciler.ts';
import type { ClusterView, NotifiedLookup, WebhookFacts } from '../reconcile/gather.ts';
import { PendingObservations } from '../reconcile/pending-observations.ts';
import { OwnerIndex } from '../cache/owner-index.ts';
import { ActionExecutor } from '../reconcile/execute.ts';
import { StatusWriter } from '../reconcile/write-status.ts';
import type { EventSelection } from '../../config.ts';
import { EventRecorder } from '../reconcile/event-recorder.ts';

export interface ControllerOptions {
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  workers: number;
  resyncSeconds: number;
  /** Identity shown on Events (host or pod name). */
  identity: string;
  /** Which Events are written (`--events`); default all. */
  events?: EventSelection;
  /**
   * Label selector of the Pipeline watch: the shard this instance is (docs/operations.md, "Shards"). Unset:
   * every Pipeline. Jobs and the rest are watched in full; those of Pipelines outside the
   * selection are ignored.
   */
  pipelineSelector?: string;
  onProcessed?: (key: string, durationMs: number, error?: unknown) => void;
  /**
   * Sees every Pipeline the watch delivers, after the caches took it, with the one the watch
   * delivered before it (undefined for the first): the lifecycle notifier (src/notify). Called on
   * the watch's thread: it must only note and queue, never wait.
   */
  observePipeline?: (pipeline: Pipeline, verb: Verb, before: Pipeline | undefined) => void;
  /** What the lifecycle notifier says of a Pipeline's runs, for the planner (reconcile/gather.ts). */
  notified?: NotifiedLookup;
  /** What the webhook receiver knows of a Pipeline's webhook (gather.ts WebhookFacts); unset: nothing. */
  webhookFacts?: (pipeline: Pipeline) => WebhookFacts | undefined;
}

type AnyInformer = ResilientInformer<k8s.KubernetesObject>;
/** What an informer says happened to an object. */
export type Verb = 'add' | 'update' | 'delete';

const MANAGED = `${MANAGED_BY}=${MANAGED_BY_VALUE}`;

/**
 * Jobs per list page. A Job's JSON is 2–10 KB (mostly its pod template, dropped by cache/drop-unread-fields.ts once
 * parsed), so a page is a 4–20 MB body, held with its parse only until the page is slimmed: the
 * peak stays bounded, and 50,000 Jobs take 25 requests one after another instead of 100 at 500.
 */
export const JOB_LIST_PAGE_SIZE = 2000;

/**
 * Pipelines and revisions per list page: 10 requests one after another for 10,000 instead of 20
 * at 500. Not 2,000 like Jobs: nothing is dropped from them once parsed, and a 200-stage spec is
 * tens of KB, so a page is 2–5 MB for typical Pipelines and stays bounded for large ones.
 */
export const PIPELINE_LIST_PAGE_SIZE = 1000;

/** One kind of object Conveyor creates: where to watch it and which owner index it feeds. */
type ManagedKind<T extends k8s.KubernetesObject> = {
  kind: 'jobs' | 'cronjobs' | 'claims' | 'revisions';
  apiPath: string;
  resource: string;
  /** Objects per list page (kube/informer.ts LIST_PAGE_SIZE when unset). */
  pageSize?: number;
  slim?: (obj: T) => void;
  /** A list started at `startedAt` is in the cache (kube/informer.ts onListed). */
  onListed?: (startedAt: number) => void;
};

export class Controller {
  private readonly log: Logger;
  private readonly queue: WorkQueue;
  private readonly pipelines: ResilientInformer<CachedPipeline>[] = [];
  private readonly jobs: ResilientInformer<k8s.V1Job>[] = [];
  private readonly claims: ResilientInformer<k8s.V1PersistentVolumeClaim>[] = [];
  private readonly cronJobs: ResilientInformer<k8s.V1CronJob>[] = [];
  /** The pinned spec of each Pipeline generation that a run may still need. */
  private readonly revisions: ResilientInformer<k8s.V1ControllerRevision>[] = [];
  private readonly options: ControllerOptions;
  private resyncTimer: NodeJS.Timeout | undefined;
  private readonly events: EventRecorder;
  private synced = false;
  private readonly syncedPromise: Promise<void>;
  private markSynced: () => void = () => {};

  /**
   * What the cache cannot show yet (reconcile/pending-observations.ts): the reconciler's, shared
   * here because the watch tells it which created Jobs it delivered.
   */
  private readonly pending = new PendingObservations();
  /** Managed objects of each kind by their controller's uid (see cache/owner-index.ts), fed by the watch alone. */
  private readonly owners = {
    jobs: new OwnerIndex<k8s.V1Job>(),
    cronjobs: new OwnerIndex<k8s.V1CronJob>(),
    claims: new OwnerIndex<k8s.V1PersistentVolumeClaim>(),
    revisions: new OwnerIndex<k8s.V1ControllerRevision>(),
  };

  /** The Pipelines chained after each Pipeline (see cache/downstream-index.ts). */
  private readonly downstream = new DownstreamIndex();

  /** Each Pipeline as the watch delivered it last: the "before" of the wake filter (wake-filters.ts). */
  private readonly lastPipelines = new LastDelivered<CachedPipeline>();

  constructor(apis: KubeApis, log: Logger, options: ControllerOptions) {
    this.log = log;
    this.options = options;
    this.syncedPromise = new Promise((resolve) => (this.markSynced = resolve));
    const scopes: (string | undefined)[] = options.namespaces.length > 0 ? options.namespaces : [undefined];
    for (const ns of scopes) this.watch(apis, ns);
    this.events = new EventRecorder(apis.core, log, options.identity, options.events ?? 'all');
    this.queue = this.workQueue(this.reconciler(apis));
  }

  /** The informers of one namespace (or of all, `ns` undefined). */
  private watch(apis: KubeApis, ns: string | undefined): void {
    this.pipelines.push(this.pipelineInformer(apis, ns));
    const managed = <T extends k8s.KubernetesObject>(what: ManagedKind<T>) => this.managedInformer(apis, ns, what);
    this.cronJobs.push(managed<k8s.V1CronJob>({ kind: 'cronjobs', apiPath: '/apis/batch/v1', resource: 'cronjobs' }));
    // Jobs are the bulk of the caches: only the fields the planner reads are kept (cache/drop-unread-fields.ts), and
    // they are listed in pages of JOB_LIST_PAGE_SIZE.
    this.jobs.push(
      managed<k8s.V1Job>({
        kind: 'jobs',
        apiPath: '/apis/batch/v1',
        resource: 'jobs',
        pageSize: JOB_LIST_PAGE_SIZE,
        slim: slimJob,
        // A list settles the Jobs this operator expected before it began (reconcile/expected-jobs.ts).
        onListed: (startedAt) => this.pending.jobsListed(ns, startedAt),
      }),
    );
    this.claims.push(
      managed<k8s.V1PersistentVolumeClaim>({ kind: 'claims', apiPath: '/api/v1', resource: 'persistentvolumeclaims' }),
    );
    // A revision deleted by someone else wakes its Pipeline too (enqueueOwner), so the planner
    // sees at once that a run's pinned spec is gone.
    // A revision of the current generation shares its Pipeline's spec object (cache/revision-spec-share.ts).
    const shareWithOwner = (rev: k8s.V1ControllerRevision) => void shareSpec(rev, this.ownerPipeline(rev));
    this.revisions.push(
      managed<k8s.V1ControllerRevision>({
        kind: 'revisions',
        apiPath: '/apis/apps/v1',
        resource: 'controllerrevisions',
        pageSize: PIPELINE_LIST_PAGE_SIZE,
        slim: shareWithOwner,
      }),
    );
  }

  private pipelineInformer(apis: KubeApis, ns: string | undefined): ResilientInformer<CachedPipeline> {
    return new ResilientInformer<CachedPipeline>(
      apis.kc,
      {
        ...pipelineWatch(apis.custom, ns, this.options.pipelineSelector),
        pageSize: PIPELINE_LIST_PAGE_SIZE,
        slim: slimPipeline,
      },
      this.log,
      (p, verb) => this.onPipeline(p, verb),
    );
  }

  /**
   * A Pipeline event wakes its own reconcile only when it can change the decision (wake-filters.ts);
   * any event may start the Pipelines chained after it. 'delete' is also a Pipeline relabelled to
   * another shard, leaving this watch: the reconcile then finds it gone from the cache and only
   * forgets it (no writes, no deletions; the garbage collector alone removes what a truly deleted
   * Pipeline owned).
   */
  private onPipeline(p: CachedPipeline, verb: Verb): void {
    const before = this.lastPipelines.swap(p, verb);
    if (verb === 'delete') this.queue.forget(`${p.metadata.namespace}/${p.metadata.name}`);
    const wakes = verb === 'delete' || pipelineChangeWakes(before, p);
    if (wakes) this.enqueue(p.metadata.namespace, p.metadata.name, 'pipeline');
    this.downstream.update(p, verb);
    // Revisions listed before their Pipeline share its spec now (cache/revision-spec-share.ts).
    if (verb !== 'delete') for (const rev of this.owners.revisions.owned(p.metadata.uid)) shareSpec(rev, p);
    this.enqueueDownstream(p);
    this.options.observePipeline?.(p, verb, before);
  }

  /** What Conveyor created, selected by its managed-by label; changes wake the owning Pipeline. */
  private managedInformer<T extends k8s.KubernetesObject>(
    apis: KubeApis,
    ns: string | undefined,
    what: ManagedKind<T>,
  ): ResilientInformer<T> {
    const { kind, apiPath, resource } = what;
    return new ResilientInformer<T>(
      apis.kc,
      {
        kind,
        path: ns ? `${apiPath}/namespaces/${ns}/${resource}` : `${apiPath}/${resource}`,
        labelSelector: MANAGED,
        // The server's JSON, as the watch delivers it (json-list.ts), not client-node's models.
        list: (page) =>
          listAsJson<T>(
            apis.custom,
            { apiPath, resource, labelSelector: MANAGED, ...(ns ? { namespace: ns } : {}) },
            page,
          ),
        ...(what.pageSize ? { pageSize: what.pageSize } : {}),
        ...(what.slim ? { slim: what.slim } : {}),
        ...(what.onListed ? { onListed: what.onListed } : {}),
      },
      this.log,
      (obj, verb) => this.onManaged(kind, obj, verb),
    );
  }

  /** A managed object's event feeds its owner index, then wakes its Pipeline unless it is news to nobody. */
  private onManaged<T extends k8s.KubernetesObject>(kind: ManagedKind<T>['kind'], obj: T, verb: Verb): void {
    const index = this.owners[kind] as OwnerIndex<T>;
    const before = verb === 'update' ? index.current(obj) : undefined;
    index.update(obj, verb);
    // The watch echoing a Job this operator just created tells its reconcile nothing new.
    if (verb === 'add' && this.pending.jobObserved(obj.metadata?.namespace, obj.metadata?.name)) return;
    // Nor does an update of nothing the cache keeps, or for a Job nothing the planner reads (wake-filters.ts).
    if (
      before &&
      before !== obj &&
      (kind === 'jobs'
        ? jobUnchangedForPlanner(before as k8s.V1Job, obj as k8s.V1Job)
        : unchangedForReaders(before, obj))
    )
      return;
    this.enqueueOwner(obj, kind === 'jobs' ? 'job' : 'other');
  }

  /** What gathering reads: the Pipeline caches and the owner indexes. */
  private clusterView(): ClusterView {
    return {
      pipeline: (namespace, name) => this.cachedPipeline(namespace, name),
      pipelines: (namespace) => this.pipelines.flatMap((inf) => inf.list(namespace)),
      jobsOwnedBy: (uid) => this.owners.jobs.owned(uid),
      cronJobsOwnedBy: (uid) => this.owners.cronjobs.owned(uid),
      claimsOwnedBy: (uid) => this.owners.claims.owned(uid),
      revisionsOwnedBy: (uid) => this.owners.revisions.owned(uid),
      ...(this.options.webhookFacts ? { webhook: this.options.webhookFacts } : {}),
    };
  }

  private reconciler(apis: KubeApis): Reconciler {
    return new Reconciler({
      view: this.clusterView(),
      pending: this.pending,
      executor: new ActionExecutor(apis, (namespace, name) => this.pending.jobCreated(namespace, name)),
      statusWriter: new StatusWriter(apis.custom),
      events: this.events,
      log: this.log,
      // A dropped deferred status write (reconciler.ts) is planned again soon.
      requeue: (key, ms) => this.queue.addAfter(key, ms),
      ...(this.options.notified ? { notified: this.options.notified } : {}),
    });
  }

  private workQueue(reconciler: Reconciler): WorkQueue {
    return new WorkQueue(
      async (key) => {
        // Nothing is decided on a partial view: wait until every cache has its first list.
        await this.syncedPromise;
        return timings.run(key, () => reconciler.reconcile(key));
      },
      {
        concurrency: this.options.workers,
        onProcessed: (key, ms, err) => {
          if (err)
            this.log.warn(
              { pipeline: key, err: err instanceof Error ? err.message : String(err) },
              'reconcile failed; will retry',
            );
          this.options.onProcessed?.(key, ms, err);
        },
      },
    );
  }

  async start(): Promise<void> {
    await Promise.all(this.informers().map((inf) => inf.start()));
    this.synced = true;
    this.markSynced();
    this.log.info(
      { namespaces: this.options.namespaces.length ? this.options.namespaces : 'all' },
      'caches synced; reconciling',
    );
    // client-node informers have no resync: reconcile everything periodically as a safety net.
    this.resyncTimer = setInterval(() => this.resyncAll(), this.options.resyncSeconds * 1000);
    this.resyncTimer.unref();
  }

  ready(): boolean {
    return this.synced;
  }

  queueDepth(): number {
    return this.queue.depth();
  }

  /** Reconciles the Pipeline `namespace/name` soon (e.g. its notifications are all sent), if it is cached. */
  requeue(key: string): void {
    const [namespace, name] = key.split('/');
    if (namespace && name && this.cachedPipeline(namespace, name)) this.enqueue(namespace, name);
  }

  /** Stops taking work, lets in-flight reconciles finish, then stops the watches. */
  async stop(): Promise<void> {
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.markSynced();
    await this.queue.shutdown();
    await this.events.flush();
    await Promise.all(this.informers().map((inf) => inf.stop()));
  }

  /** Every cache: all must be synced before the first reconcile, and all stop together. */
  private informers(): AnyInformer[] {
    return [...this.pipelines, ...this.jobs, ...this.claims, ...this.cronJobs, ...this.revisions] as AnyInformer[];
  }

  private cachedPipeline(namespace: string, name: string): CachedPipeline | undefined {
    for (const inf of this.pipelines) {
      const p = inf.get(name, namespace);
      if (p) return p;
    }
    return undefined;
  }

  /** The cached Pipeline an object names in its Pipeline owner reference. */
  private ownerPipeline(obj: k8s.KubernetesObject): CachedPipeline | undefined {
    const owner = obj.metadata?.ownerReferences?.find((r) => r.kind === KIND && r.apiVersion.startsWith(`${GROUP}/`));
    return owner && obj.metadata?.namespace ? this.cachedPipeline(obj.metadata.namespace, owner.name) : undefined;
  }

  private resyncAll(): void {
    for (const inf of this.pipelines) for (const p of inf.list()) this.enqueue(p.metadata.namespace, p.metadata.name);
  }

  private enqueue(namespace: string | undefined, name: string | undefined, by: WokenBy = 'other'): void {
    if (!namespace || !name) return;
    const key = `${namespace}/${name}`;
    timings.woken(key, by);
    this.queue.add(key);
  }

  /**
   * Jobs, CronJobs, claims: by the owning Pipeline, or (scheduled Jobs, owned by their CronJob) by
   * the full name in the conveyor.dev/pipeline-name annotation. Never by the conveyor.dev/pipeline
   * label: its value is shortened with a hash for long names. The label is read only for objects
   * an older Conveyor created without the annotation, where it was the name for most pipelines.
   */
  private enqueueOwner(obj: k8s.KubernetesObject, by: WokenBy): void {
    const owner = obj.metadata?.ownerReferences?.find((r) => r.kind === KIND && r.apiVersion.startsWith(`${GROUP}/`));
    const name =
      owner?.name ?? obj.metadata?.annotations?.[ANN_PIPELINE_NAME] ?? obj.metadata?.labels?.[LABEL_PIPELINE];
    // Another shard's Pipeline (or one not listed yet: its own add enqueues it then): not ours.
    const namespace = obj.metadata?.namespace;
    if (!namespace || !name || !this.cachedPipeline(namespace, name)) return;
    this.enqueue(namespace, name, by);
  }

  /** A Pipeline's run finishing may start the Pipelines chained after it. */
  private enqueueDownstream(upstream: Pipeline): void {
    const ns = upstream.metadata.namespace;
    if (!ns || !upstream.metadata.name) return;
    for (const name of this.downstream.downstreamOf(ns, upstream.metadata.name)) this.enqueue(ns, name);
  }
}
