// What the plugin shows, as pure data computed from Pipelines and Jobs: the list's columns, the
// DAG's nodes coloured by the latest run, the stage table, which actions a SelfSubjectAccessReview
// allows, and the map's nodes and edges. The rules and words are the Console's own
// (src/console/ui/model), so the two read alike; nothing here touches React or Headlamp.
import type { Pipeline } from '../../../src/api/types.ts';
import { ANN_PIPELINE_NAME, LABEL_PIPELINE } from '../../../src/api/labels.ts';
import { buttonsFor, type ActionButton } from '../../../src/console/ui/model/actions.ts';
import { parseProgress, pipelineGraph, pipelinePhase } from '../../../src/console/ui/model/graph.ts';
import { groupPhase, phaseCounts, type StageGroup } from '../../../src/console/ui/model/grouping.ts';
import { computeLayout, type LayoutResult } from '../../../src/console/ui/model/layout.ts';
import { phaseColour, phaseSymbol, phaseTextColour } from '../../../src/console/ui/model/phases.ts';
import { isActive, phaseIn, runsOf, type RunView } from '../../../src/console/ui/model/runs.ts';
import { relative, utcTime } from '../../../src/console/ui/shared/time.ts';

export type { Pipeline };

/** One row of the Pipelines list. */
export type PipelineRow = {
  name: string;
  namespace: string;
  phase: string;
  /** "✔ Succeeded": the Console's symbol and word. */
  phaseLabel: string;
  /** "3/5 (60%)" or "—". */
  progress: string;
  /** "g1 · 5m ago" (the outcome is lastRunPhase) or "—". */
  lastRun: string;
  lastRunPhase?: string;
  /** "in 4m" (with the UTC time), "suspended", or "—" without a schedule. */
  nextRun: string;
};

const NONE = '—';

function progressWords(p: Pipeline): string {
  const progress = parseProgress(p.status?.progress);
  return progress ? `${progress.done}/${progress.total} (${progress.percent}%)` : NONE;
}

function lastRunWords(p: Pipeline, now: number): string {
  const run = p.status?.lastRun;
  if (!run) return NONE;
  const at = run.completionTime ?? run.startTime;
  return `${run.id}${at ? ` · ${relative(at, now)}` : ''}`;
}

function nextRunWords(p: Pipeline, now: number): string {
  if (!p.spec.schedule) return NONE;
  if (p.spec.suspend) return 'suspended';
  const next = p.status?.nextScheduleTime;
  return next ? `${relative(next, now)} (${utcTime(next)})` : NONE;
}

export function pipelineRow(p: Pipeline, now: number): PipelineRow {
  const phase = pipelinePhase(p);
  return {
    name: p.metadata.name ?? '',
    namespace: p.metadata.namespace ?? '',
    phase,
    phaseLabel: `${phaseSymbol(phase)} ${phase}`,
    progress: progressWords(p),
    lastRun: lastRunWords(p, now),
    lastRunPhase: p.status?.lastRun?.phase,
    nextRun: nextRunWords(p, now),
  };
}

/** The latest run as the Console sees it (status.lastRun first), or undefined before any run. */
export function latestRun(p: Pipeline): RunView | undefined {
  return runsOf(p, [])[0];
}

export type DagNode = LayoutResult['nodes'][number] & { phase: string; fill: string; text: string; label: string };
export type Dag = { nodes: DagNode[]; edges: LayoutResult['edges']; width: number; height: number };

/** The DAG's geometry, as the Console lays it out (dagre, left to right); depends on the spec only. */
export function dagLayout(p: Pipeline): DagGeometry {
  const { req, groups } = pipelineGraph(p);
  return { layout: computeLayout(req), groups };
}
export type DagGeometry = { layout: LayoutResult; groups: StageGroup[] };

/** The laid-out DAG with each node coloured by its phase in the latest run (a group by its members'). */
export function colourDag(p: Pipeline, geometry: DagGeometry): Dag {
  const run = latestRun(p);
  const groups = new Map(geometry.groups.map((g) => [g.id, g]));
  const nodes = geometry.layout.nodes.map((n) => {
    const group = groups.get(n.id);
    const phase = group ? groupPhase(phaseCounts(group.members, (s) => phaseIn(run, s))) : phaseIn(run, n.id);
    return { ...n, phase, fill: phaseColour(phase), text: phaseTextColour(phase), label: group?.label ?? n.id };
  });
  return { nodes, edges: geometry.layout.edges, width: geometry.layout.width, height: geometry.layout.height };
}

