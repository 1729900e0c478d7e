// The chart's alert rules (templates/prometheusrule.yaml), rendered by the real helm and tested by
// the real promtool (both built by hack/build-cluster-bins.sh): `promtool check rules`, then
// `promtool test rules` on test/fixtures/alerts, where every alert both fires and stays silent.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, ensureHelm, ensurePromtool } from '../../support/tools.ts';

const CHART = join(REPO_ROOT, 'charts/conveyor');
const FIXTURES = join(REPO_ROOT, 'test/fixtures/alerts');
/** Fixture tests for the rules of a chart with `shards: [a]`. */
const SHARD_FIXTURES = join(FIXTURES, 'shards');
const PER_PIPELINE = ['ConveyorRunFailed', 'ConveyorPipelineStalled', 'ConveyorScheduleMissedTicks'];
const OPERATOR_WIDE = [
  'ConveyorOperatorDown',
  'ConveyorOperatorNotLeading',
  'ConveyorReconcileErrors',
  'ConveyorQueueBacklog',
];

type AlertRule = {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
};
type Manifest = { kind: string; spec?: { groups: { name: string; rules: AlertRule[] }[] } };

let helm = '';
let promtool = '';
let work = '';

function exec(cmd: string, args: string[], cwd = REPO_ROOT): { status: number; out: string } {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: '/tmp/conveyor-helm/cache',
    HELM_CONFIG_HOME: '/tmp/conveyor-helm/config',
    HELM_DATA_HOME: '/tmp/conveyor-helm/data',
  };
  const res = spawnSync(cmd, args, { cwd, encoding: 'utf8', env });
  return { status: res.status ?? -1, out: `${res.stdout}${res.stderr}` };
}

function render(...set: string[]): Manifest[] {
  const res = exec(helm, [
    'template',
    'conveyor',
    CHART,
    '--namespace',
    'conveyor-system',
    ...set.flatMap((s) => ['--set', s]),
  ]);
  if (res.status !== 0) throw new Error(`helm template failed:\n${res.out}`);
  return parseAllDocuments(res.out)
    .map((d) => d.toJS() as Manifest)
    .filter((m) => m !== null);
}

/** The rule groups of the rendered PrometheusRule, as a Prometheus rule file. */
function ruleFile(...set: string[]): string {
  const rules = render('alerts.enabled=true', ...set).filter((m) => m.kind === 'PrometheusRule');
  expect(rules).toHaveLength(1);
  return stringify({ groups: rules[0]!.spec!.groups });
}

/** Writes the rules and the fixture tests of `fixtures` into the work directory; returns the test file names. */
function stage(rules: string, fixtures = FIXTURES): string[] {
  for (const f of readdirSync(work).filter((x) => x.endsWith('.test.yaml'))) rmSync(join(work, f));
  writeFileSync(join(work, 'rules.yaml'), rules);
  const tests = readdirSync(fixtures).filter((f) => f.endsWith('.test.yaml'));
  for (const f of tests) copyFileSync(join(fixtures, f), join(work, f));
  return tests;
}

