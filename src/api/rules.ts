// TypeScript twins of the CEL rules in src/api/cel.ts, one per rule id, with the same messages, so
// `conveyor validate` says offline what `kubectl apply` would say. Where the API server can only
// name the list (fieldPath), these name the exact item: spec.stages[3].name rather than spec.stages.
// Where one CEL rule reports the first offender, these report every offender, each at its path.
//
// CEL's has(x.f) is "present and not null" here: the API server drops nulls before it runs rules.
import type { CelRuleId } from './cel.ts';
import { CEL, SCHEDULE_SHAPE, SCHEDULE_SHAPE_HINT } from './cel.ts';
import { MAX_PARAMS_LENGTH } from './constants.ts';
import { formatPath, type PathSegment } from './path.ts';
import type { ValidationProblem } from './problem.ts';

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(obj: Obj, key: string): boolean {
  return obj[key] !== undefined && obj[key] !== null;
}

/** Items of a list that are objects, with their index (other items are the schema's business). */
function items(value: unknown): [number, Obj][] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, i): [number, Obj][] => (isObj(item) ? [[i, item]] : []));
}

function names(list: unknown): Set<string> {
  return new Set(items(list).flatMap(([, item]) => (typeof item.name === 'string' ? [item.name] : [])));
}

function problem(segments: PathSegment[], message: string): ValidationProblem {
  return { path: formatPath(segments), message };
}

/** The rule's messageExpression result, or its static message when a name is missing. */
function say(id: CelRuleId, name: unknown, render: (name: string) => string): string {
  return typeof name === 'string' ? render(name) : CEL[id].message;
}

type Check = (doc: Obj, spec: Obj) => ValidationProblem[];

