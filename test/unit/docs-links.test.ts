// Every link in README.md, docs/ and the guides beside the code (bench, chart, examples, hack,
// test) leads somewhere: a relative link names a file or folder of the
// repository (into src/ and test/ too), and an #anchor names a heading of the Markdown file it
// points into, by GitHub's slug. External http(s) links are collected, never fetched: unit tests
// use no network. The checker reads files through a small interface, so the table below proves on
// an in-memory tree that it fails on each kind of broken link before it is trusted with the docs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

interface Tree {
  read(path: string): string;
  kind(path: string): 'file' | 'dir' | undefined;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

interface Checked {
  problems: string[];
  external: Link[];
}

/** Fenced code blocks blanked out, newlines kept: offsets still give the same lines. */
function withoutFences(text: string): string {
  return text.replace(/^ {0,3}(```|~~~)[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, blank);
}

/** Also code spans and HTML comments: text in them looks like links and is not. */
function prose(text: string): string {
  return withoutFences(text)
    .replace(/(`+)[\s\S]*?\1/g, blank)
    .replace(/<!--[\s\S]*?-->/g, blank);
}

function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/** GitHub's anchor for a heading (github-slugger): its text, lower case, punctuation dropped, spaces as '-'. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors a Markdown file offers: its headings' slugs (a repeated one gets -1, -2, …) and HTML ids. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const m of withoutFences(text).matchAll(/^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/gm)) {
    const slug = githubSlug(m[1] ?? '');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1] ?? '');
  return anchors;
}

/** Inline links and images, `[text](target "title")`, and reference definitions, `[label]: target`. */
function linksOf(file: string, text: string): Link[] {
  const body = prose(text);
  const lineAt = (index: number) => body.slice(0, index).split('\n').length;
  const patterns = [/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g, /^ {0,3}\[[^\]]+\]:[ \t]*<?([^\s>]+)>?/gm];
  const links: Link[] = [];
  for (const pattern of patterns) {
    for (const m of body.matchAll(pattern)) links.push({ file, line: lineAt(m.index), target: m[1] ?? '' });
  }
  return links.sort((a, b) => a.line - b.line);
}

/** Why a link does not resolve, or undefined when it does. */
function brokenBecause(tree: Tree, link: Link): string | undefined {
  const hash = link.target.indexOf('#');
  const path = hash < 0 ? link.target : link.target.slice(0, hash);
  const anchor = hash < 0 ? undefined : decodeURIComponent(link.target.slice(hash + 1));
  const base = path.startsWith('/') ? '' : posix.dirname(link.file);
  const target = path === '' ? link.file : posix.normalize(posix.join(base, decodeURI(path)));
  if (target.startsWith('../') || target === '..') return 'leads out of the repository';
  const kind = tree.kind(target);
  if (kind === undefined) return `no such file: ${target}`;
  if (anchor === undefined) return undefined;
  if (kind === 'dir') return `an anchor on a folder: ${target}`;
  if (!target.endsWith('.md')) return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : `not a line anchor: #${anchor}`;
  return anchorsOf(tree.read(target)).has(anchor) ? undefined : `no heading "${anchor}" in ${target}`;
}

function checkLinks(tree: Tree, files: readonly string[]): Checked {
  const checked: Checked = { problems: [], external: [] };
  for (const file of files) {
    for (const link of linksOf(file, tree.read(file))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) {
        checked.external.push(link);
        continue;
      }
      const why = brokenBecause(tree, link);
      if (why !== undefined) checked.problems.push(`${link.file}:${link.line}: ${link.target}: ${why}`);
    }
  }
  return checked;
}

