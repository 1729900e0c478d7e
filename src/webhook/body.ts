// Reads a request body with a hard cap: a body over the cap is refused without being read to the
// end, so a sender cannot make the receiver hold more than MAX_BODY_BYTES per request.
import type { Readable } from 'node:stream';

/** The largest body accepted: GitHub caps its payloads at 25 MB, but a push event fits in far less. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyRead = { ok: true; body: Buffer } | { ok: false; reason: 'too_large' | 'aborted' };

/**
 * The whole body, or `too_large` as soon as either the declared Content-Length or the bytes read
 * pass `max`. On `too_large` the stream is paused and left unread (not destroyed: the caller still
 * answers 413 on the same socket, then closes it).
 */
export function readCappedBody(
  stream: Readable,
  declaredLength: string | undefined,
  max = MAX_BODY_BYTES,
): Promise<BodyRead> {
  if (declaredLength !== undefined && !(Number(declaredLength) <= max)) {
    return Promise.resolve({ ok: false, reason: 'too_large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BodyRead): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > max) {
        stream.pause();
        finish({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onError = (): void => finish({ ok: false, reason: 'aborted' });
    // A client that goes away mid-body: 'close' without 'end'.
    const onClose = (): void => finish({ ok: false, reason: 'aborted' });
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('close', onClose);
  });
}
