// GET /api/stream: one server-sent-events stream per browser tab. On connect the tab gets a
// `reset` with everything watched now, then every change. Each message has an SSE id (a
// sequence number); the last few thousand stay in a ring, so a tab that reconnects with
// Last-Event-ID (EventSource does that by itself) gets only what it missed, or a fresh `reset`
// when that is no longer in the ring.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StreamMessage } from '../protocol.ts';
import type { ConsoleBackend } from './backend.ts';

type Change = Exclude<StreamMessage, { type: 'reset' }>;
type Numbered = { id: number; message: Change };

export const DEFAULT_RING_SIZE = 5_000;
export const HEARTBEAT_MS = 15_000;
/** A tab that reads slower than this much backlog is closed; it reconnects and resumes. */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

/** One SSE frame: `event`, `id` and the JSON data on one line (JSON has no raw newlines). */
export function frame(type: string, id: number, data: unknown): string {
  return `event: ${type}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Keeps the last `capacity` changes with consecutive ids. */
export class Ring {
  private readonly items: Numbered[] = [];
  private start = 0;
  private readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  push(item: Numbered): void {
    if (this.items.length < this.capacity) this.items.push(item);
    else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** Ids held: [first, last]; first = last + 1 when empty. */
  oldestId(fallback: number): number {
    return this.items.length ? this.items[this.start]!.id : fallback;
  }

  /** The held changes with an id above `after`, in order. */
  since(after: number): Numbered[] {
    const ordered = [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
    return ordered.filter((item) => item.id > after);
  }
}

export type ResumePlan = { kind: 'reset' } | { kind: 'replay'; after: number };

/**
 * What a (re)connecting tab needs. `lastId` is the newest id sent so far, `oldestId` the oldest
 * still held. A Last-Event-ID in [oldestId - 1, lastId] misses only held changes: replay them.
 * Anything else (none, garbage, too old, from another server process) gets a reset.
 */
export function planResume(lastEventId: string | undefined, oldestId: number, lastId: number): ResumePlan {
  if (lastEventId === undefined || !/^\d{1,16}$/.test(lastEventId.trim())) return { kind: 'reset' };
  const seen = Number(lastEventId.trim());
  return seen >= oldestId - 1 && seen <= lastId ? { kind: 'replay', after: seen } : { kind: 'reset' };
}

/**
 * Numbers the backend's changes and fans them out to the open streams. Ids start at the clock in
 * microseconds so that a tab still holding an id of an earlier server process (the command was
 * restarted) gets a reset instead of a wrong replay.
 */
export class StreamHub {
  private readonly ring: Ring;
  private lastId = Date.now() * 1000;
  private readonly clients = new Set<ServerResponse>();
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly backend: Pick<ConsoleBackend, 'snapshot' | 'subscribe'>;

  constructor(
    backend: Pick<ConsoleBackend, 'snapshot' | 'subscribe'>,
    options: { ringSize?: number; heartbeatMs?: number } = {},
  ) {
    this.backend = backend;
    this.ring = new Ring(options.ringSize ?? DEFAULT_RING_SIZE);
    this.unsubscribe = backend.subscribe((message) => this.publish(message));
    this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), options.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private publish(message: Change): void {
    const id = ++this.lastId;
    this.ring.push({ id, message });
    this.broadcast(frame(message.type, id, message.data));
  }

  private broadcast(text: string): void {
    for (const client of this.clients) {
      client.write(text);
      if (client.writableLength > MAX_BACKLOG_BYTES) client.destroy();
    }
  }

  /** Serves one stream until the tab goes away. */
  open(request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): void {
    response.writeHead(200, {
      ...headers,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    response.write('retry: 2000\n\n');
    const header = request.headers['last-event-id'];
    const plan = planResume(
      Array.isArray(header) ? header[0] : header,
      this.ring.oldestId(this.lastId + 1),
      this.lastId,
    );
    if (plan.kind === 'replay') {
      for (const { id, message } of this.ring.since(plan.after)) response.write(frame(message.type, id, message.data));
    } else {
      response.write(frame('reset', this.lastId, this.backend.snapshot()));
    }
    this.clients.add(response);
    response.on('close', () => this.clients.delete(response));
  }

  /** Ends every stream and stops listening to the backend. */
  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.end();
    this.clients.clear();
  }
}
