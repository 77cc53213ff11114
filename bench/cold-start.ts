/**
 * Cold starts, measured from outside: the parent starts `node <harness>
 * <handler> <event>` and times spawn → the child's answer line on stdout. Each
 * variant runs the same child program; rounds are interleaved (rotating order)
 * so that every variant shares the machine's noise, and every figure is a median.
 *
 * Two harnesses (docs/performance.md):
 * - `lambda-runtime` (bench/cold/runtime-child.mjs): starts the handler as
 *   Lambda's Node.js runtime does (an ES module bootstrap that has loaded
 *   node:http, handlers loaded with import()); the one the target is judged on.
 * - `plain-node` (bench/cold/child.cjs): a bare CommonJS program that
 *   requires a CommonJS handler; it charges an ES module entry and node:http
 *   to the handler, which in Lambda the runtime has already paid for.
 */
import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { median } from './lib/stats';
import { ROOT } from './lib/root';

export interface ColdVariant {
  name: string;
  /** Absolute path of the module exporting `handler` (CommonJS, or an ES module ending in .mjs). */
  module: string;
  /** The status code the first answer must have (checked on every run). */
  expectStatus: number;
  /** Bytes of the deployed code (all files of the artefact that are loaded). */
  bytes?: number;
  /** Extra environment for this variant. */
  env?: Record<string, string>;
}

export interface ColdResult {
  name: string;
  runs: number;
  /** Median spawn → answer, ms. */
  medianMs: number;
  /** Median in-process time to load the module (require, or import() with its top-level await: Lambda's init phase), ms. */
  initMs: number;
  /** Median in-process time of the first call, ms. */
  firstCallMs: number;
  /** Median in-process time of a second call of the same instance (warm), ms. */
  secondCallMs: number;
  bytes?: number;
  samplesMs: number[];
}

interface ChildAnswer {
  statusCode: number;
  initMs: number;
  firstCallMs: number;
  secondCallMs: number;
}

export type ColdHarness = 'lambda-runtime' | 'plain-node';

const CHILD: Record<ColdHarness, string> = {
  'lambda-runtime': join(ROOT, 'bench', 'cold', 'runtime-child.mjs'),
  'plain-node': join(ROOT, 'bench', 'cold', 'child.cjs'),
};

function runOnce(
  variant: ColdVariant,
  event: string,
  env: NodeJS.ProcessEnv,
  node: string,
  harness: ColdHarness,
): Promise<{ ms: number; answer: ChildAnswer }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let answeredAt: bigint | undefined;
    const started = process.hrtime.bigint();
    const child = spawn(node, [CHILD[harness], variant.module, event], {
      env: variant.env ? { ...env, ...variant.env } : env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (answeredAt === undefined && chunk.includes(10)) answeredAt = process.hrtime.bigint();
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.split('\n').filter((l) => l.startsWith('{'));
      if (code !== 0 || answeredAt === undefined || lines.length < 2) {
        reject(new Error(`cold start of ${variant.name} failed (exit ${code}): ${err.trim() || out.trim()}`));
        return;
      }
      const answer = Object.assign({}, ...lines.map((l) => JSON.parse(l))) as ChildAnswer;
      if (answer.statusCode !== variant.expectStatus) {
        reject(new Error(`cold start of ${variant.name} answered ${answer.statusCode}, expected ${variant.expectStatus}: ${err.trim()}`));
        return;
      }
      resolve({ ms: Number(answeredAt - started) / 1e6, answer });
    });
  });
}

export async function measureColdStarts(
  variants: ColdVariant[],
  options: { rounds: number; event: string; env: NodeJS.ProcessEnv; node?: string; harness?: ColdHarness; onRound?: (round: number) => void },
): Promise<ColdResult[]> {
  const node = options.node ?? process.execPath;
  const harness = options.harness ?? 'lambda-runtime';
  const samples = new Map<string, { ms: number[]; init: number[]; first: number[]; second: number[] }>(
    variants.map((v) => [v.name, { ms: [], init: [], first: [], second: [] }]),
  );
  // One unmeasured run each: file cache and moto's first-request paths warm for everyone.
  for (const v of variants) await runOnce(v, options.event, options.env, node, harness);
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(round + i) % variants.length] as ColdVariant;
      const { ms, answer } = await runOnce(v, options.event, options.env, node, harness);
      const s = samples.get(v.name)!;
      s.ms.push(ms);
      s.init.push(answer.initMs);
      s.first.push(answer.firstCallMs);
      s.second.push(answer.secondCallMs);
    }
    options.onRound?.(round + 1);
  }
  return variants.map((v) => {
    const s = samples.get(v.name)!;
    return {
      name: v.name,
      runs: s.ms.length,
      medianMs: median(s.ms),
      initMs: median(s.init),
      firstCallMs: median(s.first),
      secondCallMs: median(s.second),
      bytes: v.bytes,
      samplesMs: s.ms,
    };
  });
}

/**
 * The comparison a user would make: `esbuild --bundle --platform=node` of a
 * handler that creates an SSMClient and sends one GetParametersByPath.
 */
export async function buildNaiveSdkBundles(outDir: string): Promise<{ plain: string; minified: string }> {
  const entry = join(ROOT, 'bench', 'cold', 'naive-ssm-handler.ts');
  const plain = join(outDir, 'naive-ssm', 'index.js');
  const minified = join(outDir, 'naive-ssm-minified', 'index.js');
  await build({ entryPoints: [entry], bundle: true, platform: 'node', outfile: plain, logLevel: 'warning' });
  await build({ entryPoints: [entry], bundle: true, platform: 'node', minify: true, outfile: minified, logLevel: 'warning' });
  return { plain, minified };
}

/**
 * Bundles `entry` with esbuild's plain settings for a Lambda function (one
 * minified CommonJS file, no trimming step, no side file): the baseline the
 * build's cold-start work is measured against.
 */
export async function bundlePlain(entry: string, outfile: string, logLevel: 'warning' | 'error'): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    mainFields: ['module', 'main'],
    outfile,
    logLevel,
  });
}

/**
 * The policy engine alone (bench/cold/engine-only-handler.ts), bundled like the
 * shipped function: a CommonJS bundle behind an ES module entry that loads it
 * with createRequire, so that Lambda's import() of the entry does not run
 * cjs-module-lexer over the bundle (as the shipped entry avoids it). Returns the entry.
 */
export async function buildEngineOnlyBundle(outDir: string): Promise<string> {
  await bundlePlain(join(ROOT, 'bench', 'cold', 'engine-only-handler.ts'), join(outDir, 'engine-only', 'engine.cjs'), 'warning');
  const entry = join(outDir, 'engine-only', 'index.mjs');
  writeFileSync(entry, "import { createRequire } from 'node:module';\nexport const { handler } = createRequire(import.meta.url)('./engine.cjs');\n");
  return entry;
}

export function fileBytes(...files: string[]): number {
  return files.reduce((sum, f) => sum + statSync(f).size, 0);
}
