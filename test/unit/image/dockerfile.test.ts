// The Dockerfile gives the image hack/image.sh builds the same layout: both stage the app with
// hack/image/stage-app.ts, and the runtime stage's COPY, WORKDIR, USER, ENV and ENTRYPOINT are
// held here to hack/image/layout.ts, the one place the layout is written down.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_DIR, DOCKER_STAGE_DIR, ENTRYPOINT, ENV, EXPOSED_PORT, USER } from '../../../hack/image/layout.ts';
import { REPO_ROOT } from '../../support/tools.ts';

const read = (p: string): string => readFileSync(join(REPO_ROOT, p), 'utf8');

/** Dockerfile instructions (continuation lines joined, comments dropped). */
function instructions(text: string): { op: string; args: string }[] {
  const out: { op: string; args: string }[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === '')) continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(current);
    if (m) out.push({ op: m[1]!.toUpperCase(), args: m[2]! });
    current = '';
  }
  return out;
}

describe('Dockerfile', () => {
  const steps = instructions(read('Dockerfile'));
  const froms = steps.map((s, i) => ({ ...s, i })).filter((s) => s.op === 'FROM');
  const build = steps.slice(0, froms.at(-1)!.i);
  const runtime = steps.slice(froms.at(-1)!.i);
  const last = (op: string): string | undefined => runtime.filter((s) => s.op === op).at(-1)?.args;

  it('is multi-stage on a Node 24 base', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(froms[0]!.args).toMatch(/\bAS\s+build\b/i);
    const baseArg = steps.find((s) => s.op === 'ARG' && s.args.startsWith('NODE_IMAGE='))?.args ?? '';
    expect(baseArg).toMatch(/^NODE_IMAGE=node:24-(alpine|slim)\b/);
    for (const f of froms) expect(f.args).toMatch(/^\$\{NODE_IMAGE\}/);
  });

  it('stages the app with hack/image/stage-app.ts, as hack/image.sh does', () => {
    const runs = build.filter((s) => s.op === 'RUN').map((s) => s.args);
    expect(runs.join(' && ')).toMatch(/npm ci\b/);
    expect(runs).toContain(`node hack/image/stage-app.ts ${DOCKER_STAGE_DIR}`);
  });

  it('copies the staged app, and only it, to the layout’s app folder', () => {
    const copies = runtime.filter((s) => s.op === 'COPY').map((s) => s.args);
    expect(copies).toEqual([`--from=build ${DOCKER_STAGE_DIR} ${APP_DIR}`]);
    expect(last('WORKDIR')).toBe(APP_DIR);
  });

  it('runs as the layout’s numeric user, with its entrypoint, environment and port', () => {
    expect(last('USER')).toBe(USER);
    expect(JSON.parse(last('ENTRYPOINT') ?? 'null')).toEqual([...ENTRYPOINT]);
    expect(last('EXPOSE')).toBe(String(EXPOSED_PORT));
    const env = Object.fromEntries(
      runtime.filter((s) => s.op === 'ENV').map((s) => s.args.split('=', 2) as [string, string]),
    );
    // PATH is the Node base image's own, which has /usr/local/bin (where node is) in it.
    const { PATH, ...rest } = ENV;
    expect(PATH?.split(':')).toContain('/usr/local/bin');
    expect(env).toEqual(rest);
    // Nothing in the runtime stage writes to the image at run time: no VOLUME.
    expect(runtime.some((s) => s.op === 'VOLUME')).toBe(false);
  });

  it('keeps the build context to what the build stage copies (.dockerignore)', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    expect(ignore).toContain('*');
    expect(ignore).toContain('**/node_modules');
    const copied = build
      .filter((s) => s.op === 'COPY' && !s.args.startsWith('--from'))
      .flatMap((s) => s.args.split(/\s+/).slice(0, -1));
    for (const path of copied) {
      const allowed = ignore.some(
        (l) => l === `!${path}` || l === `!${path}/` || (l.endsWith('/') && path.startsWith(l.slice(1))),
      );
      expect(allowed, `.dockerignore lets ${path} in`).toBe(true);
    }
  });
});
