/**
 * `npm run bench` (scripts/bench.mjs builds first, then runs this): cold
 * starts, warm preflights, memory and Parameter Store cost, printed as tables
 * and written to bench/results/latest.json. Every figure is a median over
 * repeated runs; every comparison is a ratio measured in the same run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { motoEnv, startMoto } from '../scripts/lib/moto';
import { buildEngineOnlyBundle, buildNaiveSdkBundles, bundlePlain, fileBytes, measureColdStarts, type ColdResult, type ColdVariant } from './cold-start';
import { policyDocuments, seedClient, seedPolicies, samplePolicy } from './lib/policies';
import { runMain } from './lib/main';
import { ROOT } from './lib/root';
import { median, ratio, round, table } from './lib/stats';
import { fleetTable, measureSsmCost, minimumTtlSeconds, DEFAULT_QUOTA_TPS, type SsmCostRow } from './ssm-cost';
import { fleetCostTable, measureCompression, measureInstanceCalls, S3_GET_USD_PER_1000, SSM_HIGHER_THROUGHPUT_USD_PER_10000 } from './fleet-cost';
import { ensureBucket, s3SeedClient, writeSnapshot } from './lib/snapshots';
import { defaultSnapshotKey } from '../functions/core/snapshot';
import type { MemorySample } from './memory';
import type { WarmTask } from './warm';
import { PutParameterCommand } from '@aws-sdk/client-ssm';

interface Options {
  quick: boolean;
  only: Set<string>;
  /** `--compare FILE`: another build's preflight entry, measured as one more cold-start variant (before/after tables). */
  compare?: string;
  /** `--cold-shipped`: the cold-start part measures only the bare handlers, the raw-request floor and the shipped function in both modes. */
  coldShipped: boolean;
}

const PARTS = ['cold', 'warm', 'memory', 'ssm', 'fleet'] as const;

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, only: new Set(PARTS), coldShipped: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') options.quick = true;
    else if (a === '--only')
      options.only = new Set(
        String(argv[++i] ?? '')
          .split(',')
          .filter(Boolean),
      );
    else if (a === '--compare') options.compare = String(argv[++i] ?? '');
    else if (a === '--cold-shipped') options.coldShipped = true;
    else
      throw new Error(
        `unknown argument "${a}" (usage: npm run bench -- [--quick] [--only ${PARTS.join(',')}] [--cold-shipped] [--compare OTHER_BUILD/preflight/index.mjs])`,
      );
  }
  for (const p of options.only) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown part "${p}"; parts: ${PARTS.join(', ')}`);
  return options;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`  ${line}\n`);

/**
 * The environment of every measured process: what Lambda's Node.js runtime
 * gives a function, and nothing from the invoking shell. In particular no
 * NODE_EXTRA_CA_CERTS (Node 20+ runtimes leave it unset; loading a CA bundle
 * adds ~40 ms to every process start) and no NODE_OPTIONS. The SDK's notice
 * about its future Node 22 floor is switched off: Lambda runs nodejs22.x,
 * where the SDK never prints it, and on this machine's Node 20 printing it
 * would cost every SDK variant a few ms that Lambda does not pay.
 */
function lambdaLikeEnv(endpoint: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...motoEnv(endpoint),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    BENCH_ROOT: ROOT,
    ...extra,
  };
}

/** Bundles a bench program so that the measured process runs plain node, without tsx's loader. */
async function bundleProgram(entry: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${entry.replace(/\W+/g, '-')}.cjs`);
  await build({ entryPoints: [join(ROOT, 'bench', entry)], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'warning' });
  return outfile;
}

/** Node 22 (the Lambda runtime's) when scripts/bench.mjs found one, else this process's Node. */
const NODE22 = process.env.BENCH_NODE22 || undefined;
const RUNTIME_NODE = NODE22 ?? process.execPath;

