// Chaos: 100 one-shot Pipelines of 4 chained stages (a → b → c → d, each pod running 2 s), while
// the real operator process, run as a leader-election holder, is SIGKILLed at 8 random moments and
// started again (the new process waits for the dead one's Lease to expire, then relists).
// Afterwards every Pipeline must have Succeeded with exactly one run and exactly one Job per
// stage, and no Job may ever have been created twice (a watch on the namespace counts, per Job
// name, every uid added: a Job deleted and re-created keeps its name but gets another uid).
//
// The kill moments come from a seeded RNG, as points in the run's progress (see STEPS); the seed
// is printed, and CHAOS_SEED=<seed> replays them (as far as a busy machine's timing allows). The test prints what it found
// (kills, Jobs, duplicates, unfinished Pipelines, times) whether it passes or not.
// Only on a KWOK cluster, where a pod's run time is set by an annotation and there are no image
// pulls: 400 real pods would not fit the time bound.
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../src/api/types.ts';
import { GROUP, PLURAL, VERSION } from '../../src/api/constants.ts';
import { clients, jobCondition, onKwok, testNamespace, waitFor, type Clients } from './support/kube.ts';
import { recordJobs, type JobRecorder } from './support/job-watch.ts';
import { LOG_DIR, startOperatorProcess, type OperatorProcess } from './support/operator.ts';
import { createPipeline, installCrd, pipeline, runsFor, stage } from './support/pipelines.ts';

const PIPELINES = 100;
const STAGES = ['a', 'b', 'c', 'd'];
const RUN_SECONDS = 2;
const KILLS = 8;
/** The shortest lease the operator accepts is 3 s; 5 s leaves renewals room on a busy 2-core machine. */
const LEASE_SECONDS = 5;
const LEASE_NAME = 'conveyor-chaos';
/**
 * When to kill, spread over the run by its progress rather than by the clock (the clock would
 * put the last kills after the end on a fast machine and all kills early on a slow one): the run
 * is 800 steps (each Job seen created, each Job seen Complete); the kill points are 8 seeded
 * uniform draws over them, and each kill comes a seeded 0.3-1.5 s after its point is reached.
 */
const STEPS = PIPELINES * STAGES.length * 2;
const JITTER_MS: [number, number] = [300, 1_500];
/** From the first create until every Pipeline must have finished. */
const DEADLINE_MS = 6 * 60_000;

const c: Clients = clients();
const kwok = onKwok();
const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : randomInt(2 ** 31);
let ns: { name: string; cleanup: () => Promise<void> } | undefined;
let recorder: JobRecorder | undefined;
let operator: OperatorProcess | undefined;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const names = Array.from({ length: PIPELINES }, (_, i) => `chaos-${String(i).padStart(3, '0')}`);
const time = (v: unknown): number => new Date(String(v)).getTime();

async function listPipelines(namespace: string): Promise<Pipeline[]> {
  const l = (await c.custom.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace,
    plural: PLURAL,
  })) as { items: Pipeline[] };
  return l.items;
}

async function leaseHolder(namespace: string): Promise<string | undefined> {
  try {
    const lease = await c.kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ name: LEASE_NAME, namespace });
    return lease.spec?.holderIdentity ?? undefined;
  } catch {
    return undefined;
  }
}

async function readyz(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
  return res?.ok ?? false;
}

/** Reconciles this operator process has done, and Pipelines waiting in its queue, from /metrics. */
async function reconcileCounters(port: number): Promise<{ reconciles: number; waiting: number } | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const text = await res.text();
  const reconciles = [...text.matchAll(/^conveyor_reconcile_total\{[^}]*\} (\d+)/gm)].reduce(
    (n, m) => n + Number(m[1]),
    0,
  );
  const waiting = /^conveyor_queue_depth (\d+)/m.exec(text);
  return waiting ? { reconciles, waiting: Number(waiting[1]) } : undefined;
}

interface Kill {
  n: number;
  /** ms since the first create */
  at: number;
  /** The progress point drawn for it, and the progress, Pipelines Succeeded and Jobs seen when it was killed. */
  point: number;
  progress: number;
  succeeded: number;
  jobsSeen: number;
  /** ms from the kill until the next process led with synced caches. */
  downtime: number;
}

