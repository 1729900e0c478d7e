// The CEL rules (`x-kubernetes-validations`) that the API server runs on a Pipeline.
// Each rule has an id; src/api/rules.ts re-implements every id in TypeScript with the same
// message, so `conveyor validate` and `kubectl apply` agree. A test checks both lists match.
//
// Cost: the API server estimates each rule's worst case from maxItems/maxLength in the schema
// and refuses the CRD above 10M per rule or messageExpression (100M in total); when it evaluates
// a rule it stops at 1M per rule and 10M per object. Rules therefore sit on the smallest scope
// that can see what they need, every list and string they touch is bounded, names are picked with
// map() before filter() (the estimator loses string sizes the other way round), and the largest
// pipeline the schema allows (200 stages of 63-character names, each depending on every stage
// before it, 20 onFailure stages) was checked against the apiextensions-apiserver v0.36
// validator: the CRD is accepted and that pipeline validates within budget, about 1.1M of the 10M
// per object (test/e2e/api-validation.test.ts applies it). Needs Kubernetes ≥ 1.33 (sets library,
// fieldPath, and transformMapEntry in knownDependencies).

import { MAX_PARAMS_LENGTH } from './constants.ts';

export type CelRule = {
  rule: string;
  /** Fallback when messageExpression cannot be evaluated. */
  message: string;
  messageExpression?: string;
  /** Where the API server reports the error, relative to the schema the rule sits on. */
  fieldPath?: string;
};

/** `'"' + x + '"'` in CEL: quotes a name inside a message. */
const q = (expr: string): string => `'"' + ${expr} + '"'`;

/** The macros robfig/cron's standard parser (and so CronJob) accepts; @every is left out on purpose. */
export const SCHEDULE_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
/** RE2's \\s, spelled out so JavaScript's (wider) \\s cannot make the two checks differ. */
const WS = '[\\t\\n\\f\\r ]';
const NON_WS = '[^\\t\\n\\f\\r ]';
/** 5 whitespace-separated fields or one macro: the shape robfig/cron's standard parser accepts. */
export const SCHEDULE_SHAPE = `^(@(${SCHEDULE_MACROS.map((m) => m.slice(1)).join('|')})|${WS}*${NON_WS}+(${WS}+${NON_WS}+){4}${WS}*)$`;

/**
 * The stage names as a map (name → true), bound with `[X].all(known, ...)` (cel.bind is not in
 * Kubernetes' CEL environment): `d in known` is one lookup, where `d in <list of names>` scans
 * all 200 names, and a stage may depend on every other stage (199 × 200 lookups). transformMapEntry
 * is a two-variable comprehension: Kubernetes ≥ 1.32 has it, and a 1.32 API server admits new
 * rules that use it only from 1.33 on (compatibility version n-1).
 */
const KNOWN = '[self.stages.transformMapEntry(i, s, {s.name: true})]';
/** transformMapEntry fails on a repeated key: build the map only when stage names are unique. */
const UNIQUE_NAMES = 'self.stages.all(s, self.stages.exists_one(t, t.name == s.name))';

/** Characters of the parameters' names and defaults together. */
const PARAMS_LENGTH = 'self.map(p, size(p.name) + (has(p.default) ? size(p.default) : 0)).sum()';

/** On spec: a webhook trigger is set. */
const HAS_WEBHOOK = '(has(self.triggers) && has(self.triggers.webhook))';
/** On spec: `name` is a declared parameter. */
const declared = (name: string) => `(has(self.params) && self.params.exists(p, p.name == ${name}))`;
/** On spec: the declared parameters, for a message, worded as param-refs.ts words them. */
const DECLARED_LIST =
  "(has(self.params) ? ' (declared parameters: ' + self.params.map(p, p.name).join(', ') + ')' : ' (spec.params declares none)')";
/** On spec.triggers.webhook. */
const BUCKET = 'self.bucketNotification';
const BUCKET_PARAM_DIFFERS = `(!has(${BUCKET}.bucketParam) || ${BUCKET}.bucketParam != ${BUCKET}.keyParam)`;

export const SCHEDULE_SHAPE_HINT = `must have 5 fields (minute hour day-of-month month day-of-week) or be one of ${SCHEDULE_MACROS.join(', ')}`;

