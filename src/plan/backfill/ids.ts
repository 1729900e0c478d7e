// A backfill request id is handled once, ever. Its runs are named after it (names.ts
// backfillRunId), so a request accepted again with an id already used would adopt the old runs
// (finished: nothing runs, the old outcome is reported) and replace the backfill that runs —
// exactly what re-applying an old request's JSON does (Argo CD self-heal, a `kubectl apply` of an
// old manifest). The memory is bounded:
//
// - status.backfillIds lists the ids of the last MAX_BACKFILL_IDS backfills started (accepted
//   requests; a refused one started nothing, so its id may be used again), each with a time: the
//   request's requestedAt (`conveyor backfill` always sets it), or when it was handled.
// - When an id falls off the list, status.backfillIdsForgottenUntil becomes the latest time of
//   those fallen off. From then on a request must carry a requestedAt after it.
//
// Why "once, ever" holds: a request whose id was accepted before is either still listed (refused
// by id), or fell off — then backfillIdsForgottenUntil ≥ its time, so the same request again
// (same JSON, same requestedAt) is refused by time, and without requestedAt it is refused because
// it cannot be told from an old one. A requestedAt more than MAX_REQUEST_SKEW_MS ahead of the
// operator's clock is refused, so that one bad value cannot later refuse every request.
// What it does not cover: a lost status (the whole memory is gone; as with run requests, the
// annotation is then read as new), and an old id reused in a new request with a new requestedAt —
// that is a new request, and its run ids differ from the old ones (they include requestedAt).
//
// Evidence before status: a plan that accepted a request may create its runs' Jobs and then lose
// its status write (a crash, a lost or conflicting write), and a later plan may handle another
// request first. The Jobs carry their backfill's id (conveyor.dev/backfill): a run status does not
// record yet is adopted from them, and its id joins the list in the same plan (rememberRunsSeen),
// before any plan can prune those Jobs (status is written before deletions). Otherwise the old
// request applied again would be accepted, and --rerun would create the pruned Jobs again under
// their old names (simulator, NEW-I). The request's requestedAt is not on the Jobs; it is at most
// MAX_REQUEST_SKEW_MS after the run started (it was not in the future when accepted), so that is
// the time listed: when the id falls off, backfillIdsForgottenUntil still covers the request.
import type { PipelineStatus } from '../../api/types.ts';
import { MAX_BACKFILL_IDS } from '../../api/schema.ts';
import { ID_PATTERN, type BackfillProblem, type BackfillRequest } from './request.ts';
import { rememberedRuns } from '../remembered.ts';
import { iso, isoOf, latest, toDate } from '../time.ts';
import type { ObservedRun } from '../observed.ts';

/** How far a request's requestedAt may be ahead of the operator's clock (clock skew between machines). */
export const MAX_REQUEST_SKEW_MS = 60 * 60 * 1000;

export type UsedId = { id: string; time: string };
export type UsedIds = { ids: UsedId[]; forgottenUntil?: string };

function usedId(id: unknown, time: unknown, fallback: Date): UsedId | undefined {
  return typeof id === 'string' && ID_PATTERN.test(id) ? { id, time: isoOf(time) ?? iso(fallback) } : undefined;
}

/**
 * The ids status remembers. Status written by the previous version has no list: it is seeded with
 * what that status still shows — the last backfill and the backfill runs in runs[].
 */
export function readUsedIds(previous: PipelineStatus, now: Date): UsedIds {
  const listed = Array.isArray(previous.backfillIds) ? previous.backfillIds.slice(0, MAX_BACKFILL_IDS) : undefined;
  const seeds = listed
    ? listed.map((e) => usedId(e?.id, e?.time, now))
    : [
        usedId(previous.backfill?.request, previous.backfill?.startTime, now),
        ...[...rememberedRuns(previous).values()].map((r) => usedId(r.backfill, r.startTime, now)),
      ];
  const ids: UsedId[] = [];
  for (const seed of seeds) if (seed && !ids.some((e) => e.id === seed.id)) ids.push(seed);
  const forgottenUntil = isoOf(previous.backfillIdsForgottenUntil);
  return { ids: ids.slice(0, MAX_BACKFILL_IDS), ...(forgottenUntil ? { forgottenUntil } : {}) };
}

