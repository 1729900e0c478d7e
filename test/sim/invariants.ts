// The invariants issue 17 lists, checked after every step of a history (history.ts). Each reads
// the world's facts (facts.ts) — what the operator decided, wrote and announced, and what really
// happened to Jobs — never the planner's internals, so a fix that changes how the planner works
// inside is held to the same outcomes.
//
// KNOWN_FAILING (below) names the problems still open on this branch and how their violations
// look: histories tolerate those until the problem is fixed and its entry removed. The lead
// empties it as the fixes merge.
import type { PipelineSpec, PipelineStatus, RunStatus, RunSummary, StageStatus } from '../../src/api/types.ts';
import { extraTick, nextScheduleTimes } from '../../src/api/cron.ts';
import type { PlanEvent } from '../../src/plan/types.ts';
import { scheduledRunId } from '../../src/plan/names.ts';
import { MAX_RUN_SUMMARIES } from '../../src/plan/tidy/history.ts';
import type { SimConfig } from './config.ts';
import type { Fact, JobFacts } from './facts.ts';
import type { Fault, Op } from './ops.ts';
import type { ReconcileRecord } from './world.ts';

export const INVARIANTS = {
  once: '1. no Job is created twice for one (run, stage, attempt) — deleted and created again under the same name counts',
  accounted:
    '2. every tick and every accepted request (run, retry, cancel, backfill, chain trigger) runs, or is recorded as skipped or refused with a true reason (status runs[]/lastRun, or a Warning Event naming it); never dropped silently',
  'one-success':
    '3. for one (pipeline, data interval, parameters) at most one scheduled or backfill run succeeds, unless one of the two is a run of a backfill that asked for --rerun (in either order) and the other is no backfill run without --rerun started after it',
  'cache-match':
    '4. a stage is Cached only from a run that processed the same interval and parameters with the same stage spec, within maxAge, on the same upstream results; and no upstream stage of a run starts after a stage built on it',
  'status-size': '5. the status JSON is at most 1 MiB',
  'step-budget':
    '6. one plan() call never throws and takes at most STEP_BUDGET cron walk steps (src/api/cron.ts cronWalkSteps)',
  'end-event': '7. every run that ends has its Event (RunSucceeded, RunFailed, RunCancelled, RunSkipped naming it)',
} as const;

export type InvariantId = keyof typeof INVARIANTS;
export const INVARIANT_IDS = Object.keys(INVARIANTS) as InvariantId[];

/** A history as the invariants see it (config.ts, ops.ts). */
export type History = { config: SimConfig; ops: readonly Op[] };

/**
 * A problem not fixed on this branch, and how its violations look: one of `invariants`, whose
 * message matches `message`, in a history that matches `history`. `fault`: the problem needs
 * this fault, which histories in `npm test` leave out while it is listed.
 */
export type KnownFailure = {
  invariants: InvariantId[];
  message?: RegExp;
  history?: (h: History) => boolean;
  fault?: Fault['kind'];
};

/**
 * KNOWN_FAILING — the problems the simulator finds on this branch (issue 17's numbered cases,
 * and NEW ones it found), each with the signature of its violations. While an entry is listed,
 * histories in `npm test` tolerate violations that match it (and leave out its fault), and its
 * counterexample (counterexamples.ts) is expected to fail. Remove an entry once its fix has
 * merged: its counterexample's test then fails until you do, so none is forgotten. The first
 * entry whose signature matches a violation claims it.
 */
export const KNOWN_FAILING: Record<string, KnownFailure> = {};

/** The known problem a violation is an instance of (its KNOWN_FAILING key), if any. */
export function knownProblem(violation: Violation, history: History): string | undefined {
  for (const [name, known] of Object.entries(KNOWN_FAILING)) {
    if (!known.invariants.includes(violation.invariant)) continue;
    if (known.message && !known.message.test(violation.message)) continue;
    if (known.history && !known.history(history)) continue;
    return name;
  }
  return undefined;
}

/** Faults histories leave out while a problem that needs them is known (KNOWN_FAILING). */
export function knownFaults(): Set<Fault['kind']> {
  return new Set(Object.values(KNOWN_FAILING).flatMap((k) => (k.fault ? [k.fault] : [])));
}

/**
 * Cron walk steps one plan() may take (src/api/cron.ts cronWalkSteps: one per reading of a zone's
 * clock). Measured on valid input: a backfill of 1,000 daily ticks in Europe/Berlin takes ~72,000
 * (uncached); refusing a range of 8,000 years of `0 0 31 * *` (more than 1,000 ticks) ~277,000;
 * the simulator's histories stay under ~10,000. A runaway walk (issue 17 case 8) never ends.
 */
export const STEP_BUDGET = 500_000;
export const MAX_STATUS_BYTES = 1024 * 1024;

export type Violation = { invariant: InvariantId; step: number; message: string };

const MAX_FINISHED = MAX_RUN_SUMMARIES;
const END_REASONS = new Set(['RunSucceeded', 'RunFailed', 'RunCancelled', 'RunSkipped']);
const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'Skipped']);

