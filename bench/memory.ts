/**
 * Memory after many warm invocations. bench/run.ts bundles this file and runs
 * it as a plain-node process of its own, so that RSS counts only Node, the
 * shipped bundle and this loop:
 *
 *   node --expose-gc <bundled memory.cjs> <results.json>
 *
 * Environment: AWS_ENDPOINT_URL_SSM (moto) and BENCH_PATH (a seeded policy path).
 *
 * The shipped preflight bundle answers 100,000 preflights: v1 and v2,
 * allowed and denied, with a different path and origin on most calls so that
 * any cache keyed by request data would show up as growth. Heap and RSS are
 * sampled after full collections at 0, 25k, 50k, 75k and 100k.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { lambdaContext, preflightEvents } from './lib/events';
import { runMain } from './lib/main';
import { ROOT } from './lib/root';

const TOTAL = Number(process.env.BENCH_INVOCATIONS ?? 100_000);
const SAMPLE_EVERY = TOTAL / 4;

export interface MemorySample {
  invocations: number;
  heapUsedMB: number;
  rssMB: number;
  externalMB: number;
}

function sample(invocations: number): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  const mb = (n: number) => Math.round((n / 1048576) * 100) / 100;
  return { invocations, heapUsedMB: mb(m.heapUsed), rssMB: mb(m.rss), externalMB: mb(m.external) };
}

async function main(): Promise<void> {
  const resultsFile = process.argv[2];
  if (!resultsFile || !process.env.BENCH_PATH)
    throw new Error('usage: BENCH_PATH=/policy/path node --expose-gc memory.cjs <results.json> (bench/run.ts builds and runs it)');
  process.env.CORS_POLICY_PATH = process.env.BENCH_PATH;
  process.env.CORS_POLICY_TTL_SECONDS = '86400';
  const baselineRssMB = sample(0).rssMB;
  const { handler } = require(join(ROOT, 'dist', 'preflight', 'preflight.cjs')) as { handler: (e: unknown, c: Context) => Promise<{ statusCode: number }> };
  const ctx = lambdaContext();
  const base = preflightEvents();
  const first = await handler(base.v1Allowed, ctx);
  if (first.statusCode !== 204) throw new Error(`the bundle did not load its policies (${first.statusCode})`);

  // Events whose path and origin change per call; built up front so that the loop allocates only what the handler does.
  const variants = 1000;
  const events: unknown[] = [];
  for (let i = 0; i < variants; i++) {
    const v1 = structuredClone(i % 2 === 0 ? base.v1Allowed : base.v1Denied);
    v1.pathParameters = { proxy: `products/${i}` };
    v1.path = `/products/${i}`;
    if (i % 2 === 1) {
      v1.headers.Origin = `https://attacker-${i}.example.org`;
      v1.multiValueHeaders.Origin = [v1.headers.Origin];
    }
    const v2 = structuredClone(i % 2 === 0 ? base.v2Allowed : base.v2Denied);
    v2.pathParameters = { proxy: `products/${i}` };
    v2.rawPath = `/products/${i}`;
    v2.headers.origin = i % 2 === 0 ? `https://pr-${i}.preview.example.com` : `https://attacker-${i}.example.org`;
    events.push(v1, v2);
  }

  const samples: MemorySample[] = [sample(0)];
  let allowed = 0;
  for (let n = 1; n <= TOTAL; n++) {
    const r = await handler(events[n % events.length], ctx);
    if (r.statusCode === 204) allowed++;
    if (n % SAMPLE_EVERY === 0) samples.push(sample(n));
  }
  writeFileSync(resultsFile, JSON.stringify({ invocations: TOTAL, allowed, baselineRssMB, samples }, null, 2));
}

runMain(main);
