// What the Console shows of Jobs and Events: the few fields the views read (protocol.ts), trimmed
// from the watched objects so the browser never receives pod templates or managedFields.
import type * as k8s from '@kubernetes/client-node';
import {
  ANN_PIPELINE_NAME,
  LABEL_PIPELINE,
  LABEL_ROLE,
  LABEL_RUN,
  LABEL_STAGE,
  ROLE_ON_FAILURE,
} from '../../api/labels.ts';
import type { Pipeline } from '../../api/types.ts';
import { valuesFromAnnotations } from '../../plan/values/on-jobs.ts';
import type { EventSummary, JobSummary } from '../protocol.ts';

const iso = (t: Date | string | undefined): string | undefined =>
  t === undefined ? undefined : new Date(t).toISOString();

/** A Conveyor stage Job as the Console needs it; undefined for a Job without Conveyor's labels. */
export function toJobSummary(job: k8s.V1Job): JobSummary | undefined {
  const meta = job.metadata ?? {};
  const labels = meta.labels ?? {};
  const pipeline = meta.annotations?.[ANN_PIPELINE_NAME] ?? labels[LABEL_PIPELINE];
  const stage = labels[LABEL_STAGE];
  const run = labels[LABEL_RUN];
  if (!meta.name || !meta.namespace || !pipeline || !stage || !run) return undefined;
  const summary: JobSummary = {
    namespace: meta.namespace,
    name: meta.name,
    uid: meta.uid ?? '',
    pipeline,
    stage,
    run,
    role: labels[LABEL_ROLE] === ROLE_ON_FAILURE ? 'on-failure' : 'stage',
    active: job.status?.active ?? 0,
    succeeded: job.status?.succeeded ?? 0,
    failed: job.status?.failed ?? 0,
  };
  setIfDefined(summary, 'creationTimestamp', iso(meta.creationTimestamp));
  setIfDefined(summary, 'startTime', iso(job.status?.startTime));
  setIfDefined(summary, 'completionTime', iso(job.status?.completionTime));
  setIfDefined(summary, 'finished', finishedCondition(job));
  setIfDefined(summary, 'values', valuesFromAnnotations(meta.annotations));
  return summary;
}

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/**
 * A Pipeline as the Console sends it: without kubectl's copy of the last applied spec and the
 * cache entries (up to 200, ~140 KB, which no view reads: a cached stage names its source run in
 * its own status). The runs, their values and the backfill's progress stay. (managedFields never
 * get this far: the informer drops them.)
 */
export function toPipelineView(p: Pipeline): Pipeline {
  const metadata = { ...p.metadata };
  if (metadata.annotations?.[LAST_APPLIED] !== undefined) {
    const { [LAST_APPLIED]: _applied, ...annotations } = metadata.annotations;
    metadata.annotations = annotations;
  }
  if (!p.status?.cache) return { ...p, metadata };
  const { cache: _cache, ...status } = p.status;
  return { ...p, metadata, status };
}

function finishedCondition(job: k8s.V1Job): JobSummary['finished'] {
  const c = (job.status?.conditions ?? []).find(
    (x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
  );
  if (!c) return undefined;
  const finished: NonNullable<JobSummary['finished']> = { type: c.type as 'Complete' | 'Failed' };
  setIfDefined(finished, 'reason', c.reason);
  setIfDefined(finished, 'message', c.message);
  setIfDefined(finished, 'at', iso(c.lastTransitionTime));
  return finished;
}

/** An Event as the Console shows it. */
export function toEventSummary(event: k8s.CoreV1Event): EventSummary {
  const summary: EventSummary = {
    namespace: event.metadata?.namespace ?? '',
    name: event.metadata?.name ?? '',
    uid: event.metadata?.uid ?? '',
    involved: { kind: event.involvedObject?.kind ?? '', name: event.involvedObject?.name ?? '' },
    type: event.type ?? 'Normal',
    reason: event.reason ?? '',
    message: event.message ?? '',
    count: event.count ?? event.series?.count ?? 1,
  };
  // Events made with events.k8s.io/v1 (series) have no lastTimestamp: fall back to eventTime.
  setIfDefined(
    summary,
    'lastTimestamp',
    iso(event.lastTimestamp ?? event.series?.lastObservedTime ?? event.eventTime ?? event.firstTimestamp),
  );
  return summary;
}

/** exactOptionalPropertyTypes: optional fields are absent, never `undefined`. */
function setIfDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}