/** What the checker knows of one run, from every status written. */
type RunKnowledge = {
  firstSeenStep: number;
  trigger: string;
  phase: string;
  generation?: number;
  logicalTime?: string;
  intervalStart?: string;
  intervalEnd?: string;
  params?: Record<string, string>;
  backfill?: string;
  stages: Map<string, StageStatus>;
  succeededSeen: boolean;
  /** Stages already checked by invariant 4. */
  cacheChecked: Set<string>;
};

/**
 * Something the operator must answer for (invariant 2): due at a written reconcile (`due`), it is
 * then discharged (a run in status, a Warning Event naming it) or a violation; `drop` ends it
 * unanswered but innocently (it was never accepted, or its evidence went before any plan saw it).
 */
type Obligation = {
  step: number;
  describe: string;
  due: (r: ReconcileRecord, previous: PipelineStatus) => boolean;
  drop?: (r: ReconcileRecord) => boolean;
  discharged: (r: ReconcileRecord, k: PipelineKnowledge) => boolean;
  /** The run a cancel request names. */
  target?: string;
};

/** An accepted backfill, checked tick by tick when it ends. */
type BackfillWatch = { id: string; acceptedStep: number; rerun: boolean; from: string; to: string; settled: boolean };

/** Per Pipeline (by uid). */
type PipelineKnowledge = {
  uid: string;
  name: string;
  specs: Map<number, PipelineSpec>;
  runs: Map<string, RunKnowledge>;
  /** Ids first seen in the latest written status. */
  fresh: Set<string>;
  written: PipelineStatus;
  pending: Obligation[];
  backfills: BackfillWatch[];
  /** Ids of the backfills accepted so far. */
  acceptedBackfills: Set<string>;
  /** Backfill ids that asked for --rerun. */
  rerun: Set<string>;
  /** A downstream: its chain runs not yet matched to an upstream run. */
  chainPool: string[];
  /** A downstream: it has recorded its first sight of the upstream (status.lastTriggers). */
  sawUpstream: boolean;
  /** An upstream: `<downstream uid>/<run>` of its succeeded runs already made due at a downstream. */
  noted: Set<string>;
  /** An upstream: runs that were lastRun, ended, in some written status. */
  endedAsLast: Set<string>;
  /** A downstream: `<upstream uid>/<run>` of upstream runs in flight when it first saw them. */
  inFlightAtFirstSight: Set<string>;
};

type JobKey = string;

export class Checker {
  private readonly pipelines = new Map<string, PipelineKnowledge>();
  private readonly created = new Map<JobKey, string>();
  /** Keys whose Job was deleted by hand before status knew of it: a new Job for them is no second creation. */
  private readonly exempt = new Set<JobKey>();
  /** (uid/run/stage) → when its Job succeeded. */
  private readonly results = new Map<string, number>();
  /** (uid/run) → the run it retries. */
  private readonly retryOf = new Map<string, string>();
  /** (uid/run/stage) of stages whose Job has run. */
  private readonly ran = new Set<string>();
  /** (uid/run/stage) whose Job was deleted by hand before status recorded what it did. */
  private readonly lostByHand = new Set<string>();
  /** Job name → who deleted it. */
  private readonly deletedBy = new Map<string, string>();
  /**
   * (uid/run/stage/run served from) → when the decision to serve it from that run's entry became
   * durable: the first Job created carrying it (cached-upstream), if before the first status that
   * records it Cached.
   */
  private readonly servedDecided = new Map<string, number>();
  /**
   * (uid/run/stage) → the run whose entry served it, as the first Job built on it recorded
   * (cached-upstream): what a run built on when status no longer says (a finished run in runs[]
   * keeps no stage detail).
   */
  private readonly servedFrom = new Map<string, string>();
  /** (uid/run) → the step its first Job began to run (invariant 3: which of two runs started first). */
  private readonly firstJobStep = new Map<string, number>();
  /** jobRuns facts of the reconcile under way, checked against its plan. */
  private starting: (JobFacts & { step: number })[] = [];
  private consumed = 0;

  /** Facts since the last call, checked; the violations found. */
  check(facts: readonly Fact[]): Violation[] {
    const out: Violation[] = [];
    for (; this.consumed < facts.length; this.consumed++) {
      const fact = facts[this.consumed] as Fact;
      out.push(...this.onFact(fact));
    }
    return out;
  }

  private know(uid: string, name = ''): PipelineKnowledge {
    let k = this.pipelines.get(uid);
    if (!k) {
      k = {
        uid,
        name,
        specs: new Map(),
        runs: new Map(),
        fresh: new Set(),
        written: {},
        pending: [],
        backfills: [],
        acceptedBackfills: new Set(),
        rerun: new Set(),
        chainPool: [],
        sawUpstream: false,
        noted: new Set(),
        endedAsLast: new Set(),
        inFlightAtFirstSight: new Set(),
      };
      this.pipelines.set(uid, k);
    }
    return k;
  }

