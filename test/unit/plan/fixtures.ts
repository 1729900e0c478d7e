// Test helpers: fabricate Pipelines and the Jobs a cluster would show, and a tiny fake cluster
// that applies a plan's actions so multi-step scenarios read like what happens for real.
import type { V1ControllerRevision, V1CronJob, V1Job, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Pipeline, PipelineSpec, PipelineStatus, StageSpec } from '../../../src/api/types.ts';
import { buildStageJob } from '../../../src/plan/run/job.ts';
import { plan, type Plan } from '../../../src/plan/planner.ts';
import { pinnedSpecOf } from '../../../src/plan/tidy/revision.ts';
import type { NotifiedInput, PlanInput, Problem } from '../../../src/plan/types.ts';

export const T0 = new Date('2025-01-01T00:00:00Z');
/** T0 plus `seconds`. */
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

export function stage(name: string, dependsOn?: string[], extra: Partial<StageSpec> = {}): StageSpec {
  return { name, image: 'busybox', ...(dependsOn ? { dependsOn } : {}), ...extra };
}

export type PipelineOptions = {
  name?: string;
  generation?: number;
  uid?: string;
  annotations?: Record<string, string>;
  status?: PipelineStatus;
};

export function pipeline(
  spec: Partial<PipelineSpec> & { stages: StageSpec[] },
  options: PipelineOptions = {},
): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: {
      name: options.name ?? 'etl',
      namespace: 'data',
      uid: options.uid ?? 'uid-1',
      generation: options.generation ?? 1,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec,
    ...(options.status ? { status: options.status } : {}),
  };
}

export const diamond = (): StageSpec[] => [stage('a'), stage('b', ['a']), stage('c', ['a']), stage('d', ['b', 'c'])];

export type JobState =
  | { state: 'running'; active?: number; failed?: number }
  | { state: 'succeeded'; failed?: number; at?: Date }
  | { state: 'failed'; reason?: string; message?: string; failed?: number; at?: Date }
  | { state: 'pending' };

export type JobOptions = {
  role?: 'stage' | 'on-failure';
  created?: Date;
  trigger?: 'create' | 'change' | 'manual';
  generation?: number;
};

/** A Job as the API would show it for `stageName` of run `runId`, in the given state. */
export function job(p: Pipeline, stageName: string, runId: string, state: JobState, options: JobOptions = {}): V1Job {
  const role = options.role ?? 'stage';
  const spec =
    (role === 'stage' ? p.spec.stages : (p.spec.onFailure ?? [])).find((s) => s.name === stageName) ?? stage(stageName);
  const built = buildStageJob(p, spec, {
    runId,
    trigger: options.trigger ?? 'create',
    role,
    generation: options.generation ?? p.metadata.generation ?? 1,
  });
  const created = options.created ?? T0;
  built.metadata = { ...built.metadata, creationTimestamp: created, uid: `job-${stageName}-${runId}` };
  built.status = jobStatus(state, created);
  return built;
}

/** A JSON merge patch (RFC 7386) applied to `target`, as the API server applies the executor's. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) && !(target instanceof Date)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export function jobStatus(state: JobState, started: Date): V1Job['status'] {
  switch (state.state) {
    case 'pending':
      return {};
    case 'running':
      return { active: state.active ?? 1, ...(state.failed ? { failed: state.failed } : {}), startTime: started };
    case 'succeeded': {
      const done = state.at ?? new Date(started.getTime() + 10_000);
      return {
        succeeded: 1,
        ...(state.failed ? { failed: state.failed } : {}),
        startTime: started,
        completionTime: done,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: done },
          { type: 'Complete', status: 'True', lastTransitionTime: done },
        ],
      };
    }
    case 'failed': {
      const done = state.at ?? new Date(started.getTime() + 10_000);
      const reason = state.reason ?? 'BackoffLimitExceeded';
      return {
        failed: state.failed ?? 1,
        startTime: started,
        conditions: [
          { type: 'FailureTarget', status: 'True', reason, lastTransitionTime: done },
          {
            type: 'Failed',
            status: 'True',
            reason,
            message: state.message ?? 'Job has reached the specified backoff limit',
            lastTransitionTime: done,
          },
        ],
      };
    }
  }
}

export const createdJobs = (result: Plan): V1Job[] =>
  result.actions.flatMap((a) => (a.kind === 'createJob' ? [a.job] : []));
/** Stage names of the Jobs a plan creates, sorted. */
export const createdStages = (result: Plan): string[] =>
  createdJobs(result)
    .map((j) => j.metadata?.labels?.['conveyor.dev/stage'] ?? '?')
    .sort();
