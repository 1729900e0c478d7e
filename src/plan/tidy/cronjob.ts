// Scheduled pipelines (spec.schedule): one CronJob per root stage. The CronJob controller owns
// time (schedule, time zone, missed ticks, startingDeadlineSeconds) and creates each tick's root
// Job suspended; Conveyor decides whether a tick runs and starts it (see select.ts, run.ts).
import type { V1CronJob, V1CronJobSpec } from '@kubernetes/client-node';
import type { Pipeline, PipelineSpec, PipelineStatus, StageSpec } from '../../api/types.ts';
import { nextScheduleTimes } from '../../api/cron.ts';
import { ANN_GENERATION, LABEL_STAGE, ROLE_STAGE } from '../../api/labels.ts';
import type { Action } from '../types.ts';
import { buildStageJobTemplate, pipelineAnnotations, pipelineOwnerReference, stageLabels } from '../run/job.ts';
import { historyLimit } from './history.ts';
import { compact } from '../objects.ts';
import { cronJobName, shortHash } from '../names.ts';
import { iso, latest } from '../time.ts';

/**
 * On each CronJob: a hash of what Conveyor applied. A CronJob is applied again only when it is
 * missing or this differs (a spec change, a new Conveyor version) or someone changed its
 * schedule or suspend by hand — not on every plan, which would be an API call per reconcile.
 */
export const ANN_CRONJOB_HASH = 'conveyor.dev/cronjob-hash';

/**
 * successfulJobsHistoryLimit and failedJobsHistoryLimit of each CronJob. Conveyor prunes whole
 * runs by runHistoryLimit itself; the CronJob controller must never delete a root Job first (a
 * run that lost its root Job would look as if that stage had not run, and a retry could not
 * reuse it). So: runHistoryLimit + this many (the latest run and overlapping ones), a backstop.
 */
const CRONJOB_HISTORY_SLACK = 3;
const MAX_CRONJOB_HISTORY = 100;

export function isScheduled(spec: PipelineSpec): boolean {
  return typeof spec.schedule === 'string' && spec.schedule.trim() !== '';
}

/** Stages without dependencies: each is a CronJob of a scheduled pipeline. */
export function rootStages(spec: PipelineSpec): StageSpec[] {
  return spec.stages.filter((s) => (s.dependsOn ?? []).length === 0);
}

export function buildCronJob(pipeline: Pipeline, stage: StageSpec, generation: number): V1CronJob {
  const spec = pipeline.spec;
  const history = Math.min(MAX_CRONJOB_HISTORY, historyLimit(spec.runHistoryLimit) + CRONJOB_HISTORY_SLACK);
  const cronSpec: V1CronJobSpec = compact({
    schedule: spec.schedule ?? '',
    timeZone: spec.timeZone,
    startingDeadlineSeconds: spec.startingDeadlineSeconds,
    suspend: spec.suspend === true,
    // Conveyor decides run-level concurrency itself; the CronJob must always create the Job
    // (its own Forbid would count the suspended Jobs as running ones).
    concurrencyPolicy: 'Allow',
    successfulJobsHistoryLimit: history,
    failedJobsHistoryLimit: history,
    jobTemplate: buildStageJobTemplate(pipeline, stage, generation),
  });
  const cronJob: V1CronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: compact({
      name: cronJobName(pipeline.metadata.name ?? '', stage.name),
      namespace: pipeline.metadata.namespace,
      labels: stageLabels(pipeline, { name: stage.name, role: ROLE_STAGE }),
      annotations: { ...pipelineAnnotations(pipeline), [ANN_GENERATION]: String(generation) },
      ownerReferences: [pipelineOwnerReference(pipeline)],
    }),
    spec: cronSpec,
  };
  const hash = shortHash(JSON.stringify(cronJob), 16);
  cronJob.metadata = {
    ...cronJob.metadata,
    annotations: { ...cronJob.metadata?.annotations, [ANN_CRONJOB_HASH]: hash },
  };
  return cronJob;
}

