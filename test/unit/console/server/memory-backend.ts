// A ConsoleBackend held in memory: a test double of OUR interface (not of Kubernetes) for the
// HTTP layer's tests. Changes are pushed with emit(); calls are recorded.
import type { Writable } from 'node:stream';
import type { ConsoleBackend } from '../../../../src/console/server/backend.ts';
import type {
  Access,
  ActionName,
  ActionRequest,
  Pipeline,
  Snapshot,
  StreamMessage,
} from '../../../../src/console/protocol.ts';

type Change = Exclude<StreamMessage, { type: 'reset' }>;

export function pipeline(namespace: string, name: string): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { namespace, name },
    spec: { stages: [] },
  } as unknown as Pipeline;
}

export class MemoryBackend implements ConsoleBackend {
  pipelines = new Map<string, Pipeline>();
  listeners = new Set<(message: Change) => void>();
  calls: unknown[][] = [];
  /** Namespaces where every action is allowed; elsewhere all are denied. */
  allowed = new Set<string>(['team-a']);
  /** What logs() writes; undefined = no pod (404). */
  logText: string | undefined = 'line 1\nline 2\n';
  /** The KWOK node logs() says its lines are canned on, when set. */
  cannedOn: string | undefined;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  snapshot(): Snapshot {
    return { pipelines: [...this.pipelines.values()], jobs: [], events: [], namespaces: [] };
  }

  subscribe(listener: (message: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(message: Change): void {
    if (message.type === 'pipeline') {
      const key = `${message.data.object.metadata.namespace}/${message.data.object.metadata.name}`;
      if (message.data.op === 'delete') this.pipelines.delete(key);
      else this.pipelines.set(key, message.data.object);
    }
    for (const listener of this.listeners) listener(message);
  }

  async access(namespace: string): Promise<Access> {
    const ok = this.allowed.has(namespace);
    return { namespace, create: ok, run: ok, retry: ok, cancel: ok, suspend: ok, resume: ok };
  }

  async act(namespace: string, name: string, action: ActionName, request: ActionRequest) {
    this.calls.push(['act', namespace, name, action, request]);
    if (!this.allowed.has(namespace))
      return { status: 403, result: { ok: false, message: `may not ${action} in ${namespace}` } };
    return { status: 200, result: { ok: true, message: `${action} requested` } };
  }

  async logs(
    namespace: string,
    name: string,
    stage: string,
    run: string,
    follow: boolean,
    out: Writable,
    canned?: (node: string) => void,
  ) {
    this.calls.push(['logs', namespace, name, stage, run, follow]);
    if (this.logText === undefined) return { status: 404, message: `the pod of stage ${stage} is gone` };
    if (this.cannedOn) canned?.(this.cannedOn);
    out.write(this.logText);
    return { status: 200 };
  }

  async dryRun(yaml: string) {
    this.calls.push(['dryRun', yaml.length]);
    return { status: 200, result: { ok: true, message: 'dry run accepted' } };
  }

  async apply(yaml: string) {
    this.calls.push(['apply', yaml.length]);
    return { status: 201, result: { ok: true, message: 'applied' } };
  }
}
