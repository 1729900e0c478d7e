// The operator's one error policy: every API failure is retry, conflict or terminal.
import { describe, expect, it } from 'vitest';
import {
  ApiTimeoutError,
  classifyApiError,
  describeError,
  httpStatus,
  isAlreadyExists,
  isConflict,
} from '../../../src/kube/errors.ts';
import { OwnershipConflict } from '../../../src/kube/ownership.ts';

type Verdict = 'retry' | 'terminal' | 'conflict';

/** A failure as client-node's ApiException carries it: code and a JSON Status body. */
const api = (code: number, reason?: string, message = `${reason ?? 'x'} happened`) =>
  Object.assign(new Error(`HTTP ${code}`), { code, body: JSON.stringify({ kind: 'Status', code, reason, message }) });

describe('classifyApiError', () => {
  const cases: [string, unknown, Verdict][] = [
    // conflict: re-plan from the newer object, never overwrite it
    ['409 Conflict (stale resourceVersion on an update or patch)', api(409, 'Conflict'), 'conflict'],
    // 409 that is not a precondition failure
    ['409 AlreadyExists is no conflict: retry (the executor handles it before)', api(409, 'AlreadyExists'), 'retry'],
    [
      '409 AlreadyExists of an object being deleted: retry, the name frees up',
      api(409, 'AlreadyExists', 'object is being deleted: jobs.batch "x" already exists'),
      'retry',
    ],
    [
      'an ownership conflict (409, but no retry can help)',
      new OwnershipConflict('Job x belongs to Pipeline y'),
      'terminal',
    ],
    // terminal: the request as it is will never succeed
    ['400 Bad Request', api(400, 'BadRequest'), 'terminal'],
    [
      '403 Forbidden (RBAC)',
      api(
        403,
        'Forbidden',
        'jobs.batch is forbidden: User "system:serviceaccount:conveyor:conveyor" cannot create resource "jobs"',
      ),
      'terminal',
    ],
    [
      '403 admission webhook denial',
      api(403, 'Forbidden', 'admission webhook "policy.example.com" denied the request: no'),
      'terminal',
    ],
    ['405 Method Not Allowed', api(405, 'MethodNotAllowed'), 'terminal'],
    ['413 too large', api(413, 'RequestEntityTooLarge'), 'terminal'],
    ['414 URI too long', api(414), 'terminal'],
    ['415 Unsupported Media Type (wrong patch type)', api(415, 'UnsupportedMediaType'), 'terminal'],
    ['422 Invalid', api(422, 'Invalid'), 'terminal'],
    // retry: with the queue's backoff
    [
      '403 exceeded quota: frees up when other objects go',
      api(
        403,
        'Forbidden',
        'jobs.batch "x" is forbidden: exceeded quota: jobs, requested: count/jobs.batch=1, used: count/jobs.batch=10, limited: count/jobs.batch=10',
      ),
      'retry',
    ],
    ['401 Unauthorized (an expired token is re-read on the next request)', api(401, 'Unauthorized'), 'retry'],
    ['404 Not Found (the next reconcile sees the object gone)', api(404, 'NotFound'), 'retry'],
    ['408 Request Timeout', api(408, 'Timeout'), 'retry'],
    ['410 Gone (expired resourceVersion)', api(410, 'Expired'), 'retry'],
    ['429 Too Many Requests', api(429, 'TooManyRequests'), 'retry'],
    ['500', api(500, 'InternalError'), 'retry'],
    [
      '500 from an admission webhook that could not be called',
      api(500, 'InternalError', 'Internal error occurred: failed calling webhook "x": connection refused'),
      'retry',
    ],
    ['503', api(503, 'ServiceUnavailable'), 'retry'],
    ['504 Gateway Timeout', api(504, 'Timeout'), 'retry'],
    [
      'a 409 whose body is not a Status',
      Object.assign(new Error('HTTP 409'), { code: 409, body: '<html>conflict</html>' }),
      'retry',
    ],
    ['our request timeout', new ApiTimeoutError('GET', 'https://127.0.0.1:6443/apis/batch/v1/jobs', 30_000), 'retry'],
    [
      'an AbortSignal.timeout (a DOMException, whose code 23 is no HTTP status)',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      'retry',
    ],
    ['an abort', new DOMException('This operation was aborted', 'AbortError'), 'retry'],
    [
      'a network error',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }),
      'retry',
    ],
    [
      "undici's fetch failed",
      Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
      }),
      'retry',
    ],
    ['not an error at all', 'boom', 'retry'],
    ['undefined', undefined, 'retry'],
  ];
  for (const [title, err, verdict] of cases) {
    it(title, () => {
      const got = classifyApiError(err);
      expect(got.verdict).toBe(verdict);
      expect(got.message.length).toBeGreaterThan(0);
    });
  }

  it('keeps the status and the server message', () => {
    expect(classifyApiError(api(422, 'Invalid'))).toEqual({
      verdict: 'terminal',
      status: 422,
      message: 'HTTP 422: Invalid happened',
    });
  });

  it('reads a Status body that client-node already parsed', () => {
    const parsed = Object.assign(new Error('HTTP 409'), {
      code: 409,
      body: { kind: 'Status', reason: 'Conflict', message: 'the object has been modified' },
    });
    expect(classifyApiError(parsed)).toEqual({
      verdict: 'conflict',
      status: 409,
      message: 'HTTP 409: the object has been modified',
    });
  });

  it('gives no status for failures that never got an HTTP answer', () => {
    const timeout = classifyApiError(
      new ApiTimeoutError('PATCH', 'https://k8s/apis/conveyor.dev/v1alpha1/namespaces/a/pipelines/b/status', 1_500),
    );
    expect(timeout).toEqual({
      verdict: 'retry',
      message: 'PATCH https://k8s/apis/conveyor.dev/v1alpha1/namespaces/a/pipelines/b/status: no response within 1.5 s',
    });
    expect(
      classifyApiError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).status,
    ).toBeUndefined();
  });
});

describe('reading HTTP outcomes', () => {
  it('httpStatus takes only HTTP status codes, not DOMException or errno codes', () => {
    expect(httpStatus(api(404))).toBe(404);
    expect(httpStatus({ statusCode: 503 })).toBe(503);
    expect(httpStatus(new DOMException('x', 'TimeoutError'))).toBeUndefined();
    expect(httpStatus({ code: 'ECONNRESET' })).toBeUndefined();
    expect(httpStatus({ code: 0 })).toBeUndefined();
  });

  it('describeError prints a timeout, not "HTTP 23"', () => {
    expect(describeError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(
      'The operation was aborted due to timeout',
    );
  });

  it('AlreadyExists and Conflict are told apart by the Status reason', () => {
    expect(isAlreadyExists(api(409, 'AlreadyExists'))).toBe(true);
    expect(isConflict(api(409, 'AlreadyExists'))).toBe(false);
    expect(isConflict(api(409, 'Conflict'))).toBe(true);
    expect(isAlreadyExists(api(409, 'Conflict'))).toBe(false);
  });
});
