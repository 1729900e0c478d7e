// Which runs go on and which new runs are asked for. Status is the memory (observedGeneration,
// lastRun, runs[], lastRunRequest, lastRetryRequest, lastTriggers); the Pipeline says what is
// wanted (generation, annotations, triggers); the Jobs are evidence (a CronJob's tick, a run a
// lost status forgot). Run ids are derived from the trigger, so deciding twice (after a crash)
// picks the same ids. Whether a new run may start next to the active ones is concurrency.ts's.
import { requestAnnotation } from './request-annotation.ts';
import type { PipelineStatus, RunTrigger, WebhookDelivery } from '../../api/types.ts';
import { ANN_RUN_OPTIONS } from '../../api/labels.ts';
import { checkRunRequest } from './params.ts';
import { chainRunValues, manualRunValues } from '../values/decide.ts';
import { extraTickMessage } from '../values/logical-time.ts';
import type { PlanEvent } from '../types.ts';
import type { FiredTrigger } from './chain.ts';
import type { Decisions } from '../decisions.ts';
import type { PlanFacts } from '../facts.ts';
import { chainRunId, generationRunId, manualRunId, scheduledTimeOf, webhookRunId } from '../names.ts';
import type { ObservedRun } from '../observed.ts';
import { keptStages, resolveRetry, type RememberedRun } from './retry.ts';
import { isActiveRun } from '../run/run.ts';
import type { Requests } from './requests.ts';
import { ROOT_JOIN_GRACE_MS, type RunRef, type RunRequest, type Selection, type SkippedRun } from './selection.ts';
import { deliveryRecord, handledDelivery, isWebhookRequest } from './webhook.ts';

/** Status lost (new object, or status wiped): memory must be rebuilt from the Jobs. */
function statusLost(previous: PipelineStatus): boolean {
  return previous.observedGeneration === undefined && previous.lastRun === undefined;
}

function runTime(run: ObservedRun): number {
  return (run.startedAt ?? run.activeSince ?? run.createdAt)?.getTime() ?? 0;
}

/** The newest observed run of this generation: what a lost status was last tracking. */
function newestRunOf(observed: Map<string, ObservedRun>, generation: number): ObservedRun | undefined {
  let best: ObservedRun | undefined;
  for (const run of observed.values()) {
    if (run.generation !== generation || !run.started) continue;
    if (!best || runTime(run) > runTime(best)) best = run;
  }
  return best;
}

/** A run known from its Jobs only: what they say about its trigger and retry target. */
function fromEvidence(ctx: PlanFacts, run: ObservedRun, previous?: RememberedRun): RunRef {
  const trigger =
    previous?.trigger ?? run.trigger ?? (run.manualFromCronJob ? 'manual' : run.scheduledAt ? 'schedule' : 'create');
  return withRunDetails(ctx, {
    id: run.id,
    trigger,
    generation: previous?.generation ?? run.generation ?? ctx.generation,
    ...(previous ? { previous } : {}),
  });
}

/** A retry run's kept stages (from the Jobs of the run it retries) and a tick's root grace. */
function withRunDetails(ctx: PlanFacts, ref: RunRef): RunRef {
  const evidence = ctx.observed.get(ref.id);
  const retryOf = ref.retryOf ?? evidence?.retryOf;
  const scheduledAt = ref.trigger === 'schedule' ? (evidence?.scheduledAt ?? scheduledTimeOf(ref.id)) : undefined;
  const out: RunRef = { ...ref };
  if (retryOf && !ref.kept) {
    out.retryOf = retryOf;
    const target = ctx.previous.lastRun?.id === retryOf ? ctx.previous.lastRun : undefined;
    out.kept = [...keptStages(retryOf, ctx.pipeline.spec.stages, ctx.observed, target).values()];
  }
  if (scheduledAt) out.awaitRootsUntil = new Date(scheduledAt.getTime() + ROOT_JOIN_GRACE_MS);
  const detailed = ref.previous !== undefined && 'stages' in ref.previous && Array.isArray(ref.previous.stages);
  if (ref.trigger === 'retry' && !retryOf && ref.previous && !detailed && isActiveRun(ref.previous.phase))
    out.hold = true;
  return out;
}

