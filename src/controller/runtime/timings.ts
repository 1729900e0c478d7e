// Where a reconcile's time goes, measured inside the operator so its own share of a latency can be
// told apart from the API server's and the cluster's:
//   queue wait         a key's first wake-up (a watch event) → its reconcile starts;
//   hand-off, operator's share   the watch event that woke a Pipeline → the request creating its
//                      next Job is sent (queue wait + gather + plan + the requests before it);
//   plan               gather + plan, synchronous: the CPU a reconcile spends deciding;
//   reconcile wall     the whole reconcile, API round trips included.
// Histograms for Prometheus (metrics.ts), and with CONVEYOR_DEBUG_ENDPOINTS=1 the raw samples on
// /debug/timings for the benchmark's percentiles.
import { AsyncLocalStorage } from 'node:async_hooks';
import { handoffOperatorSeconds, planSeconds, queueWaitSeconds } from '../../metrics.ts';
import { onApiRequest } from '../../kube/request-counter.ts';

export type WokenBy = 'job' | 'pipeline' | 'other';
type Woken = { at: number; by: WokenBy };
type Context = { woken: Woken | undefined; handedOff: boolean; stages: number; planMs: number };

/** Raw samples kept for /debug/timings (the oldest are dropped beyond this). */
const MAX_SAMPLES = 200_000;

export type TimingSamples = {
  queueWaitMs: number[];
  handoffMs: { by: WokenBy; ms: number }[];
  reconciles: { stages: number; planMs: number; wallMs: number }[];
};

export class ReconcileTimings {
  private readonly wokenAt = new Map<string, Woken>();
  private readonly context = new AsyncLocalStorage<Context>();
  private samples: TimingSamples = emptySamples();
  /** Keys reconciled at least once, and when the last new one finished (ms since process start). */
  private readonly reconciledOnce = new Set<string>();
  private lastFirstReconcileMs = 0;
  keepSamples = false;

  constructor() {
    onApiRequest((verb, resource) => {
      if (verb === 'POST' && resource === 'jobs') this.jobCreateSent();
    });
  }

  /** A watch event queued `key`; only the first since its last reconcile started counts. */
  woken(key: string, by: WokenBy): void {
    if (!this.wokenAt.has(key)) this.wokenAt.set(key, { at: performance.now(), by });
  }

  /** Runs one reconcile of `key` with its timings attached. */
  async run<T>(key: string, reconcile: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const woken = this.wokenAt.get(key);
    this.wokenAt.delete(key);
    if (woken) this.queueWait(started - woken.at);
    const ctx: Context = { woken, handedOff: false, stages: 0, planMs: 0 };
    try {
      return await this.context.run(ctx, reconcile);
    } finally {
      if (this.keepSamples)
        this.finished(key, { stages: ctx.stages, planMs: ctx.planMs, wallMs: performance.now() - started });
    }
  }

  /** Gather + plan of the current reconcile took `ms` for a Pipeline of `stages` stages. */
  planned(stages: number, ms: number): void {
    planSeconds.observe(ms / 1000);
    const ctx = this.context.getStore();
    if (!ctx) return;
    ctx.stages = stages;
    ctx.planMs += ms;
  }

  /** How many distinct keys were reconciled, and when the last first reconcile ended. */
  coverage(): { keys: number; lastFirstReconcileMs: number } {
    return { keys: this.reconciledOnce.size, lastFirstReconcileMs: this.lastFirstReconcileMs };
  }

  private finished(key: string, sample: TimingSamples['reconciles'][number]): void {
    push(this.samples.reconciles, sample);
    if (this.reconciledOnce.has(key)) return;
    this.reconciledOnce.add(key);
    this.lastFirstReconcileMs = performance.now();
  }

  forget(key: string): void {
    this.wokenAt.delete(key);
  }

  /** The samples since the last call (and forgets them). */
  take(): TimingSamples {
    const taken = this.samples;
    this.samples = emptySamples();
    return taken;
  }

  private queueWait(ms: number): void {
    queueWaitSeconds.observe(ms / 1000);
    if (this.keepSamples) push(this.samples.queueWaitMs, ms);
  }

  private jobCreateSent(): void {
    const ctx = this.context.getStore();
    if (!ctx?.woken || ctx.handedOff) return;
    ctx.handedOff = true;
    const ms = performance.now() - ctx.woken.at;
    handoffOperatorSeconds.observe({ woken_by: ctx.woken.by }, ms / 1000);
    if (this.keepSamples) push(this.samples.handoffMs, { by: ctx.woken.by, ms });
  }
}

function emptySamples(): TimingSamples {
  return { queueWaitMs: [], handoffMs: [], reconciles: [] };
}

function push<T>(into: T[], value: T): void {
  if (into.length >= MAX_SAMPLES) into.shift();
  into.push(value);
}

/** One per process: the request counter it listens to is one per process too. */
export const timings = new ReconcileTimings();
