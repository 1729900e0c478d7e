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
import { ReceiverPipelineCache } from './pipeline-cache.ts';
import type { SecretGet } from './secret-reader.ts';
import { RequestWriter } from './writer.ts';

export interface Webhooks {
  /** For the gatherer: status.webhook's path and message of the Pipeline it reconciles. */
  facts: (pipeline: Pipeline) => WebhookFacts | undefined;
  /** The port the receiver bound; undefined when it is off. */
  port?: number;
  /** Whether deliveries are served (the receiver's Pipeline cache is synced); true when it is off. */
  ready: () => boolean;
  stop: () => Promise<void>;
}

export interface WebhookWiring {
  config: Pick<
    OperatorConfig,
    'webhookAddress' | 'webhookRateLimit' | 'webhookPipelineRateLimit' | 'namespaces' | 'pipelineSelector'
  >;
  apis: Pick<KubeApis, 'kc' | 'core' | 'custom'>;
  /** Asks the controller to reconcile a Pipeline (its facts changed); a no-op on a standby. */
  requeue: (key: string) => void;
  emit: EventEmitter;
  log: Logger;
}

/** Without a receiver no Pipeline is watched here: the index only says why nothing is received. */
const NO_PIPELINES: PipelineSource = { get: () => undefined, list: () => [], onChange: () => {}, requeue: () => {} };

/**
 * Every replica, leader or standby, serves deliveries from a Pipeline cache of its own
 * (pipeline-cache.ts), from the moment it is synced: the receiver never waits for leadership.
 */
export async function startWebhooks(w: WebhookWiring): Promise<Webhooks> {
  const log = w.log.child({ component: 'webhook' });
  const address = w.config.webhookAddress;
  const getSecret: SecretGet = (namespace, name) => w.apis.core.readNamespacedSecret({ namespace, name });
  if (!address) {
    const index = new PathIndex({ source: NO_PIPELINES, getSecret, pathOf: webhookPath, log, receiving: false });
    return { facts: (p) => index.facts(p), ready: () => true, stop: async () => {} };
  }
  const source = new ReceiverPipelineCache({
    kc: w.apis.kc,
    custom: w.apis.custom,
    namespaces: w.config.namespaces,
    ...(w.config.pipelineSelector !== undefined ? { pipelineSelector: w.config.pipelineSelector } : {}),
    requeue: w.requeue,
    log,
  });
  const index = new PathIndex({ source, getSecret, pathOf: webhookPath, log, receiving: true });
  const receiver = new Receiver({
    source,
    index,
    limiter: new RateLimiter(
      {
        overall: w.config.webhookRateLimit ?? DEFAULT_WEBHOOK_RATE,
        pipeline: w.config.webhookPipelineRateLimit ?? DEFAULT_WEBHOOK_PIPELINE_RATE,
      },
      Date.now(),
    ),
    writer: new RequestWriter({
      source,
      patch: (p, annotations) => patchAnnotations(w.apis.custom, p, annotations),
      read: (namespace, name) => readPipeline(w.apis.custom, namespace, name),
    }),
    events: new RefusalEvents(w.emit),
    checks: deliveryChecks,
    ready: () => source.hasSynced(),
    log,
  });
  const { server, port } = await listen(receiver, address);
  // The informers retry until the API (and the CRD) answer; deliveries are 503 meanwhile.
  void source
    .start()
    .then(() => log.info('webhook receiver: Pipeline cache synced'))
    .catch((err: unknown) => log.error({ err: String(err) }, 'webhook Pipeline cache failed to start'));
  index.start();
  log.info({ host: address.host, port }, 'webhook receiver: POST /hook/<digest>');
  return {
    facts: (p) => index.facts(p),
    port,
    ready: () => source.hasSynced(),
    stop: async () => {
      index.stop();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await source.stop();
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
