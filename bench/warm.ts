/**
 * Warm per-invocation time, in-process with tinybench. bench/run.ts bundles
 * this file with esbuild and runs it as its own plain-node process, so that
 * JIT state and heap belong to this measurement only (and no TypeScript
 * loader sits in it):
 *
 *   node <bundled warm.cjs> <results.json>
 *
 * Environment: AWS_ENDPOINT_URL_SSM (moto), BENCH_PATH_1 and BENCH_PATH_500
 * (policy paths already seeded with 1 and 500 policies), BENCH_ROUNDS, BENCH_TIME_MS;
 * optionally BENCH_SNAPSHOT_BUCKET and AWS_ENDPOINT_URL_S3 (a snapshot of the
 * 1-policy path at its default key) for the snapshot-mode rows.
 *
 * The product is measured as shipped: the built bundles from dist/, each
 * loaded twice from a private copy so that one process holds a warm store
 * with 1 policy and one with 500. The stores load once, before measuring;
 * a counting proxy in front of moto proves that no SSM call happens during
 * the measurement.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { startCountingProxy } from './lib/counting-proxy';
import { corsPackagePreflight, middyPreflight } from './lib/competitors';
import { actualEvents, lambdaContext, preflightEvents } from './lib/events';
import { runMain } from './lib/main';
import { hostileActuals, hostilePreflights, type HostileCase } from './lib/hostile';
import { ROOT } from './lib/root';
import { median } from './lib/stats';

type Event = APIGatewayProxyEvent | APIGatewayProxyEventV2;
type AnyHandler = (event: never, context: Context) => Promise<unknown>;

/** Calls per tinybench iteration: a batch keeps the timer's own cost out of microsecond figures. */
const BATCH = 64;

export interface WarmTask {
  name: string;
  group: 'preflight' | 'layer' | 'hostile-preflight' | 'hostile-layer';
  /** Hostile rows: what the product answered (checked before timing). */
  outcome?: 'allowed' | 'denied';
  /** Median over rounds of tinybench's median iteration time, divided by the batch: µs per call. */
  usPerCall: number;
  /** The same per round, for the spread. */
  roundsUs: number[];
}

function loadPrivateCopy(dir: string, name: string, tmp: string): string {
  const copy = join(tmp, name);
  cpSync(dir, copy, { recursive: true });
  return copy;
}