/** Everything pending counts as handled (satisfied by a run, or unknowable after a lost status). */
function allHandled(
  ctx: PlanFacts,
  r: Requests,
): Pick<Selection, 'lastRunRequest' | 'lastRetryRequest' | 'lastTriggers' | 'requestCount'> {
  const lastRunRequest = r.runRequest ?? ctx.previous.lastRunRequest;
  const lastRetryRequest = r.retryRequest ?? ctx.previous.lastRetryRequest;
  const requestCount = countRequests(ctx, r);
  return {
    ...(lastRunRequest ? { lastRunRequest } : {}),
    ...(lastRetryRequest ? { lastRetryRequest } : {}),
    ...(requestCount > 0 ? { requestCount } : {}),
    ...(r.chain.lastTriggers ? { lastTriggers: r.chain.lastTriggers } : {}),
  };
}

/** The id seed of a request: its value and how many requests came before, so a value used again is a new run. */
export function requestSeed(value: string, count: number): string {
  return `${value}#${count}`;
}

const refused = (message: string) => ({ ok: false as const, message });
const SUSPENDED = 'the pipeline is suspended (spec.suspend); resume it to run';

/** The new requests of one plan, and the webhook delivery among them, as status records it. */
type Asked = { requests: RunRequest[]; events: PlanEvent[]; delivery?: WebhookDelivery };

/** Explicit and chained requests, in the order they are considered. */
function newRequests(ctx: PlanFacts, r: Requests, chainGoverned: boolean): Asked {
  const { previous, now, generation } = ctx;
  const requests: RunRequest[] = [];
  const events: PlanEvent[] = [];
  let delivery: WebhookDelivery | undefined;
  let count = requestCountOf(previous);
  const chained = chainRequests(ctx, r.chain.fired, chainGoverned);
  requests.push(...chained.requests);
  events.push(...r.chain.events, ...chained.events);
  if (isNewRunRequest(ctx, r)) {
    const asked = askedRun(ctx, r, requestSeed(r.runRequest ?? '', count++));
    if (asked.request) requests.push(asked.request);
    if (asked.event) events.push(asked.event);
    delivery = asked.delivery;
  }
  if (isNewRetryRequest(ctx, r)) {
    const value = r.retryRequest ?? '';
    const seed = requestSeed(value, count++);
    const resolved = r.retryProblem
      ? refused(r.retryProblem)
      : resolveRetry(value, previous.lastRun, ctx.remembered, ctx.observed, ctx.pipeline.spec.stages, seed);
    if (resolved.ok) {
      const { id, of, kept } = resolved.retry;
      requests.push({ id, trigger: 'retry', generation, governed: false, at: now, retryOf: of, kept });
    } else {
      events.push({
        type: 'Warning',
        reason: 'RetryRefused',
        message: `retry request "${value}" refused: ${resolved.message}`,
      });
    }
  }
  return { requests, events, ...delivered({ delivery }) };
}

/**
 * A new run request: a manual run (`conveyor run`, the Console) or a webhook delivery's
 * (`webhook:<id>`, select/webhook.ts). Both are checked alike (conveyor run --param/--at/
 * --no-cache; bad options refuse it) and start whatever concurrencyPolicy says; a delivery is
 * recorded in status, and one status still lists starts nothing again.
 */
function askedRun(
  ctx: PlanFacts,
  r: Requests,
  seed: string,
): { request?: RunRequest; event?: PlanEvent; delivery?: WebhookDelivery } {
  const { now, generation } = ctx;
  const value = r.runRequest ?? '';
  const webhook = isWebhookRequest(value);
  const repeat = webhook ? handledDelivery(ctx.previous, value) : undefined;
  const refuse = (message: string): PlanEvent => ({
    type: 'Warning',
    reason: 'RunRefused',
    message: `run request "${value}" refused: ${message}`,
  });
  if (repeat) {
    const by = repeat.run ? ` (run ${repeat.run})` : '';
    return { event: refuse(`delivery ${repeat.id} was handled already, at ${repeat.time}${by}`) };
  }
  // Deliveries are events from outside, like ticks: spec.suspend stops them (a person's run still starts).
  const checked = r.runProblem
    ? refused(r.runProblem)
    : webhook && ctx.pipeline.spec.suspend === true
      ? refused(SUSPENDED)
      : checkRunRequest(ctx.pipeline.spec.params, requestAnnotation(ctx.pipeline, ANN_RUN_OPTIONS), value);
  if (!checked.ok) {
    const delivery = webhook ? deliveryRecord(value, now, { refused: checked.message }) : undefined;
    return { event: refuse(checked.message), ...delivered({ delivery }) };
  }
  const id = webhook ? webhookRunId(seed) : manualRunId(seed);
  const values = manualRunValues(ctx.pipeline, checked.value.params, checked.value.options, now);
  const trigger: RunTrigger = webhook ? 'webhook' : 'manual';
  const request: RunRequest = { id, trigger, generation, governed: false, at: now, values };
  return { request, ...(webhook ? { delivery: deliveryRecord(value, now, { run: id }) } : {}) };
}

