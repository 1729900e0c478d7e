// StreamStore against a stand-in EventSource (node has none): the transport's decisions —
// connection states, one notification per frame, reopening a stream the browser gave up on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StreamStore } from '../../../../../src/console/ui/shared/store.ts';

class FakeEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static opened: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  private readonly handlers = new Map<string, ((e: { data?: string }) => void)[]>();

  readonly url: string;

  constructor(url: string) {
    this.url = url;
    FakeEventSource.opened.push(this);
  }

  addEventListener(type: string, handler: (e: { data?: string }) => void): void {
    this.handlers.set(type, [...(this.handlers.get(type) ?? []), handler]);
  }

  emit(type: string, data?: unknown): void {
    this.emitRaw(type, data === undefined ? undefined : JSON.stringify(data));
  }

  emitRaw(type: string, data: string | undefined): void {
    if (type === 'open') this.readyState = FakeEventSource.OPEN;
    for (const h of this.handlers.get(type) ?? []) h({ data });
  }

  close(): void {
    this.readyState = FakeEventSource.CLOSED;
  }
}

const snapshot = { pipelines: [], jobs: [], events: [], namespaces: [], user: 'alice' };
const pipeline = (name: string) => ({
  op: 'upsert',
  object: {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { namespace: 'ns', name },
    spec: { stages: [] },
  },
});

beforeEach(() => {
  vi.useFakeTimers();
  FakeEventSource.opened = [];
  vi.stubGlobal('EventSource', FakeEventSource);
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe('StreamStore', () => {
  it('is connecting until the first reset, then live; a lost stream is reconnecting, back to live on open', () => {
    const store = new StreamStore('/api/stream');
    store.start();
    const source = FakeEventSource.opened[0]!;
    expect(source.url).toBe('/api/stream');
    source.emit('open');
    expect(store.streamStatus()).toBe('connecting');
    expect(store.connected()).toBe(false);
    source.emit('reset', snapshot);
    expect(store.streamStatus()).toBe('live');
    expect(store.user()).toBe('alice');
    source.emit('error');
    expect(store.streamStatus()).toBe('reconnecting');
    expect(store.connected()).toBe(false);
    source.emit('open');
    expect(store.streamStatus()).toBe('live');
  });

  it('tells subscribers once per frame however many messages arrived', () => {
    const store = new StreamStore();
    store.start();
    const source = FakeEventSource.opened[0]!;
    const heard = vi.fn();
    store.subscribe(heard);
    source.emit('reset', snapshot);
    for (const name of ['a', 'b', 'c']) source.emit('pipeline', pipeline(name));
    expect(heard).not.toHaveBeenCalled();
    vi.advanceTimersByTime(20);
    expect(heard).toHaveBeenCalledTimes(1);
    expect(store.pipelines().map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
  });

  it('skips a message it cannot apply and keeps going', () => {
    const store = new StreamStore();
    store.start();
    const source = FakeEventSource.opened[0]!;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    source.emit('reset', snapshot);
    source.emitRaw('pipeline', '{not json');
    source.emit('pipeline', pipeline('after'));
    expect(store.pipelines().map((p) => p.metadata.name)).toEqual(['after']);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('opens a new stream when the browser gives one up (CLOSED), and only then', () => {
    const store = new StreamStore();
    store.start();
    const first = FakeEventSource.opened[0]!;
    first.emit('reset', snapshot);
    first.emit('error'); // still CONNECTING: the browser retries by itself
    vi.advanceTimersByTime(10_000);
    expect(FakeEventSource.opened).toHaveLength(1);
    first.close();
    first.emit('error');
    vi.advanceTimersByTime(3_000);
    expect(FakeEventSource.opened).toHaveLength(2);
    store.stop();
  });

  it('builds log URLs and asks for access once per namespace while the answer is fresh', async () => {
    const fetchMock = vi.fn(
      async () =>
        new Response(
          JSON.stringify({
            namespace: 'ns',
            create: true,
            run: true,
            retry: false,
            cancel: false,
            suspend: false,
            resume: false,
          }),
        ),
    );
    vi.stubGlobal('fetch', fetchMock);
    const store = new StreamStore();
    expect(store.logsUrl('team a', 'p', 'load', 'g1', true)).toBe(
      '/api/pipelines/team%20a/p/logs?stage=load&run=g1&follow=1',
    );
    expect((await store.access('ns')).run).toBe(true);
    await store.access('ns');
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });

  it('turns a refused action into { ok: false } with the server’s reason', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(
        async () =>
          new Response(JSON.stringify({ message: 'pipelines.conveyor.dev "p" is forbidden' }), { status: 403 }),
      ),
    );
    const store = new StreamStore();
    expect(await store.act('ns', 'p', 'run')).toEqual({
      ok: false,
      message: 'pipelines.conveyor.dev "p" is forbidden',
    });
  });
});
