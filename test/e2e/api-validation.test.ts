// The API server enforces the Pipeline schema and its CEL rules: `kubectl apply --server-side`
// of each bad fixture fails with the rule's message, every example is accepted, and the checks
// only code can do (cycles, cron ranges, time zones) pass the server and are caught by the
// operator's validator instead.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  GROUP,
  MAX_ON_FAILURE_STAGES,
  MAX_STAGE_NAME_LENGTH,
  MAX_STAGES,
  PLURAL,
  VERSION,
} from '../../src/api/constants.ts';
import type { Pipeline } from '../../src/api/types.ts';
import { validatePipeline } from '../../src/api/validate.ts';
import { describeError } from '../../src/kube/errors.ts';
import { REPO_ROOT } from '../support/tools.ts';
import { clients, testNamespace, type Clients } from './support/kube.ts';
import { installCrd } from './support/pipelines.ts';

const exec = promisify(execFile);
const c: Clients = clients();
let ns: { name: string; cleanup: () => Promise<void> };
const BAD = join(REPO_ROOT, 'test/fixtures/pipelines/bad');
const EXAMPLES = join(REPO_ROOT, 'examples');

/** Rules no OpenAPI schema or affordable CEL expression can check: the operator's validator does. */
const CODE_ONLY = new Set([
  'cycle.yaml',
  'schedule-bad-name.yaml',
  'schedule-out-of-range.yaml',
  'schedule-sunday-seven.yaml',
  'timezone-case.yaml',
  'timezone-local.yaml',
  'timezone-offset.yaml',
  'timezone-unknown.yaml',
]);

beforeAll(async () => {
  await installCrd(c);
  ns = await testNamespace(c, 'apival');
});
afterAll(async () => ns?.cleanup());

async function apply(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await exec(inject('kubectl'), [
      '--kubeconfig',
      inject('kubeconfig'),
      '-n',
      ns.name,
      'apply',
      '--server-side',
      '--dry-run=server',
      '-f',
      file,
    ]);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function expectations(file: string): { path: string; message: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('# expect: '))
    .map((l) => {
      const body = l.slice('# expect: '.length);
      const i = body.indexOf(': ');
      return { path: body.slice(0, i), message: body.slice(i + 2) };
    });
}

const badFiles = readdirSync(BAD)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe.concurrent('kubectl apply --server-side', () => {
  it.each(badFiles.filter((f) => !CODE_ONLY.has(f)))('rejects %s with its message', async (file) => {
    const { ok, output } = await apply(join(BAD, file));
    expect(ok, output).toBe(false);
    const expected = expectations(join(BAD, file));
    // kubectl itself refuses these two before the server sees them, in its own words.
    const kubectlSays: Record<string, string> = {
      'metadata-name-missing.yaml': 'resource name may not be empty',
      'wrong-apiversion.yaml': 'no matches for kind "Pipeline" in version "conveyor.dev/v1"',
    };
    if (kubectlSays[file]) {
      expect(output).toContain(kubectlSays[file]);
      return;
    }
    // CEL rules carry Conveyor's own message; schema rules the server's wording for the same field.
    const named = expected.some(
      (e) =>
        output.includes(e.message) ||
        output.includes(e.path.replace(/\[\d+\]$/, '')) ||
        output.includes(
          `.${e.path
            .split('.')
            .pop()!
            .replace(/\[\d+\]$/, '')}`,
        ),
    );
    expect(named, `none of ${JSON.stringify(expected)} in:\n${output}`).toBe(true);
  });

  it('shows the CEL messages verbatim', async () => {
    const cel: Record<string, string> = {
      'unknown-dependency.yaml': 'unknown stage "ghost"',
      'self-dependency.yaml': 'stage "loop" depends on itself',
      'duplicate-stage-names.yaml': 'duplicate stage name "a"',
      'duplicate-onfailure-names.yaml': 'duplicate onFailure stage name "alert"',
      'onfailure-dependson.yaml': 'onFailure stage "alert" cannot have dependsOn',
      'onfailure-name-clash.yaml': 'onFailure stage "load" has the same name as a stage',
      'missing-image.yaml': 'stage "b" has no image, and spec.defaults.image is not set',
      'schedule-four-fields.yaml': 'must have 5 fields',
      'schedule-tz-prefix.yaml': 'put the time zone in spec.timeZone',
      'staging-size-and-uri.yaml': 'staging needs exactly one of size',
    };
    for (const [file, message] of Object.entries(cel)) {
      const { ok, output } = await apply(join(BAD, file));
      expect(ok, file).toBe(false);
      expect(output, file).toContain(message);
    }
  });

  it.each([...CODE_ONLY])('accepts %s, which the operator then rejects', async (file) => {
    const { ok, output } = await apply(join(BAD, file));
    expect(ok, output).toBe(true);
    const [doc] = parseAllDocuments(readFileSync(join(BAD, file), 'utf8')).map((d) => d.toJS());
    const problems = validatePipeline(doc);
    const expected = expectations(join(BAD, file));
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual(
      expect.arrayContaining(expected.map((e) => `${e.path}: ${e.message}`)),
    );
  });

  it.each(readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')))('accepts examples/%s', async (file) => {
    const { ok, output } = await apply(join(EXAMPLES, file));
    expect(ok, output).toBe(true);
  });
});

describe('the cost of CEL', () => {
  // 200 stages of 63-character names, each depending on every stage before it (19,900 entries),
  // 20 onFailure stages: every rule must run within the API server's budget (cel.ts).
  const name = (prefix: string, i: number) =>
    `${prefix}-${String(i).padStart(3, '0')}-`.padEnd(MAX_STAGE_NAME_LENGTH, 'x');
  function largest(): Pipeline {
    const stages = Array.from({ length: MAX_STAGES }, (_, i) => ({
      name: name('stage', i),
      ...(i > 0 ? { dependsOn: Array.from({ length: i }, (_, j) => name('stage', j)) } : {}),
    }));
    const onFailure = Array.from({ length: MAX_ON_FAILURE_STAGES }, (_, i) => ({ name: name('alert', i) }));
    return {
      apiVersion: 'conveyor.dev/v1alpha1',
      kind: 'Pipeline',
      metadata: { name: 'largest' },
      spec: { defaults: { image: 'busybox:1.36' }, stages, onFailure },
    };
  }
  async function dryRun(body: Pipeline): Promise<string> {
    try {
      await c.custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns.name,
        plural: PLURAL,
        body,
        dryRun: 'All',
      });
      return 'accepted';
    } catch (err) {
      return describeError(err);
    }
  }

  it('admits the largest pipeline: 200 stages of 63-character names, each depending on all before it, 20 onFailure stages', async () => {
    const body = largest();
    expect(validatePipeline(body)).toEqual([]);
    expect(await dryRun(body)).toBe('accepted');
  });

  it("still rejects an unknown stage in it, with the rule's message", async () => {
    const body = largest();
    body.spec.stages[199]!.dependsOn![198] = 'ghost';
    const output = await dryRun(body);
    expect(output).toContain('unknown stage "ghost"');
    expect(output).not.toContain('cost');
  });

  it('reports repeated names once, not as a failed rule, when an unknown stage comes with them', async () => {
    const body = largest();
    body.spec.stages[5]!.name = body.spec.stages[6]!.name;
    body.spec.stages[199]!.dependsOn![198] = 'ghost';
    const output = await dryRun(body);
    expect(output).toContain(`duplicate stage name "${name('stage', 6)}"`);
    expect(output).not.toMatch(/ghost|already exists|insert/);
  });
});