function runProgram(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout is discarded: the product logs one JSON line per denied preflight, as in Lambda.
    const child = spawn(RUNTIME_NODE, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} failed (exit ${code}): ${err.trim()}`))));
  });
}

// ---------------------------------------------------------------- cold start

const SHIPPED = 'preflight, shipped (dist/preflight)';
const SHIPPED_SNAPSHOT = 'preflight, shipped, snapshot mode (CORS_SNAPSHOT_BUCKET)';
const COLD_BUCKET = 'bench-cold-snapshots';
const WARM_BUCKET = 'bench-warm-snapshots';

async function coldStart(endpoint: string, tmp: string, options: Options, node: string) {
  const policyPath = '/bench/cold/demo-api';
  const client = seedClient(endpoint);
  for (const name of ['products', 'public', 'default'] as const) {
    await client.send(new PutParameterCommand({ Name: `${policyPath}/${name}`, Value: samplePolicy(name), Type: 'String', Overwrite: true }));
  }
  client.destroy();
  // The same three policies as the fleet's snapshot, for the snapshot-mode variant.
  const s3 = s3SeedClient(endpoint);
  await ensureBucket(s3, COLD_BUCKET);
  await writeSnapshot(
    s3,
    COLD_BUCKET,
    defaultSnapshotKey(policyPath),
    policyPath,
    (['products', 'public', 'default'] as const).map((name) => ({ name, value: samplePolicy(name) })),
  );
  s3.destroy();

  const shipped = join(ROOT, 'dist', 'preflight', 'index.mjs');
  const shippedBytes = fileBytes(shipped, join(ROOT, 'dist', 'preflight', 'preflight.cjs'));
  const bare: ColdVariant[] = [
    { name: 'bare handler', module: join(ROOT, 'bench', 'cold', 'bare-handler.cjs'), expectStatus: 200 },
    { name: 'bare handler, ES module', module: join(ROOT, 'bench', 'cold', 'bare-handler.mjs'), expectStatus: 200 },
  ];
  const floor: ColdVariant = { name: 'floor: raw HTTP request, no SDK', module: join(ROOT, 'bench', 'cold', 'floor-handler.cjs'), expectStatus: 200 };
  const shippedVariants: ColdVariant[] = [
    { name: SHIPPED, module: shipped, expectStatus: 204, bytes: shippedBytes },
    {
      name: SHIPPED_SNAPSHOT,
      module: shipped,
      expectStatus: 204,
      bytes: shippedBytes,
      // Parameter Store pointed at a closed port: a variant that fell back to listing the path would fail its answer check.
      env: { CORS_SNAPSHOT_BUCKET: COLD_BUCKET, AWS_ENDPOINT_URL_S3: endpoint, AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9' },
    },
  ];
  let variants: ColdVariant[];
  if (options.coldShipped) variants = [...bare, floor, ...shippedVariants];
  else {
    const naive = await buildNaiveSdkBundles(join(tmp, 'cold'));
    // The preflight function bundled with the build's plain esbuild settings (before the cold-start work in scripts/build.mjs).
    const before = join(tmp, 'cold', 'preflight-plain-esbuild', 'index.js');
    await bundlePlain(join(ROOT, 'functions', 'preflight', 'handler.ts'), before, 'error');
    const engine = await buildEngineOnlyBundle(join(tmp, 'cold'));
    variants = [
      ...bare,
      { name: 'part: policy engine, no SDK', module: engine, expectStatus: 204, bytes: fileBytes(join(dirname(engine), 'engine.cjs')) },
      floor,
      { name: 'naive SDK bundle (esbuild --bundle)', module: naive.plain, expectStatus: 200, bytes: fileBytes(naive.plain) },
      { name: 'naive SDK bundle, --minify', module: naive.minified, expectStatus: 200, bytes: fileBytes(naive.minified) },
      { name: 'preflight, plain esbuild (before)', module: before, expectStatus: 204, bytes: fileBytes(before) },
      ...shippedVariants,
      {
        name: 'preflight, shipped, SDK client (CORS_SSM_CLIENT=sdk)',
        module: shipped,
        expectStatus: 204,
        bytes: shippedBytes + fileBytes(join(ROOT, 'dist', 'preflight', 'ssm-sdk.js')),
        env: { CORS_SSM_CLIENT: 'sdk' },
      },
    ];
  }
  if (options.compare)
    variants.push({ name: `compared build: ${options.compare}`, module: options.compare, expectStatus: 204, bytes: fileBytes(options.compare) });
  const event = join(ROOT, 'events', 'rest-v1-preflight-allowed.json');
  const rounds = options.quick ? 7 : 21;
  const nodeVersion = versionOf(node);
  const env = lambdaLikeEnv(endpoint, { CORS_POLICY_PATH: policyPath });
  progress(`cold start on Node ${nodeVersion}, as Lambda's runtime starts a handler: ${variants.length} variants x ${rounds} interleaved rounds`);
  const results = await measureColdStarts(variants, { rounds, event, node, env, harness: 'lambda-runtime' });

  // The same under a plain `node` program (the harness of the figures published before): the entry's ES module loader and node:http count against the handler.
  const plainVariants = variants.filter(
    (v) => v.name.startsWith('bare') || v.name.startsWith('floor') || v.name === SHIPPED || v.name === SHIPPED_SNAPSHOT || v.name.startsWith('compared build'),
  );
  const plainRounds = options.quick ? 5 : 15;
  progress(`cold start on Node ${nodeVersion}, plain node program: ${plainVariants.length} variants x ${plainRounds} rounds`);
  const plainNode = await measureColdStarts(plainVariants, { rounds: plainRounds, event, node, env, harness: 'plain-node' });

  // The same with the invoking shell's CA bundle, when it sets one: the setting an earlier published "about 2.1x" figure was measured with.
  let withCaBundle: ColdResult[] | undefined;
  const caBundle = process.env.NODE_EXTRA_CA_CERTS;
  if (caBundle) {
    const some = variants.filter((v) => v.name.startsWith('bare') || v.name.includes('--minify') || v.name.includes('shipped'));
    const caRounds = options.quick ? 5 : 11;
    progress(`cold start with NODE_EXTRA_CA_CERTS=${caBundle}: ${some.length} variants x ${caRounds} rounds`);
    withCaBundle = await measureColdStarts(some, {
      rounds: caRounds,
      event,
      node,
      env: lambdaLikeEnv(endpoint, { CORS_POLICY_PATH: policyPath, NODE_EXTRA_CA_CERTS: caBundle }),
    });
  }
  return { node: nodeVersion, rounds, policyPath, results, plainNode, withCaBundle, caBundle };
}

