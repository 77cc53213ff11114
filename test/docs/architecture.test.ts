// The layout rules of docs/architecture.md, held against the imports of every
// file under functions/ (type imports included): no circle, and every arrow
// points down (core <- aws <- the functions and the CLI).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const FUNCTIONS = join(ROOT, 'functions');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|mjs|cjs|js)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Module specifiers of `import ... from`, `export ... from`, `import(...)` and `require(...)`, comments left out. */
function specifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of code.matchAll(
    /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*['"]([^'"]+)['"]|\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/gm,
  ))
    found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

/** The file a relative specifier names, or undefined for a package or a data file. */
function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  const candidates = [base, `${base}.ts`, `${base}.mts`, `${base}.cts`, join(base, 'index.ts'), base.replace(/\.(c|m)?js$/, '.ts')];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile() && /\.(ts|mts|cts|mjs|cjs|js)$/.test(c));
}

const files = sourceFiles(FUNCTIONS);
const graph = new Map<string, { local: string[]; packages: string[] }>(
  files.map((file) => {
    const specs = specifiers(readFileSync(file, 'utf8'));
    return [
      relative(ROOT, file),
      {
        local: specs.flatMap((s) => {
          const target = resolveLocal(file, s);
          return target ? [relative(ROOT, target)] : [];
        }),
        packages: specs.filter((s) => !s.startsWith('.')),
      },
    ];
  }),
);

/** functions/<area>/...: the area a file belongs to. */
const areaOf = (file: string) => file.split('/')[1]!;

/** Which areas each area may import (docs/architecture.md, "Dependencies point down"). */
const ALLOWED: Record<string, readonly string[]> = {
  core: ['core'],
  aws: ['aws', 'core'],
  preflight: ['preflight', 'aws', 'core'],
  layer: ['layer', 'aws', 'core'],
  redeploy: ['redeploy', 'aws', 'core'],
  compiler: ['compiler', 'aws', 'core'],
  cli: ['cli', 'aws', 'core'],
};
/** The one documented exception: the compiler answers CloudFormation with the custom resource's reply. */
const EXCEPTIONS = new Set(['functions/compiler/handler.ts -> functions/redeploy/response.ts']);

function findCircles(): string[][] {
  const circles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file)?.local ?? []) {
      if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return circles;
}

describe('the layout rules of docs/architecture.md', () => {
  it('reads the imports it checks (a parser that found none would pass anything)', () => {
    expect(graph.size).toBeGreaterThan(80);
    expect(graph.get('functions/aws/preflight-response.ts')?.local).toEqual(
      expect.arrayContaining(['functions/core/preflight.ts', 'functions/core/preflight-answer.ts', 'functions/aws/denial-line.ts']),
    );
    expect(
      specifiers("import type { A } from './a';\nexport { b } from \"./b\";\nconst c = await import('./c');\n// import d from './d';\nimport './e';"),
    ).toEqual(['./a', './b', './c', './e']);
  });

  it('has no import circle, type imports included', () => {
    expect(findCircles().map((c) => c.join(' -> '))).toEqual([]);
  });

  it('points every import down: core imports nothing of the others, aws only core, no function or the CLI another', () => {
    const wrong: string[] = [];
    for (const [file, { local }] of graph) {
      const area = areaOf(file);
      for (const target of local) {
        const arrow = `${file} -> ${target}`;
        if (!ALLOWED[area]?.includes(areaOf(target)) && !EXCEPTIONS.has(arrow)) wrong.push(arrow);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps AWS out of the core: no SDK, Smithy or aws-lambda import under functions/core', () => {
    const aws = [...graph]
      .filter(([file]) => areaOf(file) === 'core')
      .flatMap(([file, { packages }]) => packages.filter((p) => /^(@aws-sdk|@smithy|@aws-crypto|aws-lambda)/.test(p)).map((p) => `${file}: ${p}`));
    expect(aws).toEqual([]);
  });
});
