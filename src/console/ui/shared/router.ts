// The hash routes (see store-types.ts): #/ overview, #/p/NAMESPACE/NAME a pipeline, #/builder.
// Hash routing keeps every route on the one served page, so the server needs no route table.
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'overview' }
  | { view: 'pipeline'; namespace: string; name: string }
  | { view: 'builder' }
  | { view: 'unknown'; hash: string };

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '').replace(/\?.*$/, '');
  if (path === '' || path === '/') return { view: 'overview' };
  if (path === '/builder' || path.startsWith('/builder/')) return { view: 'builder' };
  const m = /^\/p\/([^/]+)\/([^/]+)\/?$/.exec(path);
  const namespace = m && decode(m[1]!);
  const name = m && decode(m[2]!);
  if (namespace && name) return { view: 'pipeline', namespace, name };
  return { view: 'unknown', hash };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
