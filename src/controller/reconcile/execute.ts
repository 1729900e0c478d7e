// Carries out a plan's actions against the API server, idempotently: names are deterministic,
// so AlreadyExists on create and NotFound on delete mean the work is already done.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Action } from '../../plan/planner.ts';
import { classifyApiError, describeError, isAlreadyExists, isNotFound } from '../../kube/errors.ts';
import { checkOwnership, isOwnershipConflict } from '../../kube/ownership.ts';

const FIELD_MANAGER = 'conveyor';
/** Creates in flight at once for one Pipeline: fast for wide DAGs, gentle on the API server. */
const PARALLELISM = 8;
/**
 * The phases of one execution, in order. Before any Job (0): a Job's pod needs its claim, a
 * CronJob is applied whole, and the pinned spec of a pipeline whose runs outlive a change of spec
 * (a revision marked beforeJobs) must exist before that run's Jobs, or a crash in between would
 * leave a run whose spec nobody recorded. Then Jobs (1), with the other revisions: the planner
 * marks when a revision may go alongside the Jobs (planner.ts revisionActions says why it is
 * safe), and it is sent first among them. Deletions last (2).
 */
export function executionPhase(action: Action): 0 | 1 | 2 {
  switch (action.kind) {
    case 'createClaim':
    case 'applyCronJob':
      return 0;
    case 'createRevision':
      return action.beforeJobs ? 0 : 1;
    case 'createJob':
    case 'startJob':
      return 1;
    default:
      return 2;
  }
}

/** The actions of one phase, revisions first: the pinned spec's request goes out before the Jobs'. */
export function phaseBatch(actions: Action[], phase: 0 | 1 | 2): Action[] {
  const batch = actions.filter((a) => executionPhase(a) === phase);
  return [...batch.filter((a) => a.kind === 'createRevision'), ...batch.filter((a) => a.kind !== 'createRevision')];
}

/**
 * What one execute() did: the actions that failed, the Jobs it created, and the actions that
 * succeeded (the caller records what the watch will show later: pending-observations.ts).
 */
export type Execution = { failures: ActionFailure[]; jobsCreated: number; done: Action[] };

export interface ActionFailure {
  action: Action;
  error: string;
  status?: number;
  /**
   * True when retrying cannot help: the server refused the object as it is (invalid, too large,
   * forbidden), or an object of the wanted name exists and belongs to someone else
   * (OwnershipConflict, src/kube/ownership.ts). Fail the stage or stall the Pipeline.
   */
  terminal?: true;
}

export class ActionExecutor {
  private readonly batch: k8s.BatchV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;

  private readonly onJobCreated: (namespace: string, name: string) => void;

  /**
   * `onJobCreated` learns of every Job this executor created, as soon as the API server answers
   * (pending-observations.ts: the watch's echo of it then wakes no reconcile).
   */
  constructor(
    apis: { batch: k8s.BatchV1Api; core: k8s.CoreV1Api; apps: k8s.AppsV1Api },
    onJobCreated: (namespace: string, name: string) => void = () => {},
  ) {
    this.batch = apis.batch;
    this.core = apis.core;
    this.apps = apis.apps;
    this.onJobCreated = onJobCreated;
  }

  /**
   * Runs every action in its phase (executionPhase): claims before Jobs, deletions last.
   * Returns the actions that failed (the caller decides whether to retry) and how many Jobs this
   * call created (not counting ones that already existed).
   */
  async execute(namespace: string, actions: Action[], log: Logger): Promise<Execution> {
    const done: Execution = { failures: [], jobsCreated: 0, done: [] };
    for (const phase of [0, 1, 2] as const) {
      // What later phases need (a claim, the pinned spec) is not there: try again later.
      if (done.failures.some((f) => !f.terminal)) break;
      const batch = phaseBatch(actions, phase);
      for (let i = 0; i < batch.length; i += PARALLELISM) {
        const slice = batch.slice(i, i + PARALLELISM);
        const results = await Promise.all(slice.map((action) => this.attempt(namespace, action, log)));
        results.forEach((r, j) => {
          if (r === 'created') done.jobsCreated++;
          if (r === 'created' || r === undefined) done.done.push(slice[j] as Action);
          else done.failures.push(r);
        });
      }
    }
    return done;
  }

  /** One action; its failure as data. Terminal: the server will never accept it as it is. */
  private async attempt(
    namespace: string,
    action: Action,
    log: Logger,
  ): Promise<ActionFailure | 'created' | undefined> {
    try {
      return (await this.run(namespace, action, log)) === 'created' ? 'created' : undefined;
    } catch (err) {
      const status = (err as { code?: number }).code;
      const terminal = isOwnershipConflict(err) || classifyApiError(err).verdict === 'terminal';
      return {
        action,
        error: describeError(err),
        ...(typeof status === 'number' ? { status } : {}),
        ...(terminal ? { terminal: true as const } : {}),
      };
    }
  }

