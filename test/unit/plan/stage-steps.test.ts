// Each step of advancing a run (src/plan/run/stage-steps.ts) on its own, over a RunView built by
// hand: precedence of evidence and memory, the decision for open stages, the deadline and the
// clean-up of Jobs. The planner tables (planner.test.ts) cover the same rules end to end; these
// pin down which step makes each decision, so a step that goes wrong fails here by name.
import { describe, expect, it } from 'vitest';
import type { V1Job } from '@kubernetes/client-node';
import type { StageStatus } from '../../../src/api/types.ts';
import { ANN_PRIOR_ATTEMPTS } from '../../../src/api/labels.ts';
import { jobName } from '../../../src/plan/names.ts';
import { indexStageJobs } from '../../../src/plan/observed.ts';
import {
  createStageJob,
  deadlineDeletes,
  decideOpenStages,
  newEffects,
  recallStage,
  stopAtDeadline,
  unusedSuspendedJobs,
  type Effects,
  type RunView,
} from '../../../src/plan/run/stage-steps.ts';
import type { Action } from '../../../src/plan/types.ts';
import { iso } from '../../../src/plan/time.ts';
import { T0, at, diamond, job, pipeline, stage, type JobState } from './fixtures.ts';

// a → b, c → d, and an onFailure stage `notify`.
const P = pipeline({ stages: diamond(), onFailure: [{ name: 'notify', image: 'busybox' }] });
const NOW = at(30);
const ownJob = (stageName: string, runId = 'g1') => jobName('etl', stageName, runId);

type ViewOverrides = Omit<Partial<RunView>, 'jobs' | 'allJobs' | 'memory' | 'kept'> & {
  /** The run's Jobs: indexed by stage the way runView does it. */
  jobs?: V1Job[];
  memory?: StageStatus[];
  kept?: StageStatus[];
};

/** A RunView of run g1 of `P` at NOW, with no evidence and no memory unless overridden. */
function view(overrides: ViewOverrides = {}): RunView {
  const { jobs = [], memory = [], kept = [], ...rest } = overrides;
  return {
    pipeline: P,
    runId: 'g1',
    trigger: 'create',
    generation: 1,
    jobs: indexStageJobs(jobs),
    allJobs: jobs,
    memory: new Map(memory.map((s) => [s.name, s])),
    kept: new Map(kept.map((s) => [s.name, s])),
    startTime: iso(T0),
    rejections: new Map(),
    pendingJobs: new Set(),
    now: NOW,
    ...rest,
  };
}

const stageJob = (name: string, state: JobState, role: 'stage' | 'on-failure' = 'stage') =>
  job(P, name, 'g1', state, { role });

/** A CronJob's Job for stage `name` that nobody has started: suspended, no run label yet. */
function suspendedJob(name: string, jobNameOverride = `cron-${name}-29000000`): V1Job {
  const j = job(P, name, 'g1', { state: 'pending' });
  j.metadata = { ...j.metadata, name: jobNameOverride };
  j.spec = { template: {}, ...j.spec, suspend: true };
  return j;
}

function deleting(j: V1Job): V1Job {
  return { ...j, metadata: { ...j.metadata, deletionTimestamp: at(20) } };
}

const actionKinds = (effects: Effects) => effects.actions.map((a) => a.kind);
const createdJob = (actions: Action[]): V1Job | undefined =>
  actions.flatMap((a) => (a.kind === 'createJob' ? [a.job] : []))[0];
const deleted = (actions: Action[]) => actions.flatMap((a) => (a.kind === 'deleteJob' ? [a.name] : []));

