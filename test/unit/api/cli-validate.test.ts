// `conveyor validate`, through the CLI's main() with captured output, and once as a real process.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../../src/cli/main.ts';
import { REPO_ROOT } from '../../../src/api/generate.ts';

const bad = (name: string) => join(REPO_ROOT, 'test/fixtures/pipelines/bad', name);
const good = (name: string) => join(REPO_ROOT, 'test/fixtures/pipelines/good', name);

async function run(argv: string[], stdin = ''): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(...t.split('\n')),
    err: (t) => err.push(...t.split('\n')),
    stdin: async () => stdin,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-validate-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const PIPELINE = (name: string, extra = '') =>
  `apiVersion: conveyor.dev/v1alpha1\nkind: Pipeline\nmetadata:\n  name: ${name}\nspec:\n  stages:\n    - name: a\n      image: busybox\n${extra}`;

describe('conveyor validate', () => {
  it('passes the examples', async () => {
    const { code, out, err } = await run(['validate', join(REPO_ROOT, 'examples')]);
    expect(out).toEqual([]);
    expect(err).toEqual([expect.stringMatching(/^\d+ pipelines valid$/)]);
    expect(code).toBe(0);
    for (const example of ['hello.yaml', 'etl-nightly.yaml', 'scheduled.yaml']) {
      expect((await run(['validate', join(REPO_ROOT, 'examples', example)])).err).toEqual(['1 pipeline valid']);
    }
  });

  it('prints file:line:col: path: message at the offending node', async () => {
    const file = bad('unknown-dependency.yaml');
    const { code, out, err } = await run(['validate', file]);
    expect(out).toEqual([`${file}:12:19: spec.stages[1].dependsOn[0]: unknown stage "ghost"`]);
    expect(err).toEqual(['1 problem: 1 of 1 pipeline invalid']);
    expect(code).toBe(1);
  });

  it('names each webhook trigger problem at its own line, in the words of the API server', async () => {
    const file = bad('webhook-rules.yaml');
    const { code, out } = await run(['validate', file]);
    const mappings = 'bucketParam, keyParam and the names in params must differ: a parameter receives one value';
    expect(out).toEqual([
      `${file}:22:7: spec.triggers.webhook.events: events applies only to type github (it selects X-GitHub-Event values); use filter for other types`,
      `${file}:24:11: spec.triggers.webhook.filter[0]: filter on "/ref" needs exactly one of equals, prefix or oneOf`,
      `${file}:25:11: spec.triggers.webhook.filter[1]: filter on "/action" needs exactly one of equals, prefix or oneOf`,
      `${file}:27:12: spec.triggers.webhook.params[0].name: parameter "comit" is not declared in spec.params (declared parameters: commit, bucket, key)`,
      `${file}:28:12: spec.triggers.webhook.params[1].name: ${mappings}`,
      `${file}:30:11: spec.triggers.webhook.params[3]: duplicate entry with name "commit"`,
      `${file}:32:9: spec.triggers.webhook.bucketNotification.bucketParam: ${mappings}`,
    ]);
    expect(code).toBe(1);
  });

  it('points at the nearest parent when a field is missing', async () => {
    const file = bad('missing-image.yaml');
    const { out } = await run(['validate', file]);
    expect(out).toEqual([
      `${file}:14:7: spec.stages[1].image: stage "b" has no image, and spec.defaults.image is not set`,
      `${file}:16:7: spec.onFailure[0].image: onFailure stage "alert" has no image, and spec.defaults.image is not set`,
    ]);
  });

  it('--output json gives {file,line,col,path,message}', async () => {
    const file = bad('self-trigger.yaml');
    const { code, out } = await run(['validate', '--output', 'json', file, good('minimal.yaml')]);
    expect(code).toBe(1);
    expect(JSON.parse(out.join('\n'))).toEqual([
      {
        file,
        line: 12,
        col: 9,
        path: 'spec.triggers.after[1].pipeline',
        message: 'pipeline "nightly" cannot be triggered by itself',
      },
      {
        file,
        line: 14,
        col: 9,
        path: 'spec.triggers.after[2].phase',
        message: 'must be one of Succeeded, Failed, not "Done"',
      },
    ]);
  });

  it('searches directories for *.yaml and *.yml, skips other kinds, flags other versions', async () => {
    const dir = tempDir({
      'a.yaml': PIPELINE('a'),
      'nested/deeper/b.yml': `${PIPELINE('b')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n`,
      'nested/tekton.yaml': 'apiVersion: tekton.dev/v1\nkind: Pipeline\nmetadata: {name: t}\nspec: {tasks: []}\n',
      'notes.txt': 'not yaml: [',
      'old.yaml': PIPELINE('old').replace('v1alpha1', 'v1beta1'),
    });
    const { code, out, err } = await run(['validate', dir]);
    expect(out).toEqual([
      `${join(dir, 'old.yaml')}:1:1: apiVersion: must be conveyor.dev/v1alpha1, not "conveyor.dev/v1beta1"`,
    ]);
    expect(err).toEqual(['1 problem: 1 of 3 pipelines invalid']);
    expect(code).toBe(1);
  });

  it('reports broken YAML with its line and goes on with the other documents', async () => {
    const dir = tempDir({ 'broken.yaml': `${PIPELINE('ok')}---\nkind: Pipeline\nspec: [unclosed\nmetadata: {}\n` });
    const { code, out, err } = await run(['validate', join(dir, 'broken.yaml')]);
    expect(out).toEqual([
      expect.stringMatching(new RegExp(`^${join(dir, 'broken.yaml')}:1[0-2]:\\d+: invalid YAML: `)),
    ]);
    expect(err).toEqual(['1 problem: 0 of 1 pipeline invalid, 1 document with broken YAML']);
    expect(code).toBe(1);
  });

  it('survives an alias bomb', async () => {
    const bomb = `a: &a [x, x, x, x, x, x, x, x, x, x]\n${Array.from(
      { length: 8 },
      (_, i) =>
        `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10)
          .fill(i === 0 ? '*a' : `*${'bcdefghi'[i - 1]}`)
          .join(', ')}]`,
    ).join('\n')}\nkind: Pipeline\n`;
    const { code, out } = await run(['validate', '-'], bomb);
    expect(out).toEqual([expect.stringMatching(/^<stdin>:1:1: invalid YAML: .*alias/i)]);
    expect(code).toBe(1);
  });

  it('reads standard input for -', async () => {
    const { code, out } = await run(['validate', '-'], PIPELINE('from-stdin', '      retries: -1\n'));
    expect(out).toEqual(['<stdin>:9:7: spec.stages[0].retries: must be at least 0, not -1']);
    expect(code).toBe(1);
  });

  it('fails on a path that does not exist, and on bad usage', async () => {
    const missing = await run(['validate', '/nonexistent/pipelines']);
    expect(missing.err).toEqual([
      '/nonexistent/pipelines: no such file or directory',
      '0 problems: 0 of 0 pipelines invalid, 1 path unreadable',
    ]);
    expect(missing.code).toBe(1);
    expect((await run(['validate'])).code).toBe(2);
    expect((await run(['validate', '-o', 'yaml', 'x'])).code).toBe(2);
    expect((await run(['validate', '--strict', 'x'])).code).toBe(2);
  });
});

