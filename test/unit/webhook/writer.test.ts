import { describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { ANN_RUN_OPTIONS, ANN_RUN_REQUESTED } from '../../../src/api/labels.ts';
import type { Pipeline } from '../../../src/api/types.ts';
import { RequestWriter } from '../../../src/webhook/writer.ts';
import { FakeSource, pipeline } from './fakes.ts';

const conflict = () => new ApiException(409, 'Conflict', { reason: 'Conflict' }, {});

/**
 * A fake API server: patches apply to its copy, with the resourceVersion precondition the real one
 * enforces; the test delivers them to the caches (one per replica) when it wants.
 */
function server(caches: FakeSource | FakeSource[], start: Pipeline) {
  const replicas = Array.isArray(caches) ? caches : [caches];
  const source = replicas[0] as FakeSource;
  let current = start;
  const patches: Record<string, string>[] = [];
  /** Requests a patch replaced before the planner handled them: must stay empty. */
  const overwritten: string[] = [];
  /** Patches refused for a stale resourceVersion. */
  let conflicts = 0;
  return {
    patches,
    overwritten,
    conflicts: () => conflicts,
    current: () => current,
    /** Someone else writes (the CLI): a new resourceVersion. */
    bump(annotations: Record<string, string>) {
      current = withAnnotations(current, annotations);
    },
    /** The planner handled the pending request: lastRunRequest, and the watch delivers it. */
    handle() {
      const value = current.metadata.annotations?.[ANN_RUN_REQUESTED];
      current = {
        ...current,
        metadata: { ...current.metadata, resourceVersion: String(Number(current.metadata.resourceVersion) + 1) },
        status: { ...current.status, lastRunRequest: value },
      };
      for (const cache of replicas) cache.set(current);
    },
    deliver() {
      for (const cache of replicas) cache.set(current);
    },
    /** The Pipeline deleted and created again under its name: another uid, and the watch delivers it. */
    recreate(uid: string) {
      current = { ...start, metadata: { ...start.metadata, uid, resourceVersion: '100' } };
      for (const cache of replicas) cache.set(current);
    },
    /** A replica's writer, reading its own cache (the first replica's unless told). */
    writer: (waitMs = 1000, cache = source) =>
      new RequestWriter({
        source: cache,
        waitMs,
        patch: async (p, annotations) => {
          if (p.metadata.resourceVersion !== current.metadata.resourceVersion) {
            conflicts++;
            throw conflict();
          }
          const pending = current.metadata.annotations?.[ANN_RUN_REQUESTED];
          if (pending !== undefined && pending !== current.status?.lastRunRequest) overwritten.push(pending);
          patches.push(annotations);
          current = withAnnotations(current, annotations);
          return current;
        },
        read: async () => current,
      }),
  };
}

function withAnnotations(p: Pipeline, annotations: Record<string, string>): Pipeline {
  return {
    ...p,
    metadata: {
      ...p.metadata,
      annotations: { ...p.metadata.annotations, ...annotations },
      resourceVersion: String(Number(p.metadata.resourceVersion) + 1),
    },
  };
}

const req = (id: string) => ({ value: `webhook:${id}`, options: JSON.stringify({ request: `webhook:${id}` }) });

describe('RequestWriter', () => {
  it('writes both annotations in one patch on a settled Pipeline', async () => {
    const source = new FakeSource();
    const p = pipeline('p');
    source.set(p);
    const s = server(source, p);
    expect(await s.writer().write('ns/p', [req('a')])).toEqual({ kind: 'accepted', written: ['webhook:a'] });
    expect(s.patches).toEqual([{ [ANN_RUN_REQUESTED]: 'webhook:a', [ANN_RUN_OPTIONS]: req('a').options }]);
  });

  it('answers duplicate for a request already pending or handled, writing nothing', async () => {
    const source = new FakeSource();
    const p = pipeline('p', {
      annotations: { [ANN_RUN_REQUESTED]: 'webhook:a' },
      status: { lastRunRequest: 'webhook:a' },
    });
    source.set(p);
    const s = server(source, p);
    expect(await s.writer().write('ns/p', [req('a')])).toEqual({ kind: 'duplicate' });
    expect(s.patches).toEqual([]);
  });

  it('answers duplicate for a request it wrote that status no longer lists (redelivered after 10 newer)', async () => {
    const source = new FakeSource();
    const p = pipeline('p');
    source.set(p);
    const s = server(source, p);
    const w = s.writer();
    expect(await w.write('ns/p', [req('a')])).toMatchObject({ kind: 'accepted' });
    s.handle();
    // Later requests push it out of what status shows: it is neither pending, handled last, nor listed.
    s.bump({ [ANN_RUN_REQUESTED]: 'webhook:z' });
    s.handle();
    expect(await w.write('ns/p', [req('a')])).toEqual({ kind: 'duplicate' });
    expect(s.patches).toHaveLength(1);
    // A writer without that memory (another process) would write it again: the memory is what refused it.
    expect(await s.writer().write('ns/p', [req('a')])).toMatchObject({ kind: 'accepted' });
  });

  it('keeps that memory per Pipeline uid: a Pipeline re-created under its name starts clean', async () => {
    const source = new FakeSource();
    const p = pipeline('p');
    source.set(p);
    const s = server(source, p);
    const w = s.writer();
    expect(await w.write('ns/p', [req('a')])).toMatchObject({ kind: 'accepted' });
    s.handle();
    s.recreate('uid-p-2');
    expect(await w.write('ns/p', [req('a')])).toMatchObject({ kind: 'accepted' });
    expect(s.patches).toHaveLength(2);
  });

  it('waits until the request before is handled, then writes the next: none is overwritten', async () => {
    const source = new FakeSource();
    const p = pipeline('p');
    source.set(p);
    const s = server(source, p);
    const w = s.writer(5000);
    const first = w.write('ns/p', [req('a')]);
    const second = w.write('ns/p', [req('b')]);
    expect(await first).toMatchObject({ kind: 'accepted' });
    // The watch shows a pending, unhandled request: the second waits for the planner.
    s.deliver();
    s.handle();
    expect(await second).toEqual({ kind: 'accepted', written: ['webhook:b'] });
    expect(s.patches.map((a) => a[ANN_RUN_REQUESTED])).toEqual(['webhook:a', 'webhook:b']);
    expect(s.overwritten).toEqual([]);
  });

  it('answers unavailable when the pending request is not handled in time', async () => {
    const source = new FakeSource();
    const p = pipeline('p', { annotations: { [ANN_RUN_REQUESTED]: 'cli' } });
    source.set(p);
    const s = server(source, p);
    expect(await s.writer(30).write('ns/p', [req('a')])).toMatchObject({ kind: 'unavailable' });
    expect(s.patches).toEqual([]);
  });

  it('on Conflict reads the Pipeline again and never overwrites a request written meanwhile', async () => {
    const source = new FakeSource();
    const p = pipeline('p');
    source.set(p);
    const s = server(source, p);
    s.bump({ [ANN_RUN_REQUESTED]: 'cli-run' }); // the CLI wrote; the cache has not seen it
    const w = s.writer(5000);
    const written = w.write('ns/p', [req('a')]);
    s.handle();
    expect(await written).toEqual({ kind: 'accepted', written: ['webhook:a'] });
    expect(s.overwritten).toEqual([]);
  });

  it('writes each record of a delivery in turn, and a retried delivery skips those written', async () => {
    const source = new FakeSource();
    const p = pipeline('p');
    source.set(p);
    const s = server(source, p);
    const w = s.writer(50);
    const first = await w.write('ns/p', [req('d-0'), req('d-1')]);
    expect(first).toMatchObject({ kind: 'unavailable' });
    s.handle();
    expect(await w.write('ns/p', [req('d-0'), req('d-1')])).toEqual({ kind: 'accepted', written: ['webhook:d-1'] });
    expect(s.patches.map((a) => a[ANN_RUN_REQUESTED])).toEqual(['webhook:d-0', 'webhook:d-1']);
  });

  it('answers gone for a Pipeline not in the cache', async () => {
    const source = new FakeSource();
    const s = server(source, pipeline('p'));
    expect(await s.writer().write('ns/p', [req('a')])).toEqual({ kind: 'gone' });
  });
});

/** Resolves once `cond` holds (checked after each turn of the event loop). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

describe('RequestWriter across replicas: two processes, each with its own cache and queue, one API server', () => {
  function twoReplicas() {
    const p = pipeline('p');
    const caches = [new FakeSource(), new FakeSource()];
    for (const cache of caches) cache.set(p);
    const s = server(caches, p);
    return { s, writers: caches.map((cache) => s.writer(5000, cache)) };
  }

  it('two deliveries at once: one writes, the other gets Conflict, waits for the planner, then writes', async () => {
    const { s, writers } = twoReplicas();
    const [w1, w2] = writers as [RequestWriter, RequestWriter];
    const results = Promise.all([w1.write('ns/p', [req('a')]), w2.write('ns/p', [req('b')])]);
    // Both decided on resourceVersion 1; the server took one patch and refused the other.
    await until(() => s.patches.length === 1 && s.conflicts() === 1);
    const first = s.current().metadata.annotations?.[ANN_RUN_REQUESTED];
    s.handle();
    await until(() => s.patches.length === 2);
    s.handle();
    expect(await results).toEqual([
      { kind: 'accepted', written: ['webhook:a'] },
      { kind: 'accepted', written: ['webhook:b'] },
    ]);
    const order = s.patches.map((a) => a[ANN_RUN_REQUESTED]);
    expect(order[0]).toBe(first);
    expect([...order].sort()).toEqual(['webhook:a', 'webhook:b']);
    expect(s.overwritten).toEqual([]);
  });

  it('one delivery at both replicas at once (a retry on another pod): written once, the other is a duplicate', async () => {
    const { s, writers } = twoReplicas();
    const [w1, w2] = writers as [RequestWriter, RequestWriter];
    const results = await Promise.all([w1.write('ns/p', [req('a')]), w2.write('ns/p', [req('a')])]);
    expect(results).toContainEqual({ kind: 'accepted', written: ['webhook:a'] });
    expect(results).toContainEqual({ kind: 'duplicate' });
    expect(s.patches).toHaveLength(1);
    expect(s.conflicts()).toBe(1);
    expect(s.overwritten).toEqual([]);
  });

  it("a replica whose cache lags never replaces the other replica's unhandled request", async () => {
    const { s, writers } = twoReplicas();
    const [w1, w2] = writers as [RequestWriter, RequestWriter];
    expect(await w1.write('ns/p', [req('a')])).toEqual({ kind: 'accepted', written: ['webhook:a'] });
    // Replica 2's watch has not delivered a's write: it decides on resourceVersion 1 and is refused.
    const second = w2.write('ns/p', [req('b')]);
    await until(() => s.conflicts() === 1);
    s.handle();
    expect(await second).toEqual({ kind: 'accepted', written: ['webhook:b'] });
    expect(s.patches.map((a) => a[ANN_RUN_REQUESTED])).toEqual(['webhook:a', 'webhook:b']);
    expect(s.overwritten).toEqual([]);
  });
});
