import { describe, expect, it } from 'vitest';
import { KeyedQueue } from '../../../src/webhook/keyed-queue.ts';
import { RefusalEvents } from '../../../src/webhook/refusal-events.ts';
import { pipeline } from './fakes.ts';

describe('RefusalEvents', () => {
  it('emits at most one Event per Pipeline and outcome per window, and says how many it left out', () => {
    const sent: string[] = [];
    const events = new RefusalEvents(
      (p, e) => sent.push(`${p.metadata.name} ${e.type} ${e.reason} ${e.message}`),
      60_000,
    );
    const p = pipeline('p');
    const q = pipeline('q');
    expect(events.refused(p, 'bad_signature', 'wrong', 0)).toBe(true);
    for (let i = 1; i <= 100; i++) expect(events.refused(p, 'bad_signature', 'wrong', i)).toBe(false);
    expect(events.refused(p, 'too_large', 'big', 1)).toBe(true);
    expect(events.refused(q, 'bad_signature', 'wrong', 1)).toBe(true);
    expect(events.refused(p, 'bad_signature', 'wrong', 60_000)).toBe(true);
    expect(sent).toEqual([
      'p Warning WebhookRefused webhook delivery refused: bad_signature: wrong',
      'p Warning WebhookRefused webhook delivery refused: too_large: big (100 more refusals not recorded as Events in the last minute)',
      'q Warning WebhookRefused webhook delivery refused: bad_signature: wrong',
      'p Warning WebhookRefused webhook delivery refused: bad_signature: wrong',
    ]);
  });
});

describe('KeyedQueue', () => {
  it('runs tasks of one key one after the other, other keys alongside', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const a1 = q.run('a', async () => {
      log.push('a1 start');
      await gate;
      log.push('a1 end');
    });
    const a2 = q.run('a', async () => void log.push('a2'));
    const b1 = q.run('b', async () => void log.push('b1'));
    await b1;
    expect(log).toEqual(['a1 start', 'b1']);
    release();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
    expect(q.size()).toBe(0);
  });

  it('goes on after a failed task, and refuses past the bound per key', async () => {
    const q = new KeyedQueue(2);
    const failed = q.run('a', async () => {
      throw new Error('boom');
    });
    const next = q.run('a', async () => 'ok');
    expect(q.run('a', async () => 'third')).toBeUndefined();
    await expect(failed).rejects.toThrow('boom');
    expect(await next).toBe('ok');
  });
});