/** Whether the observed CronJob already is what Conveyor would apply. */
function upToDate(observed: V1CronJob, desired: V1CronJob): boolean {
  const hash = (c: V1CronJob) => c.metadata?.annotations?.[ANN_CRONJOB_HASH];
  const a = observed.spec;
  const b = desired.spec;
  return (
    hash(observed) === hash(desired) &&
    a?.schedule === b?.schedule &&
    (a?.timeZone ?? undefined) === (b?.timeZone ?? undefined) &&
    (a?.suspend ?? false) === (b?.suspend ?? false)
  );
}

/**
 * applyCronJob for each root stage whose CronJob is missing or out of date, deleteCronJob for
 * CronJobs no longer wanted (schedule removed, a stage no longer a root or gone). Runs in flight
 * are not touched: a tick's Jobs keep the template they were created from.
 */
export function cronJobActions(pipeline: Pipeline, observed: V1CronJob[], generation: number): Action[] {
  const scheduled = isScheduled(pipeline.spec);
  const desired = scheduled ? rootStages(pipeline.spec).map((s) => buildCronJob(pipeline, s, generation)) : [];
  const byName = new Map(observed.map((c) => [c.metadata?.name ?? '', c]));
  const actions: Action[] = [];
  for (const cronJob of desired) {
    const existing = byName.get(cronJob.metadata?.name ?? '');
    if (!existing || !upToDate(existing, cronJob)) actions.push({ kind: 'applyCronJob', cronJob });
  }
  const wanted = new Set(desired.map((c) => c.metadata?.name));
  const rootLabels = new Set(desired.map((c) => c.metadata?.labels?.[LABEL_STAGE]));
  for (const cronJob of observed) {
    const name = cronJob.metadata?.name;
    if (!name || wanted.has(name) || cronJob.metadata?.deletionTimestamp) continue;
    actions.push({ kind: 'deleteCronJob', name, reason: obsoleteReason(cronJob, scheduled, rootLabels) });
  }
  return actions;
}

/**
 * Why a CronJob goes. One of a root stage that is still a root has an old name (an upgrade of
 * Conveyor changed how names are made): its replacement is applied under the new name. Runs in
 * flight keep what their stages did (status memory), even as its Jobs go with it.
 */
function obsoleteReason(cronJob: V1CronJob, scheduled: boolean, rootLabels: Set<string | undefined>): string {
  if (!scheduled) return 'spec.schedule was removed';
  const stage = cronJob.metadata?.labels?.[LABEL_STAGE];
  return stage !== undefined && rootLabels.has(stage)
    ? 'replaced by a CronJob under its current name'
    : 'its stage is no longer a root stage of the pipeline';
}

export type ScheduleStatus = Pick<PipelineStatus, 'lastScheduleTime' | 'nextScheduleTime'> & {
  requeueAfterMs?: number;
};

/**
 * lastScheduleTime: the latest tick any root CronJob reports (or status remembers).
 * nextScheduleTime: the next tick after `now` in the schedule's time zone — computed, so a
 * missed tick never leaves it in the past. None while suspended. Plan again at that time so that
 * status moves on even when the tick is skipped.
 */
export function scheduleStatus(
  spec: PipelineSpec,
  cronJobs: V1CronJob[],
  previous: PipelineStatus,
  now: Date,
): ScheduleStatus {
  const last = latest(previous.lastScheduleTime, ...cronJobs.map((c) => c.status?.lastScheduleTime));
  let next: Date | undefined;
  if (spec.suspend !== true && spec.schedule) {
    try {
      next = nextScheduleTimes(spec.schedule, spec.timeZone, now, 1)[0];
    } catch {
      next = undefined; // validation reports a bad schedule or time zone
    }
  }
  return compact({
    lastScheduleTime: last ? iso(last) : undefined,
    nextScheduleTime: next ? iso(next) : undefined,
    requeueAfterMs: next ? Math.max(1, next.getTime() - now.getTime()) : undefined,
  });
}
