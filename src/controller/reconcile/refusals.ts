// Objects the API server refused to create for a Pipeline, remembered as facts for its next plans
// (never as fabricated Jobs, which the planner would then try to delete). A Job refusal fails its
// stage; once status records that failure, the memory has done its job and is dropped. A CronJob
// refusal makes the Pipeline Stalled; it is forgotten after a while so the apply is tried again
// (the object in the way may have been removed).
import type { PipelineStatus } from '../../api/types.ts';

export const CRONJOB_REFUSAL_TTL_MS = 60_000;

type Refusal = { message: string; at: number };
type PipelineRefusals = { jobs: Map<string, Refusal>; cronJobs: Map<string, Refusal> };

export class Refusals {
  private readonly byPipeline = new Map<string, PipelineRefusals>();

  refuseJob(pipeline: string, jobName: string, message: string, at: number): void {
    this.entry(pipeline).jobs.set(jobName, { message, at });
  }

  refuseCronJob(pipeline: string, cronJobName: string, message: string, at: number): void {
    this.entry(pipeline).cronJobs.set(cronJobName, { message, at });
  }

  /** Job name → the server's message, for the planner. */
  jobs(pipeline: string | undefined): Map<string, string> {
    const found = pipeline ? this.byPipeline.get(pipeline) : undefined;
    return new Map([...(found?.jobs ?? new Map<string, Refusal>())].map(([name, r]) => [name, r.message]));
  }

  /** CronJob refusals still in force at `now` (older ones are dropped: apply again). */
  cronJobs(pipeline: string | undefined, now: number): Map<string, string> {
    const found = pipeline ? this.byPipeline.get(pipeline) : undefined;
    if (!found) return new Map();
    for (const [name, r] of found.cronJobs) if (now - r.at >= CRONJOB_REFUSAL_TTL_MS) found.cronJobs.delete(name);
    return new Map([...found.cronJobs].map(([name, r]) => [name, r.message]));
  }

  /** After a status write: Job refusals that status now records as failed stages are dropped. */
  settle(pipeline: string | undefined, status: PipelineStatus): void {
    const found = pipeline ? this.byPipeline.get(pipeline) : undefined;
    if (!found || found.jobs.size === 0) return;
    const runs = [...(status.lastRun ? [status.lastRun] : []), ...(status.runs ?? [])];
    for (const stage of runs.flatMap((r) => r.stages ?? [])) {
      if (stage.job && stage.phase === 'Failed') found.jobs.delete(stage.job);
    }
    if (found.jobs.size === 0 && found.cronJobs.size === 0) this.byPipeline.delete(pipeline ?? '');
  }

  /** Whether anything is remembered for `pipeline`. */
  holds(pipeline: string): boolean {
    return this.byPipeline.has(pipeline);
  }

  forget(pipeline: string | undefined): void {
    if (pipeline) this.byPipeline.delete(pipeline);
  }

  private entry(uid: string): PipelineRefusals {
    let found = this.byPipeline.get(uid);
    if (!found) this.byPipeline.set(uid, (found = { jobs: new Map(), cronJobs: new Map() }));
    return found;
  }
}
