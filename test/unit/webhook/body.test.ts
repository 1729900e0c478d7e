import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, readCappedBody } from '../../../src/webhook/body.ts';

const chunks = (...sizes: number[]) =>
  Readable.from(
    sizes.map((n) => Buffer.alloc(n, 97)),
    { objectMode: false },
  );

describe('readCappedBody', () => {
  it.each([
    ['one chunk under the cap', [10], 'ok', 10],
    ['several chunks exactly at the cap', [4, 4, 2], 'ok', 10],
    ['a chunk past the cap', [4, 4, 3], 'too_large', 0],
    ['an empty body', [], 'ok', 0],
  ])('%s', async (_name, sizes, expected, length) => {
    const read = await readCappedBody(chunks(...sizes), undefined, 10);
    expect(read.ok ? 'ok' : read.reason).toBe(expected);
    if (read.ok) expect(read.body.length).toBe(length);
  });

  it.each([
    ['over the cap', String(MAX_BODY_BYTES + 1)],
    ['not a number', 'lots'],
    ['negative', '-1x'],
  ])('refuses a declared Content-Length %s without reading', async (_name, declared) => {
    const stream = chunks(1);
    const read = await readCappedBody(stream, declared);
    expect(read).toEqual({ ok: false, reason: 'too_large' });
    expect(stream.readableEnded).toBe(false);
  });

  it('stops reading once past the cap: the rest stays unread', async () => {
    let pulled = 0;
    const stream = new Readable({
      read() {
        pulled++;
        this.push(Buffer.alloc(1024));
      },
    });
    const read = await readCappedBody(stream, undefined, 4096);
    expect(read).toEqual({ ok: false, reason: 'too_large' });
    expect(stream.isPaused()).toBe(true);
    const before = pulled;
    await new Promise((r) => setImmediate(r));
    expect(pulled).toBeLessThanOrEqual(before + 1);
  });

  it('says aborted when the stream fails mid-body', async () => {
    const stream = new Readable({ read() {} });
    const read = readCappedBody(stream, undefined, 100);
    stream.push(Buffer.alloc(5));
    stream.destroy(new Error('socket hang up'));
    expect(await read).toEqual({ ok: false, reason: 'aborted' });
  });
});