export const deletedJobs = (result: Plan): string[] =>
  result.actions.flatMap((a) => (a.kind === 'deleteJob' ? [a.name] : [])).sort();
export const stagePhases = (result: Plan): Record<string, string> =>
  Object.fromEntries((result.status.lastRun?.stages ?? []).map((s) => [s.name, s.phase]));
export const condition = (status: PipelineStatus, type: string) => status.conditions?.find((c) => c.type === type);
export const eventReasons = (result: Plan): string[] => result.events.map((e) => e.reason);

/**
 * A fake cluster: holds Jobs and claims, applies a plan's actions and writes its status back,
 * the way the controller's act step would.
 */
export class FakeCluster {
  pipeline: Pipeline;
  jobs = new Map<string, V1Job>();
  claims = new Map<string, V1PersistentVolumeClaim>();
  cronJobs = new Map<string, V1CronJob>();
  revisions = new Map<string, V1ControllerRevision>();
  /** Job names the API server refused, with its message (the reconciler passes these on). */
  rejections = new Map<string, string>();
  /** Jobs created that the reconciler's cache does not show yet. */
  pendingJobs = new Set<string>();
  upstream: Pipeline[] = [];
  problems: Problem[] = [];
  /** What the shell gathered of the webhook receiver (PlanInput.webhook). */
  webhook?: PlanInput['webhook'];
  /** What the notifier reports (src/notify): runs whose notifications went out, the sink refusal. */
  notified?: NotifiedInput;
  last?: Plan;
  private uids = 0;

  constructor(p: Pipeline) {
    this.pipeline = p;
  }

  /**
   * One reconcile. `crash` simulates the operator dying part-way: 'beforeWrite' applies the
   * creates and starts but neither writes status nor deletes (the reconciler's order);
   * 'writeLost' applies every action but the status write does not land.
   */
  reconcile(now: Date, crash?: 'beforeWrite' | 'writeLost'): Plan {
    const result = plan({
      pipeline: structuredClone(this.pipeline),
      problems: this.problems,
      jobs: [...this.jobs.values()].map((j) => structuredClone(j)),
      claims: [...this.claims.values()].map((c) => structuredClone(c)),
      cronJobs: [...this.cronJobs.values()].map((c) => structuredClone(c)),
      upstream: structuredClone(this.upstream),
      revisions: [...this.revisions.values()].map(pinnedSpecOf),
      rejections: this.rejections,
      pendingJobs: this.pendingJobs,
      ...(this.webhook ? { webhook: this.webhook } : {}),
      ...(this.notified ? { notified: this.notified } : {}),
      now,
    });
    const deletion = (a: Plan['actions'][number]) => a.kind.startsWith('delete');
    for (const action of result.actions) {
      if (crash === 'beforeWrite' && deletion(action)) continue;
      switch (action.kind) {
        case 'createJob': {
          const name = action.job.metadata?.name ?? '';
          if (!this.jobs.has(name)) {
            const created = structuredClone(action.job);
            created.metadata = { ...created.metadata, creationTimestamp: now, uid: `uid-${name}` };
            created.status = {};
            this.jobs.set(name, created);
          }
          break;
        }
        case 'deleteJob':
          this.jobs.delete(action.name);
          break;
        case 'startJob': {
          const found = this.jobs.get(action.name);
          if (found) this.jobs.set(action.name, mergePatch(found, action.patch) as V1Job);
          break;
        }
        case 'createClaim': {
          const name = action.claim.metadata?.name ?? '';
          if (!this.claims.has(name))
            this.claims.set(name, { ...action.claim, metadata: { ...action.claim.metadata, creationTimestamp: now } });
          break;
        }
        case 'deleteClaim':
          this.claims.delete(action.name);
          break;
        case 'applyCronJob': {
          const name = action.cronJob.metadata?.name ?? '';
          const existing = this.cronJobs.get(name);
          const applied = structuredClone(action.cronJob);
          applied.metadata = { ...applied.metadata, uid: existing?.metadata?.uid ?? `uid-cronjob-${name}` };
          applied.status = existing?.status ?? {};
          this.cronJobs.set(name, applied);
          break;
        }
        case 'createRevision': {
          const name = action.revision.metadata?.name ?? '';
          if (!this.revisions.has(name)) this.revisions.set(name, structuredClone(action.revision));
          break;
        }
        case 'deleteRevision':
          this.revisions.delete(action.name);
          break;
        case 'deleteCronJob': {
          const uid = this.cronJobs.get(action.name)?.metadata?.uid;
          this.cronJobs.delete(action.name);
          // The garbage collector deletes the Jobs the CronJob owned.
          for (const [name, j] of this.jobs)
            if (j.metadata?.ownerReferences?.some((r) => r.uid === uid)) this.jobs.delete(name);
          break;
        }
      }
    }
    if (crash === undefined) this.pipeline = { ...this.pipeline, status: result.status };
    this.last = result;
    return result;
  }

