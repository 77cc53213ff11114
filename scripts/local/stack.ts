// The local stack, as one reusable module: a local Parameter Store (moto)
// seeded with policies, the API Gateway emulator in front of the BUILT
// preflight function and an example API built on the BUILT layer, and the
// demo page on a second origin. `npm start`, the browser suite and the load
// test all start it through `startLocalStack`.
import { existsSync } from 'node:fs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { defaultSnapshotKey } from '../../functions/core/snapshot';
import { motoEnv, startMoto, type MotoServer } from '../lib/moto';
import { LocalCompiler } from './compiler';
import type { PayloadVersion } from './events';
import { close, createGateway, listen } from './gateway';
import { LambdaFunction } from './lambda';
import { activate, type ActiveMisconfiguration, type Misconfiguration } from './misconfig';
import { MetricCounters } from './metrics';
import { createPageServer, type ExplainFn } from './page-server';
import { REPO_ROOT, putPolicy, runCli, seedPolicies, type SeedResult } from './policies';
import { Recorder, type RequestRecord } from './recorder';
import { startS3Proxy, type S3Proxy } from './s3-proxy';
import { startSsmProxy, type SsmProxy } from './ssm-proxy';

// The CommonJS bundle the ES module entry (index.mjs) wraps: the local worker loads it with require.
export const PREFLIGHT_BUNDLE = join(REPO_ROOT, 'dist', 'preflight', 'preflight.cjs');
export const LAYER_MODULES = join(REPO_ROOT, 'dist', 'layer', 'nodejs', 'node_modules');
export const EXAMPLE_API = join(__dirname, 'example-api.cjs');
export const COMPILER_BUNDLE = join(REPO_ROOT, 'dist', 'compiler', 'index.js');

/** How the instances get their policies, as the stack's PolicyMode parameter says. */
export type PolicyMode = 'snapshot' | 'direct';

/** One line a function wrote, parsed when it is JSON. */
export interface FunctionLog {
  function: 'preflight' | 'api' | 'compiler';
  stream: 'stdout' | 'stderr';
  line: string;
  json?: Record<string, unknown>;
}

export interface LocalStackOptions {
  /** Event shape: REST API payload v1 (default) or HTTP API payload v2. */
  payload?: PayloadVersion;
  /** Policy files to push at start; `null` seeds nothing. Default: the repository's `examples/` (the demo policies; `policies/` is the user's). */
  policiesDir?: string | null;
  /** Parameter Store path of the policies. Default `/cors/demo-api`. */
  policyPath?: string;
  /** CORS_POLICY_TTL_SECONDS of both functions (5-86400). Default 5, so edits show quickly. */
  ttlSeconds?: number;
  /** Use this moto server instead of starting one (it is then left running on stop). */
  motoEndpoint?: string;
  /** Ports on 127.0.0.1; 0 (default) picks free ones. */
  apiPort?: number;
  pagePort?: number;
  /** Host names used in the URLs handed out (both servers listen on 127.0.0.1 whatever the name). Default `localhost`. */
  apiHost?: string;
  pageHost?: string;
  /** LOG_LEVEL of the functions. Default INFO. */
  logLevel?: string;
  /** CORS_DEBUG of the preflight function (adds X-Cors-Deny-Reason to denials). Default true. */
  debug?: boolean;
  /**
   * What the emulated API gets wrong, like real APIs users install into
   * (scripts/local/misconfig.ts): a more specific own route, an HTTP API
   * CorsConfiguration, an authorizer on OPTIONS, missing OPTIONS routes.
   * Default: none. Changeable while running with {@link LocalStack.misconfigure}.
   */
  misconfiguration?: Misconfiguration;
  /** `answerPreflights` of the example API's `withCors`. Default true (the layer's default). */
  layerAnswersPreflights?: boolean;
  /** CORS_METRICS_FLUSH_SECONDS of both functions. Default 0 (a metrics line after every invocation), so /__local/stats follows each request; deployed functions default to 60. */
  metricsFlushSeconds?: number;
  /**
   * `snapshot` (default, as the stack): a compiler writes one snapshot object to moto's S3 on
   * Parameter Store change events (which the local Parameter Store emits), on a schedule and
   * once before the gateway opens; both functions read only that object. `direct`: both
   * functions list the policy path themselves.
   */
  mode?: PolicyMode;
  /** Snapshot mode: seconds between scheduled compiles (the stack's SnapshotSchedule). Default 300; 0 = none. */
  scheduleSeconds?: number;
  /** Receives every line the functions log. */
  onLog?: (log: FunctionLog) => void;
  /** Receives every request the gateway passed to a function, once answered. */
  onRequest?: (record: RequestRecord) => void;
}

