// Carries out a plan's actions against the API server, idempotently: names are deterministic,
// so AlreadyExists on create and NotFound on delete mean the work is already done.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Action } from '../plan/planner.ts';
import { classifyApiError, describeError, isAlreadyExists, isNotFound } from '../kube/errors.ts';
import { checkOwnership, isOwnershipConflict } from '../kube/ownership.ts';

const FIELD_MANAGER = 'conveyor';
/** Creates in flight at once for one Pipeline: fast for wide DAGs, gentle on the API server. */
const PARALLELISM = 8;
/**
 * Created before any Job (phase 0): a Job's pod needs its claim, and a run's pinned spec (its
 * ControllerRevision) must exist before the first Job of that run, or a crash in between would
 * leave a run whose spec nobody recorded.
 */
const FIRST: ReadonlySet<Action['kind']> = new Set(['createClaim', 'applyCronJob', 'createRevision']);

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

/**
 * Told of each revision this executor created (or found already there) and deleted, before the
 * watch says so. A run's pinned spec must be visible to the very next plan: a plan that sees the
 * run but not yet its revision would take the spec as lost and fail the run. The verbs are an
 * informer's, so an owner index can take them as they are.
 */
export type RevisionObserver = (revision: k8s.V1ControllerRevision, verb: 'add' | 'delete') => void;

export class ActionExecutor {
  private readonly batch: k8s.BatchV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;

  private readonly onJobCreated: (namespace: string, name: string) => void;
  private readonly onRevision: RevisionObserver;

  /**
   * `onJobCreated` learns of every Job this executor created (see Controller: expectations);
   * `onRevision` of every ControllerRevision it created or deleted (read-your-writes, see there).
   */
  constructor(
    apis: { batch: k8s.BatchV1Api; core: k8s.CoreV1Api; apps: k8s.AppsV1Api },
    onJobCreated: (namespace: string, name: string) => void = () => {},
    onRevision: RevisionObserver = () => {},
  ) {
    this.batch = apis.batch;
    this.core = apis.core;
    this.apps = apis.apps;
    this.onJobCreated = onJobCreated;
    this.onRevision = onRevision;
  }

  /**
   * Runs every action, claims before Jobs (a Job's pod needs its claim) and deletions last.
   * Returns the actions that failed; the caller decides whether to retry.
   */
  async execute(namespace: string, actions: Action[], log: Logger): Promise<ActionFailure[]> {
    const order = (a: Action): number => (FIRST.has(a.kind) ? 0 : a.kind === 'createJob' || a.kind === 'startJob' ? 1 : 2);
    const failures: ActionFailure[] = [];
    for (const phase of [0, 1, 2]) {
      // What later phases need (a claim, the pinned spec) is not there: try again later.
      if (failures.some((f) => !f.terminal)) break;
      const batch = actions.filter((a) => order(a) === phase);
      for (let i = 0; i < batch.length; i += PARALLELISM) {
        const results = await Promise.all(batch.slice(i, i + PARALLELISM).map((action) => this.attempt(namespace, action, log)));
        failures.push(...results.filter((f): f is ActionFailure => f !== undefined));
      }
    }
    return failures;
  }

  /** One action; its failure as data. Terminal: the server will never accept it as it is. */
  private async attempt(namespace: string, action: Action, log: Logger): Promise<ActionFailure | undefined> {
    try {
      await this.run(namespace, action, log);
      return undefined;
    } catch (err) {
      const status = (err as { code?: number }).code;
      const terminal = isOwnershipConflict(err) || classifyApiError(err).verdict === 'terminal';
      return { action, error: describeError(err), ...(typeof status === 'number' ? { status } : {}), ...(terminal ? { terminal: true as const } : {}) };
    }
  }

