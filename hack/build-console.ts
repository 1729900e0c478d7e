// Bundles the Console's browser code into dist/console/ (served by the dashboard server under
// /assets/): app.js from src/console/ui/main.ts, layout-worker.js when the pipeline view has
// one, and the static index.html and style.css. Prints each bundle's size, raw and gzipped.
import { build, type BuildOptions } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));
const ui = join(root, 'src/console/ui');
const out = join(root, 'dist/console');

/** Entry points by output name; optional ones are skipped until their module exists. */
const entries: { out: string; src: string; optional: boolean }[] = [
  { out: 'app', src: join(ui, 'main.ts'), optional: false },
  { out: 'layout-worker', src: join(ui, 'pipeline/layout-worker.ts'), optional: true },
];

const common: BuildOptions = {
  bundle: true,
  format: 'esm',
  // The pipeline view and the builder load on first use: the overview does not wait for them.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // No environment leaks into the bundle; libraries that test NODE_ENV take their lean path.
  define: { 'process.env.NODE_ENV': '"production"' },
  // Module paths (chunk names, source maps) read node_modules/… whether node_modules is a folder
  // or a link to one: the same sources give the same files in any checkout and in the image.
  preserveSymlinks: true,
};

function sizeOf(file: string): string {
  const bytes = readFileSync(file);
  return `${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} gzipped`;
}

/** Chunks of earlier builds (their names are content hashes) would pile up: remove them. */
function removeOldChunks(): void {
  for (const name of readdirSync(out)) if (/^chunk-.*\.js(\.map)?$/.test(name)) rmSync(join(out, name));
}

/** A bundle and the chunks it imports statically (what loads before anything is drawn). */
function firstLoad(entry: string, seen = new Set<string>()): string[] {
  if (seen.has(entry)) return [];
  seen.add(entry);
  const code = readFileSync(join(out, entry), 'utf8');
  for (const m of code.matchAll(/(?:from|import)\s*"\.\/(chunk-[A-Z0-9]+\.js)"/g)) firstLoad(m[1]!, seen);
  return [...seen];
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  removeOldChunks();
  const present = entries.filter((e) => existsSync(e.src) || !e.optional);
  await build({ ...common, entryPoints: Object.fromEntries(present.map((e) => [e.out, e.src])), outdir: out });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(ui, file), join(out, file));
  for (const e of present) console.log(`dist/console/${e.out}.js: ${sizeOf(join(out, `${e.out}.js`))}`);
  for (const name of readdirSync(out).filter((n) => /^chunk-.*\.js$/.test(n)))
    console.log(`dist/console/${name}: ${sizeOf(join(out, name))}`);
  console.log(`dist/console/style.css: ${sizeOf(join(out, 'style.css'))}`);
  const first = firstLoad('app.js');
  const firstBytes = first.map((n) => readFileSync(join(out, n)));
  const sum = (bs: Buffer[], f: (b: Buffer) => number) => bs.reduce((n, b) => n + f(b), 0);
  console.log(
    `overview's scripts (${first.join(', ')}): ${sum(firstBytes, (b) => b.length)} bytes, ${sum(firstBytes, (b) => gzipSync(b, { level: 9 }).length)} gzipped`,
  );
  const all = readdirSync(out)
    .filter((n) => /\.(js|css|html)$/.test(n))
    .map((n) => readFileSync(join(out, n)));
  const total = all.reduce((n, b) => n + b.length, 0);
  const gzipped = all.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  console.log(`dist/console total: ${total} bytes, ${gzipped} gzipped`);
}

await main();