  /** 'created' when this call created a Job (a new object, not one found already there). */
  private async run(namespace: string, action: Action, log: Logger): Promise<'created' | void> {
    switch (action.kind) {
      case 'createJob':
        return this.createJob(namespace, action.job, log);
      case 'startJob':
        return this.startJob(namespace, action, log);
      case 'createClaim':
        return this.createClaim(namespace, action.claim, log);
      case 'applyCronJob':
        return this.applyCronJob(namespace, action.cronJob, log);
      case 'createRevision':
        return this.createRevision(namespace, action.revision, log);
      case 'deleteJob':
        // Background propagation: the Job's pods go with it.
        return gone(
          () => this.batch.deleteNamespacedJob({ name: action.name, namespace, propagationPolicy: 'Background' }),
          () => log.info({ job: action.name, why: action.reason }, 'deleted job'),
        );
      case 'deleteCronJob':
        return gone(
          () => this.batch.deleteNamespacedCronJob({ name: action.name, namespace, propagationPolicy: 'Background' }),
          () => log.info({ cronJob: action.name, why: action.reason }, 'deleted cronjob'),
        );
      case 'deleteClaim':
        return gone(
          () => this.core.deleteNamespacedPersistentVolumeClaim({ name: action.name, namespace }),
          () => log.info({ claim: action.name, why: action.reason }, 'deleted staging claim'),
        );
      case 'deleteRevision':
        return gone(
          () => this.apps.deleteNamespacedControllerRevision({ name: action.name, namespace }),
          () => log.info({ revision: action.name, why: action.reason }, 'deleted spec revision'),
        );
    }
  }

  private async createJob(namespace: string, job: k8s.V1Job, log: Logger): Promise<'created' | undefined> {
    const name = job.metadata?.name ?? '';
    try {
      await this.batch.createNamespacedJob({ namespace, body: job, fieldManager: FIELD_MANAGER });
      this.onJobCreated(namespace, name);
      log.info(
        {
          job: name,
          stage: job.metadata?.labels?.['conveyor.dev/stage'],
          run: job.metadata?.labels?.['conveyor.dev/run'],
        },
        'created job',
      );
      return 'created';
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.requireOurs('Job', job.metadata, () => this.batch.readNamespacedJob({ name, namespace }));
      return undefined;
    }
  }

  private async startJob(namespace: string, action: Extract<Action, { kind: 'startJob' }>, log: Logger): Promise<void> {
    await this.batch.patchNamespacedJob(
      { name: action.name, namespace, body: action.patch, fieldManager: FIELD_MANAGER },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    log.info({ job: action.name, run: action.runId }, 'started scheduled job');
  }

  private async createClaim(namespace: string, claim: k8s.V1PersistentVolumeClaim, log: Logger): Promise<void> {
    const name = claim.metadata?.name ?? '';
    try {
      await this.core.createNamespacedPersistentVolumeClaim({ namespace, body: claim, fieldManager: FIELD_MANAGER });
      log.info({ claim: name }, 'created staging claim');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.requireOurs('PersistentVolumeClaim', claim.metadata, () =>
        this.core.readNamespacedPersistentVolumeClaim({ name, namespace }),
      );
    }
  }

  /**
   * Server-side apply: idempotent, and only the fields Conveyor sets are Conveyor's. A patch body
   * is sent as given (KubernetesObjectApi's typed serializer would drop unknown keys). Apply with
   * force would silently take over a CronJob of the same name, so it is read first. Left open:
   * one created by someone else between this read and the apply (milliseconds); server-side
   * apply has no "create only" precondition to close it.
   */
  private async applyCronJob(namespace: string, desired: k8s.V1CronJob, log: Logger): Promise<void> {
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      ...desired,
      metadata: { ...desired.metadata, namespace },
    };
    const name = cronJob.metadata.name ?? '';
    await this.requireOurs(
      'CronJob',
      cronJob.metadata,
      () => this.batch.readNamespacedCronJob({ name, namespace }),
      'absent-is-fine',
    );
    await this.batch.patchNamespacedCronJob(
      { name, namespace, body: cronJob, fieldManager: FIELD_MANAGER, force: true },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
    );
    log.info({ cronJob: name }, 'applied cronjob');
  }

  private async createRevision(namespace: string, revision: k8s.V1ControllerRevision, log: Logger): Promise<void> {
    try {
      await this.apps.createNamespacedControllerRevision({ namespace, body: revision, fieldManager: FIELD_MANAGER });
      log.info({ revision: revision.metadata?.name, generation: revision.revision }, 'recorded spec revision');
    } catch (err) {
      // Same name = same Pipeline uid and generation = same spec (a generation's spec never changes).
      if (!isAlreadyExists(err)) throw err;
    }
  }

  /**
   * Returns only when the object of this name is the Pipeline's own (or, with `absent-is-fine`,
   * does not exist): an object the Pipeline does not control is never adopted. Throws an
   * OwnershipConflict (code 409, terminal) for someone else's object, and a plain, retryable
   * error for one that an earlier Pipeline of the same name left for the garbage collector.
   */
  private async requireOurs(
    kind: string,
    wanted: k8s.V1ObjectMeta | undefined,
    read: () => Promise<{ metadata?: k8s.V1ObjectMeta }>,
    absent?: 'absent-is-fine',
  ): Promise<void> {
    let existing: { metadata?: k8s.V1ObjectMeta };
    try {
      existing = await read();
    } catch (err) {
      if (!isNotFound(err)) throw err;
      if (absent) return;
      // AlreadyExists, then NotFound: deleted in between. The next reconcile creates it.
      throw new Error(`${kind} ${wanted?.name ?? ''} was deleted while Conveyor created it; trying again`);
    }
    const ownership = checkOwnership(kind, existing.metadata, wanted);
    if (ownership.verdict === 'conflict') throw ownership.error;
    if (ownership.verdict === 'stale') throw new Error(ownership.message);
  }
}

/** An idempotent delete: NotFound means it is already gone. `done` runs when this call deleted it. */
async function gone(remove: () => Promise<unknown>, done: () => void): Promise<void> {
  try {
    await remove();
    done();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
