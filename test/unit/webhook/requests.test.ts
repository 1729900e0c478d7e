// webhookRequests, table-driven: a delivery's body and headers → the run requests the receiver
// writes, or why none (ignored / bad_params). Parameters are checked by the planner's own
// checkRunRequest, so the messages are `conveyor run`'s.
import { describe, expect, it } from 'vitest';
import type { ParamSpec, WebhookTrigger } from '../../../src/api/types.ts';
import { checkRunRequest } from '../../../src/plan/select/params.ts';
import {
  decodeKey,
  eventMatches,
  MAX_WEBHOOK_BODY_BYTES,
  parseBody,
  webhookRequests,
  type WebhookRequests,
} from '../../../src/webhook/requests.ts';

const ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const PARAMS: ParamSpec[] = [
  { name: 'commit' },
  { name: 'branch', default: 'main' },
  { name: 'mode', default: 'full', enum: ['full', 'delta'] },
];
const PUSH = {
  ref: 'refs/heads/main',
  after: 'abc123',
  forced: false,
  size: 3,
  head_commit: { id: 'abc123', message: 'fix' },
  repository: { full_name: 'acme/etl' },
  deleted_commit: null,
};
const github = (extra: Partial<WebhookTrigger> = {}): WebhookTrigger => ({
  type: 'github',
  secretRef: { name: 'hook' },
  ...extra,
});
const started = (id: string, given: Record<string, string>, params: Record<string, string>): WebhookRequests => {
  const value = `webhook:${id}`;
  return { ok: true, requests: [{ value, options: JSON.stringify({ request: value, params: given }), params }] };
};
const defaults = { commit: '', branch: 'main', mode: 'full' };
const ignored = { ok: false, outcome: 'ignored', message: 'the filter does not match' };
const badParams = (message: string) => ({ ok: false, outcome: 'bad_params', message });

type Case = [string, Partial<WebhookTrigger>, unknown, WebhookRequests | object];
const headers = { 'x-github-event': 'push', 'x-request-id': 'r-1' };

