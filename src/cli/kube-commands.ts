// CLI commands that talk to a cluster: get, describe, run, retry, logs, graph. They serve both
// `conveyor <command>` and the kubectl plugin `kubectl conveyor <command>`.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { Pipeline, RunSummary } from '../api/types.ts';
import {
  ANN_BACKFILL_CANCEL,
  ANN_BACKFILL_REQUESTED,
  ANN_CANCEL_REQUESTED,
  ANN_RETRY_REQUESTED,
  ANN_RUN_OPTIONS,
  ANN_RUN_REQUESTED,
} from '../api/labels.ts';
import { readUsedIds, usedIdProblem } from '../plan/backfill/ids.ts';
import { futureTickProblem, readBackfillRequest, type BackfillProblem } from '../plan/backfill/request.ts';
import { requestedRunTimes } from '../plan/values/logical-time.ts';
import { checkRunRequest, type RunOptions } from '../plan/select/params.ts';
import { iso } from '../plan/time.ts';
import { quoted, readRequestTime } from '../plan/select/request-annotation.ts';
import { isRunId } from '../plan/names.ts';
import { lineWriter, LogsRefused, newestJobPod, podsGoneMessage, STAGE_CONTAINER, streamPodLog } from '../kube/logs.ts';
import { drawDag, toDot, toMermaid } from './graph.ts';
import { datasetLines, notifyLines, triggerLines } from './describe-integrations.ts';
import { table } from './table.ts';
import {
  annotatePipeline,
  CliError,
  kubeContext,
  listPipelines,
  patchAnnotations,
  readPipeline,
  type KubeContext,
} from './kube-context.ts';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const KUBE_OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
} as const;

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>>(
  argv: string[],
  options: T,
) {
  return parseArgs({ args: argv, options: { ...KUBE_OPTIONS, ...options }, allowPositionals: true, strict: true });
}

function ctxOf(values: { namespace?: unknown; kubeconfig?: unknown }): KubeContext {
  return kubeContext({
    ...(typeof values.kubeconfig === 'string' ? { kubeconfig: values.kubeconfig } : {}),
    ...(typeof values.namespace === 'string' ? { namespace: values.namespace } : {}),
  });
}

function one(positionals: string[], what: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new CliError(`expected exactly one ${what}`);
  return positionals[0];
}

function age(from: unknown, now = new Date()): string {
  if (!from) return '<none>';
  const s = Math.max(0, Math.round((now.getTime() - new Date(String(from)).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export async function getCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    'all-namespaces': { type: 'boolean', short: 'A' },
    output: { type: 'string', short: 'o' },
  });
  const ctx = ctxOf(values);
  let pipelines = await listPipelines(ctx, values['all-namespaces'] === true);
  if (positionals.length) pipelines = pipelines.filter((p) => positionals.includes(p.metadata.name ?? ''));
  if (values.output === 'json') {
    io.out(JSON.stringify(pipelines, null, 2));
    return 0;
  }
  const header = [
    ...(values['all-namespaces'] ? ['NAMESPACE'] : []),
    'NAME',
    'PHASE',
    'PROGRESS',
    'LAST RUN',
    'TRIGGER',
    'NEXT RUN',
    'AGE',
  ];
  const rows = pipelines.map((p) => [
    ...(values['all-namespaces'] ? [p.metadata.namespace ?? ''] : []),
    p.metadata.name ?? '',
    p.status?.phase ?? 'Pending',
    p.status?.progress ?? '-',
    p.status?.lastRun?.id ?? '<none>',
    p.status?.lastRun?.trigger ?? '',
    p.status?.nextScheduleTime ?? '<none>',
    age(p.metadata.creationTimestamp),
  ]);
  io.out(
    rows.length
      ? table([header, ...rows])
      : `No pipelines found in ${values['all-namespaces'] ? 'any namespace' : `namespace ${ctx.namespace}`}.`,
  );
  return 0;
}

export async function describeCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {});
  const ctx = ctxOf(values);
  const p = await readPipeline(ctx, one(positionals, 'pipeline name'));
  io.out(describePipeline(p));
  return 0;
}

