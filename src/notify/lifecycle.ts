// The lifecycle facts a Pipeline's status shows, as events: a pure function of one Pipeline, so the
// notifier (which sees status change) can send each fact once per observation and again after a
// restart, always with the same id. CloudEvents (cloudevents.ts) and OpenLineage (openlineage.ts)
// are two renderings of this one list.
//
// What status shows: lastRun with its stages; runs[] with, for active runs, the memory of each
// begun stage, and for finished runs only run-level fields. A run is read from lastRun when it is
// there (detailed), else from its runs[] entry.
//
// What each status fact emits, per run, in causal order:
//   run started         the run has a startTime and is Running or ended (Succeeded, Failed, Cancelled)
//   stage started       per attempt 1..attempts, once the stage has a startTime or has ended
//   stage failed        per attempt before the last: the Job made another attempt, so that one failed
//                       (reason Retried); status does not record when, so its time is the stage start
//   stage succeeded / failed   the stage's outcome, on its last attempt
//   stage cached        a Succeeded stage served from the cache (Cached) or kept by a retry
//                       (FromRun): no Job ran, so no started and no attempt
//   run succeeded / failed / cancelled   the run's end; the only terminal event of the run
// Nothing for a Pending stage (not begun) or a Skipped one: it never had a Job, no attempt began or
// ended, and a lineage tool has no state for "did not run"; the run's terminal event (its message)
// says why the run stopped short. Nothing for a Pending or Skipped run either (never started).
import type { Pipeline, RunStatus, RunSummary, StageStatus } from '../api/types.ts';
import { lifecycleEventId } from './ids.ts';

export const RUN_STARTED = 'dev.conveyor.run.started.v1';
export const RUN_SUCCEEDED = 'dev.conveyor.run.succeeded.v1';
export const RUN_FAILED = 'dev.conveyor.run.failed.v1';
export const RUN_CANCELLED = 'dev.conveyor.run.cancelled.v1';
export const STAGE_STARTED = 'dev.conveyor.stage.started.v1';
export const STAGE_SUCCEEDED = 'dev.conveyor.stage.succeeded.v1';
export const STAGE_FAILED = 'dev.conveyor.stage.failed.v1';
export const STAGE_CACHED = 'dev.conveyor.stage.cached.v1';

export const LIFECYCLE_TYPES = [
  RUN_STARTED,
  RUN_SUCCEEDED,
  RUN_FAILED,
  RUN_CANCELLED,
  STAGE_STARTED,
  STAGE_SUCCEEDED,
  STAGE_FAILED,
  STAGE_CACHED,
] as const;
export type LifecycleType = (typeof LIFECYCLE_TYPES)[number];

/** A stage status reason: the attempt failed and the Job made another one. */
export const RETRIED = 'Retried';
/** Stage reasons of a Succeeded stage whose result was reused rather than computed in this run. */
const REUSED_REASONS = new Set(['Cached', 'FromRun']);
/**
 * Attempts read from status are bounded: a stage has at most retries + 1 (≤ 101) per Job, a few
 * more when its Job was deleted and created again; a status written by hand gets no more events.
 */
export const MAX_NOTIFIED_ATTEMPTS = 1000;

/** What status says of a run, without its stages (and without notified, which is not a fact of the run). */
export type RunData = Omit<RunSummary, 'stages' | 'notified'>;
/** What status says of a stage, for one attempt. */
export type StageData = StageStatus & { attempt?: number };

export type LifecycleEvent = {
  /** Deterministic: a hash of (pipeline uid, run, stage, attempt, type); see ids.ts. */
  id: string;
  type: LifecycleType;
  run: string;
  stage?: string;
  attempt?: number;
  /** RFC 3339: when it happened, as far as status says (see the file comment). */
  time: string;
  /** The run's end: its last event. */
  terminal: boolean;
  data: RunData | StageData;
};

type AnyRun = RunStatus | RunSummary;
type Draft = Omit<LifecycleEvent, 'id'>;

const ENDED_RUN = { Succeeded: RUN_SUCCEEDED, Failed: RUN_FAILED, Cancelled: RUN_CANCELLED } as const;

/** Every lifecycle event the Pipeline's status shows: runs oldest first, each run's events in causal order. */
export function lifecycleEvents(pipeline: Pipeline): LifecycleEvent[] {
  const uid = pipeline.metadata.uid ?? '';
  return runsOf(pipeline)
    .flatMap(runEvents)
    .map((draft) => ({
      id: lifecycleEventId(uid, draft.run, draft.stage ?? '', draft.attempt ?? 0, draft.type),
      ...draft,
    }));
}