  /**
   * The CronJob controller at a tick: every CronJob that is not suspended creates its Job
   * (`<cronjob>-<minutes since epoch>`), from its template, with the scheduled-timestamp annotation.
   * `only` limits it to some CronJobs (the others create theirs later, or never).
   */
  tick(scheduled: Date, only?: string[]): V1Job[] {
    const created: V1Job[] = [];
    for (const cronJob of this.cronJobs.values()) {
      const cronName = cronJob.metadata?.name ?? '';
      if (cronJob.spec?.suspend || (only && !only.includes(cronName))) continue;
      const name = `${cronName}-${Math.floor(scheduled.getTime() / 60_000)}`;
      if (this.jobs.has(name)) continue;
      const job = this.jobFromCronJob(cronJob, name, scheduled, {
        'batch.kubernetes.io/cronjob-scheduled-timestamp': scheduled.toISOString(),
      });
      cronJob.status = { ...cronJob.status, lastScheduleTime: scheduled };
      this.jobs.set(name, job);
      created.push(job);
    }
    return created;
  }

  /** `kubectl create job NAME --from=cronjob/CRONJOB`. */
  createJobFrom(cronName: string, name: string, at: Date): V1Job {
    const cronJob = this.cronJobs.get(cronName);
    if (!cronJob) throw new Error(`no CronJob ${cronName}`);
    const job = this.jobFromCronJob(cronJob, name, at, { 'cronjob.kubernetes.io/instantiate': 'manual' });
    this.jobs.set(name, job);
    return job;
  }

  private jobFromCronJob(cronJob: V1CronJob, name: string, created: Date, annotations: Record<string, string>): V1Job {
    const template = structuredClone(cronJob.spec?.jobTemplate);
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cronJob.metadata?.namespace,
        uid: `uid-job-${++this.uids}`,
        creationTimestamp: created,
        labels: template?.metadata?.labels,
        annotations: { ...template?.metadata?.annotations, ...annotations },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'CronJob',
            name: cronJob.metadata?.name ?? '',
            uid: cronJob.metadata?.uid ?? '',
            controller: true,
          },
        ],
      },
      spec: template?.spec ?? { template: {} },
      status: {},
    };
  }

  /** Jobs of one stage (any run), sorted by name. */
  jobsOf(stageName: string): V1Job[] {
    return [...this.jobs.values()]
      .filter((j) => j.metadata?.labels?.['conveyor.dev/stage'] === stageName)
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  }

  /** Move the Job of `stageName` in run `runId` to a state. */
  setIn(runId: string, stageName: string, state: JobState, role: 'stage' | 'on-failure' = 'stage'): void {
    const found = this.find(stageName, role, runId);
    found.status = jobStatus(state, (found.metadata?.creationTimestamp as Date | undefined) ?? T0);
  }

  private find(stageName: string, role = 'stage', run?: string): V1Job {
    const runId = run ?? this.pipeline.status?.lastRun?.id;
    const found = [...this.jobs.values()].find(
      (j) =>
        j.metadata?.labels?.['conveyor.dev/stage'] === stageName &&
        j.metadata?.labels?.['conveyor.dev/run'] === runId &&
        j.metadata?.labels?.['conveyor.dev/role'] === role,
    );
    if (!found) throw new Error(`no Job for stage ${stageName} (${role}) of run ${runId}`);
    return found;
  }

  /** Move the current run's Job of `stageName` to a state. */
  set(stageName: string, state: JobState, role: 'stage' | 'on-failure' = 'stage'): void {
    const found = this.find(stageName, role);
    found.status = jobStatus(state, (found.metadata?.creationTimestamp as Date | undefined) ?? T0);
  }

  /** Change the spec: the API server bumps the generation. */
  edit(change: (spec: PipelineSpec) => void): void {
    const spec = structuredClone(this.pipeline.spec);
    change(spec);
    const generation = (this.pipeline.metadata.generation ?? 1) + 1;
    this.pipeline = { ...this.pipeline, metadata: { ...this.pipeline.metadata, generation }, spec };
  }

  annotate(key: string, value: string): void {
    const annotations = { ...this.pipeline.metadata.annotations, [key]: value };
    this.pipeline = { ...this.pipeline, metadata: { ...this.pipeline.metadata, annotations } };
  }
}

/** A plan's actions on runs, without the ControllerRevision bookkeeping (tested on its own). */
export const runActions = (result: Plan) =>
  result.actions.filter((a) => a.kind !== 'createRevision' && a.kind !== 'deleteRevision');
