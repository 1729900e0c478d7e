// The lifecycle notifier: watches Pipelines (the operator's informer hands it each add, update and
// delete), derives their lifecycle events from status (lifecycle.ts) and queues the ones not yet
// queued for each sink: the operator's CloudEvents sink, the Pipeline's own if allowed (sinks.ts),
// and the OpenLineage endpoint. Never on the reconcile path: observe() only queues, and the queues
// (queue.ts) send.
//
// What it remembers, per Pipeline and only for runs whose status lacks `notified: true`: the ids of
// the events it queued, how many deliveries are still out, and whether the run's terminal event
// was queued. When a finished run has nothing out (every delivery sent or dropped) it tells the
// controller (requeue), whose gatherer asks facts(): the planner then writes `notified: true`, and
// the next observation forgets the run. Nothing stays for a notified run, a run gone from status,
// or a deleted Pipeline, so idle memory is flat.
//
// After a restart (or a new leader) nothing is remembered: every run without `notified: true` is
// queued again, with the same deterministic ids. That is the at-least-once contract
// (docs/integrations.md): a receiver de-duplicates by CloudEvents `source` + `id`.
import type { Logger } from 'pino';
import type { Pipeline, RunSummary } from '../api/types.ts';
import type { NotifiedInput } from '../plan/types.ts';
import type { Clock } from './clock.ts';
import { type CloudEventMode, cloudEventRequest, toCloudEvent } from './cloudevents.ts';
import { type LifecycleEvent, lifecycleEvents, runsOf } from './lifecycle.ts';
import { toLineageEvent } from './openlineage.ts';
import { type Delivery, DeliveryQueue, type QueueMetrics, type Settlement } from './queue.ts';
import { sinkRefusal } from './sinks.ts';
import type { Send } from './transport.ts';

export type SinkKind = 'cloudevents' | 'openlineage';

export interface NotifierOptions {
  cloudEvents?: { sink?: string; allowedSinks: readonly string[]; send: Send };
  openLineage?: { url: string; namespace: string; send: Send };
  clock: Clock;
  metrics: (sink: SinkKind) => QueueMetrics;
  queueSize: number;
  /** Asks the controller to reconcile the Pipeline `namespace/name` (to write `notified: true`). */
  requeue: (key: string) => void;
  log: Logger;
  /** Delivery queue settings other than capacity (tests: jitter, attempts). */
  queue?: { concurrency?: number; maxAttempts?: number; random?: () => number };
}

/** Which run a delivery belongs to. */
interface RunRef {
  key: string;
  uid: string;
  run: string;
}

interface RunTrack {
  /** Lifecycle event ids queued (for every target). */
  queued: Set<string>;
  /** Deliveries not yet sent or dropped. */
  outstanding: number;
  /** Its terminal event is queued: once nothing is outstanding, the run is notified. */
  ended: boolean;
}

interface PipelineTrack {
  uid: string;
  runs: Map<string, RunTrack>;
  /** Finished runs with nothing outstanding, until status says notified. */
  done: Set<string>;
}

/** One lifecycle event of a Pipeline, with its run's status entry and the CloudEvents targets. */
interface EventToQueue {
  pipeline: Pipeline;
  event: LifecycleEvent;
  targets: CloudEventsTarget[];
  status: RunSummary | undefined;
}

/** A CloudEvents target of one Pipeline. */
interface CloudEventsTarget {
  url: string;
  mode: CloudEventMode;
}

const NO_RUNS: ReadonlySet<string> = new Set();
/** A drop is logged at most this often per sink (with the count since), so a dead sink cannot flood the log. */
const DROP_LOG_INTERVAL_MS = 10_000;
export const OPENLINEAGE_PATH = '/api/v1/lineage';

/** What logs show of a sink URL: its scheme, host and port (the path or query may hold a secret). */
export function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

export class Notifier {
  private readonly opts: NotifierOptions;
  private readonly tracks = new Map<string, PipelineTrack>();
  /** Why a Pipeline's own sink is refused, by key: only for Pipelines with one. */
  private readonly refusals = new Map<string, string>();
  private readonly cloudEvents: DeliveryQueue<RunRef> | undefined;
  private readonly openLineage: DeliveryQueue<RunRef> | undefined;
  private readonly lineageUrl: string | undefined;
  private readonly dropLog = new Map<SinkKind, { at: number; since: number }>();