describe('recallStage: what is already known about a stage', () => {
  const running: StageStatus = { name: 'a', phase: 'Running', job: ownJob('a'), attempts: 1, startTime: iso(T0) };
  const succeeded: StageStatus = {
    name: 'a',
    phase: 'Succeeded',
    job: ownJob('a'),
    attempts: 1,
    completionTime: iso(at(10)),
  };
  const keptA: StageStatus = {
    name: 'a',
    phase: 'Succeeded',
    job: ownJob('a', 'g0'),
    reason: 'FromRun',
    message: 'succeeded in run g0',
  };

  it.each<{
    name: string;
    v: ViewOverrides;
    role?: 'stage' | 'on-failure';
    stage?: string;
    want: Partial<StageStatus> | undefined;
  }>([
    { name: 'nothing known', v: {}, want: undefined },
    {
      name: 'a running Job',
      v: { jobs: [stageJob('a', { state: 'running' })] },
      want: { phase: 'Running', job: ownJob('a'), attempts: 1 },
    },
    {
      name: 'a terminal Job beats memory that says Running',
      v: { jobs: [stageJob('a', { state: 'failed', reason: 'DeadlineExceeded' })], memory: [running] },
      want: { phase: 'Failed', reason: 'DeadlineExceeded', job: ownJob('a') },
    },
    {
      name: "a terminal Job beats a retry's kept stage (this run's own record)",
      v: { jobs: [stageJob('a', { state: 'failed' })], kept: [keptA] },
      want: { phase: 'Failed', job: ownJob('a') },
    },
    {
      name: 'a terminal Job beats terminal memory (a Job that finished as the deadline stopped it)',
      v: {
        jobs: [stageJob('a', { state: 'succeeded' })],
        memory: [{ ...running, phase: 'Failed', reason: 'RunDeadlineExceeded' }],
      },
      want: { phase: 'Succeeded', job: ownJob('a') },
    },
    {
      name: 'terminal memory beats a Job that still looks running (stale cache)',
      v: { jobs: [stageJob('a', { state: 'running' })], memory: [succeeded] },
      want: succeeded,
    },
    { name: "a retry's kept stage (no Job of its own)", v: { kept: [keptA] }, want: keptA },
    {
      name: "a retry's kept stage beats a running Job",
      v: { kept: [keptA], jobs: [stageJob('a', { state: 'running' })] },
      want: keptA,
    },
    { name: 'a suspended Job says nothing yet (step 3 starts it)', v: { jobs: [suspendedJob('a')] }, want: undefined },
    {
      name: 'memory Pending without a Job: still open',
      v: { memory: [{ name: 'a', phase: 'Pending' }] },
      want: undefined,
    },
    {
      name: 'a Job the API server refused: Failed JobRejected with its message',
      v: { rejections: new Map([[ownJob('a'), 'spec.template: Invalid value']]) },
      want: {
        phase: 'Failed',
        reason: 'JobRejected',
        message: 'spec.template: Invalid value',
        job: ownJob('a'),
        attempts: 1,
        startTime: iso(NOW),
        completionTime: iso(NOW),
      },
    },
    {
      name: 'a refusal of another name (another run) does not count',
      v: { rejections: new Map([[ownJob('a', 'g2'), 'refused']]) },
      want: undefined,
    },
    {
      name: 'memory Running, Job missing but just created (pending): still Running',
      v: { memory: [running], pendingJobs: new Set([ownJob('a')]) },
      want: running,
    },
    {
      name: 'onFailure: its Job is read with its role',
      v: { jobs: [stageJob('notify', { state: 'succeeded' }, 'on-failure')] },
      role: 'on-failure',
      stage: 'notify',
      want: { phase: 'Succeeded' },
    },
    {
      name: 'onFailure: a DAG-stage Job of the same name is not its evidence',
      v: { jobs: [stageJob('notify', { state: 'succeeded' })] },
      role: 'on-failure',
      stage: 'notify',
      want: undefined,
    },
    {
      name: 'onFailure: kept stages are for DAG stages only',
      v: { kept: [{ ...keptA, name: 'notify' }] },
      role: 'on-failure',
      stage: 'notify',
      want: undefined,
    },
  ])('$name', ({ v, role = 'stage', stage: name = 'a', want }) => {
    const effects = newEffects();
    const got = recallStage(view(v), role, name, effects);
    if (want === undefined) expect(got).toBeUndefined();
    else expect(got).toMatchObject({ name, ...want });
    expect(effects.actions).toEqual([]);
    expect(effects.events).toEqual([]);
  });

  it.each<{ name: string; role: 'stage' | 'on-failure'; stage: string; remembered: StageStatus }>([
    {
      name: 'a DAG stage',
      role: 'stage',
      stage: 'b',
      remembered: { name: 'b', phase: 'Running', job: ownJob('b'), attempts: 2, startTime: iso(at(5)) },
    },
    {
      name: 'an onFailure stage',
      role: 'on-failure',
      stage: 'notify',
      remembered: { name: 'notify', phase: 'Running', job: ownJob('notify'), attempts: 2, startTime: iso(at(5)) },
    },
  ])(
    'memory Running, Job deleted by hand ($name): created again under a new name, attempts counted, said',
    ({ role, stage: name, remembered }) => {
      const effects = newEffects();
      const got = recallStage(view({ memory: [remembered] }), role, name, effects);

      const created = createdJob(effects.actions);
      expect(actionKinds(effects)).toEqual(['createJob']);
      expect(created?.metadata?.name).toBe(`${ownJob(name)}-x2`);
      expect(created?.metadata?.annotations?.[ANN_PRIOR_ATTEMPTS]).toBe('2');
      expect(created?.metadata?.labels?.['conveyor.dev/role']).toBe(role);
      expect(got).toEqual({ name, phase: 'Running', job: `${ownJob(name)}-x2`, attempts: 3, startTime: iso(at(5)) });
      expect(effects.events).toEqual([
        {
          type: 'Warning',
          reason: 'StageJobDeleted',
          message: `run g1: Job ${ownJob(name)} of stage "${name}" was deleted while it ran; created it again (attempt 3)`,
        },
      ]);
    },
  );

  it('a second deletion names the Job after the attempts made so far, not after the first name', () => {
    const remembered: StageStatus = { name: 'a', phase: 'Running', job: `${ownJob('a')}-x1`, attempts: 3 };
    const effects = newEffects();
    recallStage(view({ memory: [remembered] }), 'stage', 'a', effects);
    expect(createdJob(effects.actions)?.metadata?.name).toBe(`${ownJob('a')}-x3`);
    expect(effects.events[0]?.message).toContain(`Job ${ownJob('a')}-x1 of stage "a"`);
  });
});