function versionOf(node: string): string {
  return node === process.execPath ? process.versions.node : execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
}

/** The baseline: the faster of the bare CommonJS and bare ES module handlers (in Lambda's runtime a CommonJS one also goes through import()). */
function bareMs(results: ColdResult[]): number {
  return Math.min(...results.filter((r) => r.name.startsWith('bare handler')).map((r) => r.medianMs));
}

function coldTable(results: ColdResult[], node: string): string {
  const bare = bareMs(results);
  return table(
    [`cold start on Node ${node}: spawn -> first answer`, 'bytes', 'median ms', 'x bare', 'init ms', '1st call ms', '2nd call ms'],
    results.map((r) => [
      r.name,
      r.bytes === undefined ? '-' : r.bytes.toLocaleString('en-US'),
      r.medianMs,
      ratio(r.medianMs / bare),
      r.initMs,
      r.firstCallMs,
      r.secondCallMs,
    ]),
  );
}

/** Every file of the Lambda artefacts, and whether a cold start on the common path loads it. */
function bundleSizes(): Array<{ file: string; bytes: number; loaded: string }> {
  const layer = join('dist', 'layer', 'nodejs', 'node_modules', 'apigw-cors');
  const rows: Array<[string, string]> = [
    [join('dist', 'preflight', 'index.mjs'), 'always (entry)'],
    [join('dist', 'preflight', 'preflight.cjs'), 'always'],
    [join('dist', 'preflight', 'ssm-sdk.js'), 'off the light path only'],
    [join(layer, 'index.js'), 'always (layer)'],
    [join(layer, 'ssm-sdk.js'), 'off the light path only'],
    [join('dist', 'redeploy', 'index.js'), 'custom resource'],
  ];
  return rows.map(([file, loaded]) => ({ file, bytes: fileBytes(join(ROOT, file)), loaded }));
}

// ---------------------------------------------------------------- warm path

async function warm(endpoint: string, tmp: string, options: Options) {
  const client = seedClient(endpoint);
  await seedPolicies(client, '/bench/warm/p1', 1);
  await seedPolicies(client, '/bench/warm/p500', 500);
  client.destroy();
  const s3 = s3SeedClient(endpoint);
  await ensureBucket(s3, WARM_BUCKET);
  await writeSnapshot(s3, WARM_BUCKET, defaultSnapshotKey('/bench/warm/p1'), '/bench/warm/p1', policyDocuments(1));
  s3.destroy();
  const program = await bundleProgram('warm.ts', tmp);
  const out = join(tmp, 'warm.json');
  const rounds = options.quick ? 3 : 5;
  progress(`warm: 20 tasks and the worst requests x ${rounds} rounds (tinybench)`);
  await runProgram(
    [program, out],
    lambdaLikeEnv(endpoint, {
      BENCH_PATH_1: '/bench/warm/p1',
      BENCH_PATH_500: '/bench/warm/p500',
      BENCH_ROUNDS: String(rounds),
      BENCH_TIME_MS: options.quick ? '100' : '250',
      BENCH_SNAPSHOT_BUCKET: WARM_BUCKET,
      AWS_ENDPOINT_URL_S3: endpoint,
    }),
  );
  return JSON.parse(readFileSync(out, 'utf8')) as { batch: number; rounds: number; timeMs: number; ssmCallsDuringMeasurement: number; tasks: WarmTask[] };
}

