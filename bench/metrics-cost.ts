/**
 * What the Embedded Metric Format metrics cost: the built bundles from dist/
 * with metrics on (as shipped) against the same bundles with CORS_METRICS=false,
 * and, when BENCH_BASELINE_PREFLIGHT names a CommonJS preflight bundle built
 * before the metrics existed, against that too. Not part of `npm run bench` (it answers
 * one question); run it after `npm run build`:
 *
 *   npx tsx bench/metrics-cost.ts [--quick]
 *
 * Warm: per-call time in one process, tinybench, batches of 64 calls, rounds
 * interleaved; the functions' stdout goes to /dev/null with a write(2) per
 * line, as a Lambda function writes to the runtime's pipe. Cold: spawn -> first
 * answer with bench/cold/child.cjs for an allowed preflight, variants
 * interleaved. Medians throughout.
 */
import { cpSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { motoEnv, startMoto } from '../scripts/lib/moto';
import { fileBytes, measureColdStarts, type ColdVariant } from './cold-start';
import { actualEvents, lambdaContext, preflightEvents } from './lib/events';
import { seedClient, seedPolicies } from './lib/policies';
import { runMain } from './lib/main';
import { ROOT } from './lib/root';
import { median, round, table } from './lib/stats';

type AnyHandler = (event: never, context: unknown) => Promise<unknown>;
const BATCH = 64;
const quick = process.argv.includes('--quick');
const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const moto = await startMoto({ quiet: true });
  const tmp = mkdtempSync(join(tmpdir(), 'apigw-cors-metrics-cost-'));
  const policyPath = '/bench/metrics-cost/api';
  try {
    const client = seedClient(moto.endpoint);
    await seedPolicies(client, policyPath, 1);
    client.destroy();
    Object.assign(process.env, motoEnv(moto.endpoint), {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CORS_POLICY_PATH: policyPath,
      CORS_POLICY_TTL_SECONDS: '86400',
      AWS_LAMBDA_FUNCTION_NAME: 'bench',
    });

    // ------------------------------------------------------------ warm
    const devNull = openSync('/dev/null', 'w');
    const realWrite = process.stdout.write.bind(process.stdout);
    const ctx = lambdaContext();
    const pre = preflightEvents();
    const actual = actualEvents();
    /** A private copy of a bundle directory, configured by `env` on its first call. */
    const load = async (dir: string, entry: string, name: string, env: Record<string, string>, first: (m: Record<string, unknown>) => Promise<unknown>) => {
      const copy = join(tmp, name);
      cpSync(dir, copy, { recursive: true });
      delete process.env.CORS_METRICS;
      delete process.env.CORS_METRICS_FLUSH_SECONDS;
      Object.assign(process.env, env);
      const mod = require(join(copy, entry)) as Record<string, unknown>;
      await first(mod);
      return mod;
    };
    const preflightDir = join(ROOT, 'dist', 'preflight');
    const layerDir = join(ROOT, 'dist', 'layer', 'nodejs', 'node_modules', 'apigw-cors');
    // The bundle's ES module entry (index.mjs) awaits init() at top level; required directly, the bench awaits it.
    const firstPreflight = async (m: Record<string, unknown>) => {
      await (m.init as (() => Promise<void>) | undefined)?.();
      return (m.handler as AnyHandler)(pre.v1Allowed as never, ctx);
    };
    process.stdout.write = ((chunk: string | Uint8Array) => {
      if (typeof chunk === 'string') writeSync(devNull, chunk);
      else writeSync(devNull, chunk);
      return true;
    }) as typeof process.stdout.write;
    const on = (await load(preflightDir, 'preflight.cjs', 'on', {}, firstPreflight)).handler as AnyHandler;
    const off = (await load(preflightDir, 'preflight.cjs', 'off', { CORS_METRICS: 'false' }, firstPreflight)).handler as AnyHandler;
    const every = (await load(preflightDir, 'preflight.cjs', 'every', { CORS_METRICS_FLUSH_SECONDS: '0' }, firstPreflight)).handler as AnyHandler;
    const baselineFile = process.env.BENCH_BASELINE_PREFLIGHT;
    const baseline = baselineFile
      ? ((await load(dirname(baselineFile), basename(baselineFile), 'baseline', {}, firstPreflight)).handler as AnyHandler)
      : undefined;
    const trivial = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
    const firstLayer = async (m: Record<string, unknown>) => (m.withCors as (h: AnyHandler) => AnyHandler)(trivial)(actual.v1 as never, ctx);
    const layerOn = ((await load(layerDir, 'index.js', 'layer-on', {}, firstLayer)).withCors as (h: AnyHandler) => AnyHandler)(trivial);
    const layerOff = ((await load(layerDir, 'index.js', 'layer-off', { CORS_METRICS: 'false' }, firstLayer)).withCors as (h: AnyHandler) => AnyHandler)(
      trivial,
    );

    const batch = (h: AnyHandler, e: unknown) => async () => {
      for (let i = 0; i < BATCH; i++) await h(e as never, ctx);
    };
    const tasks: Array<[string, () => Promise<void>]> = [
      ['preflight allowed, metrics on (flush every 60 s)', batch(on, pre.v1Allowed)],
      ['preflight allowed, CORS_METRICS=false', batch(off, pre.v1Allowed)],
      ['preflight allowed, flush every invocation', batch(every, pre.v1Allowed)],
      ['preflight denied, metrics on (EMF on the denial line)', batch(on, pre.v1Denied)],
      ['preflight denied, CORS_METRICS=false', batch(off, pre.v1Denied)],
      ['withCors(trivial) with an allowed Origin, metrics on', batch(layerOn, actual.v1)],
      ['withCors(trivial) with an allowed Origin, CORS_METRICS=false', batch(layerOff, actual.v1)],
      ...(baseline
        ? ([
            ['preflight allowed, baseline bundle (before metrics)', batch(baseline, pre.v1Allowed)],
            ['preflight denied, baseline bundle (before metrics)', batch(baseline, pre.v1Denied)],
          ] as Array<[string, () => Promise<void>]>)
        : []),
    ];
    const rounds = quick ? 3 : 7;
    const perRound = new Map<string, number[]>(tasks.map(([n]) => [n, []]));
    for (let r = 0; r < rounds; r++) {
      const bench = new Bench({ time: quick ? 150 : 300, warmupTime: 100 });
      for (let i = 0; i < tasks.length; i++) {
        const [name, fn] = tasks[(i + r) % tasks.length]!;
        bench.add(name, fn);
      }
      await bench.run();
      for (const t of bench.tasks) {
        const result = t.result as { latency?: { p50: number } };
        if (!result.latency) throw new Error(`task ${t.name} failed`);
        perRound.get(t.name)!.push((result.latency.p50 * 1000) / BATCH);
      }
      log(`  warm round ${r + 1}/${rounds}`);
    }
    process.stdout.write = realWrite;
    const warm = tasks.map(([name]) => ({ name, usPerCall: round(median(perRound.get(name)!), 3) }));

    // ------------------------------------------------------------ cold
    // The shipped entry, as Lambda loads it; the variable is set before the bundle's init runs (a dynamic import, not a hoisted one).
    const shipped = join(preflightDir, 'index.mjs');
    const offModule = join(tmp, 'cold-off.mjs');
    writeFileSync(offModule, `process.env.CORS_METRICS = 'false';\nexport const { handler } = await import(${JSON.stringify(pathToFileURL(shipped).href)});\n`);
    const shippedBytes = fileBytes(join(preflightDir, 'preflight.cjs'));
    const variants: ColdVariant[] = [
      { name: 'preflight, shipped (metrics on)', module: shipped, expectStatus: 204, bytes: shippedBytes },
      { name: 'preflight, shipped, CORS_METRICS=false', module: offModule, expectStatus: 204, bytes: shippedBytes },
      ...(baselineFile ? [{ name: 'preflight, baseline (before metrics)', module: baselineFile, expectStatus: 204, bytes: fileBytes(baselineFile) }] : []),
    ];
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...motoEnv(moto.endpoint),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CORS_POLICY_PATH: policyPath,
    };
    const coldRounds = quick ? 7 : 21;
    // An allowed preflight: child.cjs reads the first JSON line on stdout as the answer, and a denial writes its log line first.
    log(`  cold: ${variants.length} variants x ${coldRounds} rounds`);
    const cold = await measureColdStarts(variants, { rounds: coldRounds, event: join(ROOT, 'events', 'rest-v1-preflight-allowed.json'), env });

    const print = (line: string) => process.stdout.write(`${line}\n`);
    print(
      table(
        ['warm: per call', 'us'],
        warm.map((w) => [w.name, w.usPerCall]),
      ),
    );
    print('');
    print(
      table(
        ['cold: spawn -> first answer (allowed)', 'bytes', 'median ms', 'init ms', '1st call ms'],
        cold.map((c) => [c.name, c.bytes ?? 0, round(c.medianMs, 1), round(c.initMs, 2), round(c.firstCallMs, 2)]),
      ),
    );
    writeFileSync(join(ROOT, 'bench', 'results', 'metrics-cost.tmp.json'), JSON.stringify({ quick, warm, cold }, null, 2));
  } finally {
    await moto.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