describe('createStageJob', () => {
  it.each([
    {
      name: 'a first attempt: its own name, no prior attempts',
      prior: 0,
      jobName: ownJob('a'),
      attempts: 1,
      annotation: undefined,
    },
    { name: 'after 2 deleted attempts', prior: 2, jobName: `${ownJob('a')}-x2`, attempts: 3, annotation: '2' },
  ])('$name', ({ prior, jobName: wanted, attempts, annotation }) => {
    const effects = newEffects();
    const got = createStageJob(view(), stage('a'), 'stage', effects, prior);
    const created = createdJob(effects.actions);
    expect(got).toEqual({ name: 'a', phase: 'Running', job: wanted, attempts });
    expect(created?.metadata?.name).toBe(wanted);
    expect(created?.metadata?.annotations?.[ANN_PRIOR_ATTEMPTS]).toBe(annotation);
  });

  it("stamps the run's start, retry target and staging claim on the Job", () => {
    const effects = newEffects();
    createStageJob(
      view({ retryOf: 'g0', stagingClaim: 'etl-g1-staging', trigger: 'retry' }),
      stage('a'),
      'stage',
      effects,
    );
    const created = createdJob(effects.actions);
    expect(created?.metadata?.annotations).toMatchObject({
      'conveyor.dev/retry-of': 'g0',
      'conveyor.dev/trigger': 'retry',
      'conveyor.dev/run-start-time': iso(T0),
    });
    expect(created?.spec?.template.spec?.volumes?.[0]?.persistentVolumeClaim?.claimName).toBe('etl-g1-staging');
  });
});

