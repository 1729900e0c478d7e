// Records Kubernetes Events on a Pipeline, so `kubectl describe pipeline` shows what happened.
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Pipeline } from '../../api/types.ts';
import { API_VERSION, KIND } from '../../api/constants.ts';
import { describeError } from '../../kube/errors.ts';
import type { EventSelection } from '../../config.ts';

export interface PlannedEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

const COMPONENT = 'conveyor';
const MAX_MESSAGE = 1024;

/** True when an Event of this type is written under this selection. */
export function isSelected(selection: EventSelection, type: PlannedEvent['type']): boolean {
  return selection === 'all' || type === 'Warning';
}

export class EventRecorder {
  private readonly core: k8s.CoreV1Api;
  private readonly log: Logger;
  private readonly host: string;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly selection: EventSelection;

  constructor(core: k8s.CoreV1Api, log: Logger, host = 'conveyor', selection: EventSelection = 'all') {
    this.core = core;
    this.log = log;
    this.host = host;
    this.selection = selection;
  }

  /**
   * Sends an Event without holding up the reconcile that decided it (Events are for people, and
   * a reconcile's latency is the next stage's start). flush() waits for those still in flight.
   * An Event the selection leaves out is not sent at all (the reconciler logs every one).
   */
  emit(pipeline: Pipeline, event: PlannedEvent): void {
    if (!isSelected(this.selection, event.type)) return;
    const sent = this.record(pipeline, event).finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  /** Best effort: an Event that cannot be written is logged, never fails a reconcile. */
  async record(pipeline: Pipeline, event: PlannedEvent): Promise<void> {
    const namespace = pipeline.metadata.namespace ?? 'default';
    const now = new Date();
    const body: k8s.CoreV1Event = {
      metadata: { name: `${pipeline.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: API_VERSION,
        kind: KIND,
        name: pipeline.metadata.name,
        namespace,
        uid: pipeline.metadata.uid,
        resourceVersion: pipeline.metadata.resourceVersion,
      },
      type: event.type,
      reason: event.reason,
      message: event.message.slice(0, MAX_MESSAGE),
      source: { component: COMPONENT, host: this.host },
      reportingComponent: COMPONENT,
      reportingInstance: this.host,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    try {
      await this.core.createNamespacedEvent({ namespace, body });
    } catch (err) {
      this.log.warn({ err: describeError(err), reason: event.reason }, 'could not record event');
    }
  }
}
