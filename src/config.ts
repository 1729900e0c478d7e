// Operator configuration: command-line flags, each with an environment variable fallback.
import { parseArgs } from 'node:util';
import { MAX_TIMER_DELAY_MS } from './time-limits.ts';

/**
 * Which Events are written (`--events`): `all`, or `warnings` only. A large installation may
 * drop the Normal per-run Events (RunStarted, RunSucceeded, ...): at 5 stages they are 0.4 of a
 * run's API writes per stage, and status already holds the same facts.
 */
export type EventSelection = 'all' | 'warnings';
export const EVENT_SELECTIONS: readonly EventSelection[] = ['all', 'warnings'];

export interface OperatorConfig {
  kubeconfig?: string;
  /** Namespaces to watch; empty means all namespaces. */
  namespaces: string[];
  workers: number;
  logLevel: string;
  healthPort: number;
  healthHost: string;
  /** Full resync period: every Pipeline is reconciled at least this often. */
  resyncSeconds: number;
  /** Leader election: only the holder of the Lease reconciles. */
  leaderElect: boolean;
  leaderElectionNamespace: string;
  leaderElectionId: string;
  leaseDurationSeconds: number;
  /**
   * Deadline of every API call (watches excepted): a hung API server cannot stall a reconcile.
   * loadConfig always sets it; a caller that builds the config itself gets the client's default.
   */
  apiTimeoutSeconds?: number;
  /**
   * The shard this instance is (see docs/operations.md, "Shards"): it handles only the Pipelines labelled
   * sharding.conveyor.dev/key=<shardKey>. Unset: the default shard, which handles only the
   * Pipelines without that label. A config built by hand without it watches every Pipeline.
   */
  shardKey?: string;
  /** Label selector of the Pipeline watch; loadConfig derives it from shardKey. */
  pipelineSelector?: string;
  /** Which Kubernetes Events are written (events.ts); loadConfig always sets it, default all. */
  events?: EventSelection;
  /** Lifecycle notifications (src/notify); loadConfig always sets it. Absent: nothing is sent. */
  notify?: NotifyConfig;
  /** Where the webhook receiver listens (`--webhook-address`); unset: no receiver, no Secret read. */
  webhookAddress?: ListenAddress;
  /** Token buckets of the receiver: all deliveries together, and each Pipeline's. */
  webhookRateLimit?: Rate;
  webhookPipelineRateLimit?: Rate;
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** A rate: `perSecond` tokens added each second, at most `burst` held (a token bucket). */
export interface Rate {
  perSecond: number;
  burst: number;
}

/**
 * Default webhook rates. A GitHub push or a bucket's burst of uploads fits in a Pipeline's burst
 * of 20; overall 100/s (burst 200) is far more than the planner starts per Pipeline (one request
 * at a time) and keeps a flood from becoming thousands of API writes a second.
 */
export const DEFAULT_WEBHOOK_RATE: Rate = { perSecond: 100, burst: 200 };
export const DEFAULT_WEBHOOK_PIPELINE_RATE: Rate = { perSecond: 5, burst: 20 };

/** Where run and stage lifecycle events go (docs/integrations.md): flags --cloudevents-* and --openlineage-*. */
export interface NotifyConfig {
  /** Every Pipeline's CloudEvents go here (--cloudevents-sink). */
  cloudEventsSink?: string;
  /** URL prefixes a Pipeline's spec.notify.cloudevents.url must start with (--cloudevents-allowed-sinks). */
  cloudEventsAllowedSinks: string[];
  /** OpenLineage RunEvents go to <url>/api/v1/lineage (--openlineage-url). */
  openLineageUrl?: string;
  /** File holding the bearer token for the OpenLineage endpoint (--openlineage-token-file). */
  openLineageTokenFile?: string;
  /** The OpenLineage job namespace of every Pipeline (--openlineage-namespace). */
  openLineageNamespace: string;
  /** Deliveries waiting per sink (cloudevents, openlineage) before the oldest is dropped (--notify-queue-size). */
  queueSize: number;
}

/** Deliveries a sink's queue holds before it drops the oldest (~1–2 KB each: 10,000 is 10–20 MB at worst). */
export const DEFAULT_NOTIFY_QUEUE_SIZE = 10_000;
const MAX_NOTIFY_QUEUE_SIZE = 1_000_000;
/** A sink URL longer than this is a mistake, not an endpoint. */
export const MAX_SINK_URL_LENGTH = 2048;
/** The default OpenLineage namespace of Conveyor's jobs. */
export const DEFAULT_OPENLINEAGE_NAMESPACE = 'conveyor';

/** The label that assigns a Pipeline to a shard (as Flux's sharding.fluxcd.io/key). */
export const SHARD_LABEL = 'sharding.conveyor.dev/key';

/** The Pipelines one shard handles: those labelled with its key, or (default shard) unlabelled. */
export function shardSelector(shardKey: string | undefined): string {
  return shardKey === undefined ? `!${SHARD_LABEL}` : `${SHARD_LABEL}=${shardKey}`;
}

/** The Lease of a shard: each shard elects its own leader. */
export function shardLeaseName(shardKey: string | undefined): string {
  return shardKey === undefined ? 'conveyor-leader' : `conveyor-leader-${shardKey}`;
}

/**
 * Reconciles at once. A reconcile spends ~0.2–2 ms of CPU deciding and the rest of its wall time
 * (~100 ms, seconds on a busy server) waiting on API calls, so workers are slots for requests in
 * flight, not threads. Measured on 100 × 5 bursts (bench/README.md): with 16 a new Pipeline's key
 * waited up to 2.9 s (p99) for a free worker, with 32 0.6 s, with 64 0.3 s, at the same CPU.
 */
export const DEFAULT_WORKERS = 64;

export class ConfigError extends Error {}

const USAGE = `Usage: conveyor-operator [flags]

Flags (environment variable in brackets):
  --kubeconfig PATH        kubeconfig file [KUBECONFIG]; in a pod the service account is used
  --namespaces a,b         namespaces to watch, comma-separated; default all [CONVEYOR_NAMESPACES]
  --workers N              concurrent reconciles, default 64 (they wait on the API server) [CONVEYOR_WORKERS]
  --log-level LEVEL        trace|debug|info|warn|error, default info [CONVEYOR_LOG_LEVEL]
  --health-port N          port of /healthz and /readyz, default 8081; 0 picks a free port [CONVEYOR_HEALTH_PORT]
  --health-host HOST       address the health server binds, default 127.0.0.1 [CONVEYOR_HEALTH_HOST]
  --resync-seconds N       reconcile every Pipeline at least this often, default 300 [CONVEYOR_RESYNC_SECONDS]
  --leader-elect           only the holder of a Lease reconciles (for several replicas) [CONVEYOR_LEADER_ELECT=true]
  --leader-election-namespace NS  namespace of the Lease, default $POD_NAMESPACE or "default"
  --leader-election-id NAME       name of the Lease, default conveyor-leader (conveyor-leader-KEY for a shard)
  --lease-duration-seconds N      a standby takes over after this long without renewal, default 15
  --api-timeout-seconds N  an API call not answered in full by then fails and is retried, default 30 [CONVEYOR_API_TIMEOUT_SECONDS]
  --shard-key KEY          handle only Pipelines labelled sharding.conveyor.dev/key=KEY (a DNS label: lowercase
                           letters, digits, '-'; at most 47 characters); without it, only Pipelines without
                           that label (the default shard). The Lease becomes conveyor-leader-KEY [CONVEYOR_SHARD_KEY]
  --events all|warnings    which Kubernetes Events to write: all (default), or only Warnings (no RunStarted,
                           RunSucceeded, ... per run: fewer API writes for large installations) [CONVEYOR_EVENTS]
  --cloudevents-sink URL   send every Pipeline's run and stage lifecycle as CloudEvents (HTTP POST) to URL
                           [CONVEYOR_CLOUDEVENTS_SINK]
  --cloudevents-allowed-sinks p1,p2  URL prefixes a Pipeline's spec.notify.cloudevents.url must start with; a
                           Pipeline's own sink is refused without them [CONVEYOR_CLOUDEVENTS_ALLOWED_SINKS]
  --openlineage-url URL    send OpenLineage RunEvents to URL/api/v1/lineage [CONVEYOR_OPENLINEAGE_URL]
  --openlineage-token-file PATH  bearer token for the OpenLineage endpoint, read from PATH (re-read each minute)
                           [CONVEYOR_OPENLINEAGE_TOKEN_FILE]
  --openlineage-namespace NS  OpenLineage namespace of the pipelines' jobs, default conveyor
                           [CONVEYOR_OPENLINEAGE_NAMESPACE]
  --notify-queue-size N    deliveries waiting per sink before the oldest is dropped, default 10000
                           [CONVEYOR_NOTIFY_QUEUE_SIZE]
  --webhook-address HOST:PORT  serve webhook triggers (POST /hook/<digest>) on this address; off unless set.
                           Never the health port. Lets the operator read the Secrets Pipelines name [CONVEYOR_WEBHOOK_ADDRESS]
  --webhook-rate-limit R[:B]   deliveries per second over all Pipelines, burst B (default 100:200) [CONVEYOR_WEBHOOK_RATE_LIMIT]
  --webhook-pipeline-rate-limit R[:B]  deliveries per second to one Pipeline, burst B (default 5:20)
                           [CONVEYOR_WEBHOOK_PIPELINE_RATE_LIMIT]
  --help                   show this help`;

function positiveInt(name: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name}: expected an integer >= ${min}, got "${raw}"`);
  return n;
}

// The deadline becomes a Node timer, which fires at once above MAX_TIMER_DELAY_MS.
const MAX_API_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_DELAY_MS / 1000);

function apiTimeoutSeconds(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_API_TIMEOUT_SECONDS) {
    throw new ConfigError(
      `--api-timeout-seconds: expected a whole number of seconds from 1 to ${MAX_API_TIMEOUT_SECONDS}, got "${raw}"`,
    );
  }
  return n;
}

// A shard key is a label value, a suffix of the Lease name and of the chart's Deployment name
// (<release>-conveyor-shard-KEY, at most 63 characters), so a DNS label short enough for all three.
const SHARD_KEY = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_SHARD_KEY_LENGTH = 47;

function shardKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!SHARD_KEY.test(raw) || raw.length > MAX_SHARD_KEY_LENGTH) {
    throw new ConfigError(
      `--shard-key: expected a DNS label of at most ${MAX_SHARD_KEY_LENGTH} characters (lowercase letters, digits and '-', starting and ending with a letter or digit), got "${raw}"`,
    );
  }
  return raw;
}

function eventSelection(raw: string): EventSelection {
  const found = EVENT_SELECTIONS.find((s) => s === raw);
  if (found === undefined) throw new ConfigError(`--events: expected ${EVENT_SELECTIONS.join(' or ')}, got "${raw}"`);
  return found;
}

/** An http(s) URL without credentials in it, at most MAX_SINK_URL_LENGTH characters: a sink or a prefix of one. */
export function sinkUrl(flag: string, raw: string): string {
  const problem = sinkUrlProblem(raw);
  if (problem) throw new ConfigError(`${flag}: ${problem}, got "${raw.slice(0, 100)}"`);
  return raw;
}

/** Why `raw` cannot be a sink URL, or undefined. Shared with the per-Pipeline sink check (src/notify/sinks.ts). */
export function sinkUrlProblem(raw: string): string | undefined {
  if (raw.length > MAX_SINK_URL_LENGTH) return `expected a URL of at most ${MAX_SINK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'expected an absolute http or https URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'expected an http or https URL';
  // A token in the URL would be logged and shown; the OpenLineage token has its own file.
  if (url.username || url.password) return 'expected a URL without user or password';
  return undefined;
}

type NotifyFlag =
  | 'cloudevents-sink'
  | 'cloudevents-allowed-sinks'
  | 'openlineage-url'
  | 'openlineage-token-file'
  | 'openlineage-namespace'
  | 'notify-queue-size';

function notifyConfig(values: Partial<Record<NotifyFlag, string>>, env: NodeJS.ProcessEnv): NotifyConfig {
  const flagOrEnv = (flag: NotifyFlag, name: string): string | undefined => values[flag] ?? (env[name] || undefined);
  const sink = flagOrEnv('cloudevents-sink', 'CONVEYOR_CLOUDEVENTS_SINK');
  const lineage = flagOrEnv('openlineage-url', 'CONVEYOR_OPENLINEAGE_URL');
  const tokenFile = flagOrEnv('openlineage-token-file', 'CONVEYOR_OPENLINEAGE_TOKEN_FILE');
  const allowed = (flagOrEnv('cloudevents-allowed-sinks', 'CONVEYOR_CLOUDEVENTS_ALLOWED_SINKS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((prefix) => sinkUrl('--cloudevents-allowed-sinks', prefix));
  const namespace =
    flagOrEnv('openlineage-namespace', 'CONVEYOR_OPENLINEAGE_NAMESPACE') ?? DEFAULT_OPENLINEAGE_NAMESPACE;
  if (namespace.length > 253 || /\s/.test(namespace)) {
    throw new ConfigError(
      `--openlineage-namespace: expected at most 253 characters without spaces, got "${namespace}"`,
    );
  }
  if (tokenFile !== undefined && lineage === undefined) {
    throw new ConfigError('--openlineage-token-file: needs --openlineage-url (the token is sent only there)');
  }
  const queueSize = positiveInt(
    '--notify-queue-size',
    flagOrEnv('notify-queue-size', 'CONVEYOR_NOTIFY_QUEUE_SIZE') ?? String(DEFAULT_NOTIFY_QUEUE_SIZE),
    1,
  );
  if (queueSize > MAX_NOTIFY_QUEUE_SIZE) {
    throw new ConfigError(`--notify-queue-size: expected at most ${MAX_NOTIFY_QUEUE_SIZE}, got "${queueSize}"`);
  }
  return {
    ...(sink !== undefined ? { cloudEventsSink: sinkUrl('--cloudevents-sink', sink) } : {}),
    cloudEventsAllowedSinks: allowed,
    ...(lineage !== undefined ? { openLineageUrl: sinkUrl('--openlineage-url', lineage) } : {}),
    ...(tokenFile !== undefined ? { openLineageTokenFile: tokenFile } : {}),
    openLineageNamespace: namespace,
    queueSize,
  };
}

/** `HOST:PORT` or `[IPv6]:PORT`; the port 0 picks a free one (tests). */
export function parseListenAddress(flag: string, raw: string): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(raw.trim());
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!m || host === undefined || !(port >= 0 && port <= 65535))
    throw new ConfigError(`${flag}: expected HOST:PORT (e.g. 0.0.0.0:9292 or [::]:9292), got "${raw}"`);
  return { host, port };
}

/** `PER_SECOND` or `PER_SECOND:BURST`; the burst defaults to twice the rate (at least 1). */
export function parseRate(flag: string, raw: string): Rate {
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(raw.trim());
  const perSecond = Number(m?.[1]);
  const burst = m?.[2] === undefined ? Math.max(1, Math.ceil(perSecond * 2)) : Number(m[2]);
  if (!m || !(perSecond > 0 && perSecond <= 1_000_000) || !(burst >= 1 && burst <= 1_000_000))
    throw new ConfigError(
      `${flag}: expected PER_SECOND or PER_SECOND:BURST (e.g. 5:20), each up to 1000000, got "${raw}"`,
    );
  return { perSecond, burst };
}

function webhookSettings(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  healthPort: number,
): Pick<OperatorConfig, 'webhookAddress' | 'webhookRateLimit' | 'webhookPipelineRateLimit'> {
  const str = (flag: string, envName: string): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : env[envName] || undefined;
  };
  const rawAddress = str('webhook-address', 'CONVEYOR_WEBHOOK_ADDRESS');
  const address = rawAddress === undefined ? undefined : parseListenAddress('--webhook-address', rawAddress);
  if (address && address.port !== 0 && address.port === healthPort)
    throw new ConfigError(
      `--webhook-address: port ${address.port} is the health and metrics port; webhooks need their own listener`,
    );
  const rate = str('webhook-rate-limit', 'CONVEYOR_WEBHOOK_RATE_LIMIT');
  const pipelineRate = str('webhook-pipeline-rate-limit', 'CONVEYOR_WEBHOOK_PIPELINE_RATE_LIMIT');
  return {
    ...(address ? { webhookAddress: address } : {}),
    webhookRateLimit: rate === undefined ? DEFAULT_WEBHOOK_RATE : parseRate('--webhook-rate-limit', rate),
    webhookPipelineRateLimit:
      pipelineRate === undefined
        ? DEFAULT_WEBHOOK_PIPELINE_RATE
        : parseRate('--webhook-pipeline-rate-limit', pipelineRate),
  };
}