const CASES: Case[] = [
  ['no filter, no params: a run with the defaults', {}, PUSH, started(ID, {}, defaults)],
  [
    'a commit mapped',
    { params: [{ name: 'commit', from: '/head_commit/id' }] },
    PUSH,
    started(ID, { commit: 'abc123' }, { ...defaults, commit: 'abc123' }),
  ],
  [
    'a header mapped',
    { params: [{ name: 'branch', from: 'header:X-Request-Id' }] },
    PUSH,
    started(ID, { branch: 'r-1' }, { ...defaults, branch: 'r-1' }),
  ],
  [
    'numbers and booleans as text',
    {
      params: [
        { name: 'commit', from: '/size' },
        { name: 'branch', from: '/forced' },
      ],
    },
    PUSH,
    started(ID, { commit: '3', branch: 'false' }, { ...defaults, commit: '3', branch: 'false' }),
  ],
  ['filter equals holds', { filter: [{ field: '/ref', equals: 'refs/heads/main' }] }, PUSH, started(ID, {}, defaults)],
  ['filter equals fails', { filter: [{ field: '/ref', equals: 'refs/heads/dev' }] }, PUSH, ignored],
  ['filter prefix holds', { filter: [{ field: '/ref', prefix: 'refs/heads/' }] }, PUSH, started(ID, {}, defaults)],
  ['filter prefix fails', { filter: [{ field: '/ref', prefix: 'refs/tags/' }] }, PUSH, ignored],
  [
    'filter oneOf holds',
    { filter: [{ field: '/repository/full_name', oneOf: ['x/y', 'acme/etl'] }] },
    PUSH,
    started(ID, {}, defaults),
  ],
  ['filter oneOf fails', { filter: [{ field: '/repository/full_name', oneOf: ['x/y'] }] }, PUSH, ignored],
  [
    'filter on a number compares its text',
    { filter: [{ field: '/size', equals: '3' }] },
    PUSH,
    started(ID, {}, defaults),
  ],
  [
    'filter on a boolean compares its text',
    { filter: [{ field: '/forced', equals: 'false' }] },
    PUSH,
    started(ID, {}, defaults),
  ],
  [
    'filter on a header',
    { filter: [{ field: 'header:X-GitHub-Event', equals: 'push' }] },
    PUSH,
    started(ID, {}, defaults),
  ],
  ['filter on a missing field', { filter: [{ field: '/nope', equals: '' }] }, PUSH, ignored],
  ['filter on an object never holds', { filter: [{ field: '/head_commit', prefix: '' }] }, PUSH, ignored],
  ['filter on null never holds', { filter: [{ field: '/deleted_commit', prefix: '' }] }, PUSH, ignored],
  [
    'every filter must hold',
    {
      filter: [
        { field: '/ref', prefix: 'refs/heads/' },
        { field: '/size', equals: '4' },
      ],
    },
    PUSH,
    ignored,
  ],
  [
    'the filter comes before the parameters: an ignored delivery is never bad_params',
    { filter: [{ field: '/ref', equals: 'x' }], params: [{ name: 'commit', from: '/head_commit' }] },
    PUSH,
    ignored,
  ],
  [
    'a mapped object',
    { params: [{ name: 'commit', from: '/head_commit' }] },
    PUSH,
    badParams('parameter "commit": /head_commit is an object, not a string, number or boolean'),
  ],
  [
    'a mapped null (a deleted branch has no head_commit)',
    { params: [{ name: 'commit', from: '/deleted_commit' }] },
    PUSH,
    badParams('parameter "commit": /deleted_commit is null, not a string, number or boolean'),
  ],
  [
    'a mapped list',
    { params: [{ name: 'commit', from: '/list' }] },
    { list: [1] },
    badParams('parameter "commit": /list is a list, not a string, number or boolean'),
  ],
  [
    'a mapped field that is missing',
    { params: [{ name: 'commit', from: '/head_commit/sha' }] },
    PUSH,
    badParams('parameter "commit": the delivery has nothing at /head_commit/sha'),
  ],
  [
    'a mapped header that is missing',
    { params: [{ name: 'commit', from: 'header:X-Commit' }] },
    PUSH,
    badParams('parameter "commit": the delivery has nothing at header:X-Commit'),
  ],
  [
    'a value outside the enum: refused as conveyor run refuses it',
    { params: [{ name: 'mode', from: '/ref' }] },
    PUSH,
    badParams('value "refs/heads/main" of parameter "mode" is not allowed; allowed values: "full", "delta"'),
  ],
  [
    'a parameter the spec does not declare',
    { params: [{ name: 'other', from: '/ref' }] },
    PUSH,
    badParams('unknown parameter "other" (declared parameters: commit, branch, mode)'),
  ],
  [
    'a value longer than a parameter may be',
    { params: [{ name: 'commit', from: '/long' }] },
    { long: 'x'.repeat(1025) },
    badParams('value of parameter "commit" is 1025 characters long; at most 1024 are allowed'),
  ],
  ['a body that is not an object, with no pointers', {}, [1, 2], started(ID, {}, defaults)],
  ['a body that is a string, filtered', { filter: [{ field: '/a', equals: 'x' }] }, 'a', ignored],
];

describe('webhookRequests', () => {
  it.each(CASES)('%s', (_name, trigger, body, expected) => {
    expect(webhookRequests({ params: PARAMS, webhook: github(trigger) }, ID, headers, body)).toEqual(expected);
  });

  it('its refusals are checkRunRequest’s, word for word', () => {
    const value = `webhook:${ID}`;
    const options = JSON.stringify({ request: value, params: { mode: 'weekly' } });
    const cli = checkRunRequest(PARAMS, options, value);
    const hook = webhookRequests(
      { params: PARAMS, webhook: github({ params: [{ name: 'mode', from: '/m' }] }) },
      ID,
      {},
      { m: 'weekly' },
    );
    expect(cli.ok).toBe(false);
    expect(hook).toEqual({ ok: false, outcome: 'bad_params', message: cli.ok ? '' : cli.message });
  });

  it('the options it writes pass checkRunRequest as the planner reads them', () => {
    const result = webhookRequests(
      { params: PARAMS, webhook: github({ params: [{ name: 'commit', from: '/after' }] }) },
      ID,
      {},
      PUSH,
    );
    if (!result.ok) throw new Error(result.message);
    const [request] = result.requests;
    expect(checkRunRequest(PARAMS, request?.options, request?.value)).toEqual({
      ok: true,
      value: { options: { request: `webhook:${ID}`, params: { commit: 'abc123' } }, params: request?.params },
    });
  });

  it('a delivery id longer than 128 characters is refused', () => {
    expect(webhookRequests({ webhook: github() }, 'a'.repeat(129), {}, {})).toEqual(
      badParams('the delivery id is longer than 128'),
    );
  });
});

// --- bucket notifications (the S3 event JSON MinIO sends; S3 and Ceph RGW send the same shape) ---