/**
 * Requests read with no status (a new Pipeline, a first write lost, a status wiped): with no run
 * in the Jobs either, nothing was handled yet and they go ahead. Once Jobs show runs, the
 * annotations still set were most likely handled before the status was lost (requestCount, which
 * tells their run ids apart, was lost with it): a request whose run is not among the Jobs is not
 * run again, and a Warning says so — request it again to run.
 */
function afterLostStatus(ctx: PlanFacts, r: Requests, asked: Asked): Asked {
  const started = [...ctx.observed.values()].filter((run) => run.started);
  if (started.length === 0) return asked;
  const known = new Set(started.map((run) => run.id));
  const explicit: RunTrigger[] = ['manual', 'webhook', 'retry'];
  const dropped = (q: RunRequest) => !known.has(q.id) && explicit.includes(q.trigger);
  const events = [...asked.events];
  let delivery = asked.delivery;
  for (const q of asked.requests.filter(dropped)) {
    const why = `the Pipeline's status was lost while its Jobs show earlier runs, so it was most likely handled already; request it again to run`;
    events.push({
      type: 'Warning',
      reason: q.trigger === 'retry' ? 'RetryRefused' : 'RunRefused',
      message: `${askedBy(r, q)} not started: ${why}`,
    });
    if (q.trigger === 'webhook' && r.runRequest) delivery = deliveryRecord(r.runRequest, ctx.now, { refused: why });
  }
  return { requests: asked.requests.filter((q) => !dropped(q)), events, ...delivered({ delivery }) };
}

/**
 * One run per upstream run that fired, in the order they ended (concurrencyPolicy decides which
 * start). Its id is derived from the upstream run, so deciding again after a crash picks the same
 * one. An id this pipeline's history already holds means the upstream used one of its run ids
 * again (its status was wiped): that run cannot start twice, and an Event says so.
 */
function chainRequests(
  ctx: PlanFacts,
  fired: FiredTrigger[],
  governed: boolean,
): { requests: RunRequest[]; events: PlanEvent[] } {
  const remembered = ctx.remembered;
  const requests: RunRequest[] = [];
  const events: PlanEvent[] = [];
  for (const trigger of fired) {
    const id = chainRunId(trigger.pipeline, trigger.uid, trigger.run);
    if (remembered.has(id)) {
      const message = `run ${trigger.run} of ${trigger.pipeline} ended ${trigger.phase}, but run ${id} it would start is already in this pipeline's history (${trigger.pipeline} used run id ${trigger.run} twice); no run started`;
      events.push({ type: 'Warning', reason: 'TriggerIgnored', message });
      continue;
    }
    const values = chainRunValues(ctx.pipeline, trigger, ctx.now);
    requests.push({ id, trigger: 'chain', generation: ctx.generation, governed, at: ctx.now, values });
  }
  return { requests, events };
}

function isNewRunRequest(ctx: PlanFacts, r: Requests): boolean {
  return r.runRequest !== undefined && r.runRequest !== ctx.previous.lastRunRequest;
}

function isNewRetryRequest(ctx: PlanFacts, r: Requests): boolean {
  return r.retryRequest !== undefined && r.retryRequest !== ctx.previous.lastRetryRequest;
}