  constructor(options: NotifierOptions) {
    this.opts = options;
    if (options.cloudEvents) this.cloudEvents = this.queue('cloudevents', options.cloudEvents.send);
    if (options.openLineage) {
      this.openLineage = this.queue('openlineage', options.openLineage.send);
      this.lineageUrl = `${options.openLineage.url.replace(/\/+$/, '')}${OPENLINEAGE_PATH}`;
    }
  }

  /** Whether anything can be sent at all (some sink configured). */
  enabled(): boolean {
    return this.cloudEvents !== undefined || this.openLineage !== undefined;
  }

  /**
   * For the planner (PlanInput.notified), for every Pipeline: the runs it may mark notified, and
   * the refusal of its own sink. Always present, so a refusal that no longer holds is cleared.
   */
  facts(key: string): NotifiedInput {
    const message = this.refusals.get(key);
    return { runs: this.tracks.get(key)?.done ?? NO_RUNS, ...(message !== undefined ? { message } : {}) };
  }

  /** Runs tracked (not yet notified in status), over all Pipelines: flat when idle. */
  trackedRuns(): number {
    let n = 0;
    for (const track of this.tracks.values()) n += track.runs.size;
    return n;
  }

  /** Stops sending; deliveries still queued are lost (status lacks notified: the next leader sends them). */
  stop(): void {
    this.cloudEvents?.stop();
    this.openLineage?.stop();
  }

  /**
   * A Pipeline as the watch delivered it, with the one delivered before it: a run that ended out
   * of status' detail has its stages closed from there (run-end.ts). Only queues: never waits.
   */
  observe(pipeline: Pipeline, verb: 'add' | 'update' | 'delete', before?: Pipeline): void {
    const { namespace, name, uid = '' } = pipeline.metadata;
    const key = `${namespace ?? ''}/${name ?? ''}`;
    if (verb === 'delete') {
      this.tracks.delete(key);
      this.refusals.delete(key);
      return;
    }
    const targets = this.cloudEventsTargets(key, pipeline);
    if (targets.length === 0 && !this.openLineage) {
      this.tracks.delete(key);
      return;
    }
    let track = this.tracks.get(key);
    if (!track || track.uid !== uid) {
      track = { uid, runs: new Map(), done: new Set() };
      this.tracks.set(key, track);
    }
    const runs = new Map((runsOf(pipeline) as RunSummary[]).map((run) => [run.id, run]));
    const pending = this.forgetNotified(track, runs);
    // Every run notified (the common case once idle): nothing to derive.
    const events = pending.size > 0 ? lifecycleEvents(pipeline, before) : [];
    for (const event of events) {
      if (!pending.has(event.run)) continue;
      const run = track.runs.get(event.run) ?? { queued: new Set<string>(), outstanding: 0, ended: false };
      track.runs.set(event.run, run);
      if (run.queued.has(event.id)) continue;
      run.queued.add(event.id);
      this.queueEvent({ key, uid, run: event.run }, run, { pipeline, event, targets, status: runs.get(event.run) });
      if (event.terminal) run.ended = true;
    }
    for (const [id, run] of track.runs) this.checkDone(key, track, id, run);
    if (track.runs.size === 0) this.tracks.delete(key);
  }

  /**
   * Forgets the runs status marks notified or no longer shows; returns the runs still to notify.
   * A run is pending while status shows it without `notified: true`.
   */
  private forgetNotified(track: PipelineTrack, runs: ReadonlyMap<string, RunSummary>): Set<string> {
    const pending = new Set<string>();
    for (const run of runs.values()) if (!run.notified) pending.add(run.id);
    for (const id of track.runs.keys()) {
      if (!pending.has(id)) {
        track.runs.delete(id);
        track.done.delete(id);
      }
    }
    return pending;
  }

  /** The operator's sink, and the Pipeline's own when allowed (else its refusal is recorded). */
  private cloudEventsTargets(key: string, pipeline: Pipeline): CloudEventsTarget[] {
    const config = this.opts.cloudEvents;
    const own = pipeline.spec?.notify?.cloudevents;
    const targets: CloudEventsTarget[] = config?.sink ? [{ url: config.sink, mode: 'structured' }] : [];
    if (!own?.url) {
      this.refusals.delete(key);
      return targets;
    }
    const refusal = sinkRefusal(own.url, config?.allowedSinks ?? []);
    if (refusal) this.refusals.set(key, refusal);
    else {
      this.refusals.delete(key);
      const mode = own.mode ?? 'structured';
      if (!targets.some((t) => t.url === own.url && t.mode === mode)) targets.push({ url: own.url, mode });
    }
    return this.cloudEvents ? targets : [];
  }

