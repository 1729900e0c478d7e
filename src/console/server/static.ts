// The UI's files, as `npm run build` writes them to dist/console/ (index.html, app.js,
// style.css, layout-worker.js, …). Only plain file names directly in that folder are served
// (also as /assets/NAME), with a known type: no path can climb out of it or reach the compiled
// server code in its subfolders.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** dist/console/ from both src/console/server and dist/console/server. */
export const UI_DIR = fileURLToPath(new URL('../../../dist/console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * The file name a URL path asks for, or undefined when it is not a servable name. A path whose
 * last segment has no dot is a page of the UI's own (history) routing: index.html.
 */
export function staticName(path: string): string | undefined {
  if (path === '/' || path === '/index.html' || !path.slice(path.lastIndexOf('/') + 1).includes('.'))
    return 'index.html';
  const name = path.startsWith('/assets/') ? path.slice('/assets/'.length) : path.slice(1);
  if (!FILE_NAME.test(name) || name.includes('..')) return undefined;
  return contentType(name) ? name : undefined;
}

export function contentType(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : TYPES[name.slice(dot).toLowerCase()];
}

/** Shown at / when the UI has not been built: says what to do instead of a bare 404. */
export const NOT_BUILT_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Conveyor Console</title></head>' +
  '<body><h1>Conveyor Console</h1><p>The Console’s web UI has not been built. Run <code>npm run build</code> ' +
  'in the Conveyor checkout, then reload this page. The API under <code>/api/</code> works without it.</p></body></html>';

export type StaticAnswer = { status: number; type: string; body: Buffer | string };

/** Reads a UI file; a missing index.html gives NOT_BUILT_PAGE, any other missing file 404. */
export async function readStatic(path: string, dir = UI_DIR): Promise<StaticAnswer> {
  const name = staticName(path);
  if (!name)
    return {
      status: 404,
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ message: `not found: ${path}` }),
    };
  try {
    return { status: 200, type: contentType(name)!, body: await readFile(`${dir}/${name}`) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'EISDIR')
      throw error;
    if (name === 'index.html') return { status: 200, type: TYPES['.html']!, body: NOT_BUILT_PAGE };
    return {
      status: 404,
      type: 'application/json; charset=utf-8',
      body: JSON.stringify({ message: `not found: ${path}` }),
    };
  }
}
