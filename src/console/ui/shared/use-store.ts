// Re-renders a component after each batch of store changes.
import { useEffect, useState } from 'preact/hooks';
import type { ConsoleStore } from './store-types.ts';

export function useStoreVersion(store: ConsoleStore): number {
  const [version, setVersion] = useState(0);
  useEffect(() => store.subscribe(() => setVersion((v) => v + 1)), [store]);
  return version;
}