describe('conveyor', () => {
  it('prints usage for an unknown command', async () => {
    const { code, err } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(err[0]).toBe('conveyor: unknown command "frobnicate"');
    expect(err.join('\n')).toContain('conveyor validate <file|dir|->...');
  });

  it('prints help and the version', async () => {
    expect((await run(['--help'])).out[0]).toBe('usage: conveyor <command> [options]');
    expect((await run(['validate', '--help'])).out[0]).toBe(
      'usage: conveyor validate <file|dir|->... [--output text|json]',
    );
    expect((await run(['--version'])).out).toEqual([expect.stringMatching(/^\d+\.\d+\.\d+/)]);
  });

  it('runs as bin/conveyor.js', () => {
    const ok = spawnSync(process.execPath, ['bin/conveyor.js', 'validate', 'examples/'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(ok.stderr).toMatch(/^\d+ pipelines valid\n$/);
    expect(ok.status).toBe(0);
    const failed = spawnSync(
      process.execPath,
      ['bin/conveyor.js', 'validate', 'test/fixtures/pipelines/bad/cycle.yaml'],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(failed.stdout).toBe(
      'test/fixtures/pipelines/bad/cycle.yaml:12:19: spec.stages[0].dependsOn[0]: dependency cycle: a → c → b → a\n' +
        'test/fixtures/pipelines/bad/cycle.yaml:18:22: spec.stages[3].dependsOn[1]: dependency cycle: x → w → x\n',
    );
    expect(failed.status).toBe(1);
  });
});
