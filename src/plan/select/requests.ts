// The requests a plan reads from the Pipeline's annotations and its upstream pipelines: run and
// retry requests, chain triggers. Read once per plan (facts.ts); select.ts decides what they start.
import type { Pipeline, PipelineStatus } from '../../api/types.ts';
import { ANN_RETRY_REQUESTED, ANN_RUN_REQUESTED } from '../../api/labels.ts';
import { evaluateChainTriggers } from './chain.ts';
import { compact } from '../objects.ts';
import { readRequestValue } from './request-annotation.ts';

/** Bookkeeping of the explicit requests (annotations) and chain triggers, shared by both modes. */
export type Requests = {
  /** The request values as status records them (request-annotation.ts: a digest past the length bound). */
  runRequest?: string;
  retryRequest?: string;
  /** Why a request value is refused before it is read (too long). */
  runProblem?: string;
  retryProblem?: string;
  chain: ReturnType<typeof evaluateChainTriggers>;
};

export function readRequests(pipeline: Pipeline, previous: PipelineStatus, upstream: Pipeline[]): Requests {
  const run = readRequestValue(pipeline, ANN_RUN_REQUESTED);
  const retry = readRequestValue(pipeline, ANN_RETRY_REQUESTED);
  return compact({
    runRequest: run?.value,
    runProblem: run?.problem,
    retryRequest: retry?.value,
    retryProblem: retry?.problem,
    chain: evaluateChainTriggers(pipeline, upstream, previous.lastTriggers),
  });
}