const allRules = (rules: string): AlertRule[] =>
  (parse(rules) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((g) => g.rules);

beforeAll(() => {
  helm = ensureHelm();
  promtool = ensurePromtool();
  work = mkdtempSync(join(tmpdir(), 'conveyor-alerts-'));
}, 1_800_000);
afterAll(() => work && rmSync(work, { recursive: true, force: true }));

describe('alert rules', () => {
  it('are opt-in: no PrometheusRule by default', () => {
    expect(render().filter((m) => m.kind === 'PrometheusRule')).toEqual([]);
  });

  it('pass promtool check rules and every fixture test of promtool test rules', () => {
    const tests = stage(ruleFile());
    const check = exec(promtool, ['check', 'rules', 'rules.yaml'], work);
    expect(check.status, check.out).toBe(0);
    const test = exec(promtool, ['test', 'rules', ...tests], work);
    expect(test.status, test.out).toBe(0);
    expect(test.out).toMatch(/SUCCESS/);
  });

  it('fail the fixture tests when a threshold changes (the tests can fail)', () => {
    const tests = stage(ruleFile('alerts.stalledForMinutes=30', 'alerts.queueDepth=1000'));
    const test = exec(promtool, ['test', 'rules', ...tests], work);
    expect(test.status).not.toBe(0);
    expect(test.out).toContain('ConveyorPipelineStalled');
    expect(test.out).toContain('ConveyorQueueBacklog');
  });

  it('alert per shard: a shard without a leader or without a live replica alerts while another shard leads', () => {
    const tests = stage(ruleFile('shards={a}'), SHARD_FIXTURES);
    const test = exec(promtool, ['test', 'rules', ...tests], work);
    expect(test.status, test.out).toBe(0);
    expect(test.out).toMatch(/SUCCESS/);
  });

  it('fail the shard fixture tests for a chart that deploys no shard a (the tests can fail)', () => {
    const tests = stage(ruleFile(), SHARD_FIXTURES);
    const test = exec(promtool, ['test', 'rules', ...tests], work);
    expect(test.status).not.toBe(0);
    expect(test.out).toContain('ConveyorOperatorDown');
  });

  it("copy the pod's shard onto every scraped series (ServiceMonitor podTargetLabels)", () => {
    const monitors = render('metrics.serviceMonitor.enabled=true').filter(
      (m) => m.kind === 'ServiceMonitor',
    ) as unknown as { spec: { podTargetLabels?: string[] } }[];
    expect(monitors).toHaveLength(1);
    expect(monitors[0]!.spec.podTargetLabels).toEqual(['conveyor.dev/shard']);
    const shardPods = render('shards={a}').filter((m) => m.kind === 'Deployment') as unknown as {
      spec: { template: { metadata: { labels: Record<string, string> } } };
    }[];
    expect(shardPods.map((d) => d.spec.template.metadata.labels['conveyor.dev/shard'])).toEqual([undefined, 'a']);
  });

  it('has each alert firing in one fixture test and staying silent in another', () => {
    const cases = readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.test.yaml'))
      .flatMap(
        (f) =>
          (
            parse(readFileSync(join(FIXTURES, f), 'utf8')) as {
              tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
            }
          ).tests,
      )
      .flatMap((t) => t.alert_rule_test);
    for (const name of [...PER_PIPELINE, ...OPERATOR_WIDE]) {
      expect(
        cases.some((c) => c.alertname === name && c.exp_alerts.length > 0),
        `${name} fires`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alertname === name && c.exp_alerts.length === 0),
        `${name} stays silent`,
      ).toBe(true);
    }
  });

  it('name the pipeline and namespace and point to kubectl conveyor describe; operator-wide ones say so', () => {
    const rules = allRules(ruleFile());
    expect(rules.map((r) => r.alert).sort()).toEqual([...PER_PIPELINE, ...OPERATOR_WIDE].sort());
    for (const r of rules.filter((x) => PER_PIPELINE.includes(x.alert))) {
      expect(r.expr).toMatch(/by \(pipeline_namespace, pipeline\)/);
      expect(r.expr).toContain('"namespace", "$1", "pipeline_namespace"');
      expect(r.annotations.summary).toContain('{{ $labels.namespace }}/{{ $labels.pipeline }}');
      expect(r.annotations.description).toContain(
        'kubectl conveyor describe -n {{ $labels.namespace }} {{ $labels.pipeline }}',
      );
    }
    for (const r of rules.filter((x) => OPERATOR_WIDE.includes(x.alert))) {
      expect(r.labels.namespace).toBe('conveyor-system');
      expect(r.annotations.description).toMatch(/^Operator-wide: .*kubectl conveyor describe/);
    }
  });

  it('take thresholds, severities and extra labels from values', () => {
    const rules = allRules(
      ruleFile(
        'alerts.stalledForMinutes=45',
        'alerts.pipelineSeverity=page',
        'alerts.extraLabels.team=data',
        'alerts.missedTicksWindow=3d',
      ),
    );
    const stalled = rules.find((r) => r.alert === 'ConveyorPipelineStalled')!;
    expect(stalled.for).toBe('45m');
    expect(stalled.labels).toEqual({ severity: 'page', team: 'data' });
    expect(rules.find((r) => r.alert === 'ConveyorScheduleMissedTicks')!.expr).toContain('[3d]');
    const bad = exec(helm, [
      'template',
      'conveyor',
      CHART,
      '--set',
      'alerts.enabled=true',
      '--set',
      'alerts.missedTicksWindow=soon',
    ]);
    expect(bad.status).not.toBe(0);
  });
});
