// validatePipeline: everything Conveyor can say about a Pipeline document without a cluster.
// Used by `conveyor validate` and by the operator (an invalid spec → phase Invalid, Stalled=True).
//   0. the size: a document over 1.5 MiB as JSON cannot be stored at all (size.ts);
//   1. the schema (ajv, strict: unknown fields are errors, as with kubectl's strict validation);
//   2. list types (no repeats in dependsOn, ...), as the API server checks them;
//   3. the CEL rules the API server runs, in their TypeScript twins (rules.ts);
//   4. what only code can check: dependency cycles, the cron grammar of a CronJob, time zones,
//      `$(params.x)`/`$(run.x)` references and param defaults within their enum (param-refs.ts),
//      datasets' OpenLineage facets (datasets.ts).
import { MAX_STAGES } from './constants.ts';
import { scheduleProblem } from './cron.ts';
import { datasetProblems } from './datasets.ts';
import { describeCycle, findCycles, type StageRef } from './graph.ts';
import { listTypeProblems } from './list-types.ts';
import { formatPath } from './path.ts';
import type { ValidationProblem } from './problem.ts';
import { paramProblems } from './param-refs.ts';
import { passesScheduleRules, ruleProblems } from './rules.ts';
import { checkSchema } from './schema-check.ts';
import { sizeProblems } from './size.ts';
import { timeZoneProblem } from './timezone.ts';

export type { ValidationProblem } from './problem.ts';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** All problems of `doc`; an empty list means the API server and Conveyor will accept it. */
export function validatePipeline(doc: unknown): ValidationProblem[] {
  // Too large is the one thing to fix first; and a document built from YAML aliases may share
  // one object many times over, which every later check would walk in full.
  const tooLarge = sizeProblems(doc);
  if (tooLarge.length > 0) return tooLarge;
  const problems = checkSchema(doc);
  if (!isObj(doc)) return problems;
  problems.push(...listTypeProblems(doc), ...ruleProblems(doc), ...metadataProblems(doc));
  if (isObj(doc.spec))
    problems.push(
      ...cycleProblems(doc.spec),
      ...scheduleProblems(doc.spec),
      ...paramProblems(doc.spec),
      ...datasetProblems(doc.spec),
    );
  return problems;
}

/** kubectl needs a name; generateName works with `kubectl create` only. */
function metadataProblems(doc: Obj): ValidationProblem[] {
  const metadata = doc.metadata;
  if (!isObj(metadata) || metadata.name !== undefined || metadata.generateName !== undefined) return [];
  return [{ path: 'metadata.name', message: 'required field is missing' }];
}

function cycleProblems(spec: Obj): ValidationProblem[] {
  const stages = spec.stages;
  // Past the limit the schema already complains; don't walk an arbitrarily large graph.
  if (!Array.isArray(stages) || stages.length > MAX_STAGES) return [];
  const refs: StageRef[] = stages.map((stage) =>
    isObj(stage) && typeof stage.name === 'string'
      ? {
          name: stage.name,
          dependsOn: Array.isArray(stage.dependsOn) ? stage.dependsOn.filter((d) => typeof d === 'string') : [],
        }
      : { name: '', dependsOn: [] },
  );
  return findCycles(refs).map((cycle) => ({
    path: formatPath(['spec', 'stages', cycle.stage, 'dependsOn', cycle.dependsOn]),
    message: describeCycle(cycle),
  }));
}

function scheduleProblems(spec: Obj): ValidationProblem[] {
  const problems: ValidationProblem[] = [];
  const { schedule, timeZone } = spec;
  // Where the CEL twins (scheduleNoTimeZone, scheduleShape) already spoke, robfig adds nothing.
  if (typeof schedule === 'string' && passesScheduleRules(schedule)) {
    const reason = scheduleProblem(schedule);
    if (reason !== undefined) problems.push({ path: 'spec.schedule', message: `not a valid cron schedule: ${reason}` });
  }
  if (typeof timeZone === 'string' && timeZone !== '') {
    const reason = timeZoneProblem(timeZone);
    if (reason !== undefined) problems.push({ path: 'spec.timeZone', message: reason });
  }
  return problems;
}
