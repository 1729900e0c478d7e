// `npm run bench`: the operator's benchmarks on the local cluster (bench/README.md). Scenarios:
//   --scenario burst       (default) N pipelines of M stages created at once (default 200 × 5);
//                          first wave against a plain client in the same run, hand-offs, wall time;
//   --scenario steady      N pipelines active, stage pods of --min..--max seconds; hand-off and
//                          queue wait over a --window after a --warmup;
//   --scenario idle-scale  N Pipelines with finished runs (default 10,000 × 5 stages): memory and
//                          cold-restart time.
//   --console              the Console (bench/console.ts), writing bench/RESULTS-console.md.
// Common options: --pipelines N --stages M --workers W (the operator's, default 16) --out FILE
// (default bench/results/<scenario>-<N>x<M>.md). Every scenario deletes the namespaces it made.
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { root } from './lib.ts';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'burst' },
    pipelines: { type: 'string' },
    stages: { type: 'string', default: process.env.BENCH_STAGES ?? '5' },
    workers: { type: 'string', default: process.env.BENCH_WORKERS ?? '16' },
    shape: { type: 'string', default: 'chain' },
    min: { type: 'string', default: '5' },
    max: { type: 'string', default: '15' },
    window: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '20' },
    out: { type: 'string' },
    console: { type: 'boolean', default: false },
    updates: { type: 'string', default: '100' },
  },
});

function positive(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--${name}: expected a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<void> {
  if (values.console) {
    const { consoleBench } = await import('./console.ts');
    await consoleBench({ pipelines: Number(values.pipelines ?? 1000), updates: Number(values.updates), out: values.out ?? `${root}/bench/RESULTS-console.md` });
    return;
  }
  const scenario = values.scenario ?? 'burst';
  const defaults: Record<string, string> = { burst: '200', steady: '1000', 'idle-scale': '10000' };
  if (!(scenario in defaults)) throw new Error(`--scenario: expected burst, steady or idle-scale, got ${JSON.stringify(scenario)}`);
  if (values.shape !== 'chain' && values.shape !== 'wide') throw new Error(`--shape: expected chain or wide, got ${JSON.stringify(values.shape)}`);
  const pipelines = positive('pipelines', values.pipelines ?? process.env.BENCH_PIPELINES ?? defaults[scenario]);
  const stages = positive('stages', values.stages);
  const workers = positive('workers', values.workers);
  const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
  const out = values.out ?? `${root}/bench/results/${scenario}-${pipelines}x${stages}${values.shape === 'wide' ? '-wide' : ''}.md`;
  const publish = (report: string): void => {
    mkdirSync(`${root}/bench/results`, { recursive: true });
    writeFileSync(out, report);
    process.stdout.write(`${report}\n(written to ${out}; deleting the bench's namespaces next)\n`);
  };
  if (scenario === 'burst') {
    const { burst } = await import('./burst.ts');
    await burst({ pipelines, stages, workers, shape: values.shape, command, publish });
  } else if (scenario === 'steady') {
    const { steady } = await import('./steady.ts');
    const [minSeconds, maxSeconds] = [positive('min', values.min), positive('max', values.max)];
    if (maxSeconds < minSeconds) throw new Error(`--max (${maxSeconds}) is below --min (${minSeconds})`);
    await steady({ pipelines, stages, workers, minSeconds, maxSeconds, windowSeconds: positive('window', values.window), warmupSeconds: positive('warmup', values.warmup), command, publish });
  } else {
    const { idleScale } = await import('./idle.ts');
    await idleScale({ pipelines, stages, workers, command, publish });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
