// The shape of one simulated world: which pipelines exist, their schedule and caching, where the
// clock starts. Small on purpose (three stages, two parameters): a bug needs a plain sequence of
// operations, not a large spec, and a short history shrinks to a readable counterexample. The
// `large` variants are the exception: they exist to reach the status size bound (invariant 5).
import type { ParamSpec, Pipeline, PipelineSpec, StageSpec } from '../../src/api/types.ts';

/** Schedules the cases live on. */
export type Variant =
  /** `0 * * * *` UTC: many ticks per history. */
  | 'hourly'
  /** examples/daily-orders.yaml: `0 3 * * *` Europe/Berlin, November 2026 (case 1). */
  | 'daily'
  /** `0 2 * * *` Europe/Berlin across 2026-10-25, when 02:00 happens twice (case 10). */
  | 'dst-fall'
  /** `30 2 * * *` Europe/Berlin across 2026-03-29, when 02:30 never happens (case 10). */
  | 'dst-spring';

export type SimConfig = {
  variant: Variant;
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  /** maxAge of the two cached stages, `extract` and `clean` (case 2 gives them 1h and 30d). */
  maxAge: { extract: string; clean: string };
  /** A second pipeline, `report`, chained after `orders` (spec.triggers.after). */
  chained: boolean;
  /** Worst cases for status size: a 200-stage DAG of 63-character names, or 50 parameters of 4 KB. */
  large?: 'dag' | 'params';
  /** orders has no schedule: it runs on create, on every edit and on request (its runs are g<n>, m…, r…). */
  unscheduled?: boolean;
  startingDeadlineSeconds?: number;
};

export const NAMESPACE = 'sim';
export const MAIN = 'orders';
export const DOWNSTREAM = 'report';

type Schedule = { schedule: string; timeZone?: string; start: string; periodMinutes: number };

const SCHEDULES: Record<Variant, Schedule> = {
  hourly: { schedule: '0 * * * *', start: '2025-01-01T00:00:30Z', periodMinutes: 60 },
  daily: { schedule: '0 3 * * *', timeZone: 'Europe/Berlin', start: '2026-11-01T00:00:00Z', periodMinutes: 24 * 60 },
  'dst-fall': {
    schedule: '0 2 * * *',
    timeZone: 'Europe/Berlin',
    start: '2026-10-22T00:00:00Z',
    periodMinutes: 24 * 60,
  },
  'dst-spring': {
    schedule: '30 2 * * *',
    timeZone: 'Europe/Berlin',
    start: '2026-03-26T00:00:00Z',
    periodMinutes: 24 * 60,
  },
};

export function scheduleOf(config: SimConfig): Schedule {
  return SCHEDULES[config.variant];
}

/**
 * The cache key a careful user writes: the parameters and the slice of time the run processes.
 * A daily pipeline keys by date (examples/daily-orders.yaml), an hourly one by logical time.
 */
function cacheKey(config: SimConfig): string {
  const time = config.variant === 'hourly' ? '$(run.logicalTime)' : '$(run.logicalDate)';
  return `$(params.table)-$(params.region)-${time}`;
}

const PARAMS: ParamSpec[] = [
  { name: 'table', default: 'orders', enum: ['orders', 'returns'] },
  { name: 'region', default: 'eu', enum: ['eu', 'us'] },
];

/** `orders`: extract → clean → load, the first two cached, as examples/daily-orders.yaml. */
export function mainSpec(config: SimConfig): PipelineSpec {
  const { schedule, timeZone } = scheduleOf(config);
  if (config.large === 'dag') return largeDagSpec(schedule);
  const key = cacheKey(config);
  const stages: StageSpec[] = [
    { name: 'extract', image: 'busybox:1', cache: { key, maxAge: config.maxAge.extract } },
    { name: 'clean', image: 'busybox:1', dependsOn: ['extract'], cache: { key, maxAge: config.maxAge.clean } },
    { name: 'load', image: 'busybox:1', dependsOn: ['clean'] },
  ];
  const timing = config.unscheduled
    ? {}
    : {
        schedule,
        ...(timeZone ? { timeZone } : {}),
        ...(config.startingDeadlineSeconds !== undefined
          ? { startingDeadlineSeconds: config.startingDeadlineSeconds }
          : {}),
      };
  return {
    ...timing,
    concurrencyPolicy: config.concurrencyPolicy,
    params: config.large === 'params' ? largeParams() : PARAMS,
    stages,
    onFailure: [{ name: 'alert', image: 'busybox:1' }],
  };
}

/** `report`, run after each successful run of `orders`. */
export function downstreamSpec(): PipelineSpec {
  return {
    triggers: { after: [{ pipeline: MAIN }] },
    concurrencyPolicy: 'Allow',
    stages: [
      { name: 'summarize', image: 'busybox:1' },
      { name: 'publish', image: 'busybox:1', dependsOn: ['summarize'] },
    ],
  };
}

/** Each stage name padded to the 63 characters a stage name may have. */
const long = (i: number): string => `s${String(i).padStart(3, '0')}-`.padEnd(63, 'x');
/** How many earlier stages each stage of the large DAG depends on: a status of ~1.1 MiB once the first fails, a spec under 1.5 MiB. */
const LARGE_FAN_IN = 120;
export const LARGE_STAGES = 200;

/** 200 stages of 63-character names, each after up to 120 earlier ones. */
function largeDagSpec(schedule: string): PipelineSpec {
  const stages: StageSpec[] = [];
  for (let i = 0; i < LARGE_STAGES; i++) {
    const deps = Array.from({ length: Math.min(i, LARGE_FAN_IN) }, (_, k) => long(i - 1 - k));
    stages.push({ name: long(i), image: 'busybox:1', ...(deps.length > 0 ? { dependsOn: deps } : {}) });
  }
  return { schedule, concurrencyPolicy: 'Allow', stages };
}

/** 50 parameters, 48 of them with 4 KB defaults (the schema's limits). */
function largeParams(): ParamSpec[] {
  const filler = Array.from({ length: 48 }, (_, i) => ({ name: `p${i + 2}`, default: 'v'.repeat(4096) }));
  return [...PARAMS, ...filler];
}

export function newPipeline(name: string, uid: string, spec: PipelineSpec): Pipeline {
  return {
    apiVersion: 'conveyor.dev/v1alpha1',
    kind: 'Pipeline',
    metadata: { name, namespace: NAMESPACE, uid, generation: 1, resourceVersion: '1', annotations: {} },
    spec,
  };
}
