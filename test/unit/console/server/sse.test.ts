import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { frame, planResume, Ring, StreamHub } from '../../../../src/console/server/sse.ts';
import { MemoryBackend, pipeline } from './memory-backend.ts';

describe('planResume', () => {
  // oldest held 101, newest 150
  const cases: [string | undefined, string][] = [
    [undefined, 'reset'],
    ['', 'reset'],
    ['abc', 'reset'],
    ['-5', 'reset'],
    ['1e3', 'reset'],
    ['99', 'reset'], // missed 100, which is gone
    ['100', 'replay after 100'], // missed exactly what is held
    ['120', 'replay after 120'],
    [' 120 ', 'replay after 120'],
    ['150', 'replay after 150'], // missed nothing
    ['151', 'reset'], // from the future: another server process
    ['99999999999999999', 'reset'],
  ];
  it.each(cases)('Last-Event-ID %j → %s', (id, expected) => {
    const plan = planResume(id, 101, 150);
    expect(plan.kind === 'replay' ? `replay after ${plan.after}` : plan.kind).toBe(expected);
  });

  it('an empty ring (oldest = newest + 1) replays nothing for the newest id, resets for older', () => {
    expect(planResume('7', 8, 7)).toEqual({ kind: 'replay', after: 7 });
    expect(planResume('6', 8, 7)).toEqual({ kind: 'reset' });
  });
});

describe('Ring', () => {
  it('keeps the last N in order across the wrap', () => {
    const ring = new Ring(3);
    for (let id = 1; id <= 5; id++)
      ring.push({ id, message: { type: 'pipeline', data: { op: 'delete', object: pipeline('n', `p${id}`) } } });
    expect(ring.oldestId(0)).toBe(3);
    expect(ring.since(0).map((item) => item.id)).toEqual([3, 4, 5]);
    expect(ring.since(4).map((item) => item.id)).toEqual([5]);
    expect(new Ring(3).oldestId(9)).toBe(9);
  });
});

/** A ServerResponse stand-in that records what is written. */
function fakeResponse(): ServerResponse & { text: () => string; status?: number; closeNow: () => void } {
  const chunks: string[] = [];
  const handlers: (() => void)[] = [];
  const res = {
    writableLength: 0,
    writeHead(status: number) {
      res.status = status;
      return res;
    },
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    end() {},
    destroy() {},
    on(event: string, handler: () => void) {
      if (event === 'close') handlers.push(handler);
      return res;
    },
    text: () => chunks.join(''),
    closeNow: () => {
      for (const h of handlers) h();
    },
  } as unknown as ServerResponse & { text: () => string; status?: number; closeNow: () => void };
  return res;
}

function request(lastEventId?: string): IncomingMessage {
  return { headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId } } as IncomingMessage;
}

/** The (event, id) pairs of the frames in an SSE text. */
function frames(text: string): { event: string; id: number; data: unknown }[] {
  return [...text.matchAll(/event: (\S+)\nid: (\d+)\ndata: (.*)\n\n/g)].map((m) => ({
    event: m[1]!,
    id: Number(m[2]),
    data: JSON.parse(m[3]!) as unknown,
  }));
}

describe('StreamHub', () => {
  let hub: StreamHub | undefined;
  afterEach(() => hub?.close());

  it('a new stream gets a reset with the snapshot, then each change with rising ids', () => {
    const backend = new MemoryBackend();
    backend.emit({ type: 'pipeline', data: { op: 'upsert', object: pipeline('team-a', 'before') } });
    hub = new StreamHub(backend);
    const res = fakeResponse();
    hub.open(request(), res, {});
    backend.emit({ type: 'pipeline', data: { op: 'upsert', object: pipeline('team-a', 'after') } });
    backend.emit({ type: 'pipeline', data: { op: 'delete', object: pipeline('team-a', 'before') } });
    const got = frames(res.text());
    expect(got.map((f) => f.event)).toEqual(['reset', 'pipeline', 'pipeline']);
    expect((got[0]!.data as { pipelines: unknown[] }).pipelines).toHaveLength(1);
    expect(got[1]!.id).toBe(got[0]!.id + 1);
    expect(got[2]!.id).toBe(got[0]!.id + 2);
    expect(res.text()).toContain('retry: 2000\n\n');
  });

  it('a reconnect with Last-Event-ID gets only what it missed; one too old for the ring gets a reset', () => {
    const backend = new MemoryBackend();
    hub = new StreamHub(backend, { ringSize: 3 });
    const first = fakeResponse();
    hub.open(request(), first, {});
    for (let i = 1; i <= 2; i++)
      backend.emit({ type: 'pipeline', data: { op: 'upsert', object: pipeline('team-a', `p${i}`) } });
    first.closeNow();
    const seen = frames(first.text()).at(-1)!.id;
    backend.emit({ type: 'pipeline', data: { op: 'upsert', object: pipeline('team-a', 'p3') } });

    const resumed = fakeResponse();
    hub.open(request(String(seen)), resumed, {});
    const replay = frames(resumed.text());
    expect(replay.map((f) => [f.event, f.id])).toEqual([['pipeline', seen + 1]]);
    expect(first.text()).not.toContain('"p3"'); // the closed stream got nothing more

    for (let i = 4; i <= 6; i++)
      backend.emit({ type: 'pipeline', data: { op: 'upsert', object: pipeline('team-a', `p${i}`) } });
    const late = fakeResponse();
    hub.open(request(String(seen)), late, {});
    const reset = frames(late.text());
    expect(reset.map((f) => f.event)).toEqual(['reset']);
    expect((reset[0]!.data as { pipelines: unknown[] }).pipelines).toHaveLength(6);
    expect(reset[0]!.id).toBe(seen + 4);
  });

  it('sends a heartbeat comment on the interval', async () => {
    hub = new StreamHub(new MemoryBackend(), { heartbeatMs: 10 });
    const res = fakeResponse();
    hub.open(request(), res, {});
    await expect.poll(() => res.text(), { timeout: 2_000 }).toContain(': heartbeat\n\n');
  });

  it('frame: event, id and one line of JSON data', () => {
    expect(frame('job', 7, { a: 'x\ny' })).toBe('event: job\nid: 7\ndata: {"a":"x\\ny"}\n\n');
  });
});
