// The browser-side state every Console view reads (implemented in store.ts from the SSE
// stream). Views are preact components taking the store as a prop; hash routes:
//   #/                      overview
//   #/p/NAMESPACE/NAME      a pipeline (DAG, grid, timeline, stage panel, logs, actions)
//   #/builder               the builder
import type {
  Access,
  ActionName,
  ActionRequest,
  ActionResult,
  CheckResult,
  EventSummary,
  JobSummary,
  Pipeline,
} from '../../protocol.ts';

export interface ConsoleStore {
  pipelines(): Pipeline[];
  pipeline(namespace: string, name: string): Pipeline | undefined;
  /** Jobs of one Pipeline (every run), by the Pipeline's full name. */
  jobsOf(namespace: string, name: string): JobSummary[];
  /** Events about the Pipeline and its Jobs, newest first. */
  eventsOf(namespace: string, name: string): EventSummary[];
  /** `connected` false while the stream reconnects. */
  connected(): boolean;
  /** Called after every applied change (batched per animation frame). */
  subscribe(listener: () => void): () => void;
  access(namespace: string): Promise<Access>;
  /** `request`: the run a retry or cancel is about; a run's params and noCache. */
  act(namespace: string, name: string, action: ActionName, request?: ActionRequest): Promise<ActionResult>;
  logsUrl(namespace: string, name: string, stage: string, run: string, follow: boolean): string;
  dryRun(yaml: string): Promise<CheckResult>;
  apply(yaml: string): Promise<CheckResult>;
}
