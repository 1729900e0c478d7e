// The main thread's side of the layout worker: one worker for the page, answers matched by key,
// results cached per key (pipeline uid + spec generation + expanded groups), so a status change
// only recolours and a DAG is laid out once per spec.
import type { LayoutRequest, LayoutResult } from '../model/layout.ts';

/** Served next to the app bundle (hack/build-console.ts builds it as its own entry). */
const WORKER_URL = '/assets/layout-worker.js';
const MAX_CACHED = 50;

type Answer = LayoutResult | { key: string; error: string };

let worker: Worker | undefined;
let requested = 0;
const cache = new Map<string, LayoutResult>();
const waiting = new Map<string, { resolve: (r: LayoutResult) => void; reject: (e: Error) => void }[]>();

function settle(answer: Answer): void {
  const callers = waiting.get(answer.key) ?? [];
  waiting.delete(answer.key);
  if ('error' in answer) {
    for (const c of callers) c.reject(new Error(answer.error));
    return;
  }
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(answer.key, answer);
  for (const c of callers) c.resolve(answer);
}

function layoutWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(WORKER_URL, { type: 'module' });
  worker.onmessage = (e: MessageEvent<Answer>) => settle(e.data);
  worker.onerror = (e) => {
    // A worker that cannot run fails every pending layout; the next request starts a new one.
    for (const key of [...waiting.keys()])
      settle({ key, error: `layout worker failed: ${e.message || 'could not start'}` });
    worker?.terminate();
    worker = undefined;
  };
  return worker;
}

/** How many layouts this page has asked the worker for (shown on the SVG, for tests). */
export function layoutsRequested(): number {
  return requested;
}

export function cachedLayout(key: string): LayoutResult | undefined {
  return cache.get(key);
}

export function requestLayout(req: LayoutRequest): Promise<LayoutResult> {
  const hit = cache.get(req.key);
  if (hit) return Promise.resolve(hit);
  return new Promise((resolve, reject) => {
    const callers = waiting.get(req.key);
    if (callers) {
      callers.push({ resolve, reject });
      return;
    }
    waiting.set(req.key, [{ resolve, reject }]);
    requested++;
    layoutWorker().postMessage(req);
  });
}