describe('stopAtDeadline', () => {
  it('fails every open stage, saying why and when; terminal stages keep their outcome', () => {
    const done: StageStatus = { name: 'a', phase: 'Succeeded', completionTime: iso(at(5)) };
    const skipped: StageStatus = { name: 'x', phase: 'Skipped', reason: 'UpstreamFailed' };
    const status = new Map<string, StageStatus>([
      ['a', done],
      ['b', { name: 'b', phase: 'Running', job: ownJob('b'), attempts: 1 }],
      ['c', { name: 'c', phase: 'Pending' }],
      ['x', skipped],
    ]);
    stopAtDeadline(status, 20, NOW);
    const stopped = {
      phase: 'Failed',
      reason: 'RunDeadlineExceeded',
      message: 'run exceeded activeDeadlineSeconds (20s)',
      completionTime: iso(NOW),
    };
    expect(status.get('a')).toEqual(done);
    expect(status.get('x')).toEqual(skipped);
    expect(status.get('b')).toEqual({ name: 'b', job: ownJob('b'), attempts: 1, ...stopped });
    expect(status.get('c')).toEqual({ name: 'c', ...stopped });
  });
});

describe('decideOpenStages: open stages in dependency order', () => {
  const ok = (name: string): StageStatus => ({ name, phase: 'Succeeded' });
  const failed = (name: string): StageStatus => ({ name, phase: 'Failed', reason: 'BackoffLimitExceeded' });
  const rule = (over: Partial<{ deadlinePassed: boolean; stopAll: boolean; anyFailed: boolean }> = {}) => ({
    deadlinePassed: false,
    stopAll: true,
    anyFailed: false,
    ...over,
  });
  // Two roots: `a` fails, `b` is independent of it, `c` depends on `a`.
  const forked = pipeline({ stages: [stage('a'), stage('b'), stage('c', ['a'])] });

  type Row = {
    name: string;
    v?: ViewOverrides;
    known: StageStatus[];
    rule?: ReturnType<typeof rule>;
    want: Record<string, Partial<StageStatus>>;
    actions: string[];
    awaiting?: boolean;
  };
  it.each<Row>([
    {
      name: 'upstream failed: dependants skipped, naming the stages that did not succeed',
      known: [failed('a')],
      rule: rule({ anyFailed: true }),
      want: {
        b: { phase: 'Skipped', reason: 'UpstreamFailed', message: 'upstream stage "a" did not succeed' },
        c: { phase: 'Skipped', reason: 'UpstreamFailed' },
        d: { phase: 'Skipped', reason: 'UpstreamFailed', message: 'upstream stage "b", "c" did not succeed' },
      },
      actions: [],
    },
    {
      name: 'deadline passed: stages that could start are skipped; their dependants by upstream',
      known: [ok('a')],
      rule: rule({ deadlinePassed: true }),
      want: {
        b: { phase: 'Skipped', reason: 'RunDeadlineExceeded', message: 'run deadline passed before it could start' },
        c: { phase: 'Skipped', reason: 'RunDeadlineExceeded' },
        d: { phase: 'Skipped', reason: 'UpstreamFailed' },
      },
      actions: [],
    },
    {
      name: 'StopAll after a failure: an independent stage does not start',
      v: { pipeline: forked },
      known: [failed('a')],
      rule: rule({ anyFailed: true }),
      want: {
        b: { phase: 'Skipped', reason: 'RunFailed', message: 'run stopped after a stage failed' },
        c: { phase: 'Skipped', reason: 'UpstreamFailed' },
      },
      actions: [],
    },
    {
      name: 'ContinueIndependent: the independent branch starts, the failed one is skipped',
      v: { pipeline: forked },
      known: [failed('a')],
      rule: rule({ stopAll: false, anyFailed: true }),
      want: {
        b: { phase: 'Running', job: jobName('etl', 'b', 'g1') },
        c: { phase: 'Skipped', reason: 'UpstreamFailed' },
      },
      actions: ['createJob'],
    },
    {
      name: 'dependencies not done: Pending, nothing created',
      known: [{ name: 'a', phase: 'Running', job: ownJob('a') }],
      want: { b: { phase: 'Pending' }, c: { phase: 'Pending' }, d: { phase: 'Pending' } },
      actions: [],
    },
    {
      name: 'all dependencies succeeded: each ready stage gets its Job',
      known: [ok('a')],
      want: {
        b: { phase: 'Running', job: ownJob('b'), attempts: 1 },
        c: { phase: 'Running', job: ownJob('c') },
        d: { phase: 'Pending' },
      },
      actions: ['createJob', 'createJob'],
    },
    {
      name: "a root of a tick waits for its CronJob's Job within the grace",
      v: { awaitRootsUntil: at(60) },
      known: [],
      want: {
        a: { phase: 'Pending', message: 'waiting for its CronJob to create the Job of this run' },
        b: { phase: 'Pending' },
      },
      actions: [],
      awaiting: true,
    },
    {
      name: 'after the grace Conveyor creates the root itself',
      v: { awaitRootsUntil: at(60), now: at(60) },
      known: [],
      want: { a: { phase: 'Running', job: ownJob('a') } },
      actions: ['createJob'],
    },
    {
      name: 'the grace holds roots only',
      v: { awaitRootsUntil: at(60) },
      known: [ok('a')],
      want: { b: { phase: 'Running' }, c: { phase: 'Running' } },
      actions: ['createJob', 'createJob'],
    },
    {
      name: "a CronJob's suspended Job is started in place",
      v: { jobs: [suspendedJob('a')], awaitRootsUntil: at(60) },
      known: [],
      want: { a: { phase: 'Running', job: 'cron-a-29000000', attempts: 1 } },
      actions: ['startJob'],
    },
    {
      name: 'with a per-run staging claim the suspended Job is not started: a Job is created',
      v: { jobs: [suspendedJob('a')], stagingClaim: 'etl-g1-staging' },
      known: [],
      want: { a: { phase: 'Running', job: ownJob('a') } },
      actions: ['createJob'],
    },
    {
      name: 'a suspended Job being deleted is not started',
      v: { jobs: [deleting(suspendedJob('a'))] },
      known: [],
      want: { a: { phase: 'Running', job: ownJob('a') } },
      actions: ['createJob'],
    },
    {
      name: 'memory names a Job of its own: a later suspended Job is not started instead',
      v: { jobs: [suspendedJob('a')], memory: [{ name: 'a', phase: 'Pending', job: ownJob('a') }] },
      known: [],
      want: { a: { phase: 'Running', job: ownJob('a') } },
      actions: ['createJob'],
    },
  ])('$name', ({ v = {}, known, rule: r = rule(), want, actions, awaiting = false }) => {
    const effects = newEffects();
    const status = new Map(known.map((s) => [s.name, s]));
    decideOpenStages(view(v), status, r, effects);
    for (const [name, expected] of Object.entries(want))
      expect(status.get(name), name).toMatchObject({ name, ...expected });
    expect(actionKinds(effects)).toEqual(actions);
    expect(effects.awaiting).toBe(awaiting);
    for (const s of known) expect(status.get(s.name)).toBe(s); // decided stages are left alone
  });

  it('starting a suspended Job records its name and patches in the run', () => {
    const effects = newEffects();
    decideOpenStages(view({ jobs: [suspendedJob('a')], trigger: 'schedule', runId: 's1' }), new Map(), rule(), effects);
    expect([...effects.starting]).toEqual(['cron-a-29000000']);
    expect(effects.actions[0]).toMatchObject({
      kind: 'startJob',
      name: 'cron-a-29000000',
      runId: 's1',
      patch: {
        metadata: { labels: { 'conveyor.dev/run': 's1' }, annotations: { 'conveyor.dev/trigger': 'schedule' } },
        spec: { suspend: false },
      },
    });
  });
});

