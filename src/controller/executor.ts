// Carries out a plan's actions against the API server, idempotently: names are deterministic,
// so AlreadyExists on create and NotFound on delete mean the work is already done.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Action } from '../plan/planner.ts';
import { describeError, isAlreadyExists, isNotFound } from '../kube/errors.ts';

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
}

export class ActionExecutor {
  private readonly batch: k8s.BatchV1Api;
  private readonly core: k8s.CoreV1Api;
  private readonly apps: k8s.AppsV1Api;

  private readonly onJobCreated: (namespace: string, name: string) => void;

  /** `onJobCreated` learns of every Job this executor created (see Controller: expectations). */
  constructor(apis: { batch: k8s.BatchV1Api; core: k8s.CoreV1Api; apps: k8s.AppsV1Api }, onJobCreated: (namespace: string, name: string) => void = () => {}) {
    this.batch = apis.batch;
    this.core = apis.core;
    this.apps = apis.apps;
    this.onJobCreated = onJobCreated;
  }

  /**
   * Runs every action, claims before Jobs (a Job's pod needs its claim) and deletions last.
   * Returns the actions that failed; the caller decides whether to retry.
   */
  async execute(namespace: string, actions: Action[], log: Logger): Promise<ActionFailure[]> {
    const order = (a: Action): number => (FIRST.has(a.kind) ? 0 : a.kind === 'createJob' || a.kind === 'startJob' ? 1 : 2);
    const failures: ActionFailure[] = [];
    for (const phase of [0, 1, 2]) {
      const batch = actions.filter((a) => order(a) === phase);
      for (let i = 0; i < batch.length; i += PARALLELISM) {
        await Promise.all(
          batch.slice(i, i + PARALLELISM).map(async (action) => {
            try {
              await this.run(namespace, action, log);
            } catch (err) {
              const status = (err as { code?: number }).code;
              failures.push({ action, error: describeError(err), ...(typeof status === 'number' ? { status } : {}) });
            }
          }),
        );
      }
    }
    return failures;
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
        }
        return;
      case 'applyCronJob': {
        // Server-side apply: idempotent, and only the fields Conveyor sets are Conveyor's. A patch
        // body is sent as given (KubernetesObjectApi's typed serializer would drop unknown keys).
        const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', ...action.cronJob, metadata: { ...action.cronJob.metadata, namespace } };
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
          await this.apps.createNamespacedControllerRevision({ namespace, body: action.revision, fieldManager: FIELD_MANAGER });
          log.info({ revision: action.revision.metadata?.name, generation: action.revision.revision }, 'recorded spec revision');
        } catch (err) {
          // Same name = same Pipeline uid and generation = same spec (a generation's spec never changes).
          if (!isAlreadyExists(err)) throw err;
        }
        return;
      case 'deleteRevision':
        try {
          await this.apps.deleteNamespacedControllerRevision({ name: action.name, namespace });
          log.info({ revision: action.name, why: action.reason }, 'deleted spec revision');
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
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
}