/** One handler alone in its own process (bench/warm-isolated.ts): the product against @middy/http-cors's single exact origin. */
interface IsolatedRow {
  event: 'v1' | 'v2-minimal';
  productUs: number;
  middyUs: number;
  /** Every process's figure, in the order run. */
  productRuns: number[];
  middyRuns: number[];
  /** With `--compare`: the compared build's product, in processes interleaved with the others. */
  comparedUs?: number;
  comparedRuns?: number[];
}

async function warmIsolated(endpoint: string, tmp: string, options: Options): Promise<IsolatedRow[]> {
  const program = await bundleProgram('warm-isolated.ts', tmp);
  const repetitions = options.quick ? 3 : 5;
  const rows: IsolatedRow[] = [];
  for (const event of ['v1', 'v2-minimal'] as const) {
    progress(`warm, each handler in its own process: product and @middy/http-cors (one exact origin), ${event} event, ${repetitions} processes each`);
    const runs: Record<'product' | 'middy-exact' | 'compared', number[]> = { product: [], 'middy-exact': [], compared: [] };
    // The compared build (`--compare DIR/preflight/index.mjs`) is the product program loading that build's preflight.cjs.
    const kinds = options.compare ? (['product', 'middy-exact', 'compared'] as const) : (['product', 'middy-exact'] as const);
    for (let i = 0; i < repetitions; i++) {
      // Rotate which goes first, so a drift in the machine's load hits every one alike.
      const order = kinds.map((_, k) => kinds[(i + k) % kinds.length]!);
      for (const which of order) {
        const out = join(tmp, `isolated-${which}-${event}-${i}.json`);
        await runProgram(
          [program, which === 'compared' ? 'product' : which, event, out],
          lambdaLikeEnv(endpoint, {
            CORS_POLICY_PATH: '/bench/warm/p1',
            BENCH_ROUNDS: options.quick ? '3' : '5',
            BENCH_TIME_MS: options.quick ? '100' : '250',
            ...(which === 'compared' && options.compare ? { BENCH_PREFLIGHT_BUNDLE: join(dirname(options.compare), 'preflight.cjs') } : {}),
          }),
        );
        runs[which].push((JSON.parse(readFileSync(out, 'utf8')) as { usPerCall: number }).usPerCall);
      }
    }
    rows.push({
      event,
      productUs: median(runs.product),
      middyUs: median(runs['middy-exact']),
      productRuns: runs.product,
      middyRuns: runs['middy-exact'],
      ...(options.compare ? { comparedUs: median(runs.compared), comparedRuns: runs.compared } : {}),
    });
  }
  return rows;
}

// ---------------------------------------------------------------- memory

async function memory(endpoint: string, tmp: string, options: Options) {
  const program = await bundleProgram('memory.ts', tmp);
  const runs = options.quick ? 1 : 3;
  const all: Array<{ samples: MemorySample[]; baselineRssMB: number }> = [];
  progress(`memory: 100,000 invocations x ${runs} runs`);
  for (let i = 0; i < runs; i++) {
    const out = join(tmp, `memory-${i}.json`);
    await runProgram(['--expose-gc', program, out], lambdaLikeEnv(endpoint, { BENCH_PATH: '/bench/warm/p500' }));
    all.push(JSON.parse(readFileSync(out, 'utf8')));
  }
  const first = all[0]!.samples;
  const samples: MemorySample[] = first.map((s, i) => ({
    invocations: s.invocations,
    heapUsedMB: median(all.map((r) => r.samples[i]!.heapUsedMB)),
    rssMB: median(all.map((r) => r.samples[i]!.rssMB)),
    externalMB: median(all.map((r) => r.samples[i]!.externalMB)),
  }));
  return { runs, baselineRssMB: median(all.map((r) => r.baselineRssMB)), samples };
}

// ---------------------------------------------------------------- report

function findTask(tasks: WarmTask[], name: string): number {
  const t = tasks.find((x) => x.name === name);
  if (!t) throw new Error(`no warm task "${name}"`);
  return t.usPerCall;
}

/**
 * The "worst request inside the bounds" rows: each hostile request against a
 * normal one of the same function and, for the preflight, the same answer
 * (a denial also writes a log line, which an allowed preflight does not).
 */