export interface LocalStack {
  payload: PayloadVersion;
  policyPath: string;
  ttlSeconds: number;
  urls: {
    /** The API, e.g. `http://localhost:3000`. */
    api: string;
    /** The demo page on its own origin. */
    page: string;
    /** The same page on an origin the demo policies do not allow (`127.0.0.1` instead of the host name), when the page host is not an IP. */
    pageOtherOrigin?: string;
    /** Debug endpoint with the counters. */
    stats: string;
  };
  apiPort: number;
  pagePort: number;
  /** `http://127.0.0.1:PORT`: the local Parameter Store. */
  motoEndpoint: string;
  /** Environment for the CLI and the SDK: endpoint, region, dummy credentials. */
  env: Record<string, string>;
  /** Preflights and actual requests the gateway passed to the functions, per origin and path. */
  counters: Recorder;
  /** The metrics the functions emitted in their log lines (Embedded Metric Format), summed as CloudWatch would. */
  metrics: MetricCounters;
  /** Parameter Store calls made by the functions (`app`: cors-preflight, example-api, cors-compiler) and by the CLI (`cors-policy`, or `unknown`). */
  parameterStore: Pick<SsmProxy, 'calls' | 'snapshot'>;
  mode: PolicyMode;
  /** Snapshot mode only. */
  snapshot?: {
    bucket: string;
    key: string;
    compiler: LocalCompiler;
    /** S3 requests per function (`GET 304`, `GET 200`, `PUT 200`, ...). */
    s3: Record<'preflight' | 'api' | 'compiler', Pick<S3Proxy, 'calls' | 'snapshot'>>;
  };
  functions: { preflight: LambdaFunction; api: LambdaFunction; compiler?: LambdaFunction };
  seeded?: SeedResult;
  /** Pushes a directory of policy files with the CLI (or the SDK if the CLI is not built). */
  pushPolicies(dir: string): Promise<SeedResult>;
  /** Writes one policy parameter (`name` relative to the policy path) with the SDK. */
  putPolicy(name: string, document: unknown): Promise<void>;
  /** What the emulated API currently gets wrong. */
  readonly misconfiguration: Misconfiguration;
  /** Replaces the misconfiguration (`{}` heals the API); throws on an invalid one, leaving the current in place. */
  misconfigure(m: Misconfiguration): void;
  /** Closes both servers, ends the function environments, stops moto if this stack started it. */
  stop(): Promise<void>;
}

function requireBuilt(): void {
  const missing = [PREFLIGHT_BUNDLE, join(LAYER_MODULES, 'apigw-cors', 'index.js')].filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`the built bundles are missing (${missing.join(', ')}): run npm run build first`);
}

