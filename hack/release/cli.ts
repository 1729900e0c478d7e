// The CLI's npm tarball: `npm pack` of a staged package that needs nothing from a registry. Its
// files are the image's: hack/image/stage-app.ts bundles the CLI with esbuild (no node_modules)
// and lays it out next to what it reads at run time, dist/console (`conveyor dashboard`) and
// schema/ (the Console's builder), so the tarball's CLI is the very bundle the image runs. Its
// package.json has no dependencies.
import { copyFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { APP_FILES } from '../image/layout.ts';
import { run } from './exec.ts';

export const CLI_PACKAGE = 'conveyor-cli';

type RootPackage = { version: string; description: string; license: string; engines: Record<string, string> };

function manifest(root: RootPackage): Record<string, unknown> {
  return {
    name: CLI_PACKAGE,
    version: root.version,
    description: `The conveyor CLI (validate, get, describe, run, logs, graph, dashboard …), bundled: ${root.description}`,
    license: root.license,
    type: 'module',
    engines: root.engines,
    bin: { conveyor: APP_FILES.cli, 'kubectl-conveyor': APP_FILES.cli },
    dependencies: {},
  };
}

/** What the CLI runs from the image's staged /app: its entry, its bundle, the Console, the schema. */
function copyCliFiles(app: string, stage: string): void {
  const cliDir = dirname(APP_FILES.cliEntry);
  for (const path of [APP_FILES.cli, cliDir, APP_FILES.schemaDir])
    cpSync(join(app, path), join(stage, path), { recursive: true });
  // Source maps stay out of the CLI (they are for working on the Console).
  cpSync(join(app, APP_FILES.consoleDir), join(stage, APP_FILES.consoleDir), {
    recursive: true,
    filter: (src) => !src.endsWith('.map'),
  });
}

/** Stages the package in `work`/package and packs it into `outDir`; returns the tarball's path. */
export function packCli(repo: string, work: string, outDir: string): string {
  const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as RootPackage;
  const [app, stage] = [join(work, 'app'), join(work, 'package')];
  run(process.execPath, [join(repo, 'hack/image/stage-app.ts'), app], { cwd: repo });
  copyCliFiles(app, stage);
  copyFileSync(join(repo, 'LICENSE'), join(stage, 'LICENSE'));
  writeFileSync(join(stage, 'README.md'), readme(root.version));
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest(root), null, 2)}\n`);
  const out = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', outDir], { cwd: stage });
  const [packed] = JSON.parse(out) as { filename: string }[];
  if (!packed) throw new Error(`npm pack printed no file: ${out}`);
  return join(outDir, packed.filename);
}

function readme(version: string): string {
  return [
    `# conveyor-cli ${version}`,
    '',
    'The `conveyor` command for Conveyor, a Kubernetes operator that runs data pipelines declared as YAML.',
    'One bundled file with no dependencies: install it from this tarball without a registry,',
    '',
    `    npm install -g ./conveyor-cli-${version}.tgz`,
    '',
    'then `conveyor --help`. It is also a kubectl plugin (`kubectl conveyor …`).',
    '',
  ].join('\n');
}
