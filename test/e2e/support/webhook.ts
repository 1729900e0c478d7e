// Deliveries to the operator's webhook receiver (--webhook-address), signed here as GitHub, an
// hmac sender or a bucket's notifier would sign them, for the webhook and Console e2e tests.
//
//   await tokenSecret(c, ns, 'gh', token);                  // the Secret spec.triggers.webhook names
//   const base = await receiverBase(suite.operator());     // when started with --webhook-address 127.0.0.1:0
//   const path = await createHooked(c, ns, pipeline(...), token);   // waits for status.webhook.path
//   await githubPush(base, path, token, 'd-1', { ref: ..., head_commit: { id } });   // → Sent
import { readFileSync } from 'node:fs';
import type { Pipeline } from '../../../src/api/types.ts';
import { webhookPath } from '../../../src/webhook/path.ts';
import { type Clients, waitFor } from './kube.ts';
import type { OperatorProcess } from './operator.ts';
import { createPipeline, waitForPipeline } from './pipelines.ts';
import { sign } from './webhook-traffic.ts';

/** What the receiver answered: its status code and body. */
export type Sent = { status: number; body: string };

export { sign } from './webhook-traffic.ts';

/** The Secret a webhook trigger names, holding the token under its default key. */
export async function tokenSecret(c: Clients, namespace: string, name: string, token: string): Promise<void> {
  await c.core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData: { token } } });
}

/** Creates the Pipeline and waits for status.webhook.path: the one computed here from the token. */
export async function createHooked(c: Clients, namespace: string, p: Pipeline, token: string): Promise<string> {
  await createPipeline(c, namespace, p);
  const name = p.metadata.name ?? '';
  const path = webhookPath(token, name, namespace);
  await waitForPipeline(c, namespace, name, `status.webhook.path ${path}`, (x) => x.status?.webhook?.path === path);
  return path;
}

/** Sends `body` to the receiver at `base` (http://127.0.0.1:PORT) as JSON unless the headers say otherwise. */
export async function postDelivery(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<Sent> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(method === 'GET' ? {} : { body }),
  });
  return { status: res.status, body: await res.text() };
}

/** A GitHub push event with delivery id `id`, signed with the token as GitHub signs it. */
export function githubPush(base: string, path: string, token: string, id: string, payload: object): Promise<Sent> {
  const body = JSON.stringify(payload);
  return postDelivery(base, path, body, {
    'x-hub-signature-256': sign(token, body),
    'x-github-event': 'push',
    'x-github-delivery': id,
  });
}

/**
 * http://127.0.0.1:PORT of the receiver of an operator started with `--webhook-address 127.0.0.1:0`:
 * the port it bound, read from its log line "webhook receiver: ..." (no port is picked in advance,
 * so none can be taken by another process meanwhile).
 */
export async function receiverBase(operator: OperatorProcess): Promise<string> {
  const port = await waitFor(`the webhook receiver's port in ${operator.logFile}`, 30_000, async () => {
    for (const line of readFileSync(operator.logFile, 'utf8').split('\n')) {
      if (!line.includes('"webhook receiver: ')) continue;
      const logged = (JSON.parse(line) as { port?: unknown }).port;
      if (typeof logged === 'number' && logged > 0) return logged;
    }
    return undefined;
  });
  return `http://127.0.0.1:${port}`;
}
