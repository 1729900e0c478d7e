// What the Console's HTTP layer (server.ts) needs from Kubernetes, always with the user's own
// credentials (their kubeconfig, or in-cluster the bearer token the request carries). The HTTP
// layer knows nothing of Kubernetes; the backend knows nothing of HTTP.
import type { Writable } from 'node:stream';
import type {
  Access,
  ActionName,
  ActionRequest,
  ActionResult,
  CheckResult,
  Snapshot,
  StreamMessage,
} from '../protocol.ts';

export interface ConsoleBackend {
  /** Starts the watches; resolves once the first lists are in. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Everything watched now. */
  snapshot(): Snapshot;
  /** Every change after the snapshot, in order (messages other than `reset`). */
  subscribe(listener: (message: Exclude<StreamMessage, { type: 'reset' }>) => void): () => void;
  access(namespace: string): Promise<Access>;
  /** Refuses (ok false, status 403) what access() denies; otherwise does it as the user. */
  act(
    namespace: string,
    name: string,
    action: ActionName,
    request: ActionRequest,
  ): Promise<{ status: number; result: ActionResult }>;
  /**
   * Writes the logs of a stage's pod of run `run` to `out` (following while it runs when
   * `follow`); status 404 with a plain message when there is no pod (gone, or never made).
   * `canned` is called, before any line, when the lines are not the pod's own: its node is
   * KWOK's, which serves every pod one shared file (canned-logs.ts).
   */
  logs(
    namespace: string,
    name: string,
    stage: string,
    run: string,
    follow: boolean,
    out: Writable,
    canned?: (node: string) => void,
  ): Promise<{ status: number; message?: string }>;
  dryRun(yaml: string): Promise<{ status: number; result: CheckResult }>;
  apply(yaml: string): Promise<{ status: number; result: CheckResult }>;
}
