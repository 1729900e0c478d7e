// What a run processes, besides its spec: its logical time and data interval, its parameter
// values, and whether it may reuse cached stage results. Decided once when the run is selected
// (select.ts, backfill.ts), recorded in the run's status entry, and read back from there for every
// later reconcile: a run's values never change while it runs.

export type RunValues = {
  /** RFC 3339: the tick of a scheduled or backfill run, the request time (or --at), the upstream run's. */
  logicalTime?: string;
  /** RFC 3339: start of the data interval (the previous tick for scheduled pipelines). */
  intervalStart?: string;
  /** RFC 3339: end of the data interval (the tick itself). */
  intervalEnd?: string;
  /** Every declared parameter, with the run's value or its default. */
  params?: Record<string, string>;
  /** The run ignores cached stage results (conveyor run --no-cache). */
  noCache?: boolean;
  /** The backfill request the run belongs to. */
  backfill?: string;
};

/** The values set in `fields` (a status entry, a Job's annotations, a run's values): empty ones left out. */
export function setRunValues(fields: RunValues): RunValues {
  const { logicalTime, intervalStart, intervalEnd, params, noCache, backfill } = fields;
  return {
    ...(logicalTime ? { logicalTime } : {}),
    ...(intervalStart ? { intervalStart } : {}),
    ...(intervalEnd ? { intervalEnd } : {}),
    ...(params ? { params } : {}),
    ...(noCache === true ? { noCache: true } : {}),
    ...(backfill ? { backfill } : {}),
  };
}