export function pipelineDag(p: Pipeline): Dag {
  return colourDag(p, dagLayout(p));
}

/** One row of the stage table: every stage of the spec (then onFailure), in the latest run. */
export type StageRow = {
  stage: string;
  phase: string;
  attempts: string;
  started: string;
  finished: string;
  message: string;
};

function stageRow(name: string, run: RunView | undefined): StageRow {
  const s = run?.stages.get(name);
  const reason = s?.reason && s.reason !== s.message ? `${s.reason}: ` : '';
  return {
    stage: name,
    phase: phaseIn(run, name),
    attempts: s?.attempts !== undefined ? String(s.attempts) : NONE,
    started: utcTime(s?.startTime) || NONE,
    finished: utcTime(s?.completionTime) || NONE,
    message: s?.message ? `${reason}${s.message}` : (s?.reason ?? ''),
  };
}

export function stageRows(p: Pipeline): StageRow[] {
  const run = latestRun(p);
  const names = [...p.spec.stages.map((s) => s.name), ...(p.spec.onFailure ?? []).map((s) => s.name)];
  return names.map((name) => stageRow(name, run));
}

/** The SelfSubjectAccessReview every action needs: patch on pipelines.conveyor.dev in the namespace. */
export function actionAccessReview(namespace: string) {
  return {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { namespace, verb: 'patch', group: 'conveyor.dev', resource: 'pipelines' } },
  };
}

/** Whether an answered review allows the request (anything unreadable is a no). */
export function reviewAllows(review: unknown): boolean {
  return (review as { status?: { allowed?: unknown } } | undefined)?.status?.allowed === true;
}

/** The plugin's actions: run, retry, cancel. */
export type PluginAction = 'run' | 'retry' | 'cancel';
const PLUGIN_ACTIONS = new Set<string>(['run', 'retry', 'cancel']);

/**
 * The buttons to show: none unless the review allowed patching; else the Console's run / retry /
 * cancel buttons for the latest run (retry about the latest run, cancel about the active one).
 */
export function actionButtons(p: Pipeline, allowed: boolean): (ActionButton & { action: PluginAction })[] {
  if (!allowed) return [];
  const run = latestRun(p);
  const active = isActive(run) ? run : undefined;
  return buttonsFor(p, run, active).filter((b): b is ActionButton & { action: PluginAction } =>
    PLUGIN_ACTIONS.has(b.action),
  );
}

/** The Kubernetes objects the map links, reduced to what the links need. */
export type MapObject = {
  metadata: {
    uid?: string;
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};
export type MapEdge = { id: string; source: string; target: string };

/**
 * The Pipeline a Job belongs to: its full name (annotation conveyor.dev/pipeline-name) where set,
 * else the label conveyor.dev/pipeline (the name when it fits a label value).
 */
export function pipelineOfJob(job: MapObject): string | undefined {
  return job.metadata.annotations?.[ANN_PIPELINE_NAME] ?? job.metadata.labels?.[LABEL_PIPELINE];
}

/** Edges Pipeline → Job for every Job of a Pipeline in the same namespace; ids are uids. */
export function mapEdges(pipelines: MapObject[], jobs: MapObject[]): MapEdge[] {
  const byName = new Map(pipelines.map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p.metadata.uid]));
  const edges: MapEdge[] = [];
  for (const job of jobs) {
    const owner = byName.get(`${job.metadata.namespace}/${pipelineOfJob(job)}`);
    if (owner && job.metadata.uid)
      edges.push({ id: `${owner}-${job.metadata.uid}`, source: owner, target: job.metadata.uid });
  }
  return edges;
}

/** The Jobs a map shows next to the Pipelines: those linked to one of them. */
export function linkedJobs<T extends MapObject>(pipelines: MapObject[], jobs: T[]): T[] {
  const linked = new Set(mapEdges(pipelines, jobs).map((e) => e.target));
  return jobs.filter((j) => j.metadata.uid !== undefined && linked.has(j.metadata.uid));
}
