// Builds the operator's notifier from its flags (config.ts NotifyConfig): the sends, the token
// file, the metrics. Without any sink flag it still runs, so that a Pipeline's own sink, which
// then cannot be allowed, gets a status message saying why; it then queues nothing.
import type { Logger } from 'pino';
import { DEFAULT_NOTIFY_QUEUE_SIZE, DEFAULT_OPENLINEAGE_NAMESPACE, type NotifyConfig } from '../config.ts';
import { notifyDropped, notifyFailed, notifyQueueDepth, notifySent } from '../metrics.ts';
import { systemClock } from './clock.ts';
import { Notifier, origin, type SinkKind } from './notifier.ts';
import type { QueueMetrics } from './queue.ts';
import { httpSend, TokenFile, withBearerToken } from './transport.ts';

/** The conveyor_notify_* series of one sink kind. */
export function promMetrics(sink: SinkKind): QueueMetrics {
  // Series at zero from the start, so a rate or an alert sees the sink before its first delivery.
  for (const counter of [notifySent, notifyFailed, notifyDropped]) counter.inc({ sink }, 0);
  notifyQueueDepth.set({ sink }, 0);
  return {
    sent: () => notifySent.inc({ sink }),
    failed: () => notifyFailed.inc({ sink }),
    dropped: () => notifyDropped.inc({ sink }),
    depth: (n) => notifyQueueDepth.set({ sink }, n),
  };
}

export function startNotifier(
  config: NotifyConfig | undefined,
  baseLog: Logger,
  requeue: (key: string) => void,
): Notifier {
  const log = baseLog.child({ component: 'notify' });
  const allowedSinks = config?.cloudEventsAllowedSinks ?? [];
  const sink = config?.cloudEventsSink;
  const lineage = config?.openLineageUrl;
  const tokenFile = config?.openLineageTokenFile;
  const notifier = new Notifier({
    ...(sink || allowedSinks.length > 0
      ? { cloudEvents: { ...(sink ? { sink } : {}), allowedSinks, send: httpSend() } }
      : {}),
    ...(lineage
      ? {
          openLineage: {
            url: lineage,
            namespace: config?.openLineageNamespace ?? DEFAULT_OPENLINEAGE_NAMESPACE,
            send: tokenFile ? withBearerToken(new TokenFile(tokenFile, systemClock)) : httpSend(),
          },
        }
      : {}),
    clock: systemClock,
    metrics: promMetrics,
    queueSize: config?.queueSize ?? DEFAULT_NOTIFY_QUEUE_SIZE,
    requeue,
    log,
  });
  // Only origins are logged (a webhook URL may carry a secret in its path), never the token.
  log.info(
    {
      cloudEventsSink: sink && origin(sink),
      allowedSinks: allowedSinks.map(origin),
      openLineageUrl: lineage && origin(lineage),
      openLineageTokenFile: tokenFile,
    },
    notifier.enabled() ? 'lifecycle notifications on' : 'lifecycle notifications off (no sink set)',
  );
  return notifier;
}