interface Exit {
  process: string;
  at: number;
  code: number | null;
  signal: string | null;
  lostLeadership: boolean;
}

beforeAll(async () => {
  if (!kwok) return;
  await installCrd(c);
  ns = await testNamespace(c, 'chaos');
  recorder = await recordJobs(c, ns.name);
});
afterAll(async () => {
  recorder?.stop();
  await operator?.stop();
  await ns?.cleanup();
});

describe('chaos', () => {
  it.runIf(kwok)(
    `${PIPELINES} pipelines of ${STAGES.length} chained stages survive ${KILLS} SIGKILLs of the operator: each Succeeded, one run, one Job per stage`,
    async () => {
      const namespace = ns!.name;
      const jobsWatch = recorder!;
      const random = rng(seed);
      console.log(
        `[chaos] seed ${seed} (replay with CHAOS_SEED=${seed}); namespace ${namespace}; operator logs in ${LOG_DIR}/chaos-*.log`,
      );

      // The operator, as a leader-election holder watching only this namespace. Exits not caused by
      // the test are recorded (a process that lost its Lease exits by design) and the operator is
      // started again, so the run goes on and the summary says what happened.
      let generation = 0;
      let killing = false;
      const exits: Exit[] = [];
      const logFiles: string[] = [];
      let t0 = Date.now();
      const args = [
        '--namespaces',
        namespace,
        '--leader-elect',
        '--leader-election-namespace',
        namespace,
        '--leader-election-id',
        LEASE_NAME,
        '--lease-duration-seconds',
        String(LEASE_SECONDS),
      ];
      const startLeader = async (): Promise<void> => {
        const name = `chaos-${generation++}`;
        const op = await startOperatorProcess(name, args, { POD_NAME: name });
        operator = op;
        logFiles.push(op.logFile);
        op.child.once('exit', (code, signal) => {
          if (killing && operator === op) return;
          const log = readFileSync(op.logFile, 'utf8');
          exits.push({
            process: name,
            at: Date.now() - t0,
            code,
            signal,
            lostLeadership: log.includes('lost leadership'),
          });
        });
        const identity = `${name}_${op.child.pid}`;
        await waitFor(
          `${identity} to hold the Lease (log: ${op.logFile})`,
          (LEASE_SECONDS * 4 + 30) * 1000,
          async () => (await leaseHolder(namespace)) === identity,
          200,
        );
        await waitFor(`${identity} ready as leader (caches synced)`, 60_000, () => readyz(op.port), 200);
      };
      const ensureRunning = async (): Promise<void> => {
        const op = operator;
        if (op && op.child.exitCode === null && op.child.signalCode === null) return;
        await startLeader();
      };

      await startLeader();

      // Watches the Pipelines all along: when all had Succeeded first, and any that left Succeeded
      // again (a finished one-shot run must stay finished, across restarts too).
      let allSucceededAt: number | undefined;
      const succeededOnce = new Set<string>();
      const regressions: string[] = [];
      let monitoring = true;
      const monitor = (async () => {
        // Bounded too, should the test fail half-way.
        while (monitoring && Date.now() < t0 + DEADLINE_MS + 120_000) {
          const items = await listPipelines(namespace).catch(() => undefined);
          for (const p of items ?? []) {
            const name = p.metadata.name!;
            if (p.status?.phase === 'Succeeded') succeededOnce.add(name);
            else if (succeededOnce.has(name)) {
              regressions.push(
                `${name} went from Succeeded to ${p.status?.phase} (progress ${p.status?.progress}, lastRun ${p.status?.lastRun?.id}) at ${((Date.now() - t0) / 1000).toFixed(1)} s`,
              );
              succeededOnce.delete(name);
            }
          }
          if (
            allSucceededAt === undefined &&
            items?.length === PIPELINES &&
            items.every((p) => p.status?.phase === 'Succeeded')
          )
            allSucceededAt = Date.now() - t0;
          await sleep(1_000);
        }
      })();

      // Create the Pipelines in the background: the first kill may land while they are being created.
      t0 = Date.now();
      const creating = (async () => {
        for (let i = 0; i < names.length; i += 10) {
          await Promise.all(
            names.slice(i, i + 10).map((name) =>
              createPipeline(
                c,
                namespace,
                pipeline(name, {
                  stages: STAGES.map((s, k) =>
                    stage(s, {
                      command: ['sleep', String(RUN_SECONDS)],
                      podTemplate: runsFor(RUN_SECONDS),
                      ...(k > 0 ? { dependsOn: [STAGES[k - 1]!] } : {}),
                    }),
                  ),
                }),
              ),
            ),
          );
        }
        return Date.now() - t0;
      })();

      const countSucceeded = async (): Promise<number> =>
        (await listPipelines(namespace)).filter((p) => p.status?.phase === 'Succeeded').length;
      const kills: Kill[] = [];
      const points = Array.from({ length: KILLS }, () => Math.floor(random() * STEPS)).sort((x, y) => x - y);
      const jitters = points.map(() => JITTER_MS[0] + random() * (JITTER_MS[1] - JITTER_MS[0]));
      let stalled: string | undefined;
      for (const [i, point] of points.entries()) {
        try {
          await waitFor(
            `progress ${point}/${STEPS}`,
            Math.max(0, t0 + DEADLINE_MS - Date.now()),
            async () => {
              await ensureRunning();
              return jobsWatch.progress() >= point;
            },
            100,
          );
        } catch {
          stalled = `progress stalled at ${jobsWatch.progress()}/${STEPS} before kill ${i + 1} (point ${point}); ${KILLS - i} kills not done`;
          break;
        }
        // Not a wait for something: the operator goes on working for this long, then dies.
        await sleep(jitters[i]!);
        await ensureRunning();
        const at = Date.now() - t0;
        const progress = jobsWatch.progress();
        const succeeded = await countSucceeded();
        const jobsSeen = jobsWatch.jobs.size;
        killing = true;
        await operator!.kill();
        killing = false;
        const killedAt = Date.now();
        await startLeader();
        const kill = { n: i + 1, at, point, progress, succeeded, jobsSeen, downtime: Date.now() - killedAt };
        kills.push(kill);
        console.log(
          `[chaos] kill ${kill.n} at ${(at / 1000).toFixed(1)} s (point ${point}, progress ${progress}/${STEPS}): ${succeeded}/${PIPELINES} Succeeded, ${jobsSeen} Jobs seen; next leader after ${(kill.downtime / 1000).toFixed(1)} s`,
        );
      }
      const createMs = await creating;

      // Wait until every Pipeline has finished (Succeeded, or Failed/Invalid, which no one-shot run
      // leaves), or the deadline passes; keep an operator running meanwhile.
      const terminal = new Set(['Succeeded', 'Failed', 'Invalid']);
      let finishedAt: number | undefined;
      let pipelines: Pipeline[] = [];
      try {
        await waitFor(
          `all ${PIPELINES} Pipelines finished`,
          Math.max(0, t0 + DEADLINE_MS - Date.now()),
          async () => {
            await ensureRunning();
            pipelines = await listPipelines(namespace);
            return pipelines.length === PIPELINES && pipelines.every((p) => terminal.has(p.status?.phase ?? ''));
          },
          1_000,
        );
        finishedAt = Date.now() - t0;
      } catch {
        // Reported below, Pipeline by Pipeline.
      }
      // The last kill may have come after everything finished, and a new process must not redo
      // finished work either: before the Jobs are counted, the operator now running must have
      // reconciled at least every Pipeline once and gone quiet (nothing queued, no reconcile
      // between two polls a second apart).
      let settled = false;
      if (finishedAt !== undefined) {
        let previous = -1;
        try {
          await waitFor(
            'the operator to have reconciled every Pipeline and gone quiet',
            60_000,
            async () => {
              await ensureRunning();
              const m = await reconcileCounters(operator!.port);
              const quiet =
                m !== undefined && m.waiting === 0 && m.reconciles >= PIPELINES && m.reconciles === previous;
              previous = m?.reconciles ?? -1;
              return quiet;
            },
            1_000,
          );
          settled = true;
        } catch {
          // Reported in the summary; the checks below still run.
        }
      }
      monitoring = false;
      await monitor;
      pipelines = await listPipelines(namespace);
      const jobs = (await c.batch.listNamespacedJob({ namespace })).items;

      // Every offending Pipeline, with all that is wrong with it.
      const problems: string[] = [];
      const byName = new Map(pipelines.map((p) => [p.metadata.name!, p]));
      const jobsOf = new Map<string, k8s.V1Job[]>();
      for (const j of jobs) {
        const owner = j.metadata?.labels?.['conveyor.dev/pipeline'] ?? '(no conveyor.dev/pipeline label)';
        jobsOf.set(owner, [...(jobsOf.get(owner) ?? []), j]);
      }
      const notSucceeded: string[] = [];
      for (const name of names) {
        const p = byName.get(name);
        if (!p) {
          problems.push(`${name}: missing`);
          continue;
        }
        const wrong: string[] = [];
        const st = p.status;
        const ready = st?.conditions?.find((x) => x.type === 'Ready');
        if (st?.phase !== 'Succeeded') {
          const line = `phase=${st?.phase ?? '(none)'} progress=${st?.progress ?? '-'} lastRun=${st?.lastRun?.id ?? '-'}/${st?.lastRun?.phase ?? '-'} message=${JSON.stringify(st?.lastRun?.message ?? ready?.message ?? '')} stages=${(st?.lastRun?.stages ?? []).map((s) => `${s.name}:${s.phase}`).join(',')}`;
          notSucceeded.push(`${name}: ${line}`);
          wrong.push(line);
        }
        if (st?.progress !== `${STAGES.length}/${STAGES.length}`) wrong.push(`progress ${st?.progress}`);
        const runs = st?.runs ?? [];
        if (runs.length !== 1)
          wrong.push(`${runs.length} runs (${runs.map((r) => `${r.id}/${r.trigger}/${r.phase}`).join(', ')})`);
        if (runs[0] && runs[0].id !== 'g1') wrong.push(`runs[0].id ${runs[0].id}`);
        if (st?.lastRun?.id !== 'g1' || st.lastRun.trigger !== 'create')
          wrong.push(`lastRun ${st?.lastRun?.id}/${st?.lastRun?.trigger}, expected g1/create`);

        const own = jobsOf.get(name) ?? [];
        const perStage = new Map<string, k8s.V1Job[]>();
        for (const j of own) {
          const s = j.metadata?.labels?.['conveyor.dev/stage'] ?? '?';
          perStage.set(s, [...(perStage.get(s) ?? []), j]);
        }
        if (own.length !== STAGES.length)
          wrong.push(`${own.length} Jobs: ${own.map((j) => j.metadata?.name).join(', ')}`);
        for (const s of STAGES) {
          const js = perStage.get(s) ?? [];
          if (js.length !== 1) wrong.push(`stage ${s}: ${js.length} Jobs`);
          for (const j of js) {
            if (!jobCondition(j, 'Complete')) wrong.push(`Job ${j.metadata?.name} not Complete`);
            if (j.metadata?.ownerReferences?.[0]?.uid !== p.metadata.uid)
              wrong.push(`Job ${j.metadata?.name} not owned by this Pipeline`);
            const run = j.metadata?.labels?.['conveyor.dev/run'];
            if (run !== undefined && run !== 'g1') wrong.push(`Job ${j.metadata?.name} of run ${run}`);
          }
        }
        for (const s of perStage.keys()) if (!STAGES.includes(s)) wrong.push(`Job(s) of unknown stage ${s}`);
        // Under chaos too, no stage starts before the one it depends on has completed.
        for (let k = 1; k < STAGES.length; k++) {
          const before = perStage.get(STAGES[k - 1]!)?.[0];
          const after = perStage.get(STAGES[k]!)?.[0];
          const done = before?.status?.conditions?.find(
            (x) => x.type === 'Complete' && x.status === 'True',
          )?.lastTransitionTime;
          if (before && after && (!done || time(after.metadata?.creationTimestamp) < time(done)))
            wrong.push(`stage ${STAGES[k]} created before ${STAGES[k - 1]} completed`);
        }
        for (const j of own) {
          const r = jobsWatch.jobs.get(j.metadata!.name!);
          if (r && (r.uids.length !== 1 || r.added !== 1 || r.deleted !== 0))
            wrong.push(`Job ${j.metadata?.name} added ${r.added}×, ${r.uids.length} uids, deleted ${r.deleted}×`);
        }
        if (wrong.length) problems.push(`${name}: ${wrong.join('; ')}`);
      }
      // Jobs of no known Pipeline, and Jobs that came and went (deleted, or re-created under their name).
      for (const [owner, js] of jobsOf)
        if (!names.includes(owner))
          problems.push(`Jobs of unknown pipeline ${owner}: ${js.map((j) => j.metadata?.name).join(', ')}`);
      const listed = new Set(jobs.map((j) => j.metadata!.name!));
      const duplicates = [...jobsWatch.jobs].filter(([, r]) => r.uids.length > 1 || r.added > 1);
      for (const [name, r] of jobsWatch.jobs) {
        if (!listed.has(name))
          problems.push(`Job ${name} was created (${r.added}×) and is gone (deleted ${r.deleted}×)`);
      }
      problems.push(...regressions);
      if (stalled) problems.push(stalled);
      if (finishedAt !== undefined && !settled)
        problems.push(
          'the operator did not go quiet within 60 s after every Pipeline had finished (see its /metrics and log)',
        );
      const unseen = jobs.filter((j) => !jobsWatch.jobs.get(j.metadata!.name!)?.uids.includes(j.metadata!.uid!));
      if (unseen.length)
        problems.push(
          `the watch missed ${unseen.length} Jobs (${unseen.map((j) => j.metadata?.name).join(', ')}): the duplicate count is incomplete`,
        );

      const phases = new Map<string, number>();
      for (const p of pipelines)
        phases.set(p.status?.phase ?? '(none)', (phases.get(p.status?.phase ?? '(none)') ?? 0) + 1);
      const logLines = logFiles.flatMap((f) => readFileSync(f, 'utf8').split('\n'));
      const logLevel = (level: string): string[] => logLines.filter((l) => l.includes(`"level":"${level}"`));
      const errorLines = [...logLevel('fatal'), ...logLevel('error')];
      const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
      console.log(
        [
          `[chaos] ===== summary (seed ${seed}) =====`,
          `pipelines: ${pipelines.length}/${PIPELINES}, phases: ${[...phases].map(([k, v]) => `${k} ${v}`).join(', ')}; created in ${secs(createMs)}`,
          `kills (${kills.length}/${KILLS}${stalled ? `; ${stalled}` : ''}): ${kills.map((k) => `#${k.n} at ${secs(k.at)} (progress ${k.progress}/${STEPS}, ${k.succeeded} Succeeded, ${k.jobsSeen} Jobs; leader back after ${secs(k.downtime)})`).join('; ')}`,
          `operator logs: ${errorLines.length} error/fatal and ${logLevel('warn').length} warn lines over ${logFiles.length} processes${errorLines.length ? `; first: ${errorLines[0]!.slice(0, 300)}` : ''}`,
          `unexpected operator exits: ${exits.length ? exits.map((e) => `${e.process} at ${secs(e.at)} code=${e.code} signal=${e.signal}${e.lostLeadership ? ' (lost leadership)' : ''}`).join('; ') : 'none'}`,
          `jobs: ${jobs.length} now (expected ${PIPELINES * STAGES.length}), ${jobsWatch.jobs.size} names seen by the watch (resumed ${jobsWatch.resumes()}×, relisted ${jobsWatch.relists()}×)`,
          `duplicates (a name added more than once or with more than one uid): ${duplicates.length ? duplicates.map(([n, r]) => `${n} ${r.added}× ${r.uids.length} uids`).join(', ') : 'none'}`,
          `not Succeeded: ${notSucceeded.length ? `\n  ${notSucceeded.join('\n  ')}` : 'none'}`,
          `all Succeeded first seen at ${allSucceededAt === undefined ? '—' : secs(allSucceededAt)}; all finished (seen after the last kill) at ${finishedAt === undefined ? `— (deadline ${secs(DEADLINE_MS)} passed)` : secs(finishedAt)}; operator settled afterwards: ${settled ? 'yes' : 'no'}; total ${secs(Date.now() - t0)}; operator processes: ${generation}`,
          `problems: ${problems.length ? `\n  ${problems.join('\n  ')}` : 'none'}`,
        ].join('\n'),
      );

      expect(
        exits.filter((e) => !e.lostLeadership),
        'operator crashes (exits not caused by the test or a lost Lease)',
      ).toEqual([]);
      expect(problems, `${problems.length} problems (seed ${seed})`).toEqual([]);
    },
    DEADLINE_MS + 120_000,
  );
});