describe('deadlineDeletes: only Jobs the deadline stopped', () => {
  const stoppedA: StageStatus = { name: 'a', phase: 'Failed', reason: 'RunDeadlineExceeded', job: ownJob('a') };
  it.each<{ name: string; stage: StageStatus; jobs: V1Job[]; want: string[] }>([
    {
      name: 'an unfinished Job of a stopped stage is deleted',
      stage: stoppedA,
      jobs: [stageJob('a', { state: 'running' })],
      want: [ownJob('a')],
    },
    {
      name: 'a stopped stage whose Job has not started a pod yet',
      stage: stoppedA,
      jobs: [stageJob('a', { state: 'pending' })],
      want: [ownJob('a')],
    },
    { name: 'a finished Job is left', stage: stoppedA, jobs: [stageJob('a', { state: 'failed' })], want: [] },
    {
      name: 'a Job already being deleted is left',
      stage: stoppedA,
      jobs: [deleting(stageJob('a', { state: 'running' }))],
      want: [],
    },
    {
      name: 'a suspended Job is left (unusedSuspendedJobs deletes it)',
      stage: stoppedA,
      jobs: [suspendedJob('a')],
      want: [],
    },
    {
      name: 'a stage that failed on its own is left',
      stage: { ...stoppedA, reason: 'BackoffLimitExceeded' },
      jobs: [stageJob('a', { state: 'running' })],
      want: [],
    },
    {
      name: 'a running-looking Job next to a remembered success is a stale cache, left',
      stage: { name: 'a', phase: 'Succeeded', job: ownJob('a') },
      jobs: [stageJob('a', { state: 'running' })],
      want: [],
    },
    { name: 'a stopped stage without a Job', stage: stoppedA, jobs: [], want: [] },
  ])('$name', ({ stage: s, jobs, want }) => {
    const actions = deadlineDeletes(view({ jobs }), [s], 20);
    expect(deleted(actions)).toEqual(want);
    for (const a of actions) expect(a).toMatchObject({ reason: 'run deadline exceeded (activeDeadlineSeconds=20)' });
  });
});