export const RULE_CHECKS: Record<CelRuleId, Check> = {
  stageSelfDependency: (_doc, spec) =>
    items(spec.stages).flatMap(([i, stage]) =>
      Array.isArray(stage.dependsOn)
        ? stage.dependsOn.flatMap((dep, j) =>
            typeof stage.name === 'string' && dep === stage.name
              ? [problem(['spec', 'stages', i, 'dependsOn', j], `stage "${stage.name}" depends on itself`)]
              : [],
          )
        : [],
    ),

  onFailureNoDependsOn: (_doc, spec) =>
    items(spec.onFailure).flatMap(([i, stage]) =>
      has(stage, 'dependsOn')
        ? [
            problem(
              ['spec', 'onFailure', i, 'dependsOn'],
              say(
                'onFailureNoDependsOn',
                stage.name,
                (n) => `onFailure stage "${n}" cannot have dependsOn: onFailure stages run once, after a run failed`,
              ),
            ),
          ]
        : [],
    ),

  uniqueStageNames: (_doc, spec) => duplicates(spec.stages, 'stages', (n) => `duplicate stage name "${n}"`),

  uniqueOnFailureNames: (_doc, spec) =>
    duplicates(spec.onFailure, 'onFailure', (n) => `duplicate onFailure stage name "${n}"`),

  // Every unknown entry, also when stage names repeat; the API server then reports only the
  // repeated names (its rule needs unique names to build its map of them, cel.ts).
  knownDependencies: (_doc, spec) => {
    const known = names(spec.stages);
    return items(spec.stages).flatMap(([i, stage]) =>
      Array.isArray(stage.dependsOn)
        ? stage.dependsOn.flatMap((dep, j) =>
            typeof dep === 'string' && !known.has(dep)
              ? [problem(['spec', 'stages', i, 'dependsOn', j], `unknown stage "${dep}"`)]
              : [],
          )
        : [],
    );
  },

  onFailureNamesDistinct: (_doc, spec) => {
    const stageNames = names(spec.stages);
    return items(spec.onFailure).flatMap(([i, stage]) =>
      typeof stage.name === 'string' && stageNames.has(stage.name)
        ? [problem(['spec', 'onFailure', i, 'name'], `onFailure stage "${stage.name}" has the same name as a stage`)]
        : [],
    );
  },

  stageImage: (_doc, spec) =>
    defaultImage(spec)
      ? []
      : items(spec.stages).flatMap(([i, stage]) =>
          has(stage, 'image')
            ? []
            : [
                problem(
                  ['spec', 'stages', i, 'image'],
                  say('stageImage', stage.name, (n) => `stage "${n}" has no image, and spec.defaults.image is not set`),
                ),
              ],
        ),

  onFailureImage: (_doc, spec) =>
    defaultImage(spec)
      ? []
      : items(spec.onFailure).flatMap(([i, stage]) =>
          has(stage, 'image')
            ? []
            : [
                problem(
                  ['spec', 'onFailure', i, 'image'],
                  say(
                    'onFailureImage',
                    stage.name,
                    (n) => `onFailure stage "${n}" has no image, and spec.defaults.image is not set`,
                  ),
                ),
              ],
        ),

  timeZoneNeedsSchedule: (_doc, spec) =>
    has(spec, 'timeZone') && !has(spec, 'schedule')
      ? [problem(['spec', 'timeZone'], CEL.timeZoneNeedsSchedule.message)]
      : [],

  startingDeadlineNeedsSchedule: (_doc, spec) =>
    has(spec, 'startingDeadlineSeconds') && !has(spec, 'schedule')
      ? [problem(['spec', 'startingDeadlineSeconds'], CEL.startingDeadlineNeedsSchedule.message)]
      : [],

  scheduleNoTimeZone: (_doc, spec) =>
    typeof spec.schedule === 'string' && spec.schedule.includes('TZ')
      ? [problem(['spec', 'schedule'], CEL.scheduleNoTimeZone.message)]
      : [],

  scheduleShape: (_doc, spec) =>
    typeof spec.schedule === 'string' && !spec.schedule.includes('TZ') && !SCHEDULE_SHAPE_RE.test(spec.schedule)
      ? [problem(['spec', 'schedule'], `schedule "${spec.schedule}" ${SCHEDULE_SHAPE_HINT}`)]
      : [],

  stagingSizeOrUri: (_doc, spec) =>
    isObj(spec.staging) && has(spec.staging, 'size') === has(spec.staging, 'uri')
      ? [problem(['spec', 'staging'], CEL.stagingSizeOrUri.message)]
      : [],

  stagingVolumeFields: (_doc, spec) =>
    isObj(spec.staging) &&
    !has(spec.staging, 'size') &&
    (has(spec.staging, 'storageClassName') || has(spec.staging, 'accessModes'))
      ? [problem(['spec', 'staging'], CEL.stagingVolumeFields.message)]
      : [],

  uniqueParamNamesIgnoringCase: (_doc, spec) => {
    const first = new Map<string, string>();
    return items(spec.params).flatMap(([i, param]) => {
      if (typeof param.name !== 'string') return [];
      const key = param.name.toLowerCase();
      const twin = first.get(key);
      if (twin === undefined) {
        first.set(key, param.name);
        return [];
      }
      if (twin === param.name) return []; // an exact repeat: the list type's problem
      const message = `parameters "${twin}" and "${param.name}" differ only in case: both would be the environment variable CONVEYOR_PARAM_${param.name.toUpperCase()}`;
      return [problem(['spec', 'params', i, 'name'], message)];
    });
  },

  paramsLength: (_doc, spec) => {
    const length = items(spec.params).reduce(
      (sum, [, p]) =>
        sum + (typeof p.name === 'string' ? p.name.length : 0) + (typeof p.default === 'string' ? p.default.length : 0),
      0,
    );
    if (length <= MAX_PARAMS_LENGTH) return [];
    return [
      problem(
        ['spec', 'params'],
        `the names and defaults of the parameters add up to ${length} characters; at most ${MAX_PARAMS_LENGTH} are allowed`,
      ),
    ];
  },

  paramEnumNeedsDefault: (_doc, spec) =>
    items(spec.params).flatMap(([i, param]) =>
      has(param, 'enum') && !has(param, 'default') && !(Array.isArray(param.enum) && param.enum.includes(''))
        ? [
            problem(
              ['spec', 'params', i, 'enum'],
              say(
                'paramEnumNeedsDefault',
                param.name,
                (n) =>
                  `parameter "${n}" has an enum but no default: runs that give no value (ticks, chained runs, the Console) would get "", which is not in the enum`,
              ),
            ),
          ]
        : [],
    ),

  webhookFilterOneMatcher: (_doc, spec) =>
    items(webhookOf(spec)?.filter).flatMap(([i, filter]) =>
      ['equals', 'prefix', 'oneOf'].filter((k) => has(filter, k)).length === 1
        ? []
        : [
            problem(
              [...WEBHOOK, 'filter', i],
              say(
                'webhookFilterOneMatcher',
                filter.field,
                (f) => `filter on "${f}" needs exactly one of equals, prefix or oneOf`,
              ),
            ),
          ],
    ),

  webhookEventsNeedGithub: (_doc, spec) => {
    const webhook = webhookOf(spec);
    return webhook && has(webhook, 'events') && webhook.type !== 'github'
      ? [problem([...WEBHOOK, 'events'], CEL.webhookEventsNeedGithub.message)]
      : [];
  },

  webhookParamNamesDistinct: (_doc, spec) => {
    const webhook = webhookOf(spec);
    const bucket = webhook && isObj(webhook.bucketNotification) ? webhook.bucketNotification : undefined;
    if (!webhook || !bucket) return [];
    const message = CEL.webhookParamNamesDistinct.message;
    const taken: unknown[] = [bucket.keyParam, bucket.bucketParam].filter((n) => typeof n === 'string');
    const problems =
      has(bucket, 'bucketParam') && bucket.bucketParam === bucket.keyParam
        ? [problem([...WEBHOOK, 'bucketNotification', 'bucketParam'], message)]
        : [];
    for (const [i, mapping] of items(webhook.params))
      if (taken.includes(mapping.name)) problems.push(problem([...WEBHOOK, 'params', i, 'name'], message));
    return problems;
  },

  webhookParamsDeclared: (_doc, spec) =>
    items(webhookOf(spec)?.params).flatMap(([i, mapping]) =>
      undeclared(spec, mapping.name, [...WEBHOOK, 'params', i, 'name']),
    ),

  webhookBucketParamsDeclared: (_doc, spec) => {
    const webhook = webhookOf(spec);
    const bucket = webhook && isObj(webhook.bucketNotification) ? webhook.bucketNotification : undefined;
    if (!bucket) return [];
    return (['keyParam', 'bucketParam'] as const).flatMap((field) =>
      has(bucket, field) ? undeclared(spec, bucket[field], [...WEBHOOK, 'bucketNotification', field]) : [],
    );
  },

  noSelfTrigger: (doc, spec) => {
    const name = isObj(doc.metadata) ? doc.metadata.name : undefined;
    if (typeof name !== 'string' || !isObj(spec.triggers)) return [];
    return items(spec.triggers.after).flatMap(([i, trigger]) =>
      trigger.pipeline === name
        ? [problem(['spec', 'triggers', 'after', i, 'pipeline'], `pipeline "${name}" cannot be triggered by itself`)]
        : [],
    );
  },
};

