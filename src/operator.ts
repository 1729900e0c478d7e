// Starts the operator: Kubernetes clients, the controller and the health server.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.ts';
import { type KubeApis, loadKubeConfig, makeApis } from './kube/client.ts';
import { Controller, type ControllerOptions } from './controller/runtime/controller.ts';
import { startHealthServer } from './controller/runtime/health.ts';
import { VERSION } from './version.ts';
import { LeaderElector } from './controller/runtime/leader-election.ts';
import { queueDepth, reconcileDuration, reconcileTotal, registry } from './metrics.ts';
import { debugEnabled, debugRoutes } from './debug.ts';
import { startNotifier } from './notify/start.ts';
import { EventRecorder } from './controller/reconcile/event-recorder.ts';
import { startWebhooks, type Webhooks } from './webhook/start.ts';

export interface RunningOperator {
  healthPort: number;
  /** The webhook receiver's port, when --webhook-address is set. */
  webhookPort?: number;
  ready: () => boolean;
  /** Finishes in-flight reconciles, then stops watching and serving. */
  stop: () => Promise<void>;
}

/** `onLostLeadership` is called when a leader can no longer renew its Lease: it must stop acting. */
export async function startOperator(
  config: OperatorConfig,
  baseLog: Logger,
  onLostLeadership: () => void = () => {},
): Promise<RunningOperator> {
  const { apis, identity, log } = connect(config, baseLog);
  // Lifecycle notifications (src/notify): fed by the Pipeline watch, which runs only on the leader.
  const requeue = { to: (_key: string): void => {} };
  const notifier = startNotifier(config.notify, log, (key) => requeue.to(key));
  // The gatherer asks the webhook side for a Pipeline's path; the webhook side exists once the controller does.
  let webhooks: Webhooks | undefined;
  const controller = newController(config, apis, log, identity, {
    webhookFacts: (pipeline) => webhooks?.facts(pipeline),
    observePipeline: (pipeline, verb, before) => notifier.observe(pipeline, verb, before),
    notified: (key) => notifier.facts(key),
  });
  requeue.to = (key) => controller.requeue(key);
  const elector = config.leaderElect ? leaderElector(config, apis, identity, log) : undefined;
  // A standby is ready (it is healthy and waiting its turn); a leader once its caches are synced. With a webhook
  // receiver, every replica also waits for the receiver's cache: the Service then sends deliveries only to pods
  // that can serve them.
  let syncedAtMs: number | undefined;
  const ready = (): boolean =>
    (webhooks?.ready() ?? false) && (elector && !elector.isLeader() ? true : controller.ready());
  const webhookEvents = new EventRecorder(apis.core, log, identity, config.events ?? 'all');
  // Every replica receives webhooks (the Service routes to each ready pod): from a Pipeline cache of its
  // own, so a standby serves them too; only the leader reconciles, so a standby's requeue is dropped.
  webhooks = await startWebhooks({
    config,
    apis,
    requeue: (key) => {
      if (!elector || elector.isLeader()) controller.requeue(key);
    },
    emit: (pipeline, event) => webhookEvents.emit(pipeline, event),
    log,
  });
  const health = await startHealthServer(config.healthHost, config.healthPort, {
    ready,
    routes: {
      '/metrics': async () => {
        queueDepth.set(controller.queueDepth());
        return { contentType: registry.contentType, body: await registry.metrics() };
      },
      ...(debugEnabled() ? debugRoutes(() => syncedAtMs) : {}),
    },
  });
  log.info({ port: health.port, host: config.healthHost }, 'endpoints: /healthz /readyz /metrics');
  // Informers retry until the API (and the CRD) answer; the process is live but not ready meanwhile.
  const started = (async () => {
    if (elector) {
      if (!(await elector.acquire())) return;
      elector.keepRenewing(onLostLeadership);
    }
    await controller.start();
    syncedAtMs = performance.now();
  })().catch((err: unknown) => log.error({ err: String(err) }, 'controller failed to start'));
  return {
    healthPort: health.port,
    ...(webhooks.port !== undefined ? { webhookPort: webhooks.port } : {}),
    ready,
    stop: async () => {
      // Finish in-flight reconciles while still holding the lease, then hand it over at once.
      await webhooks?.stop();
      await controller.stop();
      notifier.stop();
      await webhookEvents.flush();
      await elector?.release();
      await started;
      await new Promise<void>((resolve) => health.server.close(() => resolve()));
    },
  };
}

/** The API clients, this process's identity and its logger (naming the shard), announced in the log. */
function connect(config: OperatorConfig, baseLog: Logger): { apis: KubeApis; identity: string; log: Logger } {
  const kc = loadKubeConfig(config.kubeconfig);
  const apis = makeApis(kc, {
    requestTimeoutMs: config.apiTimeoutSeconds === undefined ? undefined : config.apiTimeoutSeconds * 1000,
  });
  const identity = process.env.POD_NAME ?? hostname();
  // Every line names the shard, so the logs of side-by-side shards tell which one acted.
  const log = config.pipelineSelector === undefined ? baseLog : baseLog.child({ shard: config.shardKey ?? 'default' });
  log.info(
    {
      version: VERSION,
      server: kc.getCurrentCluster()?.server,
      namespaces: config.namespaces,
      workers: config.workers,
      apiTimeoutSeconds: config.apiTimeoutSeconds,
      pipelineSelector: config.pipelineSelector,
      events: config.events ?? 'all',
    },
    'starting conveyor',
  );
  return { apis, identity, log };
}

/** The controller, with the integrations' hooks (webhook facts, the notifier's feed and answers). */
function newController(
  config: OperatorConfig,
  apis: KubeApis,
  log: Logger,
  identity: string,
  hooks: Pick<ControllerOptions, 'webhookFacts' | 'observePipeline' | 'notified'>,
): Controller {
  return new Controller(apis, log, {
    ...hooks,
    namespaces: config.namespaces,
    workers: config.workers,
    resyncSeconds: config.resyncSeconds,
    identity,
    events: config.events ?? 'all',
    ...(config.pipelineSelector !== undefined ? { pipelineSelector: config.pipelineSelector } : {}),
    onProcessed: (_key, ms, err) => {
      reconcileTotal.inc({ result: err ? 'error' : 'success' });
      reconcileDuration.observe(ms / 1000);
    },
  });
}

/** The Lease-based elector: renew within two thirds of the lease, retry about seven times per lease. */
function leaderElector(config: OperatorConfig, apis: KubeApis, identity: string, log: Logger): LeaderElector {
  return new LeaderElector(
    apis.coordination,
    {
      namespace: config.leaderElectionNamespace,
      name: config.leaderElectionId,
      identity: `${identity}_${process.pid}`,
      leaseDurationSeconds: config.leaseDurationSeconds,
      renewDeadlineSeconds: Math.max(2, Math.floor((config.leaseDurationSeconds * 2) / 3)),
      retryPeriodSeconds: Math.max(1, Math.floor(config.leaseDurationSeconds / 7)),
    },
    log,
  );
}
