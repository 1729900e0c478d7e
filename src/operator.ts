// Starts the operator: Kubernetes clients, the controller and the health server.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.ts';
import { loadKubeConfig, makeApis } from './kube/client.ts';
import { Controller } from './controller/controller.ts';
import { startHealthServer } from './controller/health.ts';
import { VERSION } from './version.ts';
import { queueDepth, reconcileDuration, reconcileTotal, registry } from './metrics.ts';

export interface RunningOperator {
  healthPort: number;
  ready: () => boolean;
  /** Finishes in-flight reconciles, then stops watching and serving. */
  stop: () => Promise<void>;
}

export async function startOperator(config: OperatorConfig, log: Logger): Promise<RunningOperator> {
  const kc = loadKubeConfig(config.kubeconfig);
  const apis = makeApis(kc);
  const identity = process.env.POD_NAME ?? hostname();
  log.info({ version: VERSION, server: kc.getCurrentCluster()?.server, namespaces: config.namespaces, workers: config.workers }, 'starting conveyor');
  const controller = new Controller(apis, log, {
    namespaces: config.namespaces,
    workers: config.workers,
    resyncSeconds: config.resyncSeconds,
    identity,
    onProcessed: (_key, ms, err) => {
      reconcileTotal.inc({ result: err ? 'error' : 'success' });
      reconcileDuration.observe(ms / 1000);
    },
  });
  const health = await startHealthServer(config.healthHost, config.healthPort, {
    ready: () => controller.ready(),
    routes: {
      '/metrics': async () => {
        queueDepth.set(controller.queueDepth());
        return { contentType: registry.contentType, body: await registry.metrics() };
      },
    },
  });
  log.info({ port: health.port, host: config.healthHost }, 'endpoints: /healthz /readyz /metrics');
  // Informers retry until the API (and the CRD) answer; the process is live but not ready meanwhile.
  const started = controller.start().catch((err: unknown) => log.error({ err: String(err) }, 'controller failed to start'));
  return {
    healthPort: health.port,
    ready: () => controller.ready(),
    stop: async () => {
      await controller.stop();
      await started;
      await new Promise<void>((resolve) => health.server.close(() => resolve()));
    },
  };
}
