// The Console's data as the stream describes it: Pipelines, their Jobs and Events, kept in Maps
// and changed only by applying StreamMessages. No I/O here (store.ts feeds it), so it is
// testable on its own and every view reads the same answers.
import type { EventSummary, JobSummary, Pipeline, Snapshot, StreamMessage } from '../../protocol.ts';

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

function pipelineKey(p: Pipeline): string {
  return key(p.metadata.namespace ?? '', p.metadata.name ?? '');
}

function newestFirst(a: EventSummary, b: EventSummary): number {
  return (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? '');
}

export class ConsoleState {
  private readonly pipelineMap = new Map<string, Pipeline>();
  /** Jobs by their Pipeline (ns/full name), then uid. */
  private readonly jobMap = new Map<string, Map<string, JobSummary>>();
  /** Events by namespace, then uid: an Event names a Pipeline or a Job, matched when asked. */
  private readonly eventMap = new Map<string, Map<string, EventSummary>>();
  private pipelineList: Pipeline[] | undefined;
  namespaces: string[] = [];
  user: string | undefined;

  /** Applies one message; returns false for a message of an unknown type (ignored). */
  apply(message: StreamMessage): boolean {
    switch (message.type) {
      case 'reset':
        this.reset(message.data);
        return true;
      case 'pipeline':
        this.pipelineList = undefined;
        this.change(this.pipelineMap, pipelineKey(message.data.object), message.data.op, message.data.object);
        return true;
      case 'job': {
        const job = message.data.object;
        this.change(this.bucket(this.jobMap, key(job.namespace, job.pipeline)), job.uid, message.data.op, job);
        return true;
      }
      case 'event': {
        const event = message.data.object;
        this.change(this.bucket(this.eventMap, event.namespace), event.uid, message.data.op, event);
        return true;
      }
      default:
        return false;
    }
  }

  private reset(snapshot: Snapshot): void {
    this.pipelineMap.clear();
    this.jobMap.clear();
    this.eventMap.clear();
    this.pipelineList = undefined;
    for (const p of snapshot.pipelines) this.pipelineMap.set(pipelineKey(p), p);
    for (const j of snapshot.jobs) this.bucket(this.jobMap, key(j.namespace, j.pipeline)).set(j.uid, j);
    for (const e of snapshot.events) this.bucket(this.eventMap, e.namespace).set(e.uid, e);
    this.namespaces = snapshot.namespaces;
    this.user = snapshot.user;
  }

  private change<T>(map: Map<string, T>, id: string, op: 'upsert' | 'delete', value: T): void {
    if (op === 'delete') map.delete(id);
    else map.set(id, value);
  }

  private bucket<T>(map: Map<string, Map<string, T>>, id: string): Map<string, T> {
    let inner = map.get(id);
    if (!inner) map.set(id, (inner = new Map()));
    return inner;
  }

  /** Every Pipeline, by namespace then name; the same array until a Pipeline changes. */
  pipelines(): Pipeline[] {
    this.pipelineList ??= [...this.pipelineMap.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, p]) => p);
    return this.pipelineList;
  }

  pipeline(namespace: string, name: string): Pipeline | undefined {
    return this.pipelineMap.get(key(namespace, name));
  }

  jobsOf(namespace: string, name: string): JobSummary[] {
    return [...(this.jobMap.get(key(namespace, name))?.values() ?? [])];
  }

  eventsOf(namespace: string, name: string): EventSummary[] {
    const jobNames = new Set(this.jobsOf(namespace, name).map((j) => j.name));
    const about = (e: EventSummary): boolean =>
      (e.involved.kind === 'Pipeline' && e.involved.name === name) ||
      (e.involved.kind === 'Job' && jobNames.has(e.involved.name));
    return [...(this.eventMap.get(namespace)?.values() ?? [])].filter(about).sort(newestFirst);
  }
}
