// `npm run bench`: the operator's benchmarks on the local cluster (bench/README.md). Scenarios:
//   --scenario burst       (default) N pipelines of M stages created at once (default 200 × 5);
//                          first wave against a plain client in the same run, hand-offs, wall time;
//   --scenario steady      N pipelines active, stage pods of --min..--max seconds; hand-off and
//                          queue wait over a --window after a --warmup (default stages: enough
//                          for a chain of minimum-length pods to outlast start, warm-up and window);
//   --scenario idle-scale  N Pipelines with finished runs (default 10,000 × 5 stages): memory and
//                          cold-restart time.
//   --scenario webhook     the webhook receiver: --good signed deliveries (default 1,000) to N
//                          pipelines (default 100) among --bad hostile ones (default 10,000),
//                          --concurrency clients (default 32); every good one must become one run.
//   --console              the Console (bench/console.ts), writing bench/RESULTS-console.md.
// Common options: --pipelines N --stages M --workers W (the operator's, default 64 as the operator's own) --out FILE
// (default bench/results/<scenario>-<N>x<M>.md). Every scenario deletes the namespaces it made.
// burst and steady: --shards K runs K operator processes, one per shard key (bench/fleet.ts).
// burst: --pipelines A,B runs a burst of each size back to back and reports B's wall time as a
// multiple of A's; --mix KxS adds K pipelines of S independent stages to the burst.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { root } from './lib.ts';
import { defaultStages, mixOf, positive, shardCount, sizesOf } from './options.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'burst' },
    pipelines: { type: 'string' },
    stages: { type: 'string', default: process.env.BENCH_STAGES },
    workers: { type: 'string', default: process.env.BENCH_WORKERS ?? '64' },
    shape: { type: 'string', default: 'chain' },
    min: { type: 'string', default: '5' },
    max: { type: 'string', default: '15' },
    window: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '20' },
    out: { type: 'string' },
    console: { type: 'boolean', default: false },
    updates: { type: 'string', default: '100' },
    shards: { type: 'string', default: '0' },
    mix: { type: 'string' },
    good: { type: 'string', default: '1000' },
    bad: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '32' },
  },
});

/** steady's pod durations, warm-up and window, in seconds. */
function timing(): { minSeconds: number; maxSeconds: number; windowSeconds: number; warmupSeconds: number } {
  const [minSeconds, maxSeconds] = [positive('min', values.min), positive('max', values.max)];
  if (maxSeconds < minSeconds) throw new Error(`--max (${maxSeconds}) is below --min (${minSeconds})`);
  return {
    minSeconds,
    maxSeconds,
    windowSeconds: positive('window', values.window),
    warmupSeconds: positive('warmup', values.warmup),
  };
}

type Common = { pipelines: number[]; stages: number; workers: number; shards: number; command: string };

/** The report's file: --out, or bench/results/<scenario>-<N>x<M>[-wide][-mixKxS][-shardsK].md. */
function outFor(scenario: string, pipelines: string, stages: number, explicit: string | undefined): string {
  const suffix = `${values.shape === 'wide' ? '-wide' : ''}${values.mix ? `-mix${values.mix}` : ''}${values.shards !== '0' ? `-shards${values.shards}` : ''}`;
  return explicit ?? `${root}/bench/results/${scenario}-${pipelines}x${stages}${suffix}.md`;
}

function publisher(out: string): (report: string) => void {
  return (report) => {
    mkdirSync(`${root}/bench/results`, { recursive: true });
    writeFileSync(out, report);
    process.stdout.write(`${report}\n(written to ${out}; deleting the bench's namespaces next)\n`);
  };
}

/** One burst per size, back to back; with several, a report of the wall-time ratio on top of theirs. */
async function burstSizes(o: Common): Promise<void> {
  const { burst } = await import('./burst.ts');
  const shape = values.shape as 'chain' | 'wide';
  const mix = mixOf(values.mix);
  if (o.pipelines.length === 1) {
    await burst({
      ...o,
      pipelines: o.pipelines[0]!,
      shape,
      mix,
      publish: publisher(outFor('burst', String(o.pipelines[0]), o.stages, values.out)),
    });
    return;
  }
  const reports: string[] = [];
  const walls: number[] = [];
  for (const n of o.pipelines) {
    // Each size's own report: next to --out when given (FILE-N.md), else its default file.
    const publishOne = publisher(
      values.out ? values.out.replace(/(\.md)?$/, `-${n}.md`) : outFor('burst', String(n), o.stages, undefined),
    );
    const publish = (report: string): void => {
      reports.push(report);
      publishOne(report);
    };
    walls.push(await burst({ ...o, pipelines: n, shape, mix, publish }));
  }
  const { ratioReport } = await import('./ratio.ts');
  const out = outFor('burst', o.pipelines.join('-'), o.stages, values.out);
  writeFileSync(out, ratioReport(o.command, o.pipelines, walls, reports));
  process.stdout.write(`${ratioReport(o.command, o.pipelines, walls, [])}\n(written to ${out})\n`);
}

async function main(): Promise<void> {
  if (values.console) {
    const { consoleBench } = await import('./console.ts');
    await consoleBench({
      pipelines: Number(values.pipelines ?? 1000),
      updates: Number(values.updates),
      out: values.out ?? `${root}/bench/RESULTS-console.md`,
    });
    return;
  }
  const scenario = values.scenario ?? 'burst';
  const defaults: Record<string, string> = { burst: '200', steady: '1000', 'idle-scale': '10000', webhook: '100' };
  if (!(scenario in defaults))
    throw new Error(`--scenario: expected burst, steady, idle-scale or webhook, got ${JSON.stringify(scenario)}`);
  if (values.shape !== 'chain' && values.shape !== 'wide')
    throw new Error(`--shape: expected chain or wide, got ${JSON.stringify(values.shape)}`);
  const sizes = sizesOf(values.pipelines ?? process.env.BENCH_PIPELINES ?? defaults[scenario]!, scenario);
  if (values.mix !== undefined && scenario !== 'burst') throw new Error('--mix: only with --scenario burst');
  const shards = shardCount(values.shards);
  if (shards > 0 && scenario === 'idle-scale') throw new Error('--shards: only with --scenario burst or steady');
  const o: Common = {
    pipelines: sizes,
    stages: values.stages ? positive('stages', values.stages) : defaultStages(scenario, timing()),
    workers: positive('workers', values.workers),
    shards,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const publish = publisher(outFor(scenario, String(sizes[0]), o.stages, values.out));
  if (scenario === 'webhook') {
    const { webhookBench } = await import('./webhook.ts');
    await webhookBench({
      pipelines: sizes[0]!,
      good: positive('good', values.good),
      bad: Number(values.bad),
      concurrency: positive('concurrency', values.concurrency),
      workers: o.workers,
      command: o.command,
      publish: publisher(values.out ?? `${root}/bench/results/webhook-${sizes[0]}.md`),
    });
  } else if (scenario === 'burst') {
    await burstSizes(o);
  } else if (scenario === 'steady') {
    const { steady } = await import('./steady.ts');
    await steady({ ...o, pipelines: sizes[0]!, ...timing(), publish });
  } else {
    const { idleScale } = await import('./idle.ts');
    await idleScale({ pipelines: sizes[0]!, stages: o.stages, workers: o.workers, command: o.command, publish });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
