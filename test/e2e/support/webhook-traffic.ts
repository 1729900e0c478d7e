// Load traffic for the webhook receiver, shared by the bounded e2e load test
// (test/e2e/webhook-load.test.ts) and the benchmark (bench/webhook.ts): signed good deliveries,
// each carrying its own `seq` param, interleaved with hostile ones of every kind, each with the
// status code and the outcome it must get; a sender that sends a delivery answered 429 or 503 again
// after its Retry-After, as a real sender would; and the outcome counts from the operator's /metrics.
// Nothing here talks to the Kubernetes API, so the bench can import it.
import { createHmac } from 'node:crypto';

/** `sha256=<hex>`: the HMAC of the raw body with the token (X-Signature, X-Hub-Signature-256). */
export const sign = (token: string, body: string): string =>
  `sha256=${createHmac('sha256', token).update(body).digest('hex')}`;

export type GoodDelivery = { kind: 'good'; path: string; seq: string; body: string };
export type BadDelivery = {
  kind: 'bad';
  what: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The status code it must be answered with, and the conveyor_webhook_deliveries_total outcome. */
  expect: number;
  outcome: string;
};
export type Delivery = GoodDelivery | BadDelivery;

const JSON_TYPE = { 'content-type': 'application/json' };

/** The hostile kinds, in turn; every 100th bad delivery is a body over 1 MiB. */
export function badDelivery(token: string, i: number, path: string): BadDelivery {
  const bad = (what: string, expect: number, outcome: string, rest: Partial<BadDelivery>): BadDelivery => ({
    kind: 'bad',
    what,
    path,
    method: 'POST',
    headers: {},
    expect,
    outcome,
    ...rest,
  });
  if (i % 100 === 99) {
    const big = JSON.stringify({ seq: 'x'.repeat(1024 * 1024) });
    return bad('too large', 413, 'too_large', {
      headers: { ...JSON_TYPE, 'x-signature': sign(token, big) },
      body: big,
    });
  }
  const body = JSON.stringify({ seq: `bad-${i}` });
  const kinds: BadDelivery[] = [
    bad('wrong signature', 403, 'bad_signature', {
      headers: { ...JSON_TYPE, 'x-signature': sign(token, `${body} `) },
      body,
    }),
    bad('no signature', 401, 'bad_signature', { headers: JSON_TYPE, body }),
    bad('unknown path', 404, 'unknown_path', {
      path: `/hook/${i.toString(16).padStart(64, 'f')}`,
      headers: { ...JSON_TYPE, 'x-signature': sign(token, body) },
      body,
    }),
    bad('GET', 405, 'bad_method', { method: 'GET' }),
    bad('text body', 415, 'bad_content_type', {
      headers: { 'content-type': 'text/plain', 'x-signature': sign(token, body) },
      body,
    }),
    // The Pipelines map the required `seq` from /seq: a signed body without it cannot start a run.
    bad('bad params', 422, 'bad_params', { headers: { ...JSON_TYPE, 'x-signature': sign(token, '{}') }, body: '{}' }),
  ];
  return kinds[i % kinds.length]!;
}

export type TrafficShape = {
  good: number;
  bad: number;
  /** Consecutive good deliveries to the same Pipeline (so several are in flight to it at once); default 1. */
  together?: number;
  /** Every `twiceEvery`-th good delivery is also sent a second time right after it (a redelivery); default never. */
  twiceEvery?: number;
};

/** Good deliveries (seq g0, g1, ...) spread evenly among the bad ones, over the Pipelines' paths in turn. */
export function deliveriesFor(token: string, paths: string[], shape: TrafficShape): Delivery[] {
  const { good, bad, together = 1, twiceEvery = 0 } = shape;
  const out: Delivery[] = [];
  const every = Math.max(1, Math.floor((good + bad) / Math.max(1, good)));
  let g = 0;
  let b = 0;
  while (g < good || b < bad) {
    if (g < good && (out.length % every === 0 || b >= bad)) {
      const seq = `g${g}`;
      const d: GoodDelivery = {
        kind: 'good',
        path: paths[Math.floor(g / together) % paths.length]!,
        seq,
        body: JSON.stringify({ seq }),
      };
      out.push(d);
      if (twiceEvery > 0 && g % twiceEvery === 0) out.push({ ...d });
      g++;
    } else {
      out.push(badDelivery(token, b, paths[b % paths.length]!));
      b++;
    }
  }
  return out;
}

/** The good deliveries' seqs, each once (a redelivered one included once). */
export const goodSeqs = (deliveries: Delivery[]): string[] => [
  ...new Set(deliveries.flatMap((d) => (d.kind === 'good' ? [d.seq] : []))),
];