  private async run(namespace: string, action: Action, log: Logger): Promise<void> {
    switch (action.kind) {
      case 'createJob': {
        const name = action.job.metadata?.name;
        try {
          await this.batch.createNamespacedJob({ namespace, body: action.job, fieldManager: FIELD_MANAGER });
          this.onJobCreated(namespace, name ?? '');
          log.info({ job: name, stage: action.job.metadata?.labels?.['conveyor.dev/stage'], run: action.job.metadata?.labels?.['conveyor.dev/run'] }, 'created job');
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          await this.requireOurs('Job', action.job.metadata, () => this.batch.readNamespacedJob({ name: name ?? '', namespace }));
        }
        return;
      }
      case 'deleteJob':
        try {
          // Background propagation: the Job's pods go with it.
          await this.batch.deleteNamespacedJob({ name: action.name, namespace, propagationPolicy: 'Background' });
          log.info({ job: action.name, why: action.reason }, 'deleted job');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
      case 'createClaim':
        try {
          await this.core.createNamespacedPersistentVolumeClaim({ namespace, body: action.claim, fieldManager: FIELD_MANAGER });
          log.info({ claim: action.claim.metadata?.name }, 'created staging claim');
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          const name = action.claim.metadata?.name ?? '';
          await this.requireOurs('PersistentVolumeClaim', action.claim.metadata, () => this.core.readNamespacedPersistentVolumeClaim({ name, namespace }));
        }
        return;
      case 'applyCronJob': {
        // Server-side apply: idempotent, and only the fields Conveyor sets are Conveyor's. A patch
        // body is sent as given (KubernetesObjectApi's typed serializer would drop unknown keys).
        const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', ...action.cronJob, metadata: { ...action.cronJob.metadata, namespace } };
        // Apply with force would silently take over a CronJob of the same name, so read it first.
        // Left open: one created by someone else between this read and the apply (milliseconds);
        // server-side apply has no "create only" precondition to close it.
        const name = cronJob.metadata.name ?? '';
        await this.requireOurs('CronJob', cronJob.metadata, () => this.batch.readNamespacedCronJob({ name, namespace }), 'absent-is-fine');
        await this.batch.patchNamespacedCronJob(
          { name: cronJob.metadata.name ?? '', namespace, body: cronJob, fieldManager: FIELD_MANAGER, force: true },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply),
        );
        log.info({ cronJob: cronJob.metadata.name }, 'applied cronjob');
        return;
      }
      case 'deleteCronJob':
        try {
          await this.batch.deleteNamespacedCronJob({ name: action.name, namespace, propagationPolicy: 'Background' });
          log.info({ cronJob: action.name, why: action.reason }, 'deleted cronjob');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
      case 'startJob':
        await this.batch.patchNamespacedJob(
          { name: action.name, namespace, body: action.patch, fieldManager: FIELD_MANAGER },
          k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
        );
        log.info({ job: action.name, run: action.runId }, 'started scheduled job');
        return;
      case 'createRevision':
        try {
          const created = await this.apps.createNamespacedControllerRevision({ namespace, body: action.revision, fieldManager: FIELD_MANAGER });
          this.onRevision(created, 'add');
          log.info({ revision: action.revision.metadata?.name, generation: action.revision.revision }, 'recorded spec revision');
        } catch (err) {
          // Same name = same Pipeline uid and generation = same spec (a generation's spec never changes).
          if (!isAlreadyExists(err)) throw err;
          this.onRevision({ ...action.revision, metadata: { ...action.revision.metadata, namespace } }, 'add');
        }
        return;
      case 'deleteRevision':
        try {
          await this.apps.deleteNamespacedControllerRevision({ name: action.name, namespace });
          log.info({ revision: action.name, why: action.reason }, 'deleted spec revision');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        // A tombstone, as an informer's delete carries: only the name and namespace matter.
        this.onRevision({ metadata: { name: action.name, namespace }, revision: 0 }, 'delete');
        return;
      case 'deleteClaim':
        try {
          await this.core.deleteNamespacedPersistentVolumeClaim({ name: action.name, namespace });
          log.info({ claim: action.name, why: action.reason }, 'deleted staging claim');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        return;
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
