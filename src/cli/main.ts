// The `conveyor` command: a table of subcommands, each loaded only when it runs (validate must
// not pay for the Kubernetes client). Add a command by adding a row to COMMANDS.
import { VERSION } from '../version.ts';
import type { CliIO } from './io.ts';

export type { CliIO } from './io.ts';

type Run = (argv: string[], io: CliIO) => Promise<number>;
type Command = { usage: string; summary: string; details?: string; run: Run };

/** A Run that imports its module on first use. */
function lazy<M>(load: () => Promise<M>, pick: (module: M) => Run): Run {
  return async (argv, io) => pick(await load())(argv, io);
}

const kube = () => import('./kube-commands.ts');

export const COMMANDS: Record<string, Command> = {
  validate: {
    usage: 'validate <file|dir|->... [--output text|json]',
    summary: 'check Pipeline YAML offline (schema, API server rules, cycles, cron, time zones)',
    details:
      'Checks Pipeline YAML without a cluster: the schema, the rules the API server enforces, dependency cycles,\n' +
      'cron schedules and time zones. Directories are searched for *.yaml and *.yml; - reads stdin.\n' +
      'Prints file:line:col: path: message per problem (--output json: a JSON array). Exits 1 on any problem.',
    run: lazy(
      () => import('./validate.ts'),
      (m) => m.validateCommand,
    ),
  },
  // Cluster commands (src/cli/kube-commands.ts); all take -n NAMESPACE and --kubeconfig FILE.
  get: {
    usage: 'get [NAME...] [-A] [-o json]',
    summary: 'list Pipelines: phase, progress, last and next run',
    run: lazy(kube, (m) => m.getCommand),
  },
  describe: {
    usage: 'describe NAME',
    summary: 'show a Pipeline: conditions, stages, recent runs',
    run: lazy(kube, (m) => m.describeCommand),
  },
  run: {
    usage: 'run NAME [--param k=v ...] [--at RFC3339] [--no-cache]',
    summary: 'start a run now',
    details:
      'Starts a run now (conveyor.dev/run-requested), with its options in the same patch (conveyor.dev/run-options).\n' +
      '  --param k=v       value of parameter k for this run (repeatable); unknown names and values outside enum are refused\n' +
      '  --at T            run as if asked for at T (RFC 3339; default: now): a scheduled pipeline processes the last\n' +
      '                    complete interval ending at or before T, whose end is the logical time; otherwise T is\n' +
      '                    the logical time\n' +
      '  --no-cache        run every stage, ignoring cached results',
    run: lazy(kube, (m) => m.runCommand),
  },
  retry: {
    usage: 'retry NAME [--run ID]',
    summary: 'run the failed and skipped stages of a run again',
    run: lazy(kube, (m) => m.retryCommand),
  },
  cancel: {
    usage: 'cancel NAME [--run ID]',
    summary: 'stop a run in flight (default: the latest run)',
    run: lazy(kube, (m) => m.cancelCommand),
  },
  backfill: {
    usage: 'backfill NAME --from T1 --to T2 [options] | --cancel',
    summary: 'run a scheduled pipeline once for each tick in [T1, T2), oldest first',
    details:
      'Runs the pipeline once for each tick of its schedule (in its timeZone) in [T1, T2), RFC 3339 times,\n' +
      'each run with that tick as its logical time, oldest first. Ticks that already\n' +
      'succeeded with the same parameter values are skipped unless --rerun. The request is checked here first, then\n' +
      'written to the Pipeline (conveyor.dev/backfill-requested); conveyor describe NAME shows its progress. A new\n' +
      'backfill replaces a running one.\n' +
      '  --max-active N    at most N backfill runs at once (1 to 15, default 1: 5 of the 20 runs a Pipeline\n' +
      '                    may have at once are kept for ticks, manual runs and retries)\n' +
      '  --param k=v       parameter value for every run of the backfill (repeatable)\n' +
      '  --rerun           run ticks that already succeeded again\n' +
      '  --cancel          cancel the running backfill: its runs in flight are stopped, no more ticks start',
    run: lazy(kube, (m) => m.backfillCommand),
  },
  logs: {
    usage: 'logs NAME [STAGE] [--tail N] [--follow]',
    summary: 'print the logs of the latest run’s stages',
    run: lazy(kube, (m) => m.logsCommand),
  },
  graph: {
    usage: 'graph NAME|FILE [--format mermaid|dot]',
    summary: 'draw the stage graph',
    run: lazy(kube, (m) => m.graphCommand),
  },
  dashboard: {
    usage: 'dashboard [--port N] [-n NAMESPACE ...] [--open] [--address A]',
    summary: 'serve the Console (web UI) on 127.0.0.1 with your own kubeconfig',
    details:
      'Serves the Conveyor Console on http://127.0.0.1:PORT and prints its one-time login URL\n' +
      '(`Conveyor Console: http://127.0.0.1:PORT/?token=…`). Every request to Kubernetes is made with your own kubeconfig\n' +
      '(--kubeconfig FILE, $KUBECONFIG or ~/.kube/config), so the Console can do exactly what you can do with kubectl.\n' +
      '  --port N          port to listen on (default 0: any free port)\n' +
      '  -n, --namespace   watch only this namespace (repeat, or comma-separated; default: all you may list)\n' +
      '  --open            open the URL in your browser (xdg-open / open)\n' +
      '  --address A       listen on A instead of 127.0.0.1: anyone who can reach A with the link acts as you',
    run: lazy(
      () => import('./dashboard.ts'),
      (m) => m.dashboardCommand,
    ),
  },
};

export function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  const rows = Object.values(COMMANDS).map((c) => `  conveyor ${c.usage.padEnd(width)}  ${c.summary}`);
  return [
    'usage: conveyor <command> [options]',
    '',
    'commands:',
    ...rows,
    '',
    'conveyor <command> --help for details.',
  ].join('\n');
}

const processIO: CliIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks); // bytes: `validate -` refuses invalid UTF-8 instead of replacing it
  },
};

/** Runs `conveyor <argv>`; resolves to the exit code. */
export async function main(argv: string[] = process.argv.slice(2), io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === 'version') {
    io.out(VERSION);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`conveyor: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`usage: conveyor ${command.usage}\n\n${command.details ?? command.summary}`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    io.err(`conveyor ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