const repository: Tree = {
  read: (path) => readFileSync(join(ROOT, path), 'utf8'),
  kind(path) {
    try {
      return statSync(join(ROOT, path)).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
};

/** README.md, every Markdown file under docs/, and the other guides kept beside their code. */
function documentation(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.md'))
    .map((path) => posix.join('docs', path.split('\\').join('/')))
    .sort();
  return ['README.md', ...docs, ...GUIDES_BESIDE_CODE];
}

/** Markdown outside docs/ that readers follow links from (bench/results/ are dated records). */
const GUIDES_BESIDE_CODE = [
  'bench/README.md',
  'bench/RESULTS.md',
  'bench/RESULTS-console.md',
  'charts/conveyor/README.md',
  'examples/gitops/README.md',
  'hack/gitops-health/README.md',
  'test/fixtures/cron/README.md',
  'test/sim/README.md',
];

function memoryTree(files: Record<string, string>): Tree {
  const paths = Object.keys(files);
  return {
    read: (path) => files[path] ?? '',
    kind: (path) =>
      path in files ? 'file' : paths.some((p) => p.startsWith(`${path}/`)) || path === '.' ? 'dir' : undefined,
  };
}

const FIXTURE: Record<string, string> = {
  'README.md': '# Conveyor\n\n## Two commands\n',
  'docs/guide.md': '# Guide\n\n## Setup, then `run` it!\n\n```sh\n# not a heading\n```\n\n## Setup, then `run` it!\n',
  'docs/screenshots/overview.png': '',
  'src/plan/planner.ts': '',
};

const CASES: { name: string; page: string; problems: string[]; external?: string[] }[] = [
  { name: 'a file beside it', page: '[g](guide.md)', problems: [] },
  {
    name: 'a missing file',
    page: 'x\n[g](gide.md)',
    problems: ['docs/page.md:2: gide.md: no such file: docs/gide.md'],
  },
  { name: 'a folder', page: '[s](../src/plan)', problems: [] },
  { name: 'a source file', page: '[p](../src/plan/planner.ts)', problems: [] },
  {
    name: 'a missing source file',
    page: '[p](../src/plan/plan.ts)',
    problems: ['docs/page.md:1: ../src/plan/plan.ts: no such file: src/plan/plan.ts'],
  },
  { name: 'an image', page: '![o](screenshots/overview.png)', problems: [] },
  {
    name: 'a missing image',
    page: '![o](screenshots/dark.png)',
    problems: ['docs/page.md:1: screenshots/dark.png: no such file: docs/screenshots/dark.png'],
  },
  { name: 'an anchor in the same file', page: '# Page one\n[x](#page-one)', problems: [] },
  {
    name: 'a missing anchor in the same file',
    page: '# Page one\n[x](#page)',
    problems: ['docs/page.md:2: #page: no heading "page" in docs/page.md'],
  },
  { name: 'a slug drops code marks and punctuation', page: '[x](guide.md#setup-then-run-it)', problems: [] },
  { name: 'a repeated heading gets -1', page: '[x](guide.md#setup-then-run-it-1)', problems: [] },
  {
    name: 'a comment in a code block is no heading',
    page: '[x](guide.md#not-a-heading)',
    problems: ['docs/page.md:1: guide.md#not-a-heading: no heading "not-a-heading" in docs/guide.md'],
  },
  { name: 'an anchor in the README', page: '[x](../README.md#two-commands)', problems: [] },
  {
    name: 'a wrong anchor in the README',
    page: '[x](../README.md#two-command)',
    problems: ['docs/page.md:1: ../README.md#two-command: no heading "two-command" in README.md'],
  },
  { name: 'a line anchor in a source file', page: '[x](../src/plan/planner.ts#L10-L12)', problems: [] },
  {
    name: 'any other anchor in a source file',
    page: '[x](../src/plan/planner.ts#plan)',
    problems: ['docs/page.md:1: ../src/plan/planner.ts#plan: not a line anchor: #plan'],
  },
  {
    name: 'a link out of the repository',
    page: '[x](../../etc/hosts)',
    problems: ['docs/page.md:1: ../../etc/hosts: leads out of the repository'],
  },
  {
    name: 'a reference definition',
    page: '[x][g]\n\n[g]: gide.md',
    problems: ['docs/page.md:3: gide.md: no such file: docs/gide.md'],
  },
  { name: 'code is not a link', page: '```md\n[x](nowhere.md)\n```\n`[y](nowhere.md)`', problems: [] },
  {
    name: 'external links are listed, not fetched',
    page: '[k](https://kubernetes.io/docs/) and [m](mailto:a@example.com)',
    problems: [],
    external: ['https://kubernetes.io/docs/', 'mailto:a@example.com'],
  },
];

describe('the link checker', () => {
  it.each(CASES)('$name', ({ page, problems, external = [] }) => {
    const checked = checkLinks(memoryTree({ ...FIXTURE, 'docs/page.md': page }), ['docs/page.md']);
    expect(checked.problems).toEqual(problems);
    expect(checked.external.map((link) => link.target)).toEqual(external);
  });

  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Run integrity: what Conveyor guarantees')).toBe('run-integrity-what-conveyor-guarantees');
    expect(githubSlug('A: the API server trusts your OIDC issuer (oauth2-proxy)')).toBe(
      'a-the-api-server-trusts-your-oidc-issuer-oauth2-proxy',
    );
    expect(githubSlug('`conveyor run` and [links](x.md)')).toBe('conveyor-run-and-links');
  });
});

describe('README.md and docs/', () => {
  it('every relative link and #anchor resolves (external links are not fetched)', () => {
    const files = documentation();
    expect(files.length).toBeGreaterThan(2);
    expect(checkLinks(repository, files).problems).toEqual([]);
  });

  it('docs/README.md, the index, links every page of docs/', () => {
    const index = linksOf('docs/README.md', repository.read('docs/README.md'));
    const linked = new Set(index.map((link) => posix.normalize(posix.join('docs', link.target.split('#')[0] ?? ''))));
    const pages = documentation().filter((file) => file.startsWith('docs/') && file !== 'docs/README.md');
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});
