// A run's values (values/values.ts) on its Jobs: as annotations (read back by observed.ts when a
// lost status is rebuilt from the Jobs, and by the downward API in a CronJob's pods) and as the
// stage's environment variables.
import type { V1EnvVar } from '@kubernetes/client-node';
import {
  ANN_INTERVAL_END,
  ANN_INTERVAL_START,
  ANN_LOGICAL_DATE,
  ANN_LOGICAL_TIME,
  ANN_NO_CACHE,
  ANN_PARAMS,
  ANN_RUN_BACKFILL,
} from '../../api/labels.ts';
import { setRunValues, type RunValues } from './values.ts';
import { paramEnvName } from '../select/params.ts';
import { kubeletLiteral, logicalDate } from './substitute.ts';
import { isoOf } from '../time.ts';
import { isPlainObject } from '../objects.ts';

/** The time values a stage sees, with the annotation each is stamped in. */
const TIME_VALUES = [
  { env: 'CONVEYOR_LOGICAL_TIME', annotation: ANN_LOGICAL_TIME, variable: 'run.logicalTime' },
  { env: 'CONVEYOR_LOGICAL_DATE', annotation: ANN_LOGICAL_DATE, variable: 'run.logicalDate' },
  { env: 'CONVEYOR_INTERVAL_START', annotation: ANN_INTERVAL_START, variable: 'run.intervalStart' },
  { env: 'CONVEYOR_INTERVAL_END', annotation: ANN_INTERVAL_END, variable: 'run.intervalEnd' },
] as const;

function timeValues(values: RunValues, timeZone: string | undefined): Record<string, string | undefined> {
  return {
    [ANN_LOGICAL_TIME]: values.logicalTime,
    [ANN_LOGICAL_DATE]: values.logicalTime !== undefined ? logicalDate(values.logicalTime, timeZone) : undefined,
    [ANN_INTERVAL_START]: values.intervalStart,
    [ANN_INTERVAL_END]: values.intervalEnd,
  };
}

/**
 * Parameters by name: status hands them back with their keys sorted (the API server orders map
 * keys), so the Jobs of one run, built in different plans, say the same.
 */
function sortedParams(values: RunValues): [string, string][] {
  return Object.entries(values.params ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The annotations that record a run's values on its Jobs (and a started CronJob Job's pod template). */
export function valueAnnotations(values: RunValues, timeZone: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(timeValues(values, timeZone))) if (value !== undefined) out[key] = value;
  if (values.params && Object.keys(values.params).length > 0)
    out[ANN_PARAMS] = JSON.stringify(Object.fromEntries(sortedParams(values)));
  if (values.noCache === true) out[ANN_NO_CACHE] = 'true';
  if (values.backfill) out[ANN_RUN_BACKFILL] = values.backfill;
  return out;
}

/** CONVEYOR_LOGICAL_TIME etc. and CONVEYOR_PARAM_<NAME>, as literal values (escaped for the kubelet). */
export function literalValueEnv(values: RunValues, timeZone?: string): V1EnvVar[] {
  const times = timeValues(values, timeZone);
  const env: V1EnvVar[] = [];
  for (const { env: name, annotation } of TIME_VALUES) {
    const value = times[annotation];
    if (value !== undefined) env.push({ name, value });
  }
  for (const [name, value] of sortedParams(values))
    env.push({ name: paramEnvName(name), value: kubeletLiteral(value) });
  return env;
}

/** A CronJob's Job template: the time values from the pod annotations startJobPatch sets (downward API). */
export const TEMPLATE_VALUE_ENV: V1EnvVar[] = TIME_VALUES.map(({ env, annotation }) => ({
  name: env,
  valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${annotation}']` } },
}));

/** A CronJob's Job template: `$(run.x)` becomes a reference to the variable that holds it. */
export const TEMPLATE_VALUE_REFERENCES: Record<string, string> = {
  'run.id': '$(CONVEYOR_RUN)',
  ...Object.fromEntries(TIME_VALUES.map(({ env, variable }) => [variable, `$(${env})`])),
};

function parseParams(raw: string | undefined): Record<string, string> | undefined {
  if (!raw) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (!isPlainObject(parsed)) return undefined;
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return undefined;
  }
}

/** A run's values as its Jobs record them, or undefined when they record none (Jobs of older versions). */
export function valuesFromAnnotations(annotations: Record<string, string> | undefined): RunValues | undefined {
  const a = annotations ?? {};
  const logicalTime = isoOf(a[ANN_LOGICAL_TIME]);
  if (logicalTime === undefined) return undefined;
  return setRunValues({
    logicalTime,
    intervalStart: isoOf(a[ANN_INTERVAL_START]),
    intervalEnd: isoOf(a[ANN_INTERVAL_END]),
    params: parseParams(a[ANN_PARAMS]),
    noCache: a[ANN_NO_CACHE] === 'true',
    backfill: a[ANN_RUN_BACKFILL],
  });
}