export function describePipeline(p: Pipeline, now = new Date()): string {
  const s = p.status ?? {};
  const run = s.lastRun;
  const lines = [
    `Name:        ${p.metadata.name}`,
    `Namespace:   ${p.metadata.namespace ?? ''}`,
    `Phase:       ${s.phase ?? 'Pending'}${s.progress ? `   Progress: ${s.progress}` : ''}`,
  ];
  if (p.spec.schedule)
    lines.push(
      `Schedule:    ${p.spec.schedule}${p.spec.timeZone ? ` (${p.spec.timeZone})` : ''}${p.spec.suspend ? ' — suspended' : ''}   Next: ${s.nextScheduleTime ?? '<none>'}`,
    );
  lines.push(...triggerLines(p), ...notifyLines(p));
  if (run)
    lines.push(
      `Run:         ${run.id} (${run.trigger}) ${run.phase}, started ${run.startTime ?? '-'}${run.completionTime ? `, finished ${run.completionTime}` : ''}`,
    );
  if (run) lines.push(...runValueLines(run, '             '));
  if (s.backfill) lines.push(backfillLine(s.backfill));
  if (s.lastBackfillRefusal) lines.push(`${s.backfill ? '' : 'Backfill:'}`.padEnd(13) + s.lastBackfillRefusal);
  for (const c of s.conditions ?? [])
    lines.push(`Condition:   ${c.type}=${c.status} ${c.reason}${c.message ? `: ${c.message}` : ''}`);
  lines.push('', 'Stages:', drawDag(p, now), ...datasetLines(p));
  if (s.runs?.length) {
    lines.push('', 'Runs:');
    for (const r of s.runs) {
      lines.push(
        `  ${r.id.padEnd(12)} ${r.trigger.padEnd(8)} ${r.phase.padEnd(10)} ${r.startTime ?? ''}${r.message ? `  ${r.message}` : ''}`,
      );
      lines.push(...runValueLines(r, '    '));
    }
  }
  return lines.join('\n');
}