  /** Queues one event for every target; counts what is outstanding. */
  private queueEvent(ref: RunRef, run: RunTrack, what: EventToQueue): void {
    const { pipeline, event, targets } = what;
    const { namespace = '', name = '' } = pipeline.metadata;
    const runGroup = `${ref.key} ${ref.run}`;
    if (this.cloudEvents && targets.length > 0) {
      const cloudEvent = toCloudEvent({ namespace, name }, event);
      for (const target of targets) {
        const { headers, body } = cloudEventRequest(cloudEvent, target.mode);
        const group = `${target.mode} ${target.url} ${runGroup}`;
        this.add(this.cloudEvents, run, {
          id: `${group} ${event.id}`,
          group,
          request: { url: target.url, headers, body },
          about: ref,
        });
      }
    }
    if (this.openLineage && this.lineageUrl && this.opts.openLineage) {
      const options = { namespace: this.opts.openLineage.namespace };
      const lineage = toLineageEvent(pipeline, event, options, what.status);
      if (!lineage) return;
      const request = {
        url: this.lineageUrl,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(lineage),
      };
      this.add(this.openLineage, run, { id: `${runGroup} ${event.id}`, group: runGroup, request, about: ref });
    }
  }

  /** Counts the delivery as outstanding before queueing: a drop at once settles it inside enqueue. */
  private add(queue: DeliveryQueue<RunRef>, run: RunTrack, delivery: Delivery<RunRef>): void {
    run.outstanding++;
    if (queue.enqueue(delivery) === 'duplicate') run.outstanding--;
  }

  private settled(sink: SinkKind, delivery: Delivery<RunRef>, how: Settlement): void {
    if (how === 'dropped') this.logDrop(sink, delivery);
    const { key, uid, run: id } = delivery.about;
    const track = this.tracks.get(key);
    const run = track?.uid === uid ? track.runs.get(id) : undefined;
    if (!track || !run) return; // forgotten meanwhile: notified, gone from status, or the Pipeline deleted
    run.outstanding--;
    this.checkDone(key, track, id, run);
  }

  /** A finished run with nothing outstanding: the planner may mark it notified. */
  private checkDone(key: string, track: PipelineTrack, id: string, run: RunTrack): void {
    if (!run.ended || run.outstanding > 0 || track.done.has(id)) return;
    track.done.add(id);
    this.opts.requeue(key);
  }

  private queue(sink: SinkKind, send: Send): DeliveryQueue<RunRef> {
    return new DeliveryQueue<RunRef>({
      send,
      clock: this.opts.clock,
      metrics: this.opts.metrics(sink),
      capacity: this.opts.queueSize,
      ...this.opts.queue,
      onSettled: (delivery, how) => this.settled(sink, delivery, how),
      onFailure: (delivery, error, willRetry) =>
        this.opts.log.debug(
          {
            sink,
            pipeline: delivery.about.key,
            run: delivery.about.run,
            url: origin(delivery.request.url),
            error,
            willRetry,
          },
          'notification attempt failed',
        ),
    });
  }

  /** Logs a drop, at most once per DROP_LOG_INTERVAL_MS per sink, with how many since the last line. */
  private logDrop(sink: SinkKind, delivery: Delivery<RunRef>): void {
    const now = this.opts.clock.now();
    const last = this.dropLog.get(sink) ?? { at: Number.NEGATIVE_INFINITY, since: 0 };
    last.since++;
    this.dropLog.set(sink, last);
    if (now - last.at < DROP_LOG_INTERVAL_MS) return;
    this.opts.log.warn(
      {
        sink,
        pipeline: delivery.about.key,
        run: delivery.about.run,
        url: origin(delivery.request.url),
        dropped: last.since,
      },
      'notifications dropped (queue full, refused, or out of attempts); see conveyor_notify_dropped_total',
    );
    this.dropLog.set(sink, { at: now, since: 0 });
  }
}
