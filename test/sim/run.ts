// `npm run sim -- [--seed S] [--steps N] [--histories H] [options]`: long simulated histories of
// the operator around the real planner (test/sim/README.md). Prints the seed, the steps and
// histories played, and, on failure, the shrunk counterexample and how to replay it.
//
//   --seed S          fast-check seed (default: from the clock; always printed)
//   --steps N         operations per history, at most (default 200)
//   --histories H     histories to play (default 100)
//   --path P          replay fast-check's counterexample path P of seed S, and shrink it
//   --replay FILE     play one history from a JSON file {"config": ..., "ops": [...]}
//   --all             known problems (KNOWN_FAILING) fail histories too; default: tolerated, as in npm test
//   --only a,b        only these invariants (ids: once, accounted, one-success, cache-match, status-size, step-budget, end-event)
//   --without f,g     leave these faults out (crash, writeLost, stale, lag, crashAfterWrite)
//   --small           leave out the worlds with the largest specs (as npm test does; they are slow)
//   --trace           print the counterexample step by step
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SimConfig } from './config.ts';
import { runHistory } from './history.ts';
import { INVARIANT_IDS, INVARIANTS, knownFaults, knownProblem, STEP_BUDGET, type InvariantId } from './invariants.ts';
import type { Fault, Op } from './ops.ts';
import { search, type Counterexample } from './search.ts';
import { describeFacts } from './trace.ts';
import { World } from './world.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    steps: { type: 'string' },
    histories: { type: 'string' },
    path: { type: 'string' },
    replay: { type: 'string' },
    all: { type: 'boolean' },
    only: { type: 'string' },
    without: { type: 'string' },
    trace: { type: 'boolean' },
    small: { type: 'boolean' },
  },
});

const list = (text: string | undefined): string[] =>
  text
    ? text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

function enforcedSet(): Set<InvariantId> {
  const only = list(values.only);
  for (const id of only)
    if (!INVARIANT_IDS.includes(id as InvariantId))
      throw new Error(`--only: unknown invariant "${id}" (${INVARIANT_IDS.join(', ')})`);
  return new Set(only.length > 0 ? (only as InvariantId[]) : INVARIANT_IDS);
}

function printCounterexample(c: Pick<Counterexample, 'config' | 'ops' | 'result'>, trace: boolean): void {
  const v = c.result.violation;
  const known = v ? knownProblem(v, c) : undefined;
  console.log(`\nFAILED invariant ${v?.invariant}: ${v ? INVARIANTS[v.invariant] : ''}`);
  console.log(`  at operation ${v?.step} of ${c.ops.length}: ${v?.message}`);
  console.log(`  ${known ? `known problem (KNOWN_FAILING): ${known}` : 'NEW: matches no KNOWN_FAILING entry'}`);
  console.log(`\nhistory (${c.ops.length} operations):`);
  console.log(JSON.stringify({ config: c.config, ops: c.ops }, null, 1).replace(/\n\s*(?=[}\]"\d])/g, ' '));
  if (trace) printTrace(c.config, c.ops.slice(0, v?.step ?? c.ops.length));
}

function printTrace(config: SimConfig, ops: Op[]): void {
  const world = new World(config);
  for (const op of ops) world.apply(op);
  console.log(`\ntrace:\n${describeFacts(world.facts, ops).join('\n')}`);
}

function replay(file: string): number {
  const { config, ops } = JSON.parse(readFileSync(file, 'utf8')) as { config: SimConfig; ops: Op[] };
  const result = runHistory(config, ops, { enforce: enforcedSet(), tolerateKnown: values.all !== true });
  if (!result.violation) {
    console.log(`replay ${file}: ${result.steps} operations, ${result.plans} plans, every invariant held`);
    if (values.trace === true) printTrace(config, ops);
    return 0;
  }
  printCounterexample({ config, ops, result }, values.trace === true);
  return 1;
}

function main(): number {
  if (values.replay) return replay(values.replay);
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
  const steps = Number(values.steps ?? 200);
  const histories = Number(values.histories ?? 100);
  const enforce = enforcedSet();
  const withoutFaults = new Set([...list(values.without), ...(values.all ? [] : knownFaults())] as Fault['kind'][]);
  console.log(
    `seed ${seed}, up to ${steps} operations per history, ${histories} histories; invariants: ${[...enforce].join(', ')}${withoutFaults.size ? `; without faults: ${[...withoutFaults].join(', ')}` : ''}`,
  );
  const started = performance.now();
  const outcome = search({
    seed,
    steps,
    histories,
    enforce,
    tolerateKnown: values.all !== true,
    withoutFaults,
    large: values.small !== true,
    ...(values.path ? { path: values.path } : {}),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `played ${outcome.histories} histories, ${outcome.steps} operations, in ${seconds} s; costliest plan: ${outcome.maxPlanSteps} cron walk steps (budget ${STEP_BUDGET})`,
  );
  for (const [problem, n] of Object.entries(outcome.tolerated)) console.log(`  tolerated ${n}× ${problem}`);
  const c = outcome.counterexample;
  if (!c) return 0;
  printCounterexample(c, values.trace === true);
  const flags = `${values.only ? ` --only ${values.only}` : ''}${values.without ? ` --without ${values.without}` : ''}${values.all ? ' --all' : ''}${values.small ? ' --small' : ''}`;
  console.log(
    `\nreplay: npm run sim -- --seed ${c.seed} --path ${c.path} --steps ${steps}${flags} (shrunk ${c.shrinks} times)`,
  );
  return 1;
}

process.exitCode = main();