/** Parses flags and environment; throws ConfigError with the offending flag named. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      kubeconfig: { type: 'string' },
      namespaces: { type: 'string' },
      workers: { type: 'string' },
      'log-level': { type: 'string' },
      'health-port': { type: 'string' },
      'health-host': { type: 'string' },
      'resync-seconds': { type: 'string' },
      'leader-elect': { type: 'boolean' },
      'leader-election-namespace': { type: 'string' },
      'leader-election-id': { type: 'string' },
      'lease-duration-seconds': { type: 'string' },
      'api-timeout-seconds': { type: 'string' },
      'shard-key': { type: 'string' },
      events: { type: 'string' },
      'cloudevents-sink': { type: 'string' },
      'cloudevents-allowed-sinks': { type: 'string' },
      'openlineage-url': { type: 'string' },
      'openlineage-token-file': { type: 'string' },
      'openlineage-namespace': { type: 'string' },
      'notify-queue-size': { type: 'string' },
      'webhook-address': { type: 'string' },
      'webhook-rate-limit': { type: 'string' },
      'webhook-pipeline-rate-limit': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const logLevel = values['log-level'] ?? env.CONVEYOR_LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(`--log-level: expected trace|debug|info|warn|error, got "${logLevel}"`);
  }
  const namespaces = (values.namespaces ?? env.CONVEYOR_NAMESPACES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const shard = shardKey(values['shard-key'] ?? (env.CONVEYOR_SHARD_KEY || undefined));
  const healthPort = positiveInt('--health-port', values['health-port'] ?? env.CONVEYOR_HEALTH_PORT ?? '8081', 0);
  return {
    kubeconfig: values.kubeconfig ?? (env.KUBECONFIG || undefined),
    namespaces,
    workers: positiveInt('--workers', values.workers ?? env.CONVEYOR_WORKERS ?? String(DEFAULT_WORKERS), 1),
    logLevel,
    healthPort,
    healthHost: values['health-host'] ?? env.CONVEYOR_HEALTH_HOST ?? '127.0.0.1',
    resyncSeconds: positiveInt('--resync-seconds', values['resync-seconds'] ?? env.CONVEYOR_RESYNC_SECONDS ?? '300', 1),
    leaderElect: values['leader-elect'] ?? env.CONVEYOR_LEADER_ELECT === 'true',
    leaderElectionNamespace: values['leader-election-namespace'] ?? env.POD_NAMESPACE ?? 'default',
    leaderElectionId: values['leader-election-id'] ?? shardLeaseName(shard),
    leaseDurationSeconds: positiveInt('--lease-duration-seconds', values['lease-duration-seconds'] ?? '15', 3),
    apiTimeoutSeconds: apiTimeoutSeconds(values['api-timeout-seconds'] ?? env.CONVEYOR_API_TIMEOUT_SECONDS ?? '30'),
    shardKey: shard,
    pipelineSelector: shardSelector(shard),
    events: eventSelection(values.events ?? (env.CONVEYOR_EVENTS || 'all')),
    notify: notifyConfig(values, env),
    ...webhookSettings(values, env, healthPort),
  };
}

export { USAGE };