const SCHEDULE_SHAPE_RE = new RegExp(SCHEDULE_SHAPE);

/** True when neither schedule rule (scheduleNoTimeZone, scheduleShape) objects to `schedule`. */
export function passesScheduleRules(schedule: string): boolean {
  return !schedule.includes('TZ') && SCHEDULE_SHAPE_RE.test(schedule);
}

const WEBHOOK = ['spec', 'triggers', 'webhook'];

function webhookOf(spec: Obj): Obj | undefined {
  return isObj(spec.triggers) && isObj(spec.triggers.webhook) ? spec.triggers.webhook : undefined;
}

/** A webhook's parameter name that spec.params does not declare, at `at` (the CEL rules' message). */
function undeclared(spec: Obj, name: unknown, at: PathSegment[]): ValidationProblem[] {
  const declared = [...names(spec.params)];
  if (typeof name !== 'string' || declared.includes(name)) return [];
  const list = declared.length > 0 ? `declared parameters: ${declared.join(', ')}` : 'spec.params declares none';
  return [problem(at, `parameter "${name}" is not declared in spec.params (${list})`)];
}

function defaultImage(spec: Obj): boolean {
  return isObj(spec.defaults) && has(spec.defaults, 'image');
}

/** Every repeat of a name after its first use, at `spec.<list>[i].name`. */
function duplicates(list: unknown, field: string, message: (name: string) => string): ValidationProblem[] {
  const seen = new Set<string>();
  return items(list).flatMap(([i, stage]) => {
    if (typeof stage.name !== 'string') return [];
    if (!seen.has(stage.name)) {
      seen.add(stage.name);
      return [];
    }
    return [problem(['spec', field, i, 'name'], message(stage.name))];
  });
}

/** All CEL-twin problems of a document (an object; `spec` may be anything). */
export function ruleProblems(doc: Obj): ValidationProblem[] {
  const spec = isObj(doc.spec) ? doc.spec : undefined;
  if (!spec) return [];
  return (Object.keys(RULE_CHECKS) as CelRuleId[]).flatMap((id) => RULE_CHECKS[id](doc, spec));
}