function requestCountOf(previous: PipelineStatus): number {
  const n = previous.requestCount;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** status.requestCount after this plan: one more for every new run or retry request handled. */
function countRequests(ctx: PlanFacts, r: Requests): number {
  return requestCountOf(ctx.previous) + Number(isNewRunRequest(ctx, r)) + Number(isNewRetryRequest(ctx, r));
}

/**
 * A suspended pipeline without a schedule starts no run: not on create, change, request or
 * chain trigger. The run in flight goes on (as a CronJob's suspend leaves its Jobs running).
 * Requests that come meanwhile are refused with an Event and count as handled, so resuming does
 * not start a pile of stale ones; resuming is a change of spec, which runs the current spec.
 */
function selectSuspended(ctx: PlanFacts, r: Requests): Selection {
  const lastRun = ctx.previous.lastRun;
  const lost = statusLost(ctx.previous) ? newestRunOf(ctx.observed, ctx.generation) : undefined;
  const continuing = lost
    ? [fromEvidence(ctx, lost)]
    : lastRun && isActiveRun(lastRun.phase)
      ? [
          withRunDetails(ctx, {
            id: lastRun.id,
            trigger: lastRun.trigger,
            generation: lastRun.generation ?? ctx.generation,
            previous: lastRun,
          }),
        ]
      : [];
  const events: PlanEvent[] = [];
  const refuse = (what: string) =>
    events.push({
      type: 'Warning',
      reason: 'RunRefused',
      message: `${what} refused: ${SUSPENDED}`,
    });
  if (isNewRunRequest(ctx, r)) refuse(`run request "${r.runRequest}"`);
  if (isNewRetryRequest(ctx, r)) refuse(`retry request "${r.retryRequest}"`);
  for (const fired of r.chain.fired) refuse(`run ${fired.run} of ${fired.pipeline} (trigger)`);
  const delivery =
    isNewRunRequest(ctx, r) && isWebhookRequest(r.runRequest) && !handledDelivery(ctx.previous, r.runRequest)
      ? deliveryRecord(r.runRequest, ctx.now, { refused: SUSPENDED })
      : undefined;
  return {
    continuing,
    requests: [],
    skipped: [],
    supersede: false,
    ...allHandled(ctx, r),
    events,
    ...delivered({ delivery }),
  };
}

/**
 * Unscheduled: a run starts on create and on every change of generation; a run request, a retry
 * or a chain trigger starts another. One run at a time: a new run supersedes the active one.
 * Several requests in one plan start one run — a change first (it runs everything), then a retry,
 * a manual request, a chain trigger; the others count as handled.
 */
export function selectUnscheduled(ctx: PlanFacts): Selection {
  const { previous, observed, generation } = ctx;
  const r = ctx.requests;
  if (ctx.pipeline.spec.suspend === true) return selectSuspended(ctx, r);
  const lastRun = previous.lastRun;
  const base = { skipped: [], supersede: true };

  // Status lost: rebuild memory from the Jobs rather than start the same work again.
  if (statusLost(previous)) {
    const adopted = newestRunOf(observed, generation);
    if (adopted) {
      const asked = afterLostStatus(ctx, r, newRequests(ctx, r, true));
      const continuing = [fromEvidence(ctx, adopted)];
      return { ...base, continuing, requests: [], ...allHandled(ctx, r), events: asked.events, ...delivered(asked) };
    }
    const request: RunRequest = {
      id: generationRunId(generation),
      trigger: 'create',
      generation,
      governed: true,
      at: ctx.now,
    };
    return oneRun(ctx, r, request);
  }

  // A new spec (or one that was invalid and is now accepted) runs at once and satisfies
  // whatever else was asked for meanwhile.
  if (previous.observedGeneration !== generation || previous.phase === 'Invalid') {
    // A first run is `create`, also when the first generation was invalid; a pipeline that was
    // scheduled until this change has a history even without runs.
    const changed =
      lastRun !== undefined || (previous.observedGeneration !== undefined && previous.phase !== 'Invalid');
    const request: RunRequest = {
      id: generationRunId(generation),
      trigger: changed ? 'change' : 'create',
      generation,
      governed: true,
      at: ctx.now,
    };
    return oneRun(ctx, r, request);
  }

  const chosen = oneRun(ctx, r);
  if (chosen.requests.length > 0) return chosen;
  const handled = allHandled(ctx, r);
  if (lastRun) {
    const ref = withRunDetails(ctx, {
      id: lastRun.id,
      trigger: lastRun.trigger,
      generation: lastRun.generation ?? generation,
      previous: lastRun,
    });
    return { ...base, continuing: [ref], requests: [], ...handled, events: chosen.events, ...delivered(chosen) };
  }
  const request: RunRequest = {
    id: generationRunId(generation),
    trigger: 'create',
    generation,
    governed: true,
    at: ctx.now,
  };
  return { ...base, continuing: [], requests: [request], ...handled, events: chosen.events, ...delivered(chosen) };
}

/** The webhook delivery a selection recorded, to carry into another. */
function delivered(from: { delivery?: WebhookDelivery }): { delivery?: WebhookDelivery } {
  return from.delivery ? { delivery: from.delivery } : {};
}

/** What an unscheduled run's trigger was asked by, for the message of one that did not start. */
function askedBy(r: Requests, ref: RunRequest): string {
  if (ref.trigger === 'manual' || ref.trigger === 'webhook') return `run request "${r.runRequest ?? ''}"`;
  if (ref.trigger === 'retry') return `retry request "${r.retryRequest ?? ''}"`;
  return `${ref.trigger} of generation ${ref.generation}`;
}

/**
 * One run at a time (unscheduled): of the runs asked for in this plan, one starts — a change or
 * create first (`first`: it runs everything on the current spec), then a retry, a manual request,
 * a chain trigger. Each other one is recorded Skipped under its own run id, saying which run
 * superseded it (a RunSkipped Event names the request), never dropped unseen. Its id is derived
 * from the request, so planning again after a lost write records the same one.
 */
function oneRun(ctx: PlanFacts, r: Requests, first?: RunRequest): Selection {
  const asked = newRequests(ctx, r, true);
  const { requests, events } = asked;
  const priority: RunTrigger[] = ['retry', 'manual', 'webhook', 'chain'];
  const ordered = [...(first ? [first] : []), ...priority.flatMap((t) => requests.filter((q) => q.trigger === t))];
  const [chosen, ...others] = ordered;
  const skipped = others.map(
    (q): SkippedRun => ({
      id: q.id,
      trigger: q.trigger,
      generation: q.generation,
      message: `skipped: ${askedBy(r, q)} was superseded by run ${chosen?.id ?? ''}, asked for at the same time (a pipeline without a schedule runs one run at a time)`,
    }),
  );
  const started = chosen ? [{ ...chosen, governed: true }] : [];
  return {
    continuing: [],
    requests: started,
    skipped,
    supersede: true,
    ...allHandled(ctx, r),
    events,
    ...delivered(asked),
  };
}

/**
 * Scheduled: a change of spec starts no run (the CronJobs are updated; runs in flight go on).
 * Runs start from the CronJobs' Jobs (ticks, or `kubectl create job --from=cronjob/...`), run
 * requests, retries and chain triggers. Choice (as in Argo Workflows and Tekton): explicit
 * requests — manual runs and retries — always start and are not subject to concurrencyPolicy
 * (they neither wait for nor replace the active run); automatic ones — ticks and chain triggers —
 * are. spec.suspend stops ticks only, as a CronJob's suspend does.
 */
export function selectScheduled(ctx: PlanFacts): Selection {
  const { previous, observed } = ctx;
  const r = ctx.requests;
  const lost = statusLost(previous);
  const remembered = ctx.remembered;
  const unknown = [...observed.values()].filter((run) => !remembered.has(run.id));
  const continuing = scheduledContinuing(ctx, remembered, unknown, lost);
  const { requests, skipped } = newTicks(ctx, unknown);

  const asked = newRequests(ctx, r, true);
  const explicit = lost ? afterLostStatus(ctx, r, asked) : asked;
  // A request whose run already goes on (its status write did not land) is that run.
  const going = new Set(continuing.map((ref) => ref.id));
  return {
    continuing,
    requests: [...requests, ...explicit.requests.filter((q) => !going.has(q.id))],
    skipped,
    supersede: false,
    ...allHandled(ctx, r),
    events: explicit.events,
    ...delivered(explicit),
  };
}

/**
 * When the newest run status knows of began: a run the Jobs show that began later is one whose
 * status write did not land. A lastRun that never began (it failed before its first Job, e.g. its
 * spec revision was gone) counts from when it ended, and no earlier than any run status lists.
 * Taking it for "no run known" woke every finished run that had fallen off runs[] but whose Jobs
 * remained, and created their deleted Jobs again under their old names (the simulator's NEW-P).
 * NaN when status knows no time at all.
 */
function lastKnownStart(previous: PipelineStatus, remembered: Map<string, RememberedRun>): number {
  const last = previous.lastRun;
  if (last?.startTime) return Date.parse(last.startTime);
  const times = [last?.completionTime, ...[...remembered.values()].map((run) => run.startTime)]
    .filter((t): t is string => typeof t === 'string')
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  return times.length > 0 ? Math.max(...times) : Number.NaN;
}

/**
 * Runs going on, oldest first: the active ones status remembers, and ones whose Jobs show status
 * forgot them (a status write that did not land, a lost status): still running, or newer than
 * lastRun. Older finished ones are history that fell off runs[], not to be woken up.
 */
function scheduledContinuing(
  ctx: PlanFacts,
  remembered: Map<string, RememberedRun>,
  unknown: ObservedRun[],
  lost: boolean,
): RunRef[] {
  const { previous, observed, generation } = ctx;
  const continuing: RunRef[] = [];
  for (const run of remembered.values()) {
    if (!isActiveRun(run.phase)) continue;
    const evidence = observed.get(run.id);
    continuing.push(
      evidence
        ? fromEvidence(ctx, evidence, run)
        : withRunDetails(ctx, {
            id: run.id,
            trigger: run.trigger,
            generation: run.generation ?? generation,
            previous: run,
          }),
    );
  }
  const newest = lost ? unknown.filter((run) => run.started).sort((a, b) => runTime(b) - runTime(a))[0] : undefined;
  const lastStart = lastKnownStart(previous, remembered);
  for (const run of unknown) {
    const newer = !lost && (Number.isNaN(lastStart) || runTime(run) > lastStart);
    if (run.started && (run.unfinished || run === newest || newer)) addOnce(continuing, fromEvidence(ctx, run));
  }
  return continuing.sort((a, b) => startOf(a, observed) - startOf(b, observed));
}

/**
 * New ticks: a CronJob's Jobs nobody has decided on yet (not started). A Job made with `kubectl
 * create job --from=cronjob/...` is a manual run; a tick is skipped when it is no wall-clock time
 * of its own (a repeat as the clocks went back), while suspended or past its starting deadline,
 * and otherwise asks for a run that concurrencyPolicy governs.
 */
function newTicks(ctx: PlanFacts, unknown: ObservedRun[]): { requests: RunRequest[]; skipped: SkippedRun[] } {
  const { pipeline, generation, now } = ctx;
  const spec = pipeline.spec;
  const requests: RunRequest[] = [];
  const skipped: SkippedRun[] = [];
  const deadline = spec.startingDeadlineSeconds;
  for (const run of unknown) {
    if (run.started) continue;
    const runGeneration = run.generation ?? generation;
    if (run.manualFromCronJob) {
      requests.push({
        id: run.id,
        trigger: 'manual',
        generation: runGeneration,
        governed: false,
        at: run.createdAt ?? now,
      });
      continue;
    }
    if (!run.scheduledAt) continue;
    const extra = extraTickMessage(spec, run.scheduledAt);
    if (extra) {
      // A wall-clock time runs once: its hour is in the next tick's interval (logical-time.ts).
      skipped.push({ id: run.id, trigger: 'schedule', generation: runGeneration, message: extra });
    } else if (spec.suspend === true) {
      skipped.push({
        id: run.id,
        trigger: 'schedule',
        generation: runGeneration,
        message: 'skipped: the pipeline is suspended',
      });
    } else if (typeof deadline === 'number' && now.getTime() > run.scheduledAt.getTime() + deadline * 1000) {
      // The CronJob controller keeps this deadline for creating the Job; Conveyor keeps it for
      // starting it (it may have been down since the tick).
      skipped.push({
        id: run.id,
        trigger: 'schedule',
        generation: runGeneration,
        message: `skipped: missed its starting deadline (startingDeadlineSeconds=${deadline})`,
      });
    } else {
      const ref = withRunDetails(ctx, { id: run.id, trigger: 'schedule', generation: runGeneration });
      requests.push({ ...ref, governed: true, at: run.scheduledAt });
    }
  }
  return { requests, skipped };
}

function addOnce(list: RunRef[], ref: RunRef): void {
  if (!list.some((r) => r.id === ref.id)) list.push(ref);
}

function startOf(ref: RunRef, observed: Map<string, ObservedRun>): number {
  const remembered = ref.previous?.startTime ? Date.parse(ref.previous.startTime) : Number.NaN;
  if (!Number.isNaN(remembered)) return remembered;
  const evidence = observed.get(ref.id);
  return evidence ? runTime(evidence) : 0;
}

/** Phase 1, select: which runs go on and which new ones are asked for, by trigger. */
export function selectRuns(facts: PlanFacts, d: Decisions): void {
  d.selection = facts.waitsForTrigger ? selectScheduled(facts) : selectUnscheduled(facts);
  d.events.push(...d.selection.events);
}