/** How many deliveries of each outcome the bad ones must be counted under. */
export function expectedBadOutcomes(deliveries: Delivery[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of deliveries) if (d.kind === 'bad') out.set(d.outcome, (out.get(d.outcome) ?? 0) + 1);
  return out;
}

export type Sent = {
  /** When each good delivery (by seq) was first sent, performance.now() ms. */
  firstSentAt: Map<string, number>;
  /** Answers 429 and 503 that made the sender try again, by status code. */
  retried: Map<number, number>;
  /** Deliveries answered with another code than they must be, described. */
  wrong: string[];
  /** Final answers: "<what> → <status>" and how many. */
  answers: Map<string, number>;
  /** Seconds until the last bad delivery was answered. */
  badSeconds: number;
};

export type SendOptions = {
  /** Clients sending the bad deliveries at once, and the good ones (separate senders). */
  concurrency: number;
  goodConcurrency: number;
  /** The longest Retry-After honoured, in seconds (default 10). */
  maxRetryAfter?: number;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` on every item, `concurrency` at a time, in order. */
async function inTurn<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

type Request = { path: string; method: string; headers: Record<string, string>; body?: string };

/**
 * Sends one request until it is answered with something other than 429 or 503, waiting each
 * Retry-After; -1 when the connection was closed before an answer (a too-large body: the receiver
 * answers and closes without reading the rest).
 */
async function sendUntilAnswered(base: string, r: Request, out: Sent, maxRetryAfter: number): Promise<number> {
  for (;;) {
    const init = { method: r.method, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) };
    const answer = await fetch(`${base}${r.path}`, init).then(
      async (res) => ({ status: res.status, retryAfter: (await res.text(), res.headers.get('retry-after')) }),
      () => ({ status: -1, retryAfter: null }),
    );
    if (answer.status !== 429 && answer.status !== 503) return answer.status;
    out.retried.set(answer.status, (out.retried.get(answer.status) ?? 0) + 1);
    await sleep(Math.min(maxRetryAfter, Number(answer.retryAfter ?? 1)) * 1000);
  }
}

/** Sends the good and the bad deliveries from separate pools of clients (independent senders). */
export async function sendDeliveries(
  base: string,
  token: string,
  deliveries: Delivery[],
  o: SendOptions,
): Promise<Sent> {
  const out: Sent = { firstSentAt: new Map(), retried: new Map(), wrong: [], answers: new Map(), badSeconds: 0 };
  const maxRetryAfter = o.maxRetryAfter ?? 10;
  const tally = (k: string) => out.answers.set(k, (out.answers.get(k) ?? 0) + 1);
  const bad = async (d: BadDelivery) => {
    const status = await sendUntilAnswered(base, d, out, maxRetryAfter);
    tally(`${d.what} → ${status === -1 ? 'connection closed' : status}`);
    if (status !== d.expect && !(status === -1 && d.expect === 413))
      out.wrong.push(`${d.what}: ${status}, expected ${d.expect}`);
  };
  const good = async (d: GoodDelivery) => {
    if (!out.firstSentAt.has(d.seq)) out.firstSentAt.set(d.seq, performance.now());
    const headers = { ...JSON_TYPE, 'x-signature': sign(token, d.body) };
    const status = await sendUntilAnswered(base, { ...d, method: 'POST', headers }, out, maxRetryAfter);
    tally(`good → ${status}`);
    if (status !== 202 && status !== 200) out.wrong.push(`good ${d.seq}: ${status}`);
  };
  const started = performance.now();
  await Promise.all([
    inTurn(
      deliveries.filter((d) => d.kind === 'bad'),
      o.concurrency,
      bad,
    ).then(() => {
      out.badSeconds = (performance.now() - started) / 1000;
    }),
    inTurn(
      deliveries.filter((d) => d.kind === 'good'),
      o.goodConcurrency,
      good,
    ),
  ]);
  return out;
}

/** conveyor_webhook_deliveries_total by outcome, from the operator's /metrics on `metricsPort`. */
export async function outcomesOf(metricsPort: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  return new Map(
    [...text.matchAll(/^conveyor_webhook_deliveries_total\{outcome="([a-z_]+)"\} (\d+)$/gm)].map((m) => [
      m[1] ?? '',
      Number(m[2]),
    ]),
  );
}

/** The increase of each outcome's count between two readings of outcomesOf. */
export const countedBetween = (before: Map<string, number>, after: Map<string, number>, outcome: string): number =>
  (after.get(outcome) ?? 0) - (before.get(outcome) ?? 0);
