// The local stack, as one reusable module: a local Parameter Store (moto)
// seeded with policies, the API Gateway emulator in front of the BUILT
// preflight function and an example API built on the BUILT layer, and the
// demo page on a second origin. `npm start`, the browser suite and the load
// test all start it through `startLocalStack`.
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import { motoEnv, startMoto, type MotoServer } from '../lib/moto';
import type { PayloadVersion } from './events';
import { close, createGateway, listen } from './gateway';
import { LambdaFunction } from './lambda';
import { activate, type ActiveMisconfiguration, type Misconfiguration } from './misconfig';
import { MetricCounters } from './metrics';
import { createPageServer, type ExplainFn } from './page-server';
import { REPO_ROOT, putPolicy, runCli, seedPolicies, type SeedResult } from './policies';
import { Recorder, type RequestRecord } from './recorder';
import { startSsmProxy, type SsmProxy } from './ssm-proxy';

// The CommonJS bundle the ES module entry (index.mjs) wraps: the local worker loads it with require.
export const PREFLIGHT_BUNDLE = join(REPO_ROOT, 'dist', 'preflight', 'preflight.cjs');
export const LAYER_MODULES = join(REPO_ROOT, 'dist', 'layer', 'nodejs', 'node_modules');
export const EXAMPLE_API = join(__dirname, 'example-api.cjs');

/** One line a function wrote, parsed when it is JSON. */
export interface FunctionLog {
  function: 'preflight' | 'api';
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
  /** Parameter Store calls made by the functions (`app`: cors-preflight or example-api). */
  parameterStore: Pick<SsmProxy, 'calls' | 'snapshot'>;
  functions: { preflight: LambdaFunction; api: LambdaFunction };
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
    const env = motoEnv(motoEndpoint);
    // The functions reach moto through a counting proxy; the CLI and SDK helpers go direct.
    const proxy = await startSsmProxy(motoEndpoint);
    cleanups.push(() => proxy.stop());

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
      env: { ...functionEnv('cors-preflight'), CORS_DEBUG: options.debug === false ? 'false' : 'true' },
      onLog: onLog('preflight'),
    });
    const api = new LambdaFunction({
      name: 'example-api',
      handlerFile: EXAMPLE_API,
      env: { ...functionEnv('example-api'), NODE_PATH: LAYER_MODULES, ANSWER_PREFLIGHTS: options.layerAnswersPreflights === false ? 'false' : 'true' },
      onLog: onLog('api'),
    });
    cleanups.push(
      () => preflight.stop(),
      () => api.stop(),
    );

    let seeded: SeedResult | undefined;
    const policiesDir = options.policiesDir === undefined ? join(REPO_ROOT, 'examples') : options.policiesDir;
    if (policiesDir !== null) seeded = await seedPolicies(resolve(policiesDir), policyPath, env);

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
      functions: { preflight, api },
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