  private onFact(fact: Fact): Violation[] {
    switch (fact.type) {
      case 'spec':
        this.know(fact.uid, fact.pipeline).specs.set(fact.generation, fact.spec);
        return [];
      case 'jobRuns':
        return this.jobRuns(fact);
      case 'jobFinished':
        if (fact.phase === 'Succeeded' && fact.run && fact.stage && fact.role === 'stage')
          this.results.set(`${fact.uid}/${fact.run}/${fact.stage}`, fact.at);
        return [];
      case 'jobDeleted':
        // A Job deleted by hand before status recorded it (or its end) leaves no trace of what it
        // did: running its stage again is all the operator can do, and not a second creation.
        if (fact.by === 'hand' && (fact.statusSaid === 'nothing' || (fact.finished && fact.statusSaid === 'running'))) {
          this.exempt.add(jobKey(fact));
          this.lostByHand.add(`${fact.uid}/${fact.run}/${fact.stage}`);
        }
        this.deletedBy.set(
          fact.name,
          fact.by === 'gc' ? 'the garbage collector' : fact.by === 'hand' ? 'hand' : 'the operator',
        );
        return [];
      case 'tick':
        this.know(fact.uid).pending.push(tickObligation(fact.step, fact.job, scheduledRunId(new Date(fact.time))));
        return [];
      case 'request':
        this.request(fact);
        return [];
      case 'reconcile':
        return this.reconciled(fact.record, fact.step);
    }
  }

  // ---------------------------------------------------------------------------------------
  // 1. once

  /** A Job of a run began; judged with the reconcile that made it (its mode and plan), which comes next. */
  private jobRuns(fact: Extract<Fact, { type: 'jobRuns' }>): Violation[] {
    this.starting.push(fact);
    if (fact.run && !this.firstJobStep.has(`${fact.uid}/${fact.run}`))
      this.firstJobStep.set(`${fact.uid}/${fact.run}`, fact.step);
    if (fact.run && fact.how === 'created') {
      for (const [stage, from] of fact.servedUpstream ?? []) {
        const key = `${fact.uid}/${fact.run}/${stage}/${from}`;
        if (!this.servedDecided.has(key)) this.servedDecided.set(key, fact.at);
        const stageKey = `${fact.uid}/${fact.run}/${stage}`;
        if (!this.servedFrom.has(stageKey)) this.servedFrom.set(stageKey, from);
      }
    }
    if (fact.run && fact.retryOf) this.retryOf.set(`${fact.uid}/${fact.run}`, fact.retryOf);
    return [];
  }

  private once(fact: JobFacts, r: ReconcileRecord, step: number): Violation[] {
    if (!fact.run || !fact.stage) return [];
    const key = jobKey(fact);
    const before = this.created.get(key);
    this.created.set(key, fact.name);
    if (before === undefined || this.exempt.delete(key)) return [];
    const how =
      before === fact.name
        ? `Job ${fact.name} was created again under the same name${this.deletedBy.has(fact.name) ? ` (deleted by ${this.deletedBy.get(fact.name)} before)` : ''}`
        : `Jobs ${before} and ${fact.name}`;
    return [
      v('once', step, `run ${fact.run}, ${fact.role} "${fact.stage}", attempt ${fact.attempt}: ${how}${modeNote(r)}`),
    ];
  }

  // ---------------------------------------------------------------------------------------
  // Requests

  private request(fact: Extract<Fact, { type: 'request' }>): void {
    const k = this.know(fact.uid, fact.pipeline);
    const field = REQUEST_FIELDS[fact.kind];
    if (!field) return;
    k.pending.push(requestObligation(fact.step, fact.kind, fact.value, field));
    if (fact.kind === 'backfill') {
      const parsed = safeJson(fact.value);
      if (parsed?.rerun === true && typeof parsed.id === 'string') k.rerun.add(parsed.id);
    }
  }

  // ---------------------------------------------------------------------------------------
  // After a reconcile

  private reconciled(r: ReconcileRecord, step: number): Violation[] {
    const out: Violation[] = [];
    const bytes = Buffer.byteLength(JSON.stringify(r.plan.status));
    if (bytes > MAX_STATUS_BYTES)
      out.push(v('status-size', step, `${r.pipeline}: status is ${bytes} bytes (${(bytes / 1048576).toFixed(2)} MiB)`));
    if (r.steps > STEP_BUDGET)
      out.push(
        v('step-budget', step, `${r.pipeline}: one plan() took ${r.steps} cron walk steps (budget ${STEP_BUDGET})`),
      );
    const k = this.know(r.uid, r.pipeline);
    out.push(...this.ordering(r, k, step));
    if (!r.wrote) return out;
    const previous = k.written;
    this.learn(k, r.plan.status, step);
    const last = r.plan.status.lastRun;
    if (last && TERMINAL.has(last.phase)) k.endedAsLast.add(last.id);
    for (const id of k.fresh) if (k.runs.get(id)?.trigger === 'chain') k.chainPool.push(id);
    if (r.plan.status.lastTriggers?.length && !k.sawUpstream) this.firstSight(k, r.plan.status);
    out.push(...this.endEvents(r, previous, step));
    out.push(...this.oneSuccess(k, step));
    out.push(...this.cacheMatch(k, r, step));
    out.push(...this.settle(k, r, previous, step));
    out.push(...this.backfills(k, previous, step));
    this.noteUpstreamSuccesses(k, step);
    return out;
  }

