import { ApiException, type V1Secret } from '@kubernetes/client-node';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { NOT_RECEIVING, PathIndex, REREAD_AFTER_FAILURE_MS } from '../../../src/webhook/path-index.ts';
import { FakeSource, pipeline } from './fakes.ts';

const log = pino({ level: 'silent' });
const hook = (secret = 's', key?: string) => ({ type: 'hmac', secretRef: { name: secret, ...(key ? { key } : {}) } });
const secret = (data: Record<string, string>): V1Secret => ({
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const pathOf = (token: string, name: string, namespace: string) => `/hook/${token}.${name}.${namespace}`;

function setUp(secrets: Record<string, V1Secret | number>, receiving = true) {
  const source = new FakeSource();
  const reads: string[] = [];
  let now = 0;
  const index = new PathIndex({
    source,
    pathOf,
    log,
    receiving,
    now: () => now,
    getSecret: async (namespace, name) => {
      reads.push(`${namespace}/${name}`);
      const found = secrets[name];
      if (typeof found === 'number') throw new ApiException(found, 'refused', {}, {});
      if (!found) throw new ApiException(404, 'not found', {}, {});
      return found;
    },
  });
  /** What the gatherer gets for the Pipeline `key` as the controller's cache (here the same) has it. */
  const facts = (key: string) => {
    const [namespace = '', name = ''] = key.split('/');
    const p = source.get(namespace, name);
    return p && index.facts(p);
  };
  return { source, index, reads, facts, advance: (ms: number) => (now += ms) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('PathIndex', () => {
  it('reads the named Secret, maps the path to the Pipeline and requeues it', async () => {
    const t = setUp({ s: secret({ token: 'tok' }) });
    t.source.set(pipeline('p', { webhook: hook() }));
    await settle();
    expect(t.facts('ns/p')).toEqual({ path: '/hook/tok.p.ns' });
    expect(t.index.lookup('/hook/tok.p.ns')).toEqual({ key: 'ns/p', token: 'tok', path: '/hook/tok.p.ns' });
    expect(t.source.requeued).toEqual(['ns/p']);
    expect(t.reads).toEqual(['ns/s']);
  });

  it.each([
    ['a missing Secret', {}, 'Secret s not found in namespace ns'],
    ['a missing key', { s: secret({ other: 'x' }) }, 'Secret s has no key "token"'],
    ['an empty token', { s: secret({ token: ' ' }) }, 'Secret s: key "token" is empty'],
    ['a forbidden Secret', { s: 403 }, 'the operator may not read Secret s in namespace ns'],
  ])('names %s in the message, and maps no path', async (_name, secrets, message) => {
    const t = setUp(secrets as Record<string, V1Secret | number>);
    t.source.set(pipeline('p', { webhook: hook() }));
    await settle();
    expect(t.facts('ns/p')?.message).toContain(message);
    expect(t.facts('ns/p')?.path).toBeUndefined();
  });

  it('before the Secret is read, reports what status already says (no flap after a restart)', async () => {
    const t = setUp({});
    t.source.pipelines.set('ns/p', pipeline('p', { webhook: hook(), status: { webhook: { path: '/hook/old' } } }));
    t.source.pipelines.set('ns/q', pipeline('q', { webhook: hook() }));
    expect(t.facts('ns/p')).toEqual({ path: '/hook/old' });
    expect(t.facts('ns/q')).toBeUndefined();
    await t.index.refreshAll();
    expect(t.facts('ns/p')).toEqual({ message: 'Secret s not found in namespace ns' });
  });

  it('reads the key secretRef names', async () => {
    const t = setUp({ s: secret({ custom: 'k2' }) });
    t.source.set(pipeline('p', { webhook: hook('s', 'custom') }));
    await settle();
    expect(t.facts('ns/p')).toEqual({ path: '/hook/k2.p.ns' });
  });

  it('does not read the Secret again for a status update, but does when the webhook changes', async () => {
    const t = setUp({ s: secret({ token: 'a' }), s2: secret({ token: 'b' }) });
    t.source.set(pipeline('p', { webhook: hook() }));
    await settle();
    t.source.set(pipeline('p', { webhook: hook(), status: { lastRunRequest: 'x' }, rv: '2' }));
    await settle();
    expect(t.reads).toEqual(['ns/s']);
    t.source.set(pipeline('p', { webhook: hook('s2'), rv: '3' }));
    await settle();
    expect(t.reads).toEqual(['ns/s', 'ns/s2']);
    expect(t.index.lookup('/hook/a.p.ns')).toBeUndefined();
    expect(t.index.lookup('/hook/b.p.ns')?.key).toBe('ns/p');
  });

  it('reads again after a signature failure, at most once per interval, and follows a rotated token', async () => {
    const secrets: Record<string, V1Secret> = { s: secret({ token: 'old' }) };
    const t = setUp(secrets);
    t.source.set(pipeline('p', { webhook: hook() }));
    await settle();
    secrets.s = secret({ token: 'new' });
    t.index.signatureFailed('ns/p');
    await settle();
    expect(t.reads).toHaveLength(1);
    t.advance(REREAD_AFTER_FAILURE_MS);
    t.index.signatureFailed('ns/p');
    t.index.signatureFailed('ns/p');
    await settle();
    expect(t.reads).toHaveLength(2);
    expect(t.facts('ns/p')).toEqual({ path: '/hook/new.p.ns' });
    expect(t.index.lookup('/hook/old.p.ns')).toBeUndefined();
  });

  it('forgets a deleted Pipeline and one whose webhook is removed', async () => {
    const t = setUp({ s: secret({ token: 'a' }) });
    const p = pipeline('p', { webhook: hook() });
    t.source.set(p);
    t.source.set(pipeline('q', { webhook: hook() }));
    await settle();
    t.source.delete(p);
    t.source.set(pipeline('q', { rv: '2' }));
    expect(t.index.lookup('/hook/a.p.ns')).toBeUndefined();
    expect(t.index.lookup('/hook/a.q.ns')).toBeUndefined();
    expect(t.facts('ns/q')).toBeUndefined();
  });

  it('without --webhook-address reads no Secret and says why nothing is received', async () => {
    const t = setUp({ s: secret({ token: 'a' }) }, false);
    t.source.set(pipeline('p', { webhook: hook() }));
    t.source.set(pipeline('q'));
    t.index.start();
    await t.index.refreshAll();
    expect(t.reads).toEqual([]);
    expect(t.facts('ns/p')).toEqual({ message: NOT_RECEIVING });
    expect(t.facts('ns/q')).toBeUndefined();
  });

  it('reads every Secret again each refresh period (a rotated token within a minute)', async () => {
    vi.useFakeTimers();
    try {
      const secrets: Record<string, V1Secret> = { s: secret({ token: 'old' }) };
      const t = setUp(secrets);
      t.source.pipelines.set('ns/p', pipeline('p', { webhook: hook() }));
      t.index.start(60_000);
      await vi.advanceTimersByTimeAsync(0);
      expect(t.facts('ns/p')).toEqual({ path: '/hook/old.p.ns' });
      secrets.s = secret({ token: 'new' });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(t.reads).toHaveLength(2);
      expect(t.facts('ns/p')).toEqual({ path: '/hook/new.p.ns' });
      t.index.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refreshAll reads every webhook Pipeline once', async () => {
    const t = setUp({ s: secret({ token: 'a' }) });
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) t.source.pipelines.set(`ns/${n}`, pipeline(n, { webhook: hook() }));
    t.source.pipelines.set('ns/plain', pipeline('plain'));
    await t.index.refreshAll();
    expect(t.reads.sort()).toEqual(Array(6).fill('ns/s'));
    expect(t.source.requeued.sort()).toEqual(['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e', 'ns/f']);
  });
});
