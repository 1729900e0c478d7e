// One reconcile of one Pipeline: observe (from the caches), decide (the pure planner), act
// (execute actions, write status when it changed, record Events).
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Pipeline } from '../api/types.ts';
import { validatePipeline } from '../api/validate.ts';
import { plan, type Action } from '../plan/planner.ts';
import { findTriggerCycle } from '../plan/chain.ts';
import { EventRecorder } from './events.ts';
import { ActionExecutor, type ActionFailure } from './executor.ts';
import { StatusWriter, statusChanged } from './status.ts';
import type { HandlerResult } from './queue.ts';
import { recordTransitions } from './run-metrics.ts';
import { apiErrors } from '../metrics.ts';


/** Read access to what the informers observed. */
export interface ObservedState {
  pipeline(namespace: string, name: string): Pipeline | undefined;
  pipelines(namespace: string): ReadonlyArray<Pipeline>;
  jobs(namespace: string): ReadonlyArray<k8s.V1Job>;
  cronJobs(namespace: string): ReadonlyArray<k8s.V1CronJob>;
  claims(namespace: string): ReadonlyArray<k8s.V1PersistentVolumeClaim>;
  /** Conveyor's ControllerRevisions (the pinned spec of each Pipeline generation). */
  revisions(namespace: string): ReadonlyArray<k8s.V1ControllerRevision>;
}

/** HTTP statuses that mean "this object will never be accepted as it is". */
const PERMANENT_REJECTIONS = new Set([400, 422]);

export class Reconciler {
  private readonly observed: ObservedState;
  private readonly executor: ActionExecutor;
  private readonly statusWriter: StatusWriter;
  private readonly events: EventRecorder;
  private readonly log: Logger;
  private readonly now: () => Date;
  /** Status we wrote, newer than the cache until the watch delivers it (keyed ns/name). */
  private readonly written = new Map<string, Pipeline>();
  /** Jobs the API server refused (invalid podTemplate, ...), by job name: they fail their stage. */
  private readonly rejected = new Map<string, k8s.V1Job>();

  constructor(deps: {
    observed: ObservedState;
    executor: ActionExecutor;
    statusWriter: StatusWriter;
    events: EventRecorder;
    log: Logger;
    now?: () => Date;
  }) {
    this.observed = deps.observed;
    this.executor = deps.executor;
    this.statusWriter = deps.statusWriter;
    this.events = deps.events;
    this.log = deps.log;
    this.now = deps.now ?? (() => new Date());
  }