function hostileTable(tasks: WarmTask[]) {
  const normalAllowed = findTask(tasks, 'product v1 allowed, 1 policy');
  const normalDenied = findTask(tasks, 'product v1 denied, 1 policy');
  const normalLayer = findTask(tasks, 'withCors(trivial) v1');
  const rows = tasks
    .filter((t) => t.group === 'hostile-preflight' || t.group === 'hostile-layer')
    .map((t) => {
      const same = t.group === 'hostile-layer' ? normalLayer : t.outcome === 'denied' ? normalDenied : normalAllowed;
      return {
        name: t.name,
        group: t.group,
        outcome: t.outcome,
        usPerCall: t.usPerCall,
        xSameAnswer: round(t.usPerCall / same),
        xNormalAllowed: round(t.usPerCall / (t.group === 'hostile-layer' ? normalLayer : normalAllowed)),
      };
    });
  let text = table(
    ['worst request inside the bounds (v1, 1 policy)', 'answer', 'us/call', 'x normal, same answer', 'x normal allowed'],
    rows.map((r) => [r.name, r.outcome ?? '-', r.usPerCall, ratio(r.xSameAnswer), ratio(r.xNormalAllowed)]),
  );
  text += `\n(normal: v1 preflight allowed ${round(normalAllowed, 3)} us, denied ${round(normalDenied, 3)} us; withCors(trivial) v1 ${round(normalLayer, 3)} us. Memoizable inputs cycle through distinct values, so every call takes the uncached path.)`;
  return { rows, text, worstVsSame: Math.max(...rows.map((r) => r.xSameAnswer)), worstVsAllowed: Math.max(...rows.map((r) => r.xNormalAllowed)) };
}