export const CEL = {
  // --- on one stage (spec.stages[i]) ---
  stageSelfDependency: {
    rule: '!has(self.dependsOn) || !(self.name in self.dependsOn)',
    message: 'a stage cannot depend on itself',
    messageExpression: `'stage ' + ${q('self.name')} + ' depends on itself'`,
    fieldPath: '.dependsOn',
  },
  // --- on one onFailure stage (spec.onFailure[i]); dependsOn is in its schema only to be refused ---
  onFailureNoDependsOn: {
    rule: '!has(self.dependsOn)',
    message: 'onFailure stages cannot have dependsOn: they run once, after a run failed',
    messageExpression: `'onFailure stage ' + ${q('self.name')} + ' cannot have dependsOn: onFailure stages run once, after a run failed'`,
    fieldPath: '.dependsOn',
  },
  // --- on the lists ---
  uniqueStageNames: {
    rule: 'self.all(s, self.exists_one(t, t.name == s.name))',
    message: 'stage names must be unique',
    // map() before filter(): the cost estimator keeps the string sizes only that way.
    messageExpression: `'duplicate stage name ' + ${q('self.map(s, s.name).filter(n, !self.exists_one(t, t.name == n))[0]')}`,
  },
  uniqueOnFailureNames: {
    rule: 'self.all(s, self.exists_one(t, t.name == s.name))',
    message: 'onFailure stage names must be unique',
    messageExpression: `'duplicate onFailure stage name ' + ${q('self.map(s, s.name).filter(n, !self.exists_one(t, t.name == n))[0]')}`,
  },
  // --- on spec: rules that need to see several fields ---
  // Worst case, 200 stages of 63-character names where every stage depends on all before it
  // (19,900 entries), costs about 570k of the 1M per call (guard 440k, lookups 130k). The same
  // check with sets.contains over the list of names ran out of budget there.
  knownDependencies: {
    // With repeated names the rule passes: uniqueStageNames reports them, and the map cannot be built.
    rule: `!${UNIQUE_NAMES} || ${KNOWN}.all(known, self.stages.all(s, !has(s.dependsOn) || s.dependsOn.all(d, d in known)))`,
    message: 'dependsOn names a stage that does not exist',
    // The first stage with unknown entries, all of them: unknown stage "ghost", "phantom".
    // Evaluated only when the rule failed, so the names are unique and the map can be built.
    messageExpression: `'unknown stage ' + ${q(`${KNOWN}.map(known, self.stages.map(s, has(s.dependsOn) ? s.dependsOn.filter(d, !(d in known)) : []).filter(l, size(l) > 0)[0].join('", "'))[0]`)}`,
    fieldPath: '.stages',
  },
  onFailureNamesDistinct: {
    rule: '!has(self.onFailure) || !sets.intersects(self.onFailure.map(f, f.name), self.stages.map(s, s.name))',
    message: 'onFailure stage names must differ from stage names',
    messageExpression:
      `'onFailure stage ' + ${q('self.onFailure.map(f, f.name).filter(n, self.stages.exists(s, s.name == n))[0]')}` +
      ` + ' has the same name as a stage'`,
    fieldPath: '.onFailure',
  },
  stageImage: {
    rule: '(has(self.defaults) && has(self.defaults.image)) || self.stages.all(s, has(s.image))',
    message: 'every stage needs an image, or spec.defaults.image must be set',
    messageExpression: `'stage ' + ${q("self.stages.map(s, has(s.image) ? '' : s.name).filter(n, n != '')[0]")} + ' has no image, and spec.defaults.image is not set'`,
    fieldPath: '.stages',
  },
  onFailureImage: {
    rule: '(has(self.defaults) && has(self.defaults.image)) || !has(self.onFailure) || self.onFailure.all(s, has(s.image))',
    message: 'every onFailure stage needs an image, or spec.defaults.image must be set',
    messageExpression: `'onFailure stage ' + ${q("self.onFailure.map(s, has(s.image) ? '' : s.name).filter(n, n != '')[0]")} + ' has no image, and spec.defaults.image is not set'`,
    fieldPath: '.onFailure',
  },
  timeZoneNeedsSchedule: {
    rule: '!has(self.timeZone) || has(self.schedule)',
    message: 'timeZone is set but schedule is not: a time zone only applies to a schedule',
    fieldPath: '.timeZone',
  },
  startingDeadlineNeedsSchedule: {
    rule: '!has(self.startingDeadlineSeconds) || has(self.schedule)',
    message: 'startingDeadlineSeconds is set but schedule is not: it only applies to scheduled runs',
    fieldPath: '.startingDeadlineSeconds',
  },
  // --- on spec.schedule (the full cron grammar is checked in code; these catch the common slips) ---
  scheduleNoTimeZone: {
    rule: "!self.contains('TZ')",
    message: 'put the time zone in spec.timeZone: CronJob rejects TZ= and CRON_TZ= in a schedule',
  },
  scheduleShape: {
    // A TZ= prefix has its own message above; one problem, one message.
    rule: `self.contains('TZ') || self.matches('${SCHEDULE_SHAPE.replaceAll('\\', '\\\\')}')`,
    message: `schedule ${SCHEDULE_SHAPE_HINT}`,
    messageExpression: `'schedule ' + ${q('self')} + ' ${SCHEDULE_SHAPE_HINT}'`,
  },
  // --- on spec.staging ---
  stagingSizeOrUri: {
    rule: 'has(self.size) != has(self.uri)',
    message: 'staging needs exactly one of size (a volume per run) or uri (an object-store prefix)',
  },
  stagingVolumeFields: {
    rule: 'has(self.size) || (!has(self.storageClassName) && !has(self.accessModes))',
    message: 'storageClassName and accessModes apply only to a staging volume (size)',
  },
  // --- on spec.params and each of its items ---
  // Each parameter is the environment variable CONVEYOR_PARAM_<NAME in upper case>: `day` and `DAY`
  // would be one variable holding one of the two values.
  uniqueParamNamesIgnoringCase: {
    rule: 'self.all(p, self.exists_one(q, q.name.lowerAscii() == p.name.lowerAscii()))',
    message:
      'parameter names must differ in more than case: each is the environment variable CONVEYOR_PARAM_<NAME in upper case>',
    // No messageExpression: naming the twins needs a filter inside a filter, whose estimated cost
    // (cubic in MAX_PARAMS) is over the API server's budget; `conveyor validate` and the operator name them.
  },
  // Every run records its parameters in status (MAX_PARAMS_LENGTH in schema.ts); a run's own
  // values are checked where it is asked for (params.ts).
  paramsLength: {
    rule: `${PARAMS_LENGTH} <= ${MAX_PARAMS_LENGTH}`,
    message: `the names and defaults of the parameters add up to more than ${MAX_PARAMS_LENGTH} characters`,
  },
  // Ticks, chained runs and the Console's Run give no values: without a default such a run would
  // get "", outside the enum.
  paramEnumNeedsDefault: {
    rule: "!has(self.enum) || has(self.default) || '' in self.enum",
    message:
      'a parameter with enum needs a default: runs that give no value (ticks, chained runs) would get "", which is not in the enum',
    messageExpression: `'parameter ' + ${q('self.name')} + ' has an enum but no default: runs that give no value (ticks, chained runs, the Console) would get "", which is not in the enum'`,
    fieldPath: '.enum',
  },
  // --- on spec.triggers.webhook.filter[i] ---
  webhookFilterOneMatcher: {
    rule: '(has(self.equals) ? 1 : 0) + (has(self.prefix) ? 1 : 0) + (has(self.oneOf) ? 1 : 0) == 1',
    message: 'a filter needs exactly one of equals, prefix or oneOf',
    messageExpression: `'filter on ' + ${q('self.field')} + ' needs exactly one of equals, prefix or oneOf'`,
  },
  // --- on spec.triggers.webhook ---
  webhookEventsNeedGithub: {
    rule: "!has(self.events) || self.type == 'github'",
    message: 'events applies only to type github (it selects X-GitHub-Event values); use filter for other types',
    fieldPath: '.events',
  },
  webhookParamNamesDistinct: {
    rule: `!has(self.bucketNotification) || (${BUCKET_PARAM_DIFFERS} && (!has(self.params) || self.params.all(m, m.name != ${BUCKET}.keyParam && (!has(${BUCKET}.bucketParam) || m.name != ${BUCKET}.bucketParam))))`,
    message: 'bucketParam, keyParam and the names in params must differ: a parameter receives one value',
    fieldPath: '.bucketNotification',
  },
  // --- on spec: the webhook's parameters are declared ones ---
  webhookParamsDeclared: {
    rule: `!${HAS_WEBHOOK} || !has(self.triggers.webhook.params) || self.triggers.webhook.params.all(m, ${declared('m.name')})`,
    message: 'spec.triggers.webhook.params names a parameter that spec.params does not declare',
    messageExpression: `'parameter ' + ${q(`self.triggers.webhook.params.map(m, m.name).filter(n, !${declared('n')})[0]`)} + ' is not declared in spec.params' + ${DECLARED_LIST}`,
    fieldPath: '.triggers.webhook.params',
  },
  webhookBucketParamsDeclared: {
    rule: `!${HAS_WEBHOOK} || !has(self.triggers.webhook.bucketNotification) || (${declared(`self.triggers.webhook.bucketNotification.keyParam`)} && (!has(self.triggers.webhook.bucketNotification.bucketParam) || ${declared('self.triggers.webhook.bucketNotification.bucketParam')}))`,
    message: 'spec.triggers.webhook.bucketNotification names a parameter that spec.params does not declare',
    messageExpression: `'parameter ' + ${q(`${declared('self.triggers.webhook.bucketNotification.keyParam')} ? self.triggers.webhook.bucketNotification.bucketParam : self.triggers.webhook.bucketNotification.keyParam`)} + ' is not declared in spec.params' + ${DECLARED_LIST}`,
    fieldPath: '.triggers.webhook.bucketNotification',
  },
  // --- on the whole Pipeline (only the root can see metadata.name) ---
  noSelfTrigger: {
    rule:
      '!has(self.spec.triggers) || !has(self.spec.triggers.after) || ' +
      'self.spec.triggers.after.all(t, t.pipeline != self.metadata.name)',
    message: 'a pipeline cannot be triggered by itself',
    messageExpression: `'pipeline ' + ${q('self.metadata.name')} + ' cannot be triggered by itself'`,
    fieldPath: '.spec.triggers.after',
  },
} as const satisfies Record<string, CelRule>;

export type CelRuleId = keyof typeof CEL;

/** The rule as it goes into the CRD: x-kubernetes-validations item. */
export function celValidation(id: CelRuleId): CelRule {
  return { ...CEL[id] };
}