describe("unusedSuspendedJobs: a CronJob's Job that will never start", () => {
  const pending = (name: string): StageStatus => ({ name, phase: 'Pending' });
  it.each<{
    name: string;
    jobs: V1Job[];
    stages: StageStatus[];
    starting?: string[];
    want: Array<{ name: string; reason: string }>;
  }>([
    {
      name: 'its stage already has another Job',
      jobs: [suspendedJob('a')],
      stages: [{ name: 'a', phase: 'Running', job: ownJob('a') }],
      want: [{ name: 'cron-a-29000000', reason: `run g1: stage "a" already has Job ${ownJob('a')}` }],
    },
    {
      name: 'its stage does not run in this run',
      jobs: [suspendedJob('a')],
      stages: [{ name: 'a', phase: 'Skipped', reason: 'RunDeadlineExceeded' }],
      want: [{ name: 'cron-a-29000000', reason: 'run g1: stage "a" does not run in this run (Skipped)' }],
    },
    {
      name: 'its stage is no longer in the spec',
      jobs: [suspendedJob('gone')],
      stages: [pending('a')],
      want: [{ name: 'cron-gone-29000000', reason: 'run g1: not a stage of this pipeline any more' }],
    },
    {
      name: 'its stage still waits for its dependencies: kept',
      jobs: [suspendedJob('a')],
      stages: [pending('a')],
      want: [],
    },
    {
      name: 'it is being started now: kept',
      jobs: [suspendedJob('a')],
      stages: [{ name: 'a', phase: 'Running', job: 'cron-a-29000000' }],
      starting: ['cron-a-29000000'],
      want: [],
    },
    {
      name: 'it is already being deleted',
      jobs: [deleting(suspendedJob('a'))],
      stages: [{ name: 'a', phase: 'Running', job: ownJob('a') }],
      want: [],
    },
    {
      name: 'a started Job is not its business',
      jobs: [stageJob('a', { state: 'running' })],
      stages: [{ name: 'a', phase: 'Skipped' }],
      want: [],
    },
  ])('$name', ({ jobs, stages, starting = [], want }) => {
    const actions = unusedSuspendedJobs(view({ jobs }), stages, new Set(starting));
    expect(actions).toEqual(want.map((w) => ({ kind: 'deleteJob', ...w })));
  });
});
