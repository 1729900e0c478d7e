// `npm run dev`: the whole product on this machine. Brings the local cluster up, installs the
// CRD, starts the operator (in this process, logs to a file), builds and starts the Console on
// the user's kubeconfig (and opens it when a browser is at hand), applies the nightly ETL example
// and shows its run stage by stage until it finishes. Ctrl-C stops the operator and the Console.
import { execFileSync, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as k8s from '@kubernetes/client-node';
import { clusterScript } from './cluster-script.ts';
import { closingHint } from './dev-hint.ts';
import { pino, type Logger } from 'pino';
import { parse } from 'yaml';
import type { Pipeline } from '../src/api/types.ts';
import { GROUP, PLURAL, VERSION } from '../src/api/constants.ts';
import { renderPipeline } from '../src/cli/render.ts';
import { startOperator } from '../src/operator.ts';
import { startLocalVolumes } from './local-volumes.ts';
import { applyCrd, waitEstablished } from '../src/kube/crd.ts';
import { createKubeBackend } from '../src/console/server/kube-backend.ts';
import { startConsoleServer, type ConsoleServer } from '../src/console/server/server.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const NAMESPACE = 'conveyor-demo';
const EXAMPLE = process.env.CONVEYOR_DEV_EXAMPLE ?? 'examples/etl-nightly.yaml';
const say = (msg: string): void => void process.stdout.write(`\x1b[1m[conveyor]\x1b[0m ${msg}\n`);
const cluster = (cmd: string): string => clusterScript([cmd]);

async function main(): Promise<void> {
  say('bringing the local cluster up (the first time builds Kubernetes from source: several minutes)');
  cluster('up');
  const kubeconfig = cluster('kubeconfig');
  process.env.KUBECONFIG = kubeconfig;
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);

  say('installing the Pipeline CRD');
  const crd = parse(readFileSync(`${root}/crds/conveyor.dev_pipelines.yaml`, 'utf8')) as k8s.V1CustomResourceDefinition;
  await applyCrd(kc, crd, 'conveyor-dev');
  await waitEstablished(kc, crd.metadata?.name ?? '');

  const logDir = `${process.env.HOME}/.kwok/clusters/conveyor/logs`;
  mkdirSync(logDir, { recursive: true });
  const logFile = `${logDir}/conveyor-operator.log`;
  const log = pino(
    { level: 'debug', base: { component: 'conveyor' }, timestamp: pino.stdTimeFunctions.isoTime },
    createWriteStream(logFile, { flags: 'a' }),
  );
  const stopVolumes = startLocalVolumes(kc);
  const operator = await startOperator(
    {
      kubeconfig,
      namespaces: [],
      workers: 4,
      logLevel: 'debug',
      healthPort: 0,
      healthHost: '127.0.0.1',
      resyncSeconds: 300,
      leaderElect: false,
      leaderElectionNamespace: 'default',
      leaderElectionId: 'conveyor-leader',
      leaseDurationSeconds: 15,
    },
    log,
  );
  say(`operator started; its JSON logs: ${logFile}`);
  const consoleServer = await startConsole(kc, log);

  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } }).catch(() => undefined);
  const example = parse(readFileSync(`${root}/${EXAMPLE}`, 'utf8')) as Pipeline;
  const name = example.metadata.name ?? 'etl-nightly';
  // KWOK pods have no containers: give each stage a few seconds of "work" so the run is watchable.
  example.spec.defaults = {
    ...example.spec.defaults,
    podTemplate: { metadata: { annotations: { 'kwok.conveyor.dev/run-duration': '3s' } } },
  };
  example.metadata = { name, namespace: NAMESPACE };
  await custom
    .deleteNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, name })
    .catch(() => undefined);
  for (let i = 0; i < 50; i++) {
    const gone = await custom
      .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: NAMESPACE, plural: PLURAL, name })
      .then(
        () => false,
        () => true,
      );
    if (gone) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: NAMESPACE,
    plural: PLURAL,
    body: example,
  });
  say(`applied ${EXAMPLE} as ${NAMESPACE}/${name}; watching its run:\n`);

  const tty = process.stdout.isTTY;
  let lastFrame = '';
  let lines = 0;
  for (;;) {
    const p = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: PLURAL,
      name,
    })) as Pipeline;
    const frame = renderPipeline(p);
    if (frame !== lastFrame) {
      if (tty && lines > 0) process.stdout.write(`\x1b[${lines}A\x1b[J`);
      process.stdout.write(`${frame}\n${tty ? '' : '\n'}`);
      lines = frame.split('\n').length;
      lastFrame = frame;
    }
    const phase = p.status?.phase;
    if ((phase === 'Succeeded' || phase === 'Failed') && p.status?.lastRun?.completionTime) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  say(closingHint({ consoleUrl: consoleServer.url, kubeconfig, namespace: NAMESPACE, name }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  say('stopping the operator and the Console');
  stopVolumes();
  await consoleServer.close();
  await operator.stop();
  process.exit(0);
}

/** The Console on the same kubeconfig, built first; opened in a browser when one is at hand. */
async function startConsole(kc: k8s.KubeConfig, log: Logger): Promise<ConsoleServer> {
  say('building the Console (npm run build:console)');
  execFileSync('npm', ['run', '--silent', 'build:console'], { cwd: root, stdio: 'inherit' });
  const backend = createKubeBackend(kc, { namespaces: [], log: log.child({ component: 'console' }) });
  await backend.start();
  const server = await startConsoleServer({ backend });
  say(`Conveyor Console: ${server.url}`);
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  // Best effort: no browser here is fine, the link above works from this machine.
  if (process.env.CONVEYOR_DEV_OPEN !== '0')
    spawn(opener, [server.url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  return server;
}

main().catch((err: unknown) => {
  process.stderr.write(`npm run dev failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