/** Why a request's id (or its requestedAt) may not be used now; undefined when it may. */
export function usedIdProblem(
  used: UsedIds,
  request: Pick<BackfillRequest, 'id' | 'requestedAt'>,
  now: Date,
): BackfillProblem | undefined {
  const { id, requestedAt } = request;
  if (used.ids.some((e) => e.id === id)) {
    return {
      field: 'id',
      message: `"${id}" was already used by an earlier backfill; a request id is handled once, ever (re-applying an old request does nothing): give each request a new id`,
    };
  }
  if (requestedAt && requestedAt.getTime() > now.getTime() + MAX_REQUEST_SKEW_MS) {
    return { field: 'requestedAt', message: `${iso(requestedAt)} is in the future (now ${iso(now)})` };
  }
  const until = toDate(used.forgottenUntil);
  if (!until) return undefined;
  const why = `the ids of backfills older than the last ${MAX_BACKFILL_IDS} are no longer listed, and requests made until ${iso(until)} may have been handled`;
  if (!requestedAt)
    return {
      field: 'requestedAt',
      message: `is needed: ${why}; give the time the request is made (conveyor backfill does)`,
    };
  if (requestedAt.getTime() <= until.getTime())
    return { field: 'requestedAt', message: `${iso(requestedAt)} is too old: ${why}` };
  return undefined;
}

/** The memory after `request` is accepted: its id first; ids past the bound fall off, moving the time mark. */
export function rememberId(used: UsedIds, request: Pick<BackfillRequest, 'id' | 'requestedAt'>, now: Date): UsedIds {
  const others = used.ids.filter((e) => e.id !== request.id);
  return bounded([{ id: request.id, time: iso(request.requestedAt ?? now) }, ...others], used.forgottenUntil);
}

/** At most MAX_BACKFILL_IDS ids; those past it fall off, and the time mark moves to the latest of theirs. */
function bounded(ids: UsedId[], forgottenUntil: string | undefined): UsedIds {
  const until = latest(forgottenUntil, ...ids.slice(MAX_BACKFILL_IDS).map((e) => e.time));
  return { ids: ids.slice(0, MAX_BACKFILL_IDS), ...(until ? { forgottenUntil: iso(until) } : {}) };
}

/**
 * The memory with the ids of the backfill runs the Jobs show and status does not record (adopted
 * now: the plan that accepted their request lost its status), first. Each is listed at the latest
 * its request's requestedAt can be; an id that time mark already covers is left out, so that an id
 * that fell off is not listed again while its old Jobs stay.
 */
export function rememberRunsSeen(
  used: UsedIds,
  previous: PipelineStatus,
  observed: ReadonlyMap<string, ObservedRun>,
  now: Date,
): UsedIds {
  const recorded = rememberedRuns(previous);
  const until = toDate(used.forgottenUntil)?.getTime() ?? Number.NEGATIVE_INFINITY;
  const seen = new Map<string, UsedId>();
  for (const run of observed.values()) {
    if (recorded.has(run.id)) continue;
    const started = run.startedAt ?? run.activeSince ?? run.createdAt ?? now;
    const entry = usedId(run.values?.backfill, new Date(started.getTime() + MAX_REQUEST_SKEW_MS), now);
    if (!entry || Date.parse(entry.time) <= until || used.ids.some((e) => e.id === entry.id)) continue;
    const other = seen.get(entry.id);
    if (!other || entry.time < other.time) seen.set(entry.id, entry);
  }
  return seen.size === 0 ? used : bounded([...seen.values(), ...used.ids], used.forgottenUntil);
}
