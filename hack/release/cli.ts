// The CLI's npm tarball: `npm pack` of a staged package that needs nothing from a registry. The
// CLI is bundled with esbuild into one file (the same flags as the operator's bundle in the
// Dockerfile), next to what it reads at run time: dist/console (`conveyor dashboard`) and
// schema/ (the Console's builder). Its package.json has no dependencies.
import { copyFileSync, cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { run } from './exec.ts';

export const CLI_PACKAGE = 'conveyor-cli';

// The modules that find files by import.meta.url (src/console/server/static.ts, routes.ts) sit
// three folders below the package root and climb '../../../'. Bundled, they all share the
// bundle's URL, so the bundle sits three folders deep too; dist/cli/main.js, where bin/conveyor.js
// looks first, re-exports it.
const BUNDLE = 'dist/cli/bundle/conveyor.js';

/** The bundle's own `require` for the CommonJS dependencies esbuild wraps (as in the Dockerfile). */
const REQUIRE_BANNER =
  "import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);";

type RootPackage = { version: string; description: string; license: string; engines: Record<string, string> };

function manifest(root: RootPackage): Record<string, unknown> {
  return {
    name: CLI_PACKAGE,
    version: root.version,
    description: `The conveyor CLI (validate, get, describe, run, logs, graph, dashboard …), bundled: ${root.description}`,
    license: root.license,
    type: 'module',
    engines: root.engines,
    bin: { conveyor: 'bin/conveyor.js', 'kubectl-conveyor': 'bin/conveyor.js' },
    dependencies: {},
  };
}

async function bundle(repo: string, stage: string): Promise<void> {
  await build({
    entryPoints: [join(repo, 'src/cli/main.ts')],
    outfile: join(stage, BUNDLE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    minifyWhitespace: true,
    minifySyntax: true,
    banner: { js: REQUIRE_BANNER },
    // Module paths in the bundle read node_modules/… whether node_modules is a folder or a link
    // (a worktree's): the bundle, and so the tarball, does not depend on the checkout.
    preserveSymlinks: true,
    absWorkingDir: repo,
    logLevel: 'warning',
  });
  writeFileSync(join(stage, 'dist/cli/main.js'), "export { main } from './bundle/conveyor.js';\n");
}

/** The Console's built files; source maps stay out (they are for working on the Console). */
function copyConsole(repo: string, stage: string): void {
  cpSync(join(repo, 'dist/console'), join(stage, 'dist/console'), {
    recursive: true,
    filter: (src) => !src.endsWith('.map'),
  });
}

/** Stages the package in `stage` and packs it into `outDir`; returns the tarball's path. */
export async function packCli(repo: string, stage: string, outDir: string): Promise<string> {
  const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as RootPackage;
  run('node', [join(repo, 'hack/build-console.ts')], { cwd: repo });
  mkdirSync(join(stage, 'bin'), { recursive: true });
  copyFileSync(join(repo, 'bin/conveyor.js'), join(stage, 'bin/conveyor.js'));
  await bundle(repo, stage);
  copyConsole(repo, stage);
  cpSync(join(repo, 'schema'), join(stage, 'schema'), { recursive: true });
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