interface Target {
  target: string;
  figure: string;
  met: boolean;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const tmp = mkdtempSync(join(tmpdir(), 'apigw-cors-bench-run-'));
  progress('starting moto');
  const moto = await startMoto();
  const report: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      node: process.version,
      runtimeNode: versionOf(RUNTIME_NODE),
      os: release(),
      loadAverageAtStart: loadavg().map((l) => round(l)),
    },
    quick: options.quick,
  };
  const targets: Target[] = [];
  const sections: string[] = [];
  try {
    if (options.only.has('cold')) {
      const nodes = NODE22 && NODE22 !== process.execPath ? [NODE22, process.execPath] : [process.execPath];
      const runs: Array<Record<string, unknown>> = [];
      for (const node of nodes) {
        const cold = await coldStart(moto.endpoint, tmp, options, node);
        const bare = bareMs(cold.results);
        runs.push({ ...cold, ratioToBare: Object.fromEntries(cold.results.map((r) => [r.name, round(r.medianMs / bare)])) });
        const shipped = cold.results.find((r) => r.name === SHIPPED)!;
        const before = cold.results.find((r) => r.name.includes('before'));
        const naiveMin = cold.results.find((r) => r.name.includes('--minify'));
        const snapshot = cold.results.find((r) => r.name === SHIPPED_SNAPSHOT)!;
        const plainSnapshot = cold.plainNode.find((r) => r.name === SHIPPED_SNAPSHOT)!;
        const floor = cold.results.find((r) => r.name.startsWith('floor'))!;
        const plainBare = bareMs(cold.plainNode);
        const plainShipped = cold.plainNode.find((r) => r.name === SHIPPED)!;
        const plainFloor = cold.plainNode.find((r) => r.name.startsWith('floor'))!;
        let text = `${coldTable(cold.results, cold.node)}\n(${cold.rounds} interleaved rounds; started as Lambda's Node.js runtime starts a handler (bench/cold/runtime-child.mjs); Lambda-like environment; policies from moto; init = load incl. top-level await)\n`;
        if (before && naiveMin)
          text += `shipped vs plain esbuild: ${ratio(shipped.medianMs / before.medianMs)} time, ${ratio(shipped.bytes! / before.bytes!)} bytes; shipped vs naive SDK bundle (minified): ${ratio(shipped.medianMs / naiveMin.medianMs)} time; `;
        text += `shipped first call ${shipped.firstCallMs} ms vs its warm second call ${shipped.secondCallMs} ms`;
        text += `\n\n${coldTable(cold.plainNode, cold.node)}\n(${cold.plainNode[0]!.runs} interleaved rounds; a plain node program (bench/cold/child.cjs) requiring or importing the handler: the entry's ES module loader and node:http count against it)`;
        if (cold.withCaBundle)
          text += `\n\n${coldTable(cold.withCaBundle, cold.node)}\n(the same with NODE_EXTRA_CA_CERTS=${cold.caBundle}, as inherited from this shell)`;
        sections.push(text);
        targets.push({
          target: `cold start on Node ${cold.node} <= 1.7x bare handler`,
          figure: `${ratio(shipped.medianMs / bare)} as Lambda's runtime starts it (floor without any SDK: ${ratio(floor.medianMs / bare)}); plain node program: ${ratio(plainShipped.medianMs / plainBare)} (floor ${ratio(plainFloor.medianMs / plainBare)})`,
          met: shipped.medianMs / bare <= 1.7,
        });
        targets.push({
          target: `cold start in snapshot mode on Node ${cold.node} <= 1.62x bare handler (aim 1.5x)`,
          figure: `${ratio(snapshot.medianMs / bare)} as Lambda's runtime starts it (direct mode in the same run: ${ratio(shipped.medianMs / bare)}); plain node program: ${ratio(plainSnapshot.medianMs / plainBare)}; first call ${snapshot.firstCallMs} ms, second ${snapshot.secondCallMs} ms, init ${snapshot.initMs} ms`,
          met: snapshot.medianMs / bare <= 1.62,
        });
        targets.push({
          target: `first invocation ~ a warm one (Node ${cold.node})`,
          figure: `${shipped.firstCallMs} ms first, ${shipped.secondCallMs} ms second; init ${shipped.initMs} ms`,
          met: shipped.firstCallMs <= shipped.secondCallMs + 1,
        });
      }
      report.coldStart = runs.length === 1 ? runs[0] : runs;
      const sizes = bundleSizes();
      report.bundleSizes = sizes;
      sections.push(
        table(
          ['artefact file', 'bytes', 'loaded'],
          sizes.map((r) => [r.file, r.bytes.toLocaleString('en-US'), r.loaded]),
        ),
      );
    }
    if (options.only.has('warm')) {
      const w = await warm(moto.endpoint, tmp, options);
      report.warm = w;
      const preflight = w.tasks.filter((t) => t.group === 'preflight');
      const layerTasks = w.tasks.filter((t) => t.group === 'layer');
      let text = table(
        [`warm preflight on Node ${versionOf(RUNTIME_NODE)} (in-process, tinybench)`, 'us/call'],
        preflight.map((t) => [t.name, t.usPerCall]),
      );
      text += `\n(median of ${w.rounds} rounds of tinybench medians; ${w.batch} calls per iteration; stores warm: ${w.ssmCallsDuringMeasurement} SSM calls while measuring)\n`;
      const ratios: Array<[string, number]> = [];
      for (const v of ['v1', 'v2']) {
        const product = findTask(w.tasks, `product ${v} allowed, 1 policy`);
        ratios.push([`product / @middy/http-cors, ${v} allowed`, round(product / findTask(w.tasks, `@middy/http-cors ${v} allowed`))]);
        ratios.push([`product / cors, ${v} allowed`, round(product / findTask(w.tasks, `cors ${v} allowed`))]);
      }
      for (const kind of ['allowed', 'denied'])
        ratios.push([
          `snapshot mode / direct mode, v1 ${kind}, 1 policy`,
          round(findTask(w.tasks, `product v1 ${kind}, 1 policy, snapshot mode`) / findTask(w.tasks, `product v1 ${kind}, 1 policy`)),
        ]);
      ratios.push([
        'product / @middy/http-cors single exact origin, v1 allowed',
        round(findTask(w.tasks, 'product v1 allowed, 1 policy') / findTask(w.tasks, '@middy/http-cors single exact origin, v1 allowed')),
      ]);
      // The same comparison with each handler alone in its own process: what an independent measurement sees.
      const isolated = await warmIsolated(moto.endpoint, tmp, options);
      report.warmIsolated = isolated;
      for (const row of isolated)
        ratios.push([`product / @middy/http-cors single exact origin, own processes, ${row.event} allowed`, round(row.productUs / row.middyUs)]);
      for (const v of ['v1', 'v2']) {
        for (const kind of ['allowed', 'denied']) {
          ratios.push([
            `500 policies / 1 policy, ${v} ${kind}`,
            round(findTask(w.tasks, `product ${v} ${kind}, 500 policies`) / findTask(w.tasks, `product ${v} ${kind}, 1 policy`)),
          ]);
        }
      }
      report.warmRatios = Object.fromEntries(ratios);
      text += `\n${table(
        ['ratio (same run)', 'time'],
        ratios.map(([n, r]) => [n, ratio(r)]),
      )}\n\n`;
      const overhead: Array<[string, number, number, number]> = [];
      for (const v of ['v1', 'v2']) {
        const bare = findTask(layerTasks, `trivial handler ${v}`);
        const wrapped = findTask(layerTasks, `withCors(trivial) ${v}`);
        overhead.push([`withCors over a trivial handler, ${v}`, bare, wrapped, wrapped - bare]);
      }
      text += table(['layer (actual GET response)', 'bare us', 'wrapped us', 'overhead us'], overhead);
      text += `\n\n${table(
        ['each alone in its own process', 'product us', 'middy exact us', ...(options.compare ? ['compared build us'] : [])],
        isolated.map((r) => [
          `${r.event} allowed (median of ${r.productRuns.length} processes each)`,
          r.productUs,
          r.middyUs,
          ...(r.comparedUs !== undefined ? [r.comparedUs] : []),
        ]),
      )}`;
      sections.push(text);
      const worst = hostileTable(w.tasks);
      report.worstRequests = worst.rows;
      sections.push(worst.text);
      targets.push({
        target: 'worst request inside the bounds <= 10x a normal preflight',
        figure: `${ratio(worst.worstVsSame)} the normal preflight with the same answer (${ratio(worst.worstVsAllowed)} the allowed one)`,
        met: worst.worstVsSame <= 10,
      });
      const worstVsMiddy = Math.max(...ratios.filter(([n]) => n.includes('middy')).map(([, r]) => r));
      const worstVsCors = Math.max(...ratios.filter(([n]) => n.startsWith('product / cors')).map(([, r]) => r));
      const worstScale = Math.max(...ratios.filter(([n]) => n.startsWith('500')).map(([, r]) => r));
      targets.push({
        target: 'warm preflight faster than @middy/http-cors',
        figure: `${ratio(worstVsMiddy)} its time (worst of v1/v2 and of its configurations)`,
        met: worstVsMiddy < 1,
      });
      targets.push({ target: 'warm preflight faster than cors', figure: `${ratio(worstVsCors)} its time (worst of v1/v2)`, met: worstVsCors < 1 });
      targets.push({ target: '500 policies within 1.2x of 1', figure: `${ratio(worstScale)} (worst of v1/v2, allowed/denied)`, met: worstScale <= 1.2 });
    }
    if (options.only.has('memory')) {
      if (!options.only.has('warm')) {
        const client = seedClient(moto.endpoint);
        await seedPolicies(client, '/bench/warm/p500', 500);
        client.destroy();
      }
      const m = await memory(moto.endpoint, tmp, options);
      report.memory = m;
      const at25 = m.samples.find((s) => s.invocations === 25_000)!;
      const last = m.samples[m.samples.length - 1]!;
      const heapGrowth = round(last.heapUsedMB - at25.heapUsedMB);
      const rssGrowth = round(last.rssMB - at25.rssMB);
      let text = table(
        ['memory after N warm invocations (500 policies)', 'heap MB', 'RSS MB', 'external MB'],
        m.samples.map((s) => [s.invocations.toLocaleString('en-US'), s.heapUsedMB, s.rssMB, s.externalMB]),
      );
      text += `\n(median of ${m.runs} runs, after two full GCs; RSS of the same process before loading the bundle: ${m.baselineRssMB} MB)\n`;
      text += `growth 25k -> 100k: heap ${heapGrowth} MB, RSS ${rssGrowth} MB`;
      sections.push(text);
      targets.push({
        target: 'memory flat over 100,000 invocations',
        figure: `heap ${heapGrowth} MB, RSS ${rssGrowth} MB from 25k to 100k`,
        met: Math.abs(heapGrowth) < 1 && rssGrowth < 2,
      });
      targets.push({ target: 'fits 128 MB', figure: `${last.rssMB} MB RSS after 100k`, met: last.rssMB < 128 });
    }
    if (options.only.has('ssm')) {
      progress('parameter store cost: seeding 1, 10, 100 and 1,000 policies');
      const rows: SsmCostRow[] = await measureSsmCost(moto.endpoint, [1, 10, 100, 1000], options.quick ? 2 : 5);
      const fleet = fleetTable();
      report.ssmCost = { rows, fleet, quotaTps: DEFAULT_QUOTA_TPS };
      let text = table(
        ['parameter store: policies', 'calls at cold start', 'calls per TTL', 'routes', 'load ms (moto)'],
        rows.map((r) => [r.policies, r.callsAtColdStart, r.callsPerTtl, r.routes, r.loadMs]),
      );
      text += "\n(GetParametersByPath pages counted at a proxy in front of moto; equal to the store's own count)\n\n";
      text += table(
        ['fleet: warm containers', 'policies', 'TTL s', 'calls/s', '% of 40 TPS', 'TTL for 50% of quota'],
        fleet.map((f) => [
          f.containers,
          f.policies,
          f.ttlSeconds,
          round(f.callsPerSecond),
          round(f.shareOfQuota * 100, 1),
          Math.max(5, minimumTtlSeconds(f.containers, f.policies, 0.5)),
        ]),
      );
      text += '\n(calls/s = N x ceil(P/10) / (TTL x 0.95); refreshes are jittered over 90-100% of the TTL)';
      sections.push(text);
    }
    if (options.only.has('fleet')) {
      progress('fleet cost: direct and snapshot designs, 100 and 500 policies, calls per instance measured');
      const measured = await measureInstanceCalls(moto.endpoint, [100, 500], options.quick ? 2 : 5);
      const rows = fleetCostTable(measured);
      report.fleetCost = {
        measured,
        rows,
        prices: { s3GetUsdPer1000: S3_GET_USD_PER_1000, ssmHigherThroughputUsdPer10000: SSM_HIGHER_THROUGHPUT_USD_PER_10000 },
      };
      let text = table(
        [
          'measured per instance: policies',
          'direct: SSM at cold start',
          'direct: SSM per TTL',
          'snapshot: S3 at cold start',
          'S3 per TTL (304)',
          'S3 per TTL (200)',
          'SSM calls',
          'snapshot bytes',
          '200 ms',
          '304 ms',
        ],
        measured.map((m) => [
          m.policies,
          m.direct.ssmAtColdStart,
          m.direct.ssmPerTtl,
          m.snapshot.s3AtColdStart,
          m.snapshot.s3PerTtlUnchanged,
          m.snapshot.s3PerTtlChanged,
          m.snapshot.ssmCalls,
          m.snapshot.snapshotBytes.toLocaleString('en-US'),
          m.snapshot.downloadMs,
          m.snapshot.notModifiedMs,
        ]),
      );
      text += '\n(counted at proxies in front of moto; each store on a fake clock; 200 ms = read, parse and compile of a new snapshot)\n\n';
      text += table(
        ['fleet: design', 'instances', 'policies', 'TTL s', 'SSM calls/s', '% of 40 TPS', 'S3 GET/s', 'S3 $/month', 'SSM $/month at higher throughput'],
        rows.map((r) => [
          r.design,
          r.instances.toLocaleString('en-US'),
          r.policies,
          r.ttlSeconds,
          round(r.ssmCallsPerSecond, 1),
          round(r.ssmQuotaShare * 100, 0),
          round(r.s3GetsPerSecond, 1),
          round(r.s3UsdPerMonth, 2),
          round(r.ssmHigherThroughputUsdPerMonth, 2),
        ]),
      );
      text += `\n(rate = N x calls per TTL / (TTL x 0.95); S3 GET $${S3_GET_USD_PER_1000}/1,000, 304 billed as a GET; SSM higher throughput $${SSM_HIGHER_THROUGHPUT_USD_PER_10000}/10,000, not documented for GetParametersByPath; 30-day month; the compiler's own calls are not included)`;
      const compression = await measureCompression(RUNTIME_NODE, [3, 100, 500], options.quick ? 5 : 15, tmp);
      report.fleetCompression = compression;
      text += `\n\n${table(
        [
          `gzip the snapshot? (Node ${versionOf(RUNTIME_NODE)}, fresh processes)`,
          'bytes',
          'gzip bytes',
          'load node:zlib ms',
          'load + inflate ms',
          'break-even MB/s',
        ],
        compression.map((c) => [
          c.policies,
          c.bytes.toLocaleString('en-US'),
          c.gzipBytes.toLocaleString('en-US'),
          c.zlibLoadMs,
          c.zlibLoadAndInflateMs,
          round(c.breakEvenMBps, 1),
        ]),
      )}\n(compression pays only on a link slower than the break-even: the bytes saved then take longer than loading node:zlib and inflating)`;
      sections.push(text);
    }
  } finally {
    await moto.stop();
    rmSync(tmp, { recursive: true, force: true });
  }

  report.targets = targets;
  report.seconds = Math.round((Date.now() - started) / 1000);
  // Only a complete run replaces the published figures; quick or partial runs go to an ignored file.
  const complete = !options.quick && options.only.size === PARTS.length;
  const resultsFile = join(ROOT, 'bench', 'results', complete ? 'latest.json' : 'partial.tmp.json');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);

  log('');
  for (const s of sections) log(`${s}\n`);
  if (targets.length > 0)
    log(
      table(
        ['target', 'measured', 'met'],
        targets.map((t) => [t.target, t.figure, t.met ? 'yes' : 'NO']),
      ),
    );
  log(`\nwritten to ${resultsFile.slice(ROOT.length + 1)} (${report.seconds} s)`);
}

runMain(main, 'bench failed: ');
