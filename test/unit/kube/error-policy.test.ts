// The operator's one error policy: every API failure is retry, conflict or terminal.
import { describe, expect, it } from 'vitest';
import { classifyApiError } from '../../../src/kube/errors.ts';
import { OwnershipConflict } from '../../../src/kube/ownership.ts';

/** A failure as client-node's ApiException carries it: code and a JSON Status body. */
const api = (code: number, reason?: string) => Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ kind: 'Status', reason, message: `${reason ?? 'x'} happened` }) });

describe('classifyApiError', () => {
  const cases: [string, unknown, 'retry' | 'terminal' | 'conflict'][] = [
    ['409 Conflict (stale resourceVersion)', api(409, 'Conflict'), 'conflict'],
    ['409 AlreadyExists is no conflict: retry (the executor handles it before)', api(409, 'AlreadyExists'), 'retry'],
    ['400 Bad Request', api(400, 'BadRequest'), 'terminal'],
    ['403 Forbidden', api(403, 'Forbidden'), 'terminal'],
    ['413 too large', api(413, 'RequestEntityTooLarge'), 'terminal'],
    ['422 Invalid', api(422, 'Invalid'), 'terminal'],
    ['404 Not Found', api(404, 'NotFound'), 'retry'],
    ['429 Too Many Requests', api(429, 'TooManyRequests'), 'retry'],
    ['500', api(500, 'InternalError'), 'retry'],
    ['503', api(503, 'ServiceUnavailable'), 'retry'],
    ['a timeout', Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), 'retry'],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }), 'retry'],
    ['an ownership conflict', new OwnershipConflict('Job x belongs to Pipeline y'), 'terminal'],
    ['not an error at all', 'boom', 'retry'],
  ];
  for (const [title, err, verdict] of cases) {
    it(title, () => {
      const got = classifyApiError(err);
      expect(got.verdict).toBe(verdict);
      expect(got.message.length).toBeGreaterThan(0);
    });
  }

  it('keeps the status and the server message', () => {
    expect(classifyApiError(api(422, 'Invalid'))).toEqual({ verdict: 'terminal', status: 422, message: 'HTTP 422: Invalid happened' });
  });
});
