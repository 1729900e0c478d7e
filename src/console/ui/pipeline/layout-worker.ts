// Web Worker entry (bundled to dist/console/layout-worker.js): lays out one DAG per message, so
// dagre's work on a large pipeline happens off the main thread.
import { computeLayout, type LayoutRequest } from '../model/layout.ts';

self.onmessage = (e: MessageEvent<LayoutRequest>) => {
  try {
    self.postMessage(computeLayout(e.data));
  } catch (err) {
    self.postMessage({ key: e.data.key, error: String(err) });
  }
};