/** The runs status mentions, lastRun over its runs[] entry, by start time (oldest first, stable). */
export function runsOf(pipeline: Pipeline): AnyRun[] {
  const status = pipeline.status;
  const byId = new Map<string, AnyRun>();
  if (status?.lastRun?.id) byId.set(status.lastRun.id, status.lastRun);
  for (const run of Array.isArray(status?.runs) ? status.runs : []) {
    if (run?.id && !byId.has(run.id)) byId.set(run.id, run);
  }
  return [...byId.values()]
    .map((run, index) => ({ run, index, start: millis(run.startTime) ?? Number.POSITIVE_INFINITY }))
    .sort((a, b) => a.start - b.start || a.index - b.index)
    .map(({ run }) => run);
}

function runEvents(run: AnyRun): Draft[] {
  const started = run.startTime;
  if (!started || !(run.phase === 'Running' || run.phase in ENDED_RUN)) return [];
  const { stages, notified: _notified, ...fields } = run;
  const { completionTime: _end, message: _message, ...atStart } = fields;
  const events: Draft[] = [
    { type: RUN_STARTED, run: run.id, time: started, terminal: false, data: { ...atStart, phase: 'Running' } },
  ];
  events.push(...mergeByTime((stages ?? []).map((stage) => stageEvents(run.id, started, stage))));
  const ended = ENDED_RUN[run.phase as keyof typeof ENDED_RUN];
  if (ended) {
    const last = events[events.length - 1]?.time ?? started;
    events.push({
      type: ended,
      run: run.id,
      time: latest(run.completionTime ?? last, last),
      terminal: true,
      data: fields,
    });
  }
  return events;
}

/** One stage's events, in causal order; times never go back (a missing time is the one before). */
export function stageEvents(run: string, runStart: string, stage: StageStatus): Draft[] {
  if (stage.phase === 'Pending' || stage.phase === 'Skipped') return [];
  const ended = stage.phase === 'Succeeded' || stage.phase === 'Failed';
  const base = { run, stage: stage.name, terminal: false };
  if (stage.phase === 'Succeeded' && REUSED_REASONS.has(stage.reason ?? '')) {
    const time = latest(stage.completionTime ?? stage.startTime ?? runStart, runStart);
    return [{ ...base, type: STAGE_CACHED, time, data: stage }];
  }
  if (!stage.startTime && !ended) return []; // its Job is created but has not started yet
  const start = latest(stage.startTime ?? stage.completionTime ?? runStart, runStart);
  const attempts = Math.min(MAX_NOTIFIED_ATTEMPTS, Math.max(1, Math.floor(Number(stage.attempts ?? 1)) || 1));
  // What status said when the attempt began: no outcome yet, and its own attempt number only.
  const { completionTime: _end, reason: _reason, message: _message, attempts: _attempts, ...begun } = stage;
  const events: Draft[] = [];
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const data = { ...begun, phase: 'Running' as const, attempt };
    events.push({ ...base, type: STAGE_STARTED, attempt, time: start, data });
    if (attempt < attempts) {
      const message = `attempt ${attempt} failed; the Job started attempt ${attempt + 1}`;
      const failed = { ...begun, phase: 'Failed' as const, reason: RETRIED, message, attempt };
      events.push({ ...base, type: STAGE_FAILED, attempt, time: start, data: failed });
    }
  }
  if (ended) {
    const type = stage.phase === 'Succeeded' ? STAGE_SUCCEEDED : STAGE_FAILED;
    const time = latest(stage.completionTime ?? start, start);
    events.push({ ...base, type, attempt: attempts, time, data: { ...stage, attempt: attempts } });
  }
  return events;
}

/**
 * The stages' event lists merged into one, by time: each list keeps its own order (a stage's
 * started before its end), ties go to the stage listed first.
 */
function mergeByTime(lists: Draft[][]): Draft[] {
  const heads = lists.map(() => 0);
  const merged: Draft[] = [];
  for (;;) {
    let pick = -1;
    let best = Number.POSITIVE_INFINITY;
    lists.forEach((list, i) => {
      const next = list[heads[i] ?? 0];
      const time = next ? (millis(next.time) ?? 0) : undefined;
      if (time !== undefined && (pick < 0 || time < best)) [pick, best] = [i, time];
    });
    if (pick < 0) return merged;
    merged.push(lists[pick]?.[heads[pick] ?? 0] as Draft);
    heads[pick] = (heads[pick] ?? 0) + 1;
  }
}

function millis(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `time`, or `floor` when `time` is earlier or unreadable: an event never predates its cause. */
function latest(time: string, floor: string): string {
  const t = millis(time);
  const f = millis(floor);
  if (t === undefined) return floor;
  return f !== undefined && t < f ? floor : time;
}
