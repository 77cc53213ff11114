// Every reference a reader can follow must resolve: relative links (and their
// #anchors) in README.md and docs/, and every `docs/...` path named in the
// sources, the template, the Makefile and the CLI's --help texts.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const SOURCE_DIRS = ['functions', 'scripts', 'test', 'bench', '.ci'];
const SOURCE_FILES = ['template.yaml', 'Makefile', 'samconfig.toml', 'package.json'];

function walk(dir: string, keep: (f: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(p).isDirectory() ? walk(p, keep) : keep(p) ? [p] : [];
  });
}

const markdownFiles = [join(ROOT, 'README.md'), ...walk(join(ROOT, 'docs'), (f) => f.endsWith('.md'))];

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(file: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6} (.*)$/.exec(line);
    if (m) anchors.add(slug(m[1]!));
  }
  return anchors;
}

/** Markdown links outside code fences and inline code, as [text](target). */
function linksOf(file: string): string[] {
  const links: string[] = [];
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    for (const m of line.replace(/`[^`]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) links.push(m[1]!);
  }
  return links;
}

describe('documentation links', () => {
  it('finds the README and the topic pages', () => {
    expect(markdownFiles.length).toBeGreaterThan(5);
  });

  it.each(markdownFiles.map((f) => [relative(ROOT, f), f]))('every relative link in %s resolves, anchors included', (_name, file) => {
    const broken: string[] = [];
    for (const link of linksOf(file)) {
      if (/^[a-z]+:/i.test(link)) continue; // https:, mailto:
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path ? resolve(dirname(file), path) : file;
      if (!existsSync(target)) broken.push(`${link}: no such file`);
      else if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) broken.push(`${link}: no heading with that anchor`);
    }
    expect(broken).toEqual([]);
  });
});

describe('docs/ paths named outside the docs', () => {
  const files = [
    ...SOURCE_DIRS.flatMap((d) => walk(join(ROOT, d), (f) => /\.(ts|mts|cts|mjs|cjs|js|json|yaml|yml|html|sh)$/.test(f) || !f.includes('.'))),
    ...SOURCE_FILES.map((f) => join(ROOT, f)).filter(existsSync),
  ];

  it('scans the sources', () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it('every docs/... path in sources, the template, the Makefile and --help texts exists', () => {
    const missing: string[] = [];
    for (const file of files) {
      if (file === __filename) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w/.-])docs\/[\w./-]*\w/g)) {
        if (!existsSync(join(ROOT, m[0]))) missing.push(`${relative(ROOT, file)}: ${m[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('the sources cite no document outside the repository', () => {
    const cited: string[] = [];
    for (const file of files) {
      if (file === __filename) continue;
      if (/\bfacts\.md\b|shared\/facts/.test(readFileSync(file, 'utf8'))) cited.push(relative(ROOT, file));
    }
    expect(cited).toEqual([]);
  });
});