  async reconcile(key: string): Promise<HandlerResult> {
    const [namespace = '', name = ''] = key.split('/');
    const pipeline = this.freshest(key, this.observed.pipeline(namespace, name));
    if (!pipeline || pipeline.metadata.deletionTimestamp) {
      // Deleted: the garbage collector removes its Jobs and claims through owner references.
      this.written.delete(key);
      for (const [jobName, job] of this.rejected) {
        if (job.metadata?.namespace === namespace && job.metadata?.labels?.['conveyor.dev/pipeline'] === name) this.rejected.delete(jobName);
      }
      return;
    }
    const uid = pipeline.metadata.uid;
    const owned = <T extends k8s.KubernetesObject>(o: T): boolean => (o.metadata?.ownerReferences ?? []).some((r) => r.uid === uid);
    const cronJobs = this.observed.cronJobs(namespace).filter(owned);
    // Scheduled runs' root Jobs are owned by the CronJob, which is owned by the Pipeline.
    const cronUids = new Set(cronJobs.map((cj) => cj.metadata?.uid));
    const ownedOrScheduled = (j: k8s.V1Job): boolean => owned(j) || (j.metadata?.ownerReferences ?? []).some((r) => cronUids.has(r.uid));
    const jobs = this.observed.jobs(namespace).filter(ownedOrScheduled);
    const seen = new Set(jobs.map((j) => j.metadata?.name));
    for (const [jobName, job] of this.rejected) {
      if (job.metadata?.namespace === namespace && owned(job) && !seen.has(jobName)) jobs.push(job);
    }
    const claims = this.observed.claims(namespace).filter(owned);
    const problems = validatePipeline({
      apiVersion: pipeline.apiVersion,
      kind: pipeline.kind,
      metadata: { name, namespace },
      spec: pipeline.spec,
    });
    const siblings = this.observed.pipelines(namespace);
    const cycle = pipeline.spec?.triggers?.after?.length ? findTriggerCycle([...siblings], name) : undefined;
    if (cycle) problems.push({ path: 'spec.triggers.after', message: `trigger cycle: ${cycle.join(' → ')}` });
    const upstreamNames = new Set((pipeline.spec?.triggers?.after ?? []).map((t) => t.pipeline));
    const upstream = siblings.filter((p) => upstreamNames.has(p.metadata.name ?? ''));

    const decision = plan({ pipeline, problems, jobs, cronJobs, claims, upstream, now: this.now() });
    const log = this.log.child({ pipeline: key, run: decision.status.lastRun?.id });

    const failures = await this.executor.execute(namespace, decision.actions, log);
    const retryable = this.absorbRejections(failures, log);

    for (const f of failures) apiErrors.inc({ action: f.action.kind });
    if (statusChanged(pipeline.status, decision.status)) {
      const updated = await this.statusWriter.write(pipeline, decision.status);
      this.written.set(key, updated);
      recordTransitions(pipeline.status, decision.status);
      log.debug({ phase: decision.status.phase, progress: decision.status.progress }, 'status written');
    }
    for (const event of decision.events) {
      log.info({ reason: event.reason, eventType: event.type }, event.message);
      this.events.emit(pipeline, event);
    }
    if (retryable.length > 0) {
      throw new Error(`${retryable.length} action(s) failed: ${retryable.map((f) => `${describe(f.action)}: ${f.error}`).join('; ')}`);
    }
    // A rejection becomes visible to the planner as a failed Job: plan again at once.
    if (retryable.length < failures.length) return { requeueAfterMs: 1 };
    return decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : undefined;
  }

  /**
   * A Job the API server will never accept (e.g. an invalid podTemplate) must fail its stage
   * with the server's message instead of being retried forever: remember it as a failed Job.
   * Returns the failures worth retrying.
   */
  private absorbRejections(failures: ActionFailure[], log: Logger): ActionFailure[] {
    const retryable: ActionFailure[] = [];
    for (const f of failures) {
      if (f.action.kind === 'createJob' && f.status !== undefined && PERMANENT_REJECTIONS.has(f.status)) {
        const job = f.action.job;
        const name = job.metadata?.name ?? '';
        log.warn({ job: name, err: f.error }, 'the API server rejected a stage Job');
        this.rejected.set(name, {
          ...job,
          metadata: { ...job.metadata, creationTimestamp: this.now() },
          status: {
            failed: 1,
            startTime: this.now(),
            conditions: [{ type: 'Failed', status: 'True', reason: 'JobRejected', message: f.error, lastTransitionTime: this.now() }],
          },
        });
      } else {
        retryable.push(f);
      }
    }
    return retryable;
  }

  /** The cache, unless the status we just wrote is newer than what the watch delivered. */
  private freshest(key: string, cached: Pipeline | undefined): Pipeline | undefined {
    const mine = this.written.get(key);
    if (!mine || !cached) return cached;
    if (cached.metadata.uid !== mine.metadata.uid || resourceVersionOf(cached) >= resourceVersionOf(mine)) {
      this.written.delete(key);
      return cached;
    }
    return mine;
  }
}

// resourceVersions are opaque strings; etcd-backed servers issue increasing integers, which is
// the only case where this comparison matters. Non-numeric ones fall back to the cache.
function resourceVersionOf(p: Pipeline): number {
  const n = Number(p.metadata.resourceVersion);
  return Number.isFinite(n) ? n : Number.MAX_SAFE_INTEGER;
}

function describe(a: Action): string {
  switch (a.kind) {
    case 'createJob':
      return `create job ${a.job.metadata?.name}`;
    case 'createClaim':
      return `create claim ${a.claim.metadata?.name}`;
    case 'applyCronJob':
      return `apply cronjob ${a.cronJob.metadata?.name}`;
    case 'createRevision':
      return `create controllerrevision ${a.revision.metadata?.name}`;
    default:
      return `${a.kind} ${a.name}`;
  }
}

