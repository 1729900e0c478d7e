// What starts a pipeline and what it tells others, as the Triggers block shows it: the schedule,
// the chain triggers (with the last upstream run handled), the webhook (its words, its path or
// why it does not receive, its last deliveries) and the CloudEvents sink (and why it is refused);
// and the datasets a stage reads and writes. Pure logic over the Pipeline, unit-tested.
import type { DatasetSpec, Pipeline, WebhookDelivery } from '../../../api/types.ts';
import { webhookWordParts } from '../../../api/webhook-words.ts';
import { utcTime } from '../shared/time.ts';

export type ChainView = { pipeline: string; phase: 'Succeeded' | 'Failed'; lastRun?: string };
export type WebhookView = {
  /** type, Secret, events, params, filters, bucket notifications: webhook-words.ts. */
  words: string[];
  path?: string;
  /** Why deliveries are not received (status.webhook.message), or that the operator has not said yet. */
  notReceiving?: string;
  deliveries: WebhookDelivery[];
};
export type SinkView = { url: string; mode: 'structured' | 'binary'; refused?: string };
export type TriggersView = { schedule: string; after: ChainView[]; webhook?: WebhookView; cloudevents?: SinkView };

/** "Schedule 0 2 * * * (Europe/Paris); next run 2026-11-03 02:00Z; last …", or how it runs without one. */
export function scheduleLine(p: Pipeline): string {
  const s = p.spec.schedule;
  if (!s) return unscheduledLine(p);
  const zone = p.spec.timeZone ? ` (${p.spec.timeZone})` : '';
  const next = p.status?.nextScheduleTime ? `; next run ${utcTime(p.status.nextScheduleTime)}` : '';
  const last = p.status?.lastScheduleTime ? `; last ${utcTime(p.status.lastScheduleTime)}` : '';
  return `Schedule ${s}${zone}${p.spec.suspend ? ', suspended' : ''}${next}${last}.`;
}

/**
 * How a pipeline without a schedule runs: on create and change, unless a trigger makes it wait
 * (the planner's waitsForTrigger: a chained pipeline waits for its upstream, a webhook one for a
 * delivery); a request (conveyor run, the Console's Run) starts it either way.
 */
function unscheduledLine(p: Pipeline): string {
  const waits = [
    ...((p.spec.triggers?.after?.length ?? 0) > 0 ? ['after its upstream runs'] : []),
    ...(p.spec.triggers?.webhook ? ['on webhook deliveries'] : []),
  ];
  if (waits.length === 0) return 'No schedule: runs on create, on change and on request.';
  return `No schedule: runs ${waits.join(' and ')}, and on request (not on create or change).`;
}

export const NOT_REPORTED = 'the operator has not reported on it yet';

export function triggersView(p: Pipeline): TriggersView {
  const handled = new Map((p.status?.lastTriggers ?? []).map((t) => [t.pipeline, t.run]));
  const after = (p.spec.triggers?.after ?? []).map((a): ChainView => {
    const lastRun = handled.get(a.pipeline);
    return { pipeline: a.pipeline, phase: a.phase ?? 'Succeeded', ...(lastRun ? { lastRun } : {}) };
  });
  const view: TriggersView = { schedule: scheduleLine(p), after };
  const hook = p.spec.triggers?.webhook;
  if (hook) {
    const status = p.status?.webhook;
    view.webhook = {
      words: webhookWordParts(hook),
      deliveries: status?.deliveries ?? [],
      ...(status?.path ? { path: status.path } : { notReceiving: status?.message || NOT_REPORTED }),
    };
  }
  const sink = p.spec.notify?.cloudevents;
  if (sink) {
    const refused = p.status?.notify?.message;
    view.cloudevents = { url: sink.url, mode: sink.mode ?? 'structured', ...(refused ? { refused } : {}) };
  }
  return view;
}

export type StageDatasets = { reads: DatasetSpec[]; writes: DatasetSpec[] };

/** The datasets a stage (or onFailure stage) declares, as written (templates unreplaced); undefined when none. */
export function stageDatasets(p: Pipeline, stage: string): StageDatasets | undefined {
  const s = [...p.spec.stages, ...(p.spec.onFailure ?? [])].find((x) => x.name === stage);
  const reads = s?.inputs ?? [];
  const writes = s?.outputs ?? [];
  return reads.length + writes.length > 0 ? { reads, writes } : undefined;
}
