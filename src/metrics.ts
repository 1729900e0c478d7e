// Prometheus metrics, served on /metrics next to the health endpoints.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { apiRequests } from './kube/request-counter.ts';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'conveyor_' });

export const reconcileTotal = new Counter({
  name: 'conveyor_reconcile_total',
  help: 'Reconciles of Pipelines, by result (success | error).',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const reconcileDuration = new Histogram({
  name: 'conveyor_reconcile_duration_seconds',
  help: 'Time one reconcile of one Pipeline took.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const LATENCY_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30];

export const queueWaitSeconds = new Histogram({
  name: 'conveyor_queue_wait_seconds',
  help: 'From the watch event that queued a Pipeline to its reconcile starting.',
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const handoffOperatorSeconds = new Histogram({
  name: 'conveyor_handoff_operator_seconds',
  help: "The operator's share of starting a stage: from the watch event that woke the Pipeline (a Job's change, or the Pipeline's) to the request creating its next Job being sent.",
  labelNames: ['woken_by'] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const planSeconds = new Histogram({
  name: 'conveyor_plan_seconds',
  help: 'Gather and plan of one reconcile (synchronous CPU time, no API calls).',
  buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
  registers: [registry],
});

export const queueDepth = new Gauge({
  name: 'conveyor_queue_depth',
  help: 'Pipelines waiting to be reconciled.',
  registers: [registry],
});

export const runsStarted = new Counter({
  name: 'conveyor_runs_started_total',
  help: 'Runs started, by trigger.',
  labelNames: ['trigger'] as const,
  registers: [registry],
});

export const runsFinished = new Counter({
  name: 'conveyor_runs_finished_total',
  help: 'Runs finished, by result (Succeeded | Failed | Cancelled).',
  labelNames: ['result'] as const,
  registers: [registry],
});

export const stageDuration = new Histogram({
  name: 'conveyor_stage_duration_seconds',
  help: 'Duration of finished stages, from Job start to completion, by result.',
  labelNames: ['result'] as const,
  buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
  registers: [registry],
});

export const apiErrors = new Counter({
  name: 'conveyor_api_errors_total',
  help: 'Failed API actions (creates, deletes, status writes), by action kind.',
  labelNames: ['action'] as const,
  registers: [registry],
});

new Counter({
  name: 'conveyor_api_requests_total',
  help: 'Requests this process sent to the Kubernetes API server, by verb (WATCH counts watch starts) and resource (with its subresource, e.g. pipelines/status).',
  labelNames: ['verb', 'resource'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [key, n] of apiRequests) {
      const [verb = '', resource = ''] = key.split(' ');
      this.inc({ verb, resource }, n);
    }
  },
});

// Per-pipeline state for alerting (charts/conveyor/templates/prometheusrule.yaml). One series per
// Pipeline and gauge — bounded by the number of Pipelines, never by runs or stages. The label is
// pipeline_namespace, not namespace: a scrape adds the operator's own namespace as `namespace`.
const PIPELINE_LABELS = ['pipeline_namespace', 'pipeline'] as const;
const pipelineGauge = (config: { name: string; help: string }): Gauge<(typeof PIPELINE_LABELS)[number]> =>
  new Gauge({ ...config, labelNames: PIPELINE_LABELS, registers: [registry] });

export const pipelineStalled = pipelineGauge({
  name: 'conveyor_pipeline_stalled',
  help: 'Whether the Pipeline has condition Stalled=True (1) or not (0).',
});
export const pipelineLastRunFailed = pipelineGauge({
  name: 'conveyor_pipeline_last_run_failed',
  help: 'Whether the latest finished run of the Pipeline failed (1) or not (0).',
});
export const pipelineLastSchedule = pipelineGauge({
  name: 'conveyor_pipeline_last_schedule_timestamp_seconds',
  help: 'status.lastScheduleTime of a scheduled Pipeline: the latest tick a CronJob fired.',
});
export const pipelineNextSchedule = pipelineGauge({
  name: 'conveyor_pipeline_next_schedule_timestamp_seconds',
  help: 'status.nextScheduleTime of a scheduled, unsuspended Pipeline: the tick it expects next.',
});

let leaderProbe: () => boolean = () => true;
/** The leader elector registers itself; without leader election this process always reconciles. */
export function setLeaderProbe(probe: () => boolean): void {
  leaderProbe = probe;
}

new Gauge({
  name: 'conveyor_leader',
  help: 'Whether this process holds the leader Lease and reconciles (1) or stands by (0).',
  registers: [registry],
  collect() {
    this.set(leaderProbe() ? 1 : 0);
  },
});

// Lifecycle notifications (src/notify): one series per sink kind, never per Pipeline or URL.
const SINK_LABEL = ['sink'] as const;

export const notifySent = new Counter({
  name: 'conveyor_notify_sent_total',
  help: 'Lifecycle notifications delivered (a 2xx answer), by sink (cloudevents | openlineage).',
  labelNames: SINK_LABEL,
  registers: [registry],
});

export const notifyFailed = new Counter({
  name: 'conveyor_notify_failed_total',
  help: 'Delivery attempts of lifecycle notifications that failed (error, timeout or non-2xx answer), by sink; a failed attempt is retried with backoff unless permanent.',
  labelNames: SINK_LABEL,
  registers: [registry],
});

export const notifyDropped = new Counter({
  name: 'conveyor_notify_dropped_total',
  help: 'Lifecycle notifications given up, by sink: the oldest when the queue was full, a permanent refusal (4xx other than 408 and 429), or out of attempts or age.',
  labelNames: SINK_LABEL,
  registers: [registry],
});

export const notifyQueueDepth = new Gauge({
  name: 'conveyor_notify_queue_depth',
  help: 'Lifecycle notifications waiting or in flight, by sink.',
  labelNames: SINK_LABEL,
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'conveyor_webhook_deliveries_total',
  help: 'Requests to the webhook receiver, by outcome (accepted, duplicate, ignored, bad_signature, too_large, bad_method, bad_content_type, unknown_path, bad_params, rate_limited, unavailable).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