  /** Every run in a written status joins what is known of it. */
  private learn(k: PipelineKnowledge, status: PipelineStatus, step: number): void {
    k.fresh = new Set();
    for (const run of runsOf(status)) {
      let known = k.runs.get(run.id);
      if (!known) {
        known = {
          firstSeenStep: step,
          trigger: run.trigger,
          phase: run.phase,
          stages: new Map(),
          succeededSeen: false,
          cacheChecked: new Set(),
        };
        k.runs.set(run.id, known);
        k.fresh.add(run.id);
      }
      known.phase = run.phase;
      for (const field of [
        'generation',
        'logicalTime',
        'intervalStart',
        'intervalEnd',
        'params',
        'backfill',
      ] as const) {
        if (run[field] !== undefined) (known as Record<string, unknown>)[field] = run[field];
      }
      for (const s of run.stages ?? []) known.stages.set(s.name, { ...known.stages.get(s.name), ...s });
    }
    k.written = status;
  }

  // ---------------------------------------------------------------------------------------
  // 2. accounted

  /** A written reconcile: what is due now is discharged, or a violation (unless its Events were lost). */
  private settle(k: PipelineKnowledge, r: ReconcileRecord, previous: PipelineStatus, step: number): Violation[] {
    const out: Violation[] = [];
    const still: Obligation[] = [];
    for (const o of k.pending) {
      if (o.drop?.(r)) continue;
      if (!o.due(r, previous)) {
        still.push(o);
        continue;
      }
      if (o.discharged(r, k) || !r.announced) continue;
      out.push(
        v(
          'accounted',
          step,
          `${k.name}: ${o.describe} (step ${o.step}) was neither run nor recorded as skipped or refused${settleContext(o, r)}`,
        ),
      );
    }
    k.pending = still;
    return out;
  }

  // ---------------------------------------------------------------------------------------
  // 2. (backfills) every tick of an accepted backfill that ended ran for it, or had succeeded before

  private backfills(k: PipelineKnowledge, previous: PipelineStatus, step: number): Violation[] {
    const status = k.written.backfill;
    const raw = k.written.lastBackfillRequest;
    // A request is accepted once, ever, by id: an old request applied again (refused, BackfillRefused)
    // while status still names that backfill is not accepted again.
    const fresh =
      raw !== undefined &&
      raw !== previous.lastBackfillRequest &&
      status?.request !== undefined &&
      !k.acceptedBackfills.has(status.request);
    if (fresh && status && safeJson(raw)?.id === status.request) {
      k.acceptedBackfills.add(status.request);
      k.backfills.push({
        id: status.request,
        acceptedStep: step,
        rerun: status.rerun === true,
        from: status.from,
        to: status.to,
        settled: false,
      });
    }
    const out: Violation[] = [];
    for (const watch of k.backfills) {
      if (watch.settled) continue;
      if (status?.request !== watch.id || status.phase === 'Cancelled') {
        watch.settled = true; // replaced or cancelled: recorded with its reason
        continue;
      }
      if (status.phase !== 'Succeeded' && status.phase !== 'Failed') continue;
      watch.settled = true;
      out.push(...this.backfillTicks(k, watch, status.params ?? {}, step));
    }
    k.backfills = k.backfills.filter((w) => !w.settled);
    return out;
  }

  private backfillTicks(
    k: PipelineKnowledge,
    watch: BackfillWatch,
    params: Record<string, string>,
    step: number,
  ): Violation[] {
    const spec = latestSpec(k);
    if (!spec?.schedule) return [];
    const ticks = ticksIn(spec.schedule, spec.timeZone, Date.parse(watch.from), Date.parse(watch.to));
    const full = { ...defaultsOf(spec), ...params };
    const runs = [...k.runs.values()];
    const missing = ticks.filter((tick) => {
      const ranForIt = runs.some(
        (r) => r.backfill === watch.id && r.logicalTime === tick && r.firstSeenStep >= watch.acceptedStep,
      );
      const doneBefore = runs.some(
        (r) => r.phase === 'Succeeded' && r.logicalTime === tick && sameParams(r.params, full),
      );
      return !ranForIt && (watch.rerun || !doneBefore);
    });
    if (missing.length === 0) return [];
    const list = `${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}`;
    return [
      v(
        'accounted',
        step,
        `${k.name}: backfill ${watch.id} ended, but ${missing.length} of its ${ticks.length} ticks neither ran for it nor had succeeded before with params ${canonicalParams(full)}: ${list}`,
      ),
    ];
  }

  // ---------------------------------------------------------------------------------------
  // 2. (chains) each upstream run that ends in the wanted phase starts a downstream run, or is refused

  /** A downstream records its upstreams for the first time: the upstream runs in flight then are noted. */
  private firstSight(down: PipelineKnowledge, status: PipelineStatus): void {
    down.sawUpstream = true;
    for (const seen of status.lastTriggers ?? []) {
      const up = [...this.pipelines.values()].find(
        (p) => p.name === seen.pipeline && (!seen.uid || p.uid === seen.uid),
      );
      const last = up?.written.lastRun;
      if (up && last && !TERMINAL.has(last.phase)) down.inFlightAtFirstSight.add(`${up.uid}/${last.id}`);
    }
  }