const record = (key: string, eventName = 's3:ObjectCreated:Put', size = 1024) => ({
  eventVersion: '2.0',
  eventSource: 'minio:s3',
  awsRegion: '',
  eventTime: '2026-12-06T10:00:00.000Z',
  eventName,
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'Config',
    bucket: { name: 'raw', arn: 'arn:aws:s3:::raw' },
    object: { key, size, eTag: 'd41d8cd98f00b204e9800998ecf8427e', sequencer: '17E6D4B0B0B0B0B0' },
  },
});
const notification = (...records: unknown[]) => ({ EventName: 's3:ObjectCreated:Put', Key: 'raw/x', Records: records });
const BUCKET_PARAMS: ParamSpec[] = [{ name: 'bucket' }, { name: 'key' }, { name: 'size', default: '0' }];
const bucketTrigger = (
  extra: Partial<NonNullable<WebhookTrigger['bucketNotification']>> = {},
  more: Partial<WebhookTrigger> = {},
): WebhookTrigger => ({
  type: 'hmac',
  secretRef: { name: 'minio' },
  bucketNotification: { bucketParam: 'bucket', keyParam: 'key', ...extra },
  ...more,
});
/** The run of record i; `size` when a mapping gave it (mapped params come first in the options). */
const run = (i: number, key: string, size?: string) => {
  const value = `webhook:d1-${i}`;
  const given = { ...(size !== undefined ? { size } : {}), bucket: 'raw', key };
  return { value, options: JSON.stringify({ request: value, params: given }), params: { size: '0', ...given } };
};

type BucketCase = [string, WebhookTrigger, unknown, object];
const BUCKET_CASES: BucketCase[] = [
  [
    'one record, one run',
    bucketTrigger(),
    notification(record('raw/orders/2026-12-06.csv')),
    { ok: true, requests: [run(0, 'raw/orders/2026-12-06.csv')] },
  ],
  [
    'each matching record, its own run and id',
    bucketTrigger({ prefix: 'raw/orders/' }),
    notification(record('raw/orders/a.csv'), record('raw/other/b.csv'), record('raw/orders/c.csv')),
    { ok: true, requests: [run(0, 'raw/orders/a.csv'), run(2, 'raw/orders/c.csv')] },
  ],
  [
    'the key is URL-decoded: + is a space, %2B a plus',
    bucketTrigger({ prefix: 'raw/orders/' }),
    notification(record('raw%2Forders%2Fmy+file%2B1.csv')),
    { ok: true, requests: [run(0, 'raw/orders/my file+1.csv')] },
  ],
  [
    'suffix',
    bucketTrigger({ suffix: '.csv' }),
    notification(record('a.json'), record('b.csv')),
    { ok: true, requests: [run(1, 'b.csv')] },
  ],
  [
    'events with a trailing *',
    bucketTrigger({ events: ['s3:ObjectCreated:*'] }),
    notification(record('a', 's3:ObjectRemoved:Delete'), record('b', 's3:ObjectCreated:CompleteMultipartUpload')),
    { ok: true, requests: [run(1, 'b')] },
  ],
  [
    'events named exactly',
    bucketTrigger({ events: ['s3:ObjectCreated:Put'] }),
    notification(record('a', 's3:ObjectCreated:Copy'), record('b')),
    { ok: true, requests: [run(1, 'b')] },
  ],
  [
    'no record matches: ignored',
    bucketTrigger({ prefix: 'raw/orders/' }),
    notification(record('raw/x.csv')),
    { ok: false, outcome: 'ignored', message: 'no record matches the bucket notification and filter' },
  ],
  [
    'no records at all (a test event): ignored',
    bucketTrigger(),
    notification(),
    { ok: false, outcome: 'ignored', message: 'no record matches the bucket notification and filter' },
  ],
  [
    'filter and params read each record',
    bucketTrigger(
      {},
      {
        filter: [{ field: '/s3/object/size', oneOf: ['10', '20'] }],
        params: [{ name: 'size', from: '/s3/object/size' }],
      },
    ),
    notification(record('a', undefined, 10), record('b', undefined, 30), record('c', undefined, 20)),
    { ok: true, requests: [run(0, 'a', '10'), run(2, 'c', '20')] },
  ],
  [
    'a header mapped into every record’s run',
    bucketTrigger({}, { params: [{ name: 'size', from: 'header:X-Minio-Size' }] }),
    notification(record('a')),
    { ok: true, requests: [run(0, 'a', '7')] },
  ],
  [
    'more than 10 records',
    bucketTrigger(),
    notification(...Array.from({ length: 11 }, (_, i) => record(`k${i}`))),
    badParams('11 records; at most 10 are accepted per delivery'),
  ],
  [
    'no Records list',
    bucketTrigger(),
    { Records: 'x' },
    badParams('not a bucket notification: the body has no Records list'),
  ],
  ['a list body', bucketTrigger(), [record('a')], badParams('not a bucket notification: the body has no Records list')],
  [
    'a record without a key',
    bucketTrigger(),
    notification({ eventName: 's3:ObjectCreated:Put', s3: { bucket: { name: 'raw' } } }),
    badParams('record 0 lacks eventName, s3.bucket.name or s3.object.key'),
  ],
  [
    'a key that is no URL encoding',
    bucketTrigger(),
    notification(record('raw/%E0%A4%A')),
    badParams('record 0: the key "raw/%E0%A4%A" is not URL-encoded'),
  ],
  [
    'one bad record refuses the whole delivery',
    bucketTrigger({}, { params: [{ name: 'size', from: '/s3/object/missing' }] }),
    notification(record('a')),
    badParams('record 0: parameter "size": the delivery has nothing at /s3/object/missing'),
  ],
];