/** A run's logical time, interval and parameters, one line each (none for runs that record none). */
function runValueLines(run: RunSummary, indent: string): string[] {
  const lines: string[] = [];
  if (run.logicalTime) {
    const interval = run.intervalStart && run.intervalEnd ? `, interval ${run.intervalStart} → ${run.intervalEnd}` : '';
    lines.push(`${indent}Logical time ${run.logicalTime}${interval}${run.noCache ? ', no cache' : ''}`);
  }
  const params = Object.entries(run.params ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (params.length > 0) lines.push(`${indent}Params ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
  return lines;
}

/**
 * `run NAME [--param k=v ...] [--at RFC3339] [--no-cache]`: the request and its options in one
 * patch. The options name the request they belong to, so a later request without options (the
 * Console's Run) does not inherit them. `at` defaults to now: the logical time is fixed by the
 * request itself (for a scheduled pipeline, the end of the last complete interval at or before
 * it). The options are checked first with the planner's own check (params.ts).
 */
export async function runCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    param: { type: 'string', multiple: true },
    at: { type: 'string' },
    'no-cache': { type: 'boolean' },
  });
  const ctx = ctxOf(values);
  const name = one(positionals, 'pipeline name');
  const now = new Date();
  const value = now.toISOString();
  const options: RunOptions = {
    request: value,
    ...paramsOption(values.param),
    at: atOption(values.at, now),
    ...(values['no-cache'] === true ? { noCache: true } : {}),
  };
  const raw = JSON.stringify(options);
  const pipeline = await readPipeline(ctx, name);
  const checked = checkRunRequest(pipeline.spec.params, raw, value);
  if (!checked.ok) throw new CliError(`pipeline ${name}: ${checked.message}`);
  await patchAnnotations(ctx, name, { [ANN_RUN_REQUESTED]: value, [ANN_RUN_OPTIONS]: raw });
  const given = Object.entries(options.params ?? {})
    .map(([k, v]) => ` ${k}=${v}`)
    .join('');
  // As the operator decides it: a scheduled pipeline's run takes the last complete interval's end.
  const logical = requestedRunTimes(pipeline.spec, new Date(options.at ?? value)).logicalTime;
  io.out(
    `pipeline ${ctx.namespace}/${name}: run requested (${ANN_RUN_REQUESTED}=${value}), logical time ${logical}${given ? `, params${given}` : ''}${options.noCache ? ', no cache' : ''}`,
  );
  return 0;
}

/** `--param key=value`, repeatable; the value may itself contain `=`. */
function paramsOption(raw: unknown): Pick<RunOptions, 'params'> {
  const list = Array.isArray(raw) ? raw.filter((p): p is string => typeof p === 'string') : [];
  if (list.length === 0) return {};
  const params: Record<string, string> = {};
  for (const item of list) {
    const at = item.indexOf('=');
    if (at <= 0) throw new CliError(`--param: expected key=value, got "${item}"`);
    params[item.slice(0, at)] = item.slice(at + 1);
  }
  return { params };
}

/** `--at`, read by the operator's own reader of run-options' "at" (request-annotation.ts). */
function atOption(raw: unknown, now: Date): string {
  if (typeof raw !== 'string') return iso(now);
  const at = readRequestTime(raw);
  if (!at.ok) throw new CliError(`--at: ${at.message}`);
  return iso(at.value);
}

export async function retryCommand(argv: string[], io: CliIO): Promise<number> {
  return requestAboutRun(argv, io, {
    annotation: ANN_RETRY_REQUESTED,
    verb: 'retry',
    outcome: 'failed and skipped stages run again',
  });
}

export async function cancelCommand(argv: string[], io: CliIO): Promise<number> {
  return requestAboutRun(argv, io, {
    annotation: ANN_CANCEL_REQUESTED,
    verb: 'cancel',
    outcome: 'its running stages are stopped',
  });
}

/** Sets a `<run>:<nonce>` request annotation about one run (--run, default the latest). */
async function requestAboutRun(
  argv: string[],
  io: CliIO,
  what: { annotation: string; verb: string; outcome: string },
): Promise<number> {
  const { values, positionals } = parse(argv, { run: { type: 'string' } });
  const ctx = ctxOf(values);
  const name = one(positionals, 'pipeline name');
  const p = await readPipeline(ctx, name);
  const target = typeof values.run === 'string' ? values.run : p.status?.lastRun?.id;
  if (!target) throw new CliError(`pipeline ${name} has no run to ${what.verb} yet`);
  // The operator reads `<run id>:<nonce>`; with anything else before the colon it would act on the latest run.
  if (!isRunId(target))
    throw new CliError(`--run: ${quoted(target)} is not a run id (g<n>, s<n>, or m, r, c or b and 8 hex digits)`);
  const value = `${target}:${Date.now().toString(36)}`;
  await annotatePipeline(ctx, name, what.annotation, value);
  io.out(
    `pipeline ${ctx.namespace}/${name}: ${what.verb} of run ${target} requested (${what.annotation}=${value}); ${what.outcome}`,
  );
  return 0;
}

export async function logsCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { tail: { type: 'string' }, follow: { type: 'boolean', short: 'f' } });
  const ctx = ctxOf(values);
  const [name, stage] = positionals;
  if (!name) throw new CliError('expected a pipeline name, and optionally a stage');
  const p = await readPipeline(ctx, name);
  const stages = (p.status?.lastRun?.stages ?? []).filter((s) => s.job && (!stage || s.name === stage));
  if (stage && stages.length === 0) throw new CliError(`stage "${stage}" has no Job in the latest run of ${name}`);
  const options = {
    follow: values.follow === true,
    ...(typeof values.tail === 'string' ? { tailLines: Number(values.tail) } : {}),
  };
  let failures = 0;
  for (const s of stages) {
    const problem = await printStageLog(ctx, s.name, s.job ?? '', options, io);
    if (problem) {
      failures++;
      io.err(`  (no logs: ${problem})`);
    }
  }
  return failures > 0 && failures === stages.length ? 1 : 0;
}

/** Prints the log of a stage's newest pod; returns why there is none (the server's words), if so. */
async function printStageLog(
  ctx: KubeContext,
  stage: string,
  job: string,
  options: { follow: boolean; tailLines?: number },
  io: CliIO,
): Promise<string | undefined> {
  const pod = await newestJobPod(ctx.core, ctx.namespace, job);
  io.out(`==> ${stage} (${pod?.metadata?.name ?? job}) <==`);
  if (!pod) return podsGoneMessage(job);
  const out = lineWriter(io.out);
  try {
    await streamPodLog(
      ctx.kc,
      ctx.core,
      { namespace: ctx.namespace, pod: pod.metadata?.name ?? '', container: STAGE_CONTAINER },
      options,
      out,
    );
  } catch (err) {
    if (err instanceof LogsRefused) return err.message;
    throw err;
  } finally {
    await new Promise<void>((resolve) => out.end(resolve));
  }
  return undefined;
}

/** `graph NAME|FILE [--format mermaid|dot]`: a live Pipeline (with states) or a file. */
export async function graphCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string', short: 'f' } });
  const target = one(positionals, 'pipeline name or file');
  const format = typeof values.format === 'string' ? values.format : 'mermaid';
  if (format !== 'mermaid' && format !== 'dot')
    throw new CliError(`--format: expected mermaid or dot, got "${format}"`);
  const pipelines: Pipeline[] = [];
  if (existsSync(target)) {
    for (const doc of parseAllDocuments(readFileSync(target, 'utf8'))) {
      const obj = doc.toJS() as Pipeline | null;
      if (obj?.kind === 'Pipeline' && Array.isArray(obj.spec?.stages)) pipelines.push(obj);
    }
    if (pipelines.length === 0) throw new CliError(`${target}: no Pipeline found`);
  } else {
    pipelines.push(await readPipeline(ctxOf(values), target));
  }
  io.out(pipelines.map((p) => (format === 'dot' ? toDot(p) : toMermaid(p))).join('\n\n'));
  return 0;
}

/** `Backfill:    bf-x Running, 3/7 ticks done, 2 running [from, to), at most 2 at once`. */
function backfillLine(b: NonNullable<Pipeline['status']>['backfill'] & object): string {
  const why = b.message ? ` (${b.message})` : '';
  return `Backfill:    ${b.request} ${b.phase}, ${b.progress ?? `${b.done}/${b.total} ticks done`}; [${b.from}, ${b.to}), at most ${b.maxActive} at once${b.rerun ? ', rerun' : ''}${why}`;
}

/** The CLI flag a backfill request field comes from, for errors in the user's words. */
const BACKFILL_FLAGS: Record<string, string> = {
  from: '--from',
  to: '--to',
  maxActive: '--max-active',
  params: '--param',
  rerun: '--rerun',
};

/**
 * `backfill NAME --from T1 --to T2 [--max-active N] [--param k=v ...] [--rerun]`, or `--cancel`:
 * writes the request annotation (a new id each time) after the operator's own check of it, so a
 * refusal comes here, at once, in the same words.
 */
export async function backfillCommand(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    'max-active': { type: 'string' },
    param: { type: 'string', multiple: true },
    rerun: { type: 'boolean' },
    cancel: { type: 'boolean' },
  });
  const ctx = ctxOf(values);
  const name = one(positionals, 'pipeline name');
  const pipeline = await readPipeline(ctx, name);
  if (values.cancel === true) return cancelBackfill(ctx, pipeline, io);
  if (typeof values.from !== 'string' || typeof values.to !== 'string')
    throw new CliError('backfill needs --from and --to (RFC 3339 times), or --cancel');
  const maxActive = values['max-active'] === undefined ? undefined : Number(values['max-active']);
  if (maxActive !== undefined && !Number.isInteger(maxActive))
    throw new CliError(`--max-active: expected a whole number, got "${values['max-active']}"`);
  const now = new Date();
  const id = `bf-${now.getTime().toString(36)}`;
  const options = {
    ...(maxActive !== undefined ? { maxActive } : {}),
    ...paramsOption(values.param),
    ...(values.rerun ? { rerun: true } : {}),
  };
  // requestedAt: the request is told from an old one applied again (backfill/ids.ts).
  const raw = JSON.stringify({ id, from: values.from, to: values.to, ...options, requestedAt: iso(now) });
  const checked = readBackfillRequest(pipeline.spec, raw);
  const refused = (problem: BackfillProblem) =>
    new CliError(
      `pipeline ${name}: backfill refused: ${BACKFILL_FLAGS[problem.field] ?? problem.field}: ${problem.message}`,
    );
  if (!checked.ok) throw refused(checked.problem);
  const problem =
    futureTickProblem(checked.value, now) ??
    usedIdProblem(readUsedIds(pipeline.status ?? {}, now), checked.value.request, now);
  if (problem) throw refused(problem);
  await patchAnnotations(ctx, name, { [ANN_BACKFILL_REQUESTED]: raw });
  const { ticks, request: r } = checked.value;
  const running =
    pipeline.status?.backfill?.phase === 'Running'
      ? `; it replaces backfill ${pipeline.status.backfill.request}, whose runs in flight are cancelled`
      : '';
  io.out(
    `pipeline ${ctx.namespace}/${name}: backfill ${id} requested: ${ticks.length} ticks in [${iso(r.from)}, ${iso(r.to)}), at most ${r.maxActive} at once${r.rerun ? ', ticks already done run again' : ''}${running}; follow it with conveyor describe ${name}`,
  );
  return 0;
}

async function cancelBackfill(ctx: KubeContext, pipeline: Pipeline, io: CliIO): Promise<number> {
  const name = pipeline.metadata.name ?? '';
  const backfill = pipeline.status?.backfill;
  if (backfill?.phase !== 'Running')
    throw new CliError(
      `pipeline ${name} has no backfill running${backfill ? ` (backfill ${backfill.request} is ${backfill.phase})` : ''}`,
    );
  await annotatePipeline(ctx, name, ANN_BACKFILL_CANCEL, backfill.request);
  io.out(
    `pipeline ${ctx.namespace}/${name}: cancel of backfill ${backfill.request} requested (${ANN_BACKFILL_CANCEL}=${backfill.request}); its runs in flight are stopped`,
  );
  return 0;
}

export { CliError };
