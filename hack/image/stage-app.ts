// Writes what the image holds under /app into a folder of its own: the operator and CLI bundles
// (esbuild), the Console's UI files, the Pipeline JSON Schema, the CRDs, package.json and the
// CLI's entry. No node_modules: the bundles hold every module they load. Both image builds use it:
// hack/image.sh (the layer tar) and the Dockerfile (one COPY).
//
//   node hack/image/stage-app.ts OUT_DIR [--packages FILE]
//
// --packages writes the npm packages esbuild put into the bundles (name, version, license, the
// lockfile's integrity), read from esbuild's metafile: the SBOM lists those and nothing else.
import { build, type Metafile } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { APP_FILES, ESBUILD_OPTIONS } from './layout.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export type BundledPackage = { name: string; version: string; license: string; integrity?: string };

async function bundle(entry: string, outfile: string): Promise<Metafile> {
  const result = await build({
    ...ESBUILD_OPTIONS,
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    metafile: true,
  });
  return result.metafile;
}

/** The folder of the package a bundled file came from: the part up to its last node_modules/<name>. */
function packageDir(input: string): string | undefined {
  const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  return m?.[1];
}

/** The packages the bundles hold, with the lockfile's integrity where it has the package. */
function bundledPackages(metafiles: Metafile[]): BundledPackage[] {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { integrity?: string }>;
  };
  const byKey = new Map<string, BundledPackage>();
  for (const input of metafiles.flatMap((m) => Object.keys(m.inputs))) {
    const dir = packageDir(input);
    if (!dir) continue;
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    const name = String(pkg.name);
    const version = String(pkg.version);
    const license = typeof pkg.license === 'string' ? pkg.license : 'NOASSERTION';
    const integrity = lock.packages[dir]?.integrity;
    byKey.set(`${name}@${version}`, { name, version, license, ...(integrity ? { integrity } : {}) });
  }
  return [...byKey.values()].sort((a, b) =>
    a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1,
  );
}

/** The Console's UI files (plain files directly in dist/console/: all the server serves). */
function copyConsole(out: string): void {
  const from = join(root, 'dist/console');
  if (!existsSync(join(from, 'index.html'))) throw new Error(`${from}/index.html is missing after the Console build`);
  mkdirSync(join(out, APP_FILES.consoleDir), { recursive: true });
  for (const name of readdirSync(from).sort()) {
    if (statSync(join(from, name)).isFile()) cpSync(join(from, name), join(out, APP_FILES.consoleDir, name));
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { packages: { type: 'string' } }, allowPositionals: true });
  if (positionals.length !== 1) throw new Error('usage: node hack/image/stage-app.ts OUT_DIR [--packages FILE]');
  const out = positionals[0]!;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const metafiles = [
    await bundle('src/main.ts', join(out, APP_FILES.operatorBundle)),
    await bundle('src/cli/main.ts', join(out, APP_FILES.cliBundle)),
  ];
  const fromEntry = relative(dirname(APP_FILES.cliEntry), APP_FILES.cliBundle);
  writeFileSync(
    join(out, APP_FILES.cliEntry),
    `// The CLI's bundle, where its paths to dist/console/ and schema/ resolve (hack/image/layout.ts).\nexport * from './${fromEntry}';\n`,
  );
  execFileSync(process.execPath, [join(root, 'hack/build-console.ts')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  copyConsole(out);
  for (const path of [APP_FILES.packageJson, APP_FILES.cli, APP_FILES.schemaDir, APP_FILES.crdsDir])
    cpSync(join(root, path), join(out, path), { recursive: true });
  if (values.packages) writeFileSync(values.packages, `${JSON.stringify(bundledPackages(metafiles), null, 2)}\n`);
}

await main();
