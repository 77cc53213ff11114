/**
 * One warm handler alone in its own process: the product's built bundle or
 * @middy/http-cors with one exact origin, on one event. bench/run.ts bundles
 * this file and runs it once per (handler, event, repetition), alternating
 * handlers, for the "against @middy/http-cors" rows.
 *
 *   node <bundled warm-isolated.cjs> <product|middy-exact> <v1|v2-minimal> <results.json>
 *
 * Why a process each: in bench/warm.ts every handler shares one process and
 * the harness's call sites, so each one's figure depends on what else ran
 * there (two copies of the product bundle, the layer, middy, cors): V8's
 * type feedback at the shared call sites turns megamorphic, and the heap and
 * the optimised code are shared. An independent measurement made that way
 * (issue 22) disagreed with the in-process ratio; alone, nothing but the
 * handler itself is measured.
 *
 * Environment: AWS_ENDPOINT_URL_SSM (moto), CORS_POLICY_PATH (the sample
 * `products` policy), BENCH_ROUNDS, BENCH_TIME_MS; BENCH_PREFLIGHT_BUNDLE: the
 * product's preflight.cjs to load (default: this tree's dist/), so that
 * `--compare` can time another build the same way.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { Bench } from 'tinybench';
import { middyPreflight, type Handler } from './lib/competitors';
import { lambdaContext, minimalV2Preflight, preflightEvents } from './lib/events';
import { runMain } from './lib/main';
import { ROOT } from './lib/root';
import { median } from './lib/stats';

const BATCH = 64;

async function main(): Promise<void> {
  const [which, eventName, resultsFile] = process.argv.slice(2);
  if (!resultsFile || (which !== 'product' && which !== 'middy-exact') || (eventName !== 'v1' && eventName !== 'v2-minimal'))
    throw new Error('usage: node warm-isolated.cjs <product|middy-exact> <v1|v2-minimal> <results.json>');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const timeMs = Number(process.env.BENCH_TIME_MS ?? 250);
  // Loaded once, never refreshed while measuring.
  process.env.CORS_POLICY_TTL_SECONDS = '86400';
  process.env.CORS_POLICY_LOAD_BUDGET_MS = '20000';
  const event = eventName === 'v1' ? preflightEvents().v1Allowed : minimalV2Preflight();
  const ctx: Context = lambdaContext();
  const handler: Handler =
    which === 'product'
      ? (require(process.env.BENCH_PREFLIGHT_BUNDLE || join(ROOT, 'dist', 'preflight', 'preflight.cjs')) as { handler: Handler }).handler
      : middyPreflight(['https://shop.example.com']);
  const first = await handler(event, ctx);
  if (first.statusCode !== 204 || first.headers['Access-Control-Allow-Origin'] !== 'https://shop.example.com')
    throw new Error(`${which} did not allow the preflight: ${JSON.stringify(first)}`);
  const perRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs) });
    bench.add(which, async () => {
      for (let i = 0; i < BATCH; i++) await handler(event, ctx);
    });
    await bench.run();
    const result = bench.tasks[0]?.result;
    if (!result || !('latency' in result)) throw new Error(`${which} failed: ${JSON.stringify(result)}`);
    perRound.push((result.latency.p50 * 1000) / BATCH);
  }
  writeFileSync(resultsFile, JSON.stringify({ which, event: eventName, usPerCall: median(perRound), roundsUs: perRound }));
}

runMain(main);
