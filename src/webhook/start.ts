// Starts the webhook side of the operator: the path index (Secrets → paths, for status.webhook)
// always, so a Pipeline with a webhook learns why it receives nothing when the receiver is off;
// the listener only with --webhook-address, and only then is any Secret read.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { GROUP, PLURAL, VERSION } from '../api/constants.ts';
import type { Pipeline } from '../api/types.ts';
import { DEFAULT_WEBHOOK_PIPELINE_RATE, DEFAULT_WEBHOOK_RATE, type OperatorConfig } from '../config.ts';
import type { KubeApis } from '../kube/client.ts';
import { isNotFound } from '../kube/errors.ts';
import { PathIndex, type WebhookFacts } from './path-index.ts';
import { webhookPath } from './path.ts';
import { deliveryChecks } from './checks.ts';
import { RateLimiter } from './rate-limit.ts';
import { listen, Receiver } from './receiver.ts';
import { RefusalEvents } from './refusal-events.ts';
import type { EventEmitter, PipelineSource } from './source.ts';
import { RequestWriter } from './writer.ts';

export interface Webhooks {
  /** For the gatherer: status.webhook's path and message. */
  facts: (key: string) => WebhookFacts | undefined;
  /** The port the receiver bound; undefined when it is off. */
  port?: number;
  stop: () => Promise<void>;
}

export interface WebhookWiring {
  config: Pick<OperatorConfig, 'webhookAddress' | 'webhookRateLimit' | 'webhookPipelineRateLimit'>;
  apis: Pick<KubeApis, 'core' | 'custom'>;
  source: PipelineSource;
  emit: EventEmitter;
  /** Whether this operator acts (leader, caches synced); deliveries are 503 until it does. */
  ready: () => boolean;
  log: Logger;
}

export async function startWebhooks(w: WebhookWiring): Promise<Webhooks> {
  const receiving = w.config.webhookAddress !== undefined;
  const log = w.log.child({ component: 'webhook' });
  const index = new PathIndex({
    source: w.source,
    getSecret: (namespace, name) => w.apis.core.readNamespacedSecret({ namespace, name }),
    pathOf: webhookPath,
    log,
    receiving,
  });
  const address = w.config.webhookAddress;
  if (!address) return { facts: (key) => index.facts(key), stop: async () => {} };
  const receiver = new Receiver({
    source: w.source,
    index,
    limiter: new RateLimiter(
      {
        overall: w.config.webhookRateLimit ?? DEFAULT_WEBHOOK_RATE,
        pipeline: w.config.webhookPipelineRateLimit ?? DEFAULT_WEBHOOK_PIPELINE_RATE,
      },
      Date.now(),
    ),
    writer: new RequestWriter({
      source: w.source,
      patch: (p, annotations) => patchAnnotations(w.apis.custom, p, annotations),
      read: (namespace, name) => readPipeline(w.apis.custom, namespace, name),
    }),
    events: new RefusalEvents(w.emit),
    checks: deliveryChecks,
    ready: w.ready,
    log,
  });
  const { server, port } = await listen(receiver, address);
  index.start();
  log.info({ host: address.host, port }, 'webhook receiver: POST /hook/<digest>');
  return {
    facts: (key) => index.facts(key),
    port,
    stop: async () => {
      index.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The run request's annotations in one JSON merge patch, as `conveyor run` writes them, with the
 * resourceVersion the decision was made from: the API server answers Conflict if anyone wrote since.
 */
async function patchAnnotations(
  custom: k8s.CustomObjectsApi,
  p: Pipeline,
  annotations: Record<string, string>,
): Promise<Pipeline> {
  const { namespace = '', name = '', resourceVersion } = p.metadata;
  return (await custom.patchNamespacedCustomObject(
    {
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name,
      body: { metadata: { resourceVersion, annotations } },
    },
    k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
  )) as Pipeline;
}

async function readPipeline(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<Pipeline | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PLURAL,
      name,
    })) as Pipeline;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
