// Records every Job that appears in a namespace, through a watch that runs for the whole test,
// so a test can tell a Job created once from one deleted and created again under the same name
// (same name, another uid), which a final list cannot show.
import * as k8s from '@kubernetes/client-node';
import type { Clients } from './kube.ts';

export interface JobRecord {
  /** Distinct uids seen under this name, in the order they appeared. */
  uids: string[];
  /** ADDED events received for this name. */
  added: number;
  /** DELETED events received for this name. */
  deleted: number;
  /** Seen with condition Complete=True. */
  complete: boolean;
}

export interface JobRecorder {
  /** Per Job name. */
  readonly jobs: ReadonlyMap<string, JobRecord>;
  /** Jobs seen so far, plus those of them seen Complete: how far a batch of Jobs has come. */
  readonly progress: () => number;
  /** How often the watch ended and was resumed from the last resourceVersion. */
  readonly resumes: () => number;
  /** How often the resourceVersion had expired and the Jobs were listed again: events may have been missed then. */
  readonly relists: () => number;
  stop: () => void;
}

/**
 * Lists the namespace's Jobs (normally none yet), then watches from that list's resourceVersion
 * until stop(). A watch that ends is resumed; an expired resourceVersion (410) relists, and the
 * listed uids are merged in (counted in relists(), as a Job created and deleted in between would
 * not be seen).
 */
export async function recordJobs(c: Clients, namespace: string): Promise<JobRecorder> {
  const jobs = new Map<string, JobRecord>();
  let resourceVersion = '';
  let resumes = 0;
  let relists = 0;
  let stopped = false;
  let expired = false;
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;

  const record = (job: k8s.V1Job): JobRecord => {
    const name = job.metadata!.name!;
    const uid = job.metadata!.uid!;
    let r = jobs.get(name);
    if (!r) jobs.set(name, (r = { uids: [], added: 0, deleted: 0, complete: false }));
    if (!r.uids.includes(uid)) r.uids.push(uid);
    if ((job.status?.conditions ?? []).some((x) => x.type === 'Complete' && x.status === 'True')) r.complete = true;
    return r;
  };
  const list = async (): Promise<void> => {
    const l = await c.batch.listNamespacedJob({ namespace });
    for (const j of l.items) record(j);
    resourceVersion = l.metadata?.resourceVersion ?? '';
  };
  const path = `/apis/batch/v1/namespaces/${namespace}/jobs`;
  const watch = async (): Promise<void> => {
    abort = await new k8s.Watch(c.kc).watch(
      path,
      { resourceVersion, allowWatchBookmarks: true },
      (type: string, obj: k8s.V1Job & { code?: number }) => {
        if (type === 'ERROR') {
          if (obj.code === 410) expired = true;
          return;
        }
        const rv = obj.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        const r = record(obj);
        if (type === 'ADDED') r.added++;
        if (type === 'DELETED') r.deleted++;
      },
      (err: unknown) => {
        if (stopped) return;
        if ((err as { statusCode?: number } | null)?.statusCode === 410) expired = true;
        timer = setTimeout(() => void resume(), 200);
      },
    );
  };
  const resume = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (expired) {
        expired = false;
        relists++;
        await list();
      } else {
        resumes++;
      }
      await watch();
    } catch {
      if (!stopped) timer = setTimeout(() => void resume(), 500);
    }
  };

  await list();
  await watch();
  return {
    jobs,
    progress: () => [...jobs.values()].reduce((n, r) => n + 1 + (r.complete ? 1 : 0), 0),
    resumes: () => resumes,
    relists: () => relists,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      abort?.abort();
    },
  };
}
