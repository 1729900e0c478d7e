// hack/release/tar-mtime.ts: the chart package's entries get one fixed time, so two packagings of
// the same files at different times give the same bytes, and the archive still unpacks.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setTarMtimes } from '../../../hack/release/tar-mtime.ts';

const work = mkdtempSync(join(tmpdir(), 'tar-mtime-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A .tgz of the same two files, dated `seconds`, as GNU tar writes it (ustar format). */
function archive(name: string, seconds: number): string {
  const dir = join(work, `src-${name}`, 'chart');
  mkdirSync(join(dir, 'templates'), { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), 'name: chart\n');
  writeFileSync(join(dir, 'templates/a.yaml'), 'x'.repeat(700));
  for (const f of ['Chart.yaml', 'templates/a.yaml', 'templates', '.']) utimesSync(join(dir, f), seconds, seconds);
  const file = join(work, `${name}.tgz`);
  execFileSync('tar', ['--format=ustar', '-czf', file, '-C', join(dir, '..'), 'chart']);
  return file;
}

describe('setTarMtimes', () => {
  it('gives archives of the same files made at different times the same bytes', () => {
    const [a, b] = [archive('a', 1_000_000), archive('b', 2_000_000)];
    expect(readFileSync(a).equals(readFileSync(b))).toBe(false);
    setTarMtimes(a, 1_765_000_000);
    setTarMtimes(b, 1_765_000_000);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('leaves an archive tar reads, with every entry at the given time and its contents intact', () => {
    const file = archive('c', 3_000_000);
    setTarMtimes(file, 1_765_000_000);
    const listing = execFileSync('tar', ['--full-time', '-tvzf', file], {
      encoding: 'utf8',
      env: { ...process.env, TZ: 'UTC' },
    });
    const times = listing
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/).slice(3, 5).join(' '));
    expect(new Set(times)).toEqual(new Set(['2025-12-06 05:46:40']));
    expect(execFileSync('tar', ['-xzOf', file, 'chart/templates/a.yaml'], { encoding: 'utf8' })).toBe('x'.repeat(700));
  });
});
