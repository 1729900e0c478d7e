// The operator process: `npm start` (or `node src/main.ts`) against the current kubeconfig.
import { ConfigError, loadConfig, USAGE } from './config.ts';
import { makeLogger } from './log.ts';
import { startOperator } from './operator.ts';

async function main(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(
      `conveyor-operator: ${err instanceof ConfigError || err instanceof TypeError ? err.message : String(err)}\n\n${USAGE}\n`,
    );
    return 2;
  }
  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = makeLogger(config.logLevel);
  const operator = await startOperator(config, log, () => {
    // Another replica may already be acting: stop at once, and let the restart stand in line.
    log.fatal('lost leadership; exiting');
    process.exit(1);
  });
  await new Promise<void>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down: finishing in-flight reconciles');
      operator.stop().then(resolve, (err: unknown) => {
        log.error({ err: String(err) }, 'error during shutdown');
        resolve();
      });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
  log.info('stopped');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `conveyor-operator: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
