// The Console's view of the cluster: Pipelines, Conveyor's Jobs (trimmed to JobSummary) and the
// Events about them, watched with the user's credentials in the namespaces in scope ([] = all),
// and every change handed to the subscribers in order. A list or watch the API server refuses
// (403) leaves that part of the view empty and is logged; it is retried with backoff, so access
// granted later shows up.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION } from '../../api/constants.ts';
import type { Pipeline } from '../../api/types.ts';
import { makeApiClient } from '../../kube/client.ts';
import { httpStatus } from '../../kube/errors.ts';
import { MANAGED_BY, MANAGED_BY_VALUE } from '../../api/labels.ts';
import { ResilientInformer, type InformerSpec } from '../../kube/informer.ts';
import type { EventSummary, JobSummary, StreamMessage } from '../protocol.ts';
import { toEventSummary, toJobSummary, toPipelineView } from './summaries.ts';

export type ChangeMessage = Exclude<StreamMessage, { type: 'reset' }>;
type Listener = (message: ChangeMessage) => void;
type Verb = 'add' | 'update' | 'delete';
/** A Pipeline as the informer holds it (its metadata typed as client-node's). */
type CachedPipeline = Pipeline & k8s.KubernetesObject;

const JOB_SELECTOR = `${MANAGED_BY}=${MANAGED_BY_VALUE}`;

export class WatchCache {
  private readonly pipelines: ResilientInformer<CachedPipeline>[] = [];
  private readonly jobs: ResilientInformer<k8s.V1Job>[] = [];
  private readonly events: ResilientInformer<k8s.CoreV1Event>[] = [];
  private readonly listeners = new Set<Listener>();
  private readonly log: Logger;

  /** `namespaces`: where to watch; [] watches all namespaces. */
  constructor(kc: k8s.KubeConfig, namespaces: string[], log: Logger) {
    this.log = log;
    const custom = makeApiClient(kc, k8s.CustomObjectsApi);
    const batch = makeApiClient(kc, k8s.BatchV1Api);
    const core = makeApiClient(kc, k8s.CoreV1Api);
    for (const ns of namespaces.length > 0 ? namespaces : [undefined]) {
      const at = ns === undefined ? '' : `/namespaces/${ns}`;
      const listPipelines = (): Promise<unknown> =>
        ns === undefined
          ? custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })
          : custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns });
      this.pipelines.push(
        this.informer(
          kc,
          {
            kind: 'pipelines',
            path: `/apis/${GROUP}/${VERSION}${at}/${PLURAL}`,
            list: listPipelines as () => Promise<k8s.KubernetesListObject<CachedPipeline>>,
          },
          (p, verb) => this.onPipeline(p, verb),
        ),
      );
      const listJobs = (): Promise<k8s.V1JobList> =>
        ns === undefined
          ? batch.listJobForAllNamespaces({ labelSelector: JOB_SELECTOR })
          : batch.listNamespacedJob({ namespace: ns, labelSelector: JOB_SELECTOR });
      this.jobs.push(
        this.informer(
          kc,
          { kind: 'jobs', path: `/apis/batch/v1${at}/jobs`, list: listJobs, labelSelector: JOB_SELECTOR },
          (j, verb) => this.onJob(j, verb),
        ),
      );
      const listEvents = (): Promise<k8s.CoreV1EventList> =>
        ns === undefined ? core.listEventForAllNamespaces() : core.listNamespacedEvent({ namespace: ns });
      this.events.push(
        this.informer(kc, { kind: 'events', path: `/api/v1${at}/events`, list: listEvents }, (e, verb) =>
          this.onEvent(e, verb),
        ),
      );
    }
  }

  async start(): Promise<void> {
    await Promise.all([...this.pipelines, ...this.jobs, ...this.events].map((i) => i.start()));
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await Promise.all([...this.pipelines, ...this.jobs, ...this.events].map((i) => i.stop()));
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pipelineList(): Pipeline[] {
    return this.pipelines.flatMap((i) => i.list().map(toPipelineView));
  }

  jobList(): JobSummary[] {
    return this.jobs.flatMap((i) => i.list().flatMap((j) => toJobSummary(j) ?? []));
  }

  eventList(): EventSummary[] {
    return this.events.flatMap((i) =>
      i
        .list()
        .filter((e) => this.isAboutOurs(e))
        .map(toEventSummary),
    );
  }

  /** The Jobs of one stage of one run of a Pipeline, newest first. */
  stageJobs(namespace: string, pipeline: string, stage: string, run: string): JobSummary[] {
    const created = (j: JobSummary): number => new Date(j.creationTimestamp ?? 0).getTime();
    return this.jobList()
      .filter((j) => j.namespace === namespace && j.pipeline === pipeline && j.stage === stage && j.run === run)
      .sort((a, b) => created(b) - created(a));
  }

  /** An informer whose refused list (403) yields an empty list instead of retrying start forever. */
  private informer<T extends k8s.KubernetesObject>(
    kc: k8s.KubeConfig,
    spec: InformerSpec<T>,
    onChange: (obj: T, verb: Verb) => void,
  ): ResilientInformer<T> {
    const list = async (): Promise<k8s.KubernetesListObject<T>> => {
      try {
        return await spec.list();
      } catch (err) {
        if (httpStatus(err) !== 403) throw err;
        this.log.warn({ path: spec.path }, `the API server refuses to list ${spec.kind} (403): the Console shows none`);
        return { apiVersion: 'v1', kind: 'List', metadata: {}, items: [] };
      }
    };
    return new ResilientInformer<T>(kc, { ...spec, list }, this.log, onChange);
  }

  private emit(message: ChangeMessage): void {
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (err) {
        this.log.error({ err: String(err) }, 'a Console stream listener failed');
      }
    }
  }

  private onPipeline(p: CachedPipeline, verb: Verb): void {
    this.emit({ type: 'pipeline', data: { op: verb === 'delete' ? 'delete' : 'upsert', object: toPipelineView(p) } });
  }

  private onJob(job: k8s.V1Job, verb: Verb): void {
    const summary = toJobSummary(job);
    if (!summary) return;
    this.emit({ type: 'job', data: { op: verb === 'delete' ? 'delete' : 'upsert', object: summary } });
    // Events about a Job can arrive before the Job itself: they were held back until now.
    if (verb === 'add') {
      for (const e of this.events.flatMap((i) => [...i.list(summary.namespace)])) {
        if (e.involvedObject?.kind === 'Job' && e.involvedObject.name === summary.name) this.onEvent(e, 'add');
      }
    }
  }

  private onEvent(event: k8s.CoreV1Event, verb: Verb): void {
    if (verb !== 'delete' && !this.isAboutOurs(event)) return;
    if (verb === 'delete' && !['Pipeline', 'Job'].includes(event.involvedObject?.kind ?? '')) return;
    this.emit({ type: 'event', data: { op: verb === 'delete' ? 'delete' : 'upsert', object: toEventSummary(event) } });
  }

  /** About a Pipeline, or about one of the Jobs watched. */
  private isAboutOurs(event: k8s.CoreV1Event): boolean {
    const involved = event.involvedObject;
    if (involved?.kind === 'Pipeline') return (involved.apiVersion ?? '').startsWith(`${GROUP}/`);
    if (involved?.kind !== 'Job' || !involved.name) return false;
    const ns = involved.namespace ?? event.metadata?.namespace ?? '';
    return this.jobs.some((i) => i.get(involved.name ?? '', ns) !== undefined);
  }
}
