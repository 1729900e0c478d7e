// Reading a stage pod's logs, for `conveyor logs` and the Console: the newest pod of a Job, and its
// container's log streamed to a Writable (following while the pod runs, when asked). A refusal
// carries the API server's own message (`no logs found for container "stage" in pod ...`), which
// client-node's Log drops ("Error occurred in log request").
import * as k8s from '@kubernetes/client-node';
import { PassThrough, Writable } from 'node:stream';
import { httpStatus } from './errors.ts';

/** The container Conveyor runs a stage in. */
export const STAGE_CONTAINER = 'stage';

/** How often a followed log checks whether its pod has ended (kwok never ends the stream itself). */
const POD_END_POLL_MS = 1_000;
/** After the pod ended, how long the last lines may take to arrive before the stream is cut. */
const TRAILING_OUTPUT_MS = 500;

/** The API server refused a log request: its status and its own message. */
export class LogsRefused extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
    this.name = 'LogsRefused';
  }
}

export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
}

/** The newest pod of Job `jobName` (by creation time), or undefined when it has none left. */
export async function newestJobPod(
  core: k8s.CoreV1Api,
  namespace: string,
  jobName: string,
): Promise<k8s.V1Pod | undefined> {
  // batch.kubernetes.io/job-name since Kubernetes 1.27; job-name before (and still, for now).
  for (const key of ['batch.kubernetes.io/job-name', 'job-name']) {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `${key}=${jobName}` });
    if (pods.items.length > 0) return newest(pods.items);
  }
  return undefined;
}

function newest(pods: k8s.V1Pod[]): k8s.V1Pod | undefined {
  const created = (p: k8s.V1Pod): number => new Date(p.metadata?.creationTimestamp ?? 0).getTime();
  return [...pods].sort((a, b) => created(b) - created(a))[0];
}

export const isPodFinished = (pod: k8s.V1Pod | undefined): boolean =>
  pod?.status?.phase === 'Succeeded' || pod?.status?.phase === 'Failed';

/**
 * Streams the log of `target` into `out` (which is left open for the caller to end). Resolves when
 * the log is complete: at once without `follow`; with it, once the pod has ended (or is gone) or
 * `out` closes. Rejects with LogsRefused when the API server will not serve the log.
 */
export async function streamPodLog(
  kc: k8s.KubeConfig,
  core: k8s.CoreV1Api,
  target: LogTarget,
  options: { follow: boolean; tailLines?: number },
  out: Writable,
): Promise<void> {
  const sink = new PassThrough();
  // Log pipes the response body into sink and keeps no error handler on it: an aborted or broken
  // response would be an uncaught error. The body ending early ends the log as it is.
  sink.on('pipe', (body: NodeJS.ReadableStream) => body.on('error', () => sink.end()));
  sink.pipe(out, { end: false });
  let finish = (): void => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  sink.once('end', finish);
  let request: AbortController;
  try {
    request = await new k8s.Log(kc).log(target.namespace, target.pod, target.container, sink, {
      follow: options.follow,
      ...(options.tailLines !== undefined ? { tailLines: options.tailLines } : {}),
    });
  } catch (err) {
    sink.unpipe(out);
    throw await refusal(core, target, err);
  }
  const stop = (): void => {
    request.abort();
    sink.unpipe(out);
    finish();
  };
  out.once('close', stop);
  const watching = options.follow ? stopWhenPodEnds(core, target, done, stop) : undefined;
  await done;
  out.off('close', stop);
  await watching;
}

/** Polls the pod until it has ended (or is gone), then lets the last lines in and stops the stream. */
async function stopWhenPodEnds(
  core: k8s.CoreV1Api,
  target: LogTarget,
  done: Promise<void>,
  stop: () => void,
): Promise<void> {
  let streaming = true;
  void done.then(() => (streaming = false));
  while (streaming) {
    await Promise.race([done, new Promise((r) => setTimeout(r, POD_END_POLL_MS).unref())]);
    if (!streaming) return;
    const pod = await core
      .readNamespacedPod({ name: target.pod, namespace: target.namespace })
      .catch((err: unknown) => (httpStatus(err) === 404 ? undefined : 'unknown'));
    if (pod === 'unknown' || (pod && !isPodFinished(pod))) continue;
    await Promise.race([done, new Promise((r) => setTimeout(r, TRAILING_OUTPUT_MS).unref())]);
    stop();
    return;
  }
}

/**
 * The server's own reason for refusing the log. client-node's Log throws without reading the
 * answer's body, so the same request is made once more, without following, through the generated
 * client, whose error keeps the body (a Kubernetes Status).
 */
async function refusal(core: k8s.CoreV1Api, target: LogTarget, err: unknown): Promise<LogsRefused | unknown> {
  const status = httpStatus(err);
  if (status === undefined) return err;
  try {
    await core.readNamespacedPodLog({
      name: target.pod,
      namespace: target.namespace,
      container: target.container,
      limitBytes: 1,
    });
  } catch (again) {
    return new LogsRefused(httpStatus(again) ?? status, statusMessage(again) ?? `HTTP ${status}`);
  }
  return new LogsRefused(status, `HTTP ${status}`);
}

/** The `message` of the Kubernetes Status body a failed call carries, if any. */
export function statusMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === 'object' && body !== null) return (body as { message?: string }).message;
  if (typeof body !== 'string') return undefined;
  try {
    return (JSON.parse(body) as { message?: string }).message;
  } catch {
    return body || undefined;
  }
}

/** Why a Job's logs cannot be read: its pods are deleted, and the logs with them. */
export function podsGoneMessage(jobName: string): string {
  return `the pods of Job ${jobName} are gone — deleted with the Job or by its TTL; their logs went with them`;
}

/** A Writable that hands complete lines to `line` (the rest when it ends): for line-based output. */
export function lineWriter(line: (text: string) => void): Writable {
  let partial = '';
  const decoder = new TextDecoder();
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) line(l);
      callback();
    },
    final(callback) {
      if (partial) line(partial);
      partial = '';
      callback();
    },
  });
}