async function main(): Promise<void> {
  const resultsFile = process.argv[2];
  if (!resultsFile) throw new Error('usage: node warm.cjs <results.json> (bench/run.ts builds and runs it)');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const timeMs = Number(process.env.BENCH_TIME_MS ?? 200);
  const path1 = process.env.BENCH_PATH_1;
  const path500 = process.env.BENCH_PATH_500;
  const moto = process.env.AWS_ENDPOINT_URL_SSM;
  if (!path1 || !path500 || !moto) throw new Error('BENCH_PATH_1, BENCH_PATH_500 and AWS_ENDPOINT_URL_SSM must be set');

  const proxy = await startCountingProxy(moto);
  process.env.AWS_ENDPOINT_URL_SSM = proxy.endpoint;
  // Loaded once, never refreshed while measuring.
  process.env.CORS_POLICY_TTL_SECONDS = '86400';
  // The one load before measuring must not fail on a loaded machine (500 policies against moto can pass 2 s); it is not what is measured.
  process.env.CORS_POLICY_LOAD_BUDGET_MS = '20000';

  const tmp = mkdtempSync(join(tmpdir(), 'apigw-cors-bench-'));
  try {
    const ctx = lambdaContext();
    const pre = preflightEvents();
    const actual = actualEvents();

    // Each copy of a bundle has its own per-container store, configured from the environment on its first call.
    const loadPreflight = async (name: string, path: string): Promise<AnyHandler> => {
      process.env.CORS_POLICY_PATH = path;
      const dir = loadPrivateCopy(join(ROOT, 'dist', 'preflight'), name, tmp);
      const { handler } = require(join(dir, 'preflight.cjs')) as { handler: AnyHandler }; // the bundle the ES module entry loads
      const first = (await handler(pre.v1Allowed as never, ctx)) as { statusCode: number };
      if (first.statusCode !== 204) throw new Error(`preflight bundle (${name}) did not load its policies: ${first.statusCode}`);
      return handler;
    };
    const preflight = { p1: await loadPreflight('preflight-1', path1), p500: await loadPreflight('preflight-500', path500) };
    // Snapshot mode (BENCH_SNAPSHOT_BUCKET: a snapshot of the 1-policy path at its default key): the same bundle, its store reading S3.
    let snapshotP1: AnyHandler | undefined;
    if (process.env.BENCH_SNAPSHOT_BUCKET) {
      process.env.CORS_SNAPSHOT_BUCKET = process.env.BENCH_SNAPSHOT_BUCKET;
      snapshotP1 = await loadPreflight('preflight-1-snapshot', path1);
      delete process.env.CORS_SNAPSHOT_BUCKET;
    }
    // The worst requests go through the same copy as the normal rows, as they would reach a real
    // instance between normal requests. That costs the normal rows: after them, the copy's normal
    // path measured 0.29 -> 0.36-0.64 us here (issue 22), and a copy that serves only the worst
    // requests answers them 1.5-5x slower than one that also serves normal ones. So the
    // comparison with @middy/http-cors is also measured with each handler alone in its own
    // process (bench/warm-isolated.ts), where nothing else shapes the JIT's state.
    // The last of the 500 policies answers too: the whole set is loaded, not just the first page.
    const last = structuredClone(pre.v1Allowed);
    last.pathParameters = { proxy: 'r499/items/7' };
    last.headers.Origin = 'https://app499.example.com';
    last.multiValueHeaders.Origin = ['https://app499.example.com'];
    const lastAnswer = (await preflight.p500(last as never, ctx)) as { statusCode: number };
    if (lastAnswer.statusCode !== 204) throw new Error(`the 500-policy store lacks policy 499 (${lastAnswer.statusCode})`);
    process.env.CORS_POLICY_PATH = path1;
    const layerDir = loadPrivateCopy(join(ROOT, 'dist', 'layer', 'nodejs', 'node_modules', 'apigw-cors'), 'apigw-cors', tmp);
    const layer = require(join(layerDir, 'index.js')) as { withCors: (h: AnyHandler) => AnyHandler };
    const trivial = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
    const wrapped = layer.withCors(trivial);
    const firstActual = (await wrapped(actual.v1 as never, ctx)) as { headers: Record<string, string> };
    if (firstActual.headers['Access-Control-Allow-Origin'] !== 'https://shop.example.com') throw new Error('layer did not add the CORS headers');

    const middy = middyPreflight();
    const middyExact = middyPreflight(['https://shop.example.com']);
    const corsPkg = corsPackagePreflight();

    // Every handler answers every allowed preflight with 204 and the request's origin before anything is timed.
    for (const [name, h] of [
      ['product', preflight.p1],
      ['product-500', preflight.p500],
      ['middy', middy],
      ['cors', corsPkg],
    ] as Array<[string, AnyHandler]>) {
      for (const e of [pre.v1Allowed, pre.v2Allowed]) {
        const r = (await h(e as never, ctx)) as { statusCode: number; headers: Record<string, string> };
        const origin = 'headers' in e && e.headers ? (e.headers.Origin ?? e.headers.origin) : undefined;
        if (r.statusCode !== 204 || r.headers['Access-Control-Allow-Origin'] !== origin)
          throw new Error(`${name} did not allow ${origin}: ${JSON.stringify(r)}`);
      }
    }
    for (const h of [preflight.p1, preflight.p500, ...(snapshotP1 ? [snapshotP1] : [])]) {
      for (const e of [pre.v1Denied, pre.v2Denied]) {
        const r = (await h(e as never, ctx)) as { statusCode: number };
        if (r.statusCode !== 403) throw new Error(`product allowed a denied preflight: ${r.statusCode}`);
      }
    }

    const batch = (h: AnyHandler, e: Event) => async () => {
      for (let i = 0; i < BATCH; i++) await h(e as never, ctx);
    };
    /** One handler's preflight rows, in this order: v1 allowed, v2 allowed, v1 denied, v2 denied; each variant's row after the other's. */
    const preflightRows = (label: string, variants: Array<[suffix: string, h: AnyHandler]>) =>
      (
        [
          ['v1 allowed', pre.v1Allowed],
          ['v2 allowed', pre.v2Allowed],
          ['v1 denied', pre.v1Denied],
          ['v2 denied', pre.v2Denied],
        ] as Array<[string, Event]>
      ).flatMap(([request, e]) => variants.map(([suffix, h]) => ({ name: `${label} ${request}${suffix}`, group: 'preflight' as const, fn: batch(h, e) })));
    const tasks: Array<{ name: string; group: WarmTask['group']; fn: () => Promise<void> }> = [
      ...preflightRows('product', [
        [', 1 policy', preflight.p1],
        [', 500 policies', preflight.p500],
      ]),
      ...(snapshotP1
        ? [
            { name: 'product v1 allowed, 1 policy, snapshot mode', group: 'preflight' as const, fn: batch(snapshotP1, pre.v1Allowed) },
            { name: 'product v1 denied, 1 policy, snapshot mode', group: 'preflight' as const, fn: batch(snapshotP1, pre.v1Denied) },
          ]
        : []),
      ...preflightRows('@middy/http-cors', [['', middy]]),
      // The v1 allowed event's origin is https://shop.example.com: the one exact origin configured.
      { name: '@middy/http-cors single exact origin, v1 allowed', group: 'preflight', fn: batch(middyExact, pre.v1Allowed) },
      ...preflightRows('cors', [['', corsPkg]]),
      ...(['v1', 'v2'] as const).flatMap((v) => [
        { name: `trivial handler ${v}`, group: 'layer' as const, fn: batch(trivial, actual[v]) },
        { name: `withCors(trivial) ${v}`, group: 'layer' as const, fn: batch(wrapped, actual[v]) },
      ]),
    ];

    // Worst requests inside the bounds: checked to get the expected answer, then timed like the rest.
    const cycle = (h: AnyHandler, events: readonly Event[]) => {
      let next = 0;
      return async () => {
        for (let i = 0; i < BATCH; i++) {
          await h(events[next] as never, ctx);
          next = next + 1 === events.length ? 0 : next + 1;
        }
      };
    };
    const hostile: Array<[HostileCase, WarmTask['group'], AnyHandler]> = [
      ...hostilePreflights().map((c): [HostileCase, WarmTask['group'], AnyHandler] => [c, 'hostile-preflight', preflight.p1]),
      ...hostileActuals().map((c): [HostileCase, WarmTask['group'], AnyHandler] => [c, 'hostile-layer', wrapped]),
    ];
    const outcomes = new Map<string, 'allowed' | 'denied'>();
    for (const [c, group, h] of hostile) {
      for (const e of [c.events[0], c.events[c.events.length - 1]]) {
        const r = (await h(e as never, ctx)) as { statusCode: number; headers: Record<string, string> };
        const allowed = group === 'hostile-preflight' ? r.statusCode === 204 : r.headers['Access-Control-Allow-Origin'] !== undefined;
        if (allowed !== (c.expect === 'allowed')) throw new Error(`hostile case "${c.name}" was ${allowed ? 'allowed' : 'denied'}, expected ${c.expect}`);
      }
      outcomes.set(c.name, c.expect);
      tasks.push({ name: c.name, group, fn: cycle(h, c.events) });
    }

    proxy.reset();
    const perRound = new Map<string, number[]>(tasks.map((t) => [t.name, []]));
    for (let round = 0; round < rounds; round++) {
      const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs) });
      // Rotate the order each round so that no task always runs first (or last) in a warm process.
      const order = tasks.map((_, i) => tasks[(i + round * 3) % tasks.length]!);
      for (const t of order) bench.add(t.name, t.fn);
      await bench.run();
      for (const task of bench.tasks) {
        const result = task.result;
        if (!('latency' in result)) throw new Error(`task ${task.name} failed: ${JSON.stringify(result)}`);
        perRound.get(task.name)!.push((result.latency.p50 * 1000) / BATCH);
      }
    }
    const ssmCallsDuringMeasurement = proxy.total();
    if (ssmCallsDuringMeasurement !== 0) throw new Error(`${ssmCallsDuringMeasurement} SSM calls during the warm measurement: the stores were not warm`);

    const results: WarmTask[] = tasks.map((t) => ({
      name: t.name,
      group: t.group,
      ...(outcomes.has(t.name) ? { outcome: outcomes.get(t.name) } : {}),
      usPerCall: median(perRound.get(t.name)!),
      roundsUs: perRound.get(t.name)!,
    }));
    writeFileSync(resultsFile, JSON.stringify({ batch: BATCH, rounds, timeMs, ssmCallsDuringMeasurement, tasks: results }, null, 2));
  } finally {
    await proxy.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