  /** What may explain a chain trigger left unanswered, for the message (and KNOWN_FAILING). */
  private chainContext(up: PipelineKnowledge, down: PipelineKnowledge, id: string): string {
    if (down.inFlightAtFirstSight.has(`${up.uid}/${id}`))
      return `; it was in flight when ${down.name} first saw ${up.name}`;
    const before = [...this.pipelines.values()].some(
      (p) => p.name === up.name && p.uid !== up.uid && p.runs.get(id)?.phase === 'Succeeded',
    );
    if (before) return `; ${up.name} was re-created, and a run ${id} of the earlier ${up.name} had fired already`;
    if (!up.endedAsLast.has(id)) return `; it was never ${up.name}'s lastRun once it had ended`;
    return '';
  }

  /** `k` wrote: its runs that succeeded become due at each downstream that has seen it (older ones never will). */
  private noteUpstreamSuccesses(k: PipelineKnowledge, step: number): void {
    for (const down of this.pipelines.values()) {
      if (!latestSpec(down)?.triggers?.after?.some((t) => t.pipeline === k.name)) continue;
      for (const [id, run] of k.runs) {
        const key = `${down.uid}/${k.uid}/${id}`;
        if (run.phase !== 'Succeeded' || k.noted.has(key)) continue;
        k.noted.add(key);
        if (down.sawUpstream)
          down.pending.push(chainObligation(step, k.name, k.uid, id, run.logicalTime, this.chainContext(k, down, id)));
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // 3. one-success

  /** (uid|interval|params) → the scheduled and backfill runs that succeeded for it, in the order seen. */
  private readonly successes = new Map<string, string[]>();

  private oneSuccess(k: PipelineKnowledge, step: number): Violation[] {
    const out: Violation[] = [];
    for (const [id, run] of k.runs) {
      if (run.phase !== 'Succeeded' || run.succeededSeen) continue;
      run.succeededSeen = true;
      if (run.trigger !== 'schedule' && run.trigger !== 'backfill') continue;
      if (run.intervalStart === undefined || run.intervalEnd === undefined) continue;
      const key = `${k.uid}|${run.intervalStart}|${run.intervalEnd}|${canonicalParams(run.params)}`;
      const before = this.successes.get(key) ?? [];
      const other = before.find((earlier) => !this.rerunExcuses(k, earlier, id));
      this.successes.set(key, [...before, id]);
      if (other !== undefined)
        out.push(
          v(
            'one-success',
            step,
            `${k.name}: runs ${other} and ${id} both succeeded for [${run.intervalStart}, ${run.intervalEnd}) with params ${canonicalParams(run.params)}`,
          ),
        );
    }
    return out;
  }

  /**
   * Whether runs `a` and `b` of one (interval, parameters) may both succeed, in either order: only
   * when one is a run of a backfill that asked for --rerun — asked to run the interval again, it
   * waits for no run of it (docs/scheduling.md), so the tick's own run in flight succeeds too (NEW-K)
   * — and the other is no backfill run without --rerun that started after it: that one had to
   * wait for the rerun's run, or skip the interval it had done (the NEW-A class, rerun or not).
   */
  private rerunExcuses(k: PipelineKnowledge, a: string, b: string): boolean {
    const isRerun = (id: string) => {
      const backfill = k.runs.get(id)?.backfill;
      return backfill !== undefined && k.rerun.has(backfill);
    };
    if (isRerun(a) && isRerun(b)) return true;
    const [rerun, other] = isRerun(a) ? [a, b] : isRerun(b) ? [b, a] : [];
    if (rerun === undefined || other === undefined) return false;
    if (k.runs.get(other)?.trigger !== 'backfill') return true;
    return this.startStep(k, other) < this.startStep(k, rerun);
  }

  /** The step a run began: its first Job run, or the first written status that lists it, whichever came first. */
  private startStep(k: PipelineKnowledge, id: string): number {
    const seen = k.runs.get(id)?.firstSeenStep ?? Number.POSITIVE_INFINITY;
    return Math.min(seen, this.firstJobStep.get(`${k.uid}/${id}`) ?? Number.POSITIVE_INFINITY);
  }

  // ---------------------------------------------------------------------------------------
  // 4. cache-match

  private cacheMatch(k: PipelineKnowledge, r: ReconcileRecord, step: number): Violation[] {
    const out: Violation[] = [];
    for (const [id, run] of k.runs) {
      for (const [name, stage] of run.stages) {
        if (stage.reason !== 'Cached' || run.cacheChecked.has(name)) continue;
        run.cacheChecked.add(name);
        // The entry's age counts when the decision to serve it was made durable (a Job built on
        // it, or this status): a stage rebuilt from that evidence later stays Cached by design.
        const decided = Math.min(
          r.now.getTime(),
          this.servedDecided.get(`${k.uid}/${id}/${name}/${stage.cachedFrom}`) ?? Number.POSITIVE_INFINITY,
        );
        const problem = this.cacheProblem(k, id, run, name, stage, decided);
        if (problem)
          out.push(
            v(
              'cache-match',
              step,
              `${k.name}: run ${id}, stage "${name}" Cached from run ${stage.cachedFrom}: ${problem}`,
            ),
          );
      }
    }
    return out;
  }

  private cacheProblem(
    k: PipelineKnowledge,
    id: string,
    run: RunKnowledge,
    name: string,
    stage: StageStatus,
    now: number,
  ): string | undefined {
    const from = stage.cachedFrom;
    if (!from) return 'no cachedFrom';
    const finished = this.results.get(`${k.uid}/${from}/${name}`);
    if (finished === undefined) return `run ${from} never ran "${name}" to success`;
    const source = k.runs.get(from);
    if (!source) return `run ${from} is unknown`;
    if (source.intervalStart !== run.intervalStart || source.intervalEnd !== run.intervalEnd) {
      return `run ${from} processed [${source.intervalStart}, ${source.intervalEnd}), this run [${run.intervalStart}, ${run.intervalEnd})`;
    }
    if (canonicalParams(source.params) !== canonicalParams(run.params))
      return `run ${from} had params ${canonicalParams(source.params)}, this run ${canonicalParams(run.params)}`;
    const mine = k.specs.get(run.generation ?? 0)?.stages.find((s) => s.name === name);
    const theirs = k.specs.get(source.generation ?? 0)?.stages.find((s) => s.name === name);
    if (mine && theirs && stageWork(mine) !== stageWork(theirs))
      return `its spec differs (${stageWork(theirs)} then, ${stageWork(mine)} now)`;
    const maxAge = mine?.cache?.maxAge ? durationMs(mine.cache.maxAge) : undefined;
    if (maxAge !== undefined && now - finished >= maxAge)
      return `the result is ${Math.round((now - finished) / 60000)} min old, maxAge ${mine?.cache?.maxAge}`;
    for (const dep of mine?.dependsOn ?? []) {
      const here = this.sourceOf(k, id, dep, 0);
      const there = this.sourceOf(k, from, dep, 0);
      if (here !== there)
        return `its upstream stage "${dep}" has the result of run ${here ?? '?'} here, but run ${from} built on run ${there ?? '?'}'s`;
    }
    return undefined;
  }

  /** The run whose Job produced the result stage `name` has in run `id`. */
  private sourceOf(k: PipelineKnowledge, id: string, name: string, depth: number): string | undefined {
    if (depth > 10) return undefined;
    if (this.results.has(`${k.uid}/${id}/${name}`)) return id;
    const stage = k.runs.get(id)?.stages.get(name);
    if (stage?.reason === 'Cached') return stage.cachedFrom;
    const of = this.retryOf.get(`${k.uid}/${id}`);
    if (stage?.reason === 'FromRun' && of) return this.sourceOf(k, of, name, depth + 1);
    return this.servedFrom.get(`${k.uid}/${id}/${name}`);
  }

  /**
   * 4, ordering: a stage's Job starts only once each stage it depends on has succeeded in the run
   * (ran, Cached or kept); and an upstream stage never starts after a stage built on its result.
   */
  private ordering(r: ReconcileRecord, k: PipelineKnowledge, step: number): Violation[] {
    const out: Violation[] = [];
    const started = this.starting;
    this.starting = [];
    for (const job of started) {
      out.push(...this.once(job, r, step));
      if (!job.run || !job.stage || job.role !== 'stage' || job.uid !== k.uid) continue;
      const spec = k.specs.get(job.generation ?? 0);
      if (spec) out.push(...this.order(k, r, job as JobFacts & { run: string; stage: string }, spec, step));
      this.ran.add(`${k.uid}/${job.run}/${job.stage}`);
    }
    return out;
  }

  private order(
    k: PipelineKnowledge,
    r: ReconcileRecord,
    job: JobFacts & { run: string; stage: string },
    spec: PipelineSpec,
    step: number,
  ): Violation[] {
    const out: Violation[] = [];
    const decided = runsOf(r.plan.status).find((x) => x.id === job.run);
    const unmet = (spec.stages.find((s) => s.name === job.stage)?.dependsOn ?? []).filter(
      (dep) => !this.succeededIn(k, job.run, dep, decided),
    );
    if (unmet.length > 0)
      out.push(
        v(
          'cache-match',
          step,
          `${k.name}: run ${job.run} started "${job.stage}" before ${unmet.map((d) => `"${d}"`).join(', ')} succeeded${modeNote(r)}`,
        ),
      );
    const built = downstreamOf(spec, job.stage).filter(
      (s) => this.ran.has(`${k.uid}/${job.run}/${s}`) || k.runs.get(job.run)?.stages.get(s)?.reason === 'Cached',
    );
    if (built.length > 0 && !this.lostEvidence(k.uid, job.run, job.stage)) {
      out.push(
        v(
          'cache-match',
          step,
          `${k.name}: run ${job.run} started "${job.stage}" after ${built.map((s) => `"${s}"`).join(', ')}, which build on it, had begun${modeNote(r)}`,
        ),
      );
    }
    return out;
  }

  /** A Job of this stage, of this run or of the run it retries (whose success it keeps), was deleted by hand unrecorded. */
  private lostEvidence(uid: string, run: string, stage: string): boolean {
    let current: string | undefined = run;
    for (let depth = 0; current && depth < 10; depth++) {
      if (this.lostByHand.has(`${uid}/${current}/${stage}`)) return true;
      current = this.retryOf.get(`${uid}/${current}`);
    }
    return false;
  }

  private succeededIn(
    k: PipelineKnowledge,
    run: string,
    stage: string,
    decided: RunStatus | RunSummary | undefined,
  ): boolean {
    if (this.results.has(`${k.uid}/${run}/${stage}`)) return true;
    const s = decided?.stages?.find((x) => x.name === stage) ?? k.runs.get(run)?.stages.get(stage);
    return s?.phase === 'Succeeded' && (s.reason === 'Cached' || s.reason === 'FromRun');
  }

  // ---------------------------------------------------------------------------------------
  // 7. end-event

  private endEvents(r: ReconcileRecord, previous: PipelineStatus, step: number): Violation[] {
    if (!r.announced) return []; // the fault lost this write's Events (crashAfterWrite): Events are best effort
    const before = new Map(runsOf(previous).map((x) => [x.id, x.phase]));
    const after = new Map(runsOf(r.plan.status).map((x) => [x.id, x.phase]));
    const ended: string[] = [];
    const gone: string[] = [];
    for (const [id, phase] of after) if (TERMINAL.has(phase) && !TERMINAL.has(before.get(id) ?? '')) ended.push(id);
    for (const [id, phase] of before) if (!TERMINAL.has(phase) && !after.has(id)) gone.push(id);
    const silent = (ids: string[]) =>
      ids.filter((id) => !r.plan.events.some((e) => END_REASONS.has(e.reason) && mentionsRun(e, id)));
    const out: Violation[] = [];
    const list = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`;
    const inStatus = silent(ended).map(
      (id) => `${id} (${after.get(id)}${before.has(id) ? '' : ', first recorded ended'})`,
    );
    if (inStatus.length > 0)
      out.push(
        v('end-event', step, `${r.pipeline}: ${inStatus.length} run(s) ended without an Event: ${list(inStatus)}`),
      );
    const dropped = silent(gone);
    if (dropped.length > 0) {
      out.push(
        v(
          'end-event',
          step,
          `${r.pipeline}: ${dropped.length} active run(s) left status (runs[] keeps ${MAX_FINISHED} finished) without an Event: ${list(dropped)}; ${ended.length + gone.length} runs ended in this plan`,
        ),
      );
    }
    return out;
  }
}

// -------------------------------------------------------------------------------------------
// Obligations (invariant 2)

const REQUEST_FIELDS: Record<string, keyof PipelineStatus | undefined> = {
  run: 'lastRunRequest',
  retry: 'lastRetryRequest',
  cancel: 'lastCancelRequest',
  backfill: 'lastBackfillRequest',
  backfillCancel: undefined,
};

/** What may explain an obligation left unanswered, for the message (and KNOWN_FAILING). */
function settleContext(o: Obligation, r: ReconcileRecord): string {
  if (o.target && !runsOf(r.plan.status).some((x) => x.id === o.target))
    return `; run ${o.target} left status (runs[] keeps ${MAX_FINISHED} finished)`;
  const read = r.read.status ?? {};
  if (read.observedGeneration === undefined && read.lastRun === undefined)
    return '; the plan read a status never written';
  if (read.observedGeneration !== r.read.metadata.generation) return '; the plan also handled a change of spec';
  return '';
}

function tickObligation(step: number, job: string, runId: string): Obligation {
  return {
    step,
    describe: `the tick of Job ${job} (run ${runId})`,
    due: (r) => r.sawJobs.has(job),
    // Deleted (by hand, with its CronJob) before any plan saw it.
    drop: (r) => r.mode === 'clean' && !r.sawJobs.has(job),
    discharged: (r, k) =>
      k.runs.has(runId) || r.plan.events.some((e) => e.type === 'Warning' && e.message.includes(runId)),
  };
}

/** A request is accepted by the reconcile that handles it: the one whose status field takes its value. */
function requestObligation(step: number, kind: string, value: string, field: keyof PipelineStatus): Obligation {
  const trigger =
    kind === 'run' ? (value.startsWith('webhook:') ? 'webhook' : 'manual') : kind === 'retry' ? 'retry' : undefined;
  const target = value.split(':')[0] ?? '';
  const backfillId = kind === 'backfill' ? safeJson(value)?.id : undefined;
  const warned = (r: ReconcileRecord) =>
    r.plan.events.some(
      (e) =>
        e.type === 'Warning' && (e.message.includes(value) || (kind === 'backfill' && e.reason === 'BackfillRefused')),
    );
  return {
    step,
    ...(kind === 'cancel' ? { target } : {}),
    describe: `${kind} request ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`,
    due: (r, previous) => r.plan.status[field] === value && previous[field] !== value,
    // A newer value replaced it before any reconcile handled it: it was never accepted.
    drop: (r) => r.read.metadata.annotations?.[annotationOf(field)] !== value && r.plan.status[field] !== value,
    discharged: (r, k) => {
      if (warned(r)) return true;
      if (trigger) return [...k.fresh].some((id) => k.runs.get(id)?.trigger === trigger);
      if (kind === 'cancel') return k.runs.get(target)?.phase === 'Cancelled';
      if (kind === 'backfill') return r.plan.status.backfill?.request === backfillId;
      return false;
    },
  };
}

function chainObligation(
  step: number,
  upstream: string,
  upstreamUid: string,
  upRun: string,
  logicalTime: string | undefined,
  context: string,
): Obligation {
  return {
    step,
    describe: `the end of run ${upRun} of ${upstream} (chain trigger${logicalTime ? `, logical time ${logicalTime}` : ''}${context})`,
    due: () => true,
    // The upstream was deleted before a downstream plan that wrote saw the run's end: its only
    // evidence (the upstream's status) went first, as a tick's Job deleted before any plan saw it.
    drop: (r) => !r.sawUpstreams.has(upstreamUid),
    discharged: (r, k) => {
      if (r.plan.events.some((e) => e.type === 'Warning' && mentionsRun(e, upRun))) return true;
      const index = k.chainPool.findIndex((id) => {
        const run = k.runs.get(id);
        return (
          run !== undefined &&
          run.firstSeenStep >= step &&
          (run.logicalTime === undefined || run.logicalTime === logicalTime)
        );
      });
      if (index < 0) return false;
      k.chainPool.splice(index, 1);
      return true;
    },
  };
}

function annotationOf(field: keyof PipelineStatus): string {
  switch (field) {
    case 'lastRunRequest':
      return 'conveyor.dev/run-requested';
    case 'lastRetryRequest':
      return 'conveyor.dev/retry-requested';
    case 'lastCancelRequest':
      return 'conveyor.dev/cancel-requested';
    default:
      return 'conveyor.dev/backfill-requested';
  }
}

// -------------------------------------------------------------------------------------------
// Helpers

/** Where a violation comes from a reconcile with a fault, which one. */
function modeNote(r: ReconcileRecord): string {
  return r.mode === 'clean' ? '' : ` (in a ${r.mode} reconcile)`;
}

function v(invariant: InvariantId, step: number, message: string): Violation {
  return { invariant, step, message };
}

function jobKey(j: Pick<JobFacts, 'uid' | 'run' | 'stage' | 'role' | 'attempt'>): JobKey {
  return `${j.uid}/${j.run ?? '?'}/${j.role}/${j.stage ?? '?'}/${j.attempt}`;
}

export function runsOf(status: PipelineStatus): (RunStatus | RunSummary)[] {
  const out: (RunStatus | RunSummary)[] = [];
  if (status.lastRun) out.push(status.lastRun);
  for (const r of status.runs ?? []) if (r.id !== status.lastRun?.id) out.push(r);
  return out;
}

function mentionsRun(e: PlanEvent, id: string): boolean {
  return new RegExp(`\\b${id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(e.message);
}

function canonicalParams(params: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(params ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sameParams(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return canonicalParams(a) === canonicalParams(b);
}

function defaultsOf(spec: PipelineSpec): Record<string, string> {
  return Object.fromEntries((spec.params ?? []).map((p) => [p.name, p.default ?? '']));
}

function stageWork(stage: PipelineSpec['stages'][number]): string {
  return JSON.stringify([stage.image, stage.command, stage.args, stage.env]);
}

function durationMs(text: string): number | undefined {
  const units: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  if (!/^(\d+[smhd])+$/.test(text)) return undefined;
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * (units[u ?? 's'] ?? 0);
  return ms;
}

function latestGeneration(k: PipelineKnowledge): number {
  return Math.max(0, ...k.specs.keys());
}

function latestSpec(k: PipelineKnowledge): PipelineSpec | undefined {
  return k.specs.get(latestGeneration(k));
}

const downstreamCache = new WeakMap<PipelineSpec, Map<string, string[]>>();

/** Stages that depend on `stage`, directly or not (per spec, computed once). */
function downstreamOf(spec: PipelineSpec, stage: string): string[] {
  let all = downstreamCache.get(spec);
  if (!all) {
    all = new Map();
    const children = new Map<string, string[]>();
    for (const s of spec.stages)
      for (const d of s.dependsOn ?? []) children.set(d, [...(children.get(d) ?? []), s.name]);
    for (const s of spec.stages) {
      const out = new Set<string>();
      const queue = [s.name];
      while (queue.length > 0)
        for (const c of children.get(queue.shift() as string) ?? []) if (!out.has(c)) out.add(c), queue.push(c);
      all.set(s.name, [...out]);
    }
    downstreamCache.set(spec, all);
  }
  return all.get(stage) ?? [];
}

/**
 * Ticks of the schedule in [from, to) that are wall-clock times of their own, RFC 3339 — the same
 * cron code as the CronJobs'. A CronJob's repeated tick on the night the clocks go back (or one off
 * the schedule as they go forward) is no tick of its own (`extraTick`): its hour is in the next
 * tick's interval, so a backfill has nothing to run for it (src/plan/backfill/ticks.ts).
 */
function ticksIn(schedule: string, timeZone: string | undefined, from: number, to: number): string[] {
  const out: string[] = [];
  let cursor = from - 1000;
  for (let guard = 0; guard < 2000; guard++) {
    const [next] = nextScheduleTimes(schedule, timeZone, new Date(cursor), 1);
    if (!next || next.getTime() >= to) break;
    if (!extraTick(schedule, timeZone, next)) out.push(next.toISOString().replace(/\.\d{3}Z$/, 'Z'));
    cursor = next.getTime();
  }
  return out;
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