describe('webhookRequests for bucket notifications', () => {
  it.each(BUCKET_CASES)('%s', (_name, webhook, body, expected) => {
    expect(webhookRequests({ params: BUCKET_PARAMS, webhook }, 'd1', { 'x-minio-size': '7' }, body)).toEqual(expected);
  });

  it('without bucketParam, the key alone', () => {
    const webhook: WebhookTrigger = {
      type: 'bearer',
      secretRef: { name: 'm' },
      bucketNotification: { keyParam: 'key' },
    };
    const result = webhookRequests({ params: BUCKET_PARAMS, webhook }, 'd1', {}, notification(record('a b')));
    expect(result).toEqual({
      ok: true,
      requests: [
        {
          value: 'webhook:d1-0',
          options: JSON.stringify({ request: 'webhook:d1-0', params: { key: 'a b' } }),
          params: { bucket: '', key: 'a b', size: '0' },
        },
      ],
    });
  });

  it('a key breaking an enum refuses the delivery with checkRunRequest’s message', () => {
    const params: ParamSpec[] = [{ name: 'key', default: 'a', enum: ['a'] }];
    const webhook: WebhookTrigger = {
      type: 'bearer',
      secretRef: { name: 'm' },
      bucketNotification: { keyParam: 'key' },
    };
    expect(webhookRequests({ params, webhook }, 'd1', {}, notification(record('a'), record('b')))).toEqual(
      badParams('record 1: value "b" of parameter "key" is not allowed; allowed values: "a"'),
    );
  });
});

describe('eventMatches, decodeKey, parseBody', () => {
  it.each([
    ['s3:ObjectCreated:*', 's3:ObjectCreated:Put', true],
    ['s3:ObjectCreated:*', 's3:ObjectRemoved:Delete', false],
    ['s3:ObjectCreated:Put', 's3:ObjectCreated:Put', true],
    ['s3:ObjectCreated:Put', 's3:ObjectCreated:PutX', false],
    ['s3:*', 's3:ObjectAccessed:Get', true],
  ])('%s matches %s: %s', (pattern, event, expected) => {
    expect(eventMatches(pattern, event)).toBe(expected);
  });

  it.each([
    ['a+b', 'a b'],
    ['a%2Bb', 'a+b'],
    ['%C3%A4', 'ä'],
    ['%', undefined],
    ['%zz', undefined],
  ])('decodeKey(%j) is %j', (raw, decoded) => {
    expect(decodeKey(raw)).toBe(decoded);
  });

  it.each([
    [Buffer.from('{"a":1}'), { ok: true, value: { a: 1 } }],
    [Buffer.from('{"a":'), { ok: false, message: 'the body is not JSON' }],
    [Buffer.from(''), { ok: false, message: 'the body is not JSON' }],
    [Buffer.alloc(MAX_WEBHOOK_BODY_BYTES + 1, 32), { ok: false, message: 'the body is larger than 1 MiB' }],
  ])('parseBody %#', (body, expected) => {
    expect(parseBody(body)).toEqual(expected);
  });

  it('a deeply nested body parses; pointers walk only their own tokens', () => {
    const deep = Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const parsed = parseBody(deep);
    expect(parsed.ok).toBe(true);
    const webhook = github({ filter: [{ field: '/0/0/0', equals: 'x' }] });
    expect(webhookRequests({ webhook }, ID, {}, parsed.ok ? parsed.value : null)).toEqual(ignored);
  });
});
