// ConsoleStore over the server's one event stream (GET /api/stream): the first message is a
// `reset` with everything, then changes. EventSource reconnects by itself and sends
// Last-Event-ID, so the server replays what was missed (or resets); if the browser gives up
// (the stream answered with an error status), we open a new one after a pause. Subscribers hear
// once per animation frame however many messages arrived, so a burst costs one render.
import type {
  Access,
  ActionName,
  ActionRequest,
  ActionResult,
  CheckResult,
  Pipeline,
  StreamMessage,
} from '../../protocol.ts';
import { getJson, pipelinePath, postOutcome } from './api.ts';
import { ConsoleState } from './store-state.ts';
import type { ConsoleStore } from './store-types.ts';

/** `connecting` until the first snapshot; `reconnecting` while a lost stream comes back. */
export type StreamState = 'connecting' | 'live' | 'reconnecting';

const MESSAGE_TYPES: StreamMessage['type'][] = ['reset', 'pipeline', 'job', 'event'];
const REOPEN_DELAY_MS = 3_000;
const ACCESS_TTL_MS = 30_000;

export class StreamStore implements ConsoleStore {
  readonly state = new ConsoleState();
  private stream: EventSource | undefined;
  private streamState: StreamState = 'connecting';
  private hasSnapshot = false;
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;
  private reopenTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly accessCache = new Map<string, { at: number; answer: Promise<Access> }>();

  private readonly url: string;

  constructor(url = '/api/stream') {
    this.url = url;
  }

  start(): void {
    const source = new EventSource(this.url);
    this.stream = source;
    for (const type of MESSAGE_TYPES)
      source.addEventListener(type, (e) => this.receive(type, (e as MessageEvent<string>).data));
    source.addEventListener('open', () => this.setStreamState(this.hasSnapshot ? 'live' : 'connecting'));
    source.addEventListener('error', () => this.lost(source));
  }

  stop(): void {
    clearTimeout(this.reopenTimer);
    this.stream?.close();
    this.stream = undefined;
  }

  private lost(source: EventSource): void {
    this.setStreamState(this.hasSnapshot ? 'reconnecting' : 'connecting');
    if (source.readyState !== EventSource.CLOSED || source !== this.stream) return;
    // The browser will not retry a stream that answered with an error status: we do.
    clearTimeout(this.reopenTimer);
    this.reopenTimer = setTimeout(() => this.stream === source && this.start(), REOPEN_DELAY_MS);
  }

  private receive(type: StreamMessage['type'], data: string): void {
    try {
      this.state.apply({ type, data: JSON.parse(data) } as StreamMessage);
    } catch (error) {
      // One bad message must not stop the stream: the next reset repairs what it would have changed.
      console.warn(`conveyor: ignored a ${type} message that could not be applied:`, error);
      return;
    }
    if (type === 'reset') this.hasSnapshot = true;
    if (this.hasSnapshot) this.setStreamState('live');
    this.scheduleNotify();
  }

  private setStreamState(next: StreamState): void {
    if (next === this.streamState) return;
    this.streamState = next;
    this.scheduleNotify();
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    const run = (): void => {
      this.notifyScheduled = false;
      for (const listener of [...this.listeners]) listener();
    };
    if (typeof requestAnimationFrame === 'function') requestAnimationFrame(run);
    else setTimeout(run, 16);
  }

  streamStatus(): StreamState {
    return this.streamState;
  }

  /** The user the API server says we are, when it says (shown in the header). */
  user(): string | undefined {
    return this.state.user;
  }

  pipelines(): Pipeline[] {
    return this.state.pipelines();
  }

  pipeline(namespace: string, name: string): Pipeline | undefined {
    return this.state.pipeline(namespace, name);
  }

  jobsOf(namespace: string, name: string) {
    return this.state.jobsOf(namespace, name);
  }

  eventsOf(namespace: string, name: string) {
    return this.state.eventsOf(namespace, name);
  }

  connected(): boolean {
    return this.streamState === 'live';
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Cached for a little while: every view of a namespace asks, the answer rarely changes. */
  access(namespace: string): Promise<Access> {
    const cached = this.accessCache.get(namespace);
    if (cached && Date.now() - cached.at < ACCESS_TTL_MS) return cached.answer;
    const answer = getJson<Access>(`/api/access?namespace=${encodeURIComponent(namespace)}`);
    answer.catch(() => this.accessCache.delete(namespace));
    this.accessCache.set(namespace, { at: Date.now(), answer });
    return answer;
  }

  act(namespace: string, name: string, action: ActionName, request: ActionRequest = {}): Promise<ActionResult> {
    return postOutcome<ActionResult>(pipelinePath(namespace, name, action), request);
  }

  logsUrl(namespace: string, name: string, stage: string, run: string, follow: boolean): string {
    const query = new URLSearchParams({ stage, run });
    if (follow) query.set('follow', '1');
    return `${pipelinePath(namespace, name, 'logs')}?${query}`;
  }

  dryRun(yaml: string): Promise<CheckResult> {
    return postOutcome<CheckResult>('/api/dry-run', { yaml });
  }

  apply(yaml: string): Promise<CheckResult> {
    return postOutcome<CheckResult>('/api/apply', { yaml });
  }
}
