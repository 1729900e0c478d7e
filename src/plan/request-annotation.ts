// Requests (run, retry, cancel, backfill) are annotations on the Pipeline: a value that is missing,
// not a string or blank asks for nothing.
import type { Pipeline } from '../api/types.ts';

/** The annotation's value when it asks for something; undefined when missing or blank. */
export function requestAnnotation(pipeline: Pipeline, key: string): string | undefined {
  const raw = pipeline.metadata.annotations?.[key];
  return typeof raw === 'string' && raw.trim() !== '' ? raw : undefined;
}