function parseLog(fn: FunctionLog['function'], line: string, stream: FunctionLog['stream']): FunctionLog {
  try {
    const json = JSON.parse(line) as unknown;
    if (json && typeof json === 'object' && !Array.isArray(json)) return { function: fn, stream, line, json: json as Record<string, unknown> };
  } catch {
    // Not a JSON log line: passed on as text.
  }
  return { function: fn, stream, line };
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  requireBuilt();
  const payload = options.payload ?? 'v1';
  const policyPath = options.policyPath ?? '/cors/demo-api';
  const ttlSeconds = options.ttlSeconds ?? 5;
  const apiHost = options.apiHost ?? 'localhost';
  const mode: PolicyMode = options.mode ?? 'snapshot';
  if (mode !== 'snapshot' && mode !== 'direct') throw new Error(`mode must be snapshot or direct, not "${String(mode)}"`);
  if (mode === 'snapshot' && !existsSync(COMPILER_BUNDLE)) throw new Error(`the built compiler is missing (${COMPILER_BUNDLE}): run npm run build first`);
  const pageHost = options.pageHost ?? 'localhost';
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };

  try {
    let moto: MotoServer | undefined;
    let motoEndpoint = options.motoEndpoint;
    if (!motoEndpoint) {
      moto = await startMoto();
      motoEndpoint = moto.endpoint;
      const started = moto;
      cleanups.push(() => started.stop());
    }
    // Everything reaches moto's Parameter Store through the counting proxy, the CLI included:
    // its writes are what the proxy turns into Parameter Store Change events.
    let compiler: LocalCompiler | undefined;
    const proxy = await startSsmProxy(motoEndpoint, { onChange: (event) => compiler?.deliver(event) });
    cleanups.push(() => proxy.stop());
    const env = { ...motoEnv(motoEndpoint), AWS_ENDPOINT_URL_SSM: proxy.endpoint };

    // Snapshot mode: the bucket (the stack's SnapshotBucket), and one counting S3 proxy per function.
    const bucket = `cors-local-snapshots-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const key = defaultSnapshotKey(policyPath);
    const s3Proxies: Partial<Record<'preflight' | 'api' | 'compiler', S3Proxy>> = {};
    if (mode === 'snapshot') {
      const s3 = new S3Client({
        endpoint: motoEndpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      s3.destroy();
      for (const fn of ['preflight', 'api', 'compiler'] as const) {
        const p = await startS3Proxy(motoEndpoint);
        s3Proxies[fn] = p;
        cleanups.push(() => p.stop());
      }
    }
    const snapshotEnv = (fn: 'preflight' | 'api' | 'compiler'): Record<string, string> =>
      mode === 'snapshot' ? { CORS_SNAPSHOT_BUCKET: bucket, CORS_SNAPSHOT_KEY: key, AWS_ENDPOINT_URL_S3: s3Proxies[fn]!.endpoint } : {};

    const recorder = new Recorder();
    recorder.onAdd = options.onRequest;
    const metrics = new MetricCounters();
    const onLog = (fn: FunctionLog['function']) => (line: string, stream: FunctionLog['stream']) => {
      const log = parseLog(fn, line, stream);
      metrics.ingest(log.json);
      const requestId = log.json?.requestId;
      if (typeof requestId === 'string') recorder.attachLog(requestId, log.json);
      options.onLog?.(log);
    };
    // The whole environment of each function, as its Lambda configuration would set it.
    const functionEnv = (name: string): Record<string, string> => ({
      ...env,
      AWS_ENDPOINT_URL_SSM: proxy.endpoint,
      AWS_SDK_UA_APP_ID: name,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      CORS_POLICY_PATH: policyPath,
      CORS_POLICY_TTL_SECONDS: String(ttlSeconds),
      // moto on loopback, but on a machine that may be busy: the most a load may take, not the AWS default.
      CORS_POLICY_LOAD_BUDGET_MS: '20000',
      CORS_METRICS_FLUSH_SECONDS: String(options.metricsFlushSeconds ?? 0),
      LOG_LEVEL: options.logLevel ?? 'INFO',
      TZ: 'UTC',
    });
    const preflight = new LambdaFunction({
      name: 'cors-preflight',
      handlerFile: PREFLIGHT_BUNDLE,
      env: { ...functionEnv('cors-preflight'), ...snapshotEnv('preflight'), CORS_DEBUG: options.debug === false ? 'false' : 'true' },
      onLog: onLog('preflight'),
    });
    const api = new LambdaFunction({
      name: 'example-api',
      handlerFile: EXAMPLE_API,
      env: {
        ...functionEnv('example-api'),
        ...snapshotEnv('api'),
        NODE_PATH: LAYER_MODULES,
        ANSWER_PREFLIGHTS: options.layerAnswersPreflights === false ? 'false' : 'true',
      },
      onLog: onLog('api'),
    });
    cleanups.push(
      () => preflight.stop(),
      () => api.stop(),
    );

    let compilerFn: LambdaFunction | undefined;
    if (mode === 'snapshot') {
      compilerFn = new LambdaFunction({
        name: 'cors-compiler',
        handlerFile: COMPILER_BUNDLE,
        env: {
          ...functionEnv('cors-compiler'),
          ...snapshotEnv('compiler'),
          // The stack sets it for a bucket it owns; a local bucket is gone with moto anyway.
          CORS_SNAPSHOT_DELETE_ON_STACK_DELETE: 'false',
        },
        timeoutMs: 120_000,
        onLog: onLog('compiler'),
      });
      const started = compilerFn;
      cleanups.push(() => started.stop());
    }

    // moto loads its Parameter Store on the first call, seconds on a busy machine: not inside the CLI's time budget.
    const warm = new SSMClient({ endpoint: motoEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await warm.send(new GetParametersByPathCommand({ Path: policyPath, MaxResults: 1 })).catch(() => undefined);
    warm.destroy();

    let seeded: SeedResult | undefined;
    const policiesDir = options.policiesDir === undefined ? join(REPO_ROOT, 'examples') : options.policiesDir;
    if (policiesDir !== null) seeded = await seedPolicies(resolve(policiesDir), policyPath, env);

    // The deploy-time run, before any route answers; the rule and the schedule start after it.
    if (compilerFn) {
      compiler = new LocalCompiler(compilerFn, policyPath);
      const active = compiler;
      cleanups.push(async () => active.stop());
      await compiler.deploy(options.scheduleSeconds ?? 300, { Bucket: bucket, Key: key });
    }

    let apiUrl = '';
    const misconfiguration: { current: ActiveMisconfiguration } = { current: activate(payload, options.misconfiguration ?? {}) };
    const publicMisconfiguration = (): Misconfiguration => {
      const m: Misconfiguration & { shadow?: unknown } = { ...misconfiguration.current };
      delete m.shadow;
      return m;
    };
    const gateway = createGateway({
      payload,
      preflight,
      api,
      recorder,
      describe: () => ({
        payload,
        policyPath,
        ttlSeconds,
        api: apiUrl,
        motoEndpoint,
        parameterStoreCalls: proxy.snapshot(),
        mode,
        ...(compiler
          ? {
              snapshot: {
                bucket,
                key,
                s3Calls: { preflight: s3Proxies.preflight!.snapshot(), api: s3Proxies.api!.snapshot(), compiler: s3Proxies.compiler!.snapshot() },
                compilerRuns: compiler.runs.slice(-20),
              },
            }
          : {}),
        misconfiguration: publicMisconfiguration(),
        metrics: metrics.snapshot(),
      }),
      misconfiguration,
    });
    const apiPort = await listen(gateway, options.apiPort ?? 0);
    cleanups.push(() => close(gateway));
    apiUrl = `http://${apiHost}:${apiPort}`;

    const explain: ExplainFn = async (q) => {
      const args = ['explain', '--path', policyPath, '--url-path', q.path, '--origin', q.origin, '--method', q.method];
      for (const h of q.headers) args.push('--headers', h);
      if (q.credentials) args.push('--credentials');
      try {
        const run = await runCli(args, env);
        return { available: true, code: run.code, text: (run.stdout + run.stderr).trim(), command: `cors-policy ${args.join(' ')}` };
      } catch (err) {
        return { available: false, code: -1, text: String((err as Error).message), command: `cors-policy ${args.join(' ')}` };
      }
    };
    const pageServer: Server | undefined = createPageServer({
      config: () => ({ api: apiUrl, payload, policyPath, ttlSeconds, motoEndpoint }),
      explain,
    });
    const pagePort = await listen(pageServer, options.pagePort ?? 0);
    const page = pageServer;
    cleanups.push(() => close(page));

    const isIp = /^[\d.]+$|^\[/.test(pageHost);
    const stack: LocalStack = {
      payload,
      policyPath,
      ttlSeconds,
      urls: {
        api: apiUrl,
        page: `http://${pageHost}:${pagePort}`,
        ...(isIp ? {} : { pageOtherOrigin: `http://127.0.0.1:${pagePort}` }),
        stats: `${apiUrl}/__local/stats`,
      },
      apiPort,
      pagePort,
      motoEndpoint,
      env,
      counters: recorder,
      metrics,
      parameterStore: { calls: (f) => proxy.calls(f), snapshot: () => proxy.snapshot() },
      mode,
      ...(compiler ? { snapshot: { bucket, key, compiler, s3: { preflight: s3Proxies.preflight!, api: s3Proxies.api!, compiler: s3Proxies.compiler! } } } : {}),
      functions: { preflight, api, ...(compilerFn ? { compiler: compilerFn } : {}) },
      ...(seeded ? { seeded } : {}),
      pushPolicies: (dir) => seedPolicies(resolve(dir), policyPath, env),
      putPolicy: (name, document) => putPolicy(`${policyPath}/${name.replace(/^\/+/, '')}`, document, env),
      get misconfiguration() {
        return publicMisconfiguration();
      },
      misconfigure: (m) => {
        misconfiguration.current = activate(payload, m);
      },
      stop: cleanup,
    };
    return stack;
  } catch (err) {
    await cleanup();
    throw err;
  }
}
