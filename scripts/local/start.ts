// `npm start`: the whole product on this machine, on loopback. Starts the
// local stack, prints where everything is and how to edit a policy live, logs
// each request the gateway answers, and stops cleanly on Ctrl-C.
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import type { PayloadVersion } from './events';
import { SAMPLE_CORS_CONFIGURATION, type Misconfiguration } from './misconfig';
import type { RequestRecord } from './recorder';
import { startLocalStack, type FunctionLog, type LocalStack, type PolicyMode } from './stack';

const USAGE = `usage: npm start -- [options]

  --payload v1|v2   event shape: REST API payload v1 (default) or HTTP API payload v2
  --port N          API port (default 3000; a free port if 3000 is taken)
  --page-port N     demo page port (default 3001; a free port if taken)
  --ttl N           seconds the functions cache policies (default 5, minimum 5)
  --mode M          snapshot (default, as the stack): a compiler writes one snapshot to S3 (moto)
                    on Parameter Store change events, which both functions read; direct: both
                    functions list the policy path themselves
  --schedule N      snapshot mode: seconds between scheduled compiles (default 300; 0 = none)
  --path PATH       Parameter Store path of the policies (default /cors/demo-api)
  --policies DIR    policy files to push at start (default examples/)
  --log-level L     LOG_LEVEL of the functions: DEBUG, INFO (default), WARN, ERROR
  --quiet           do not print one line per request

  Misconfigure the emulated API like real ones (each alone or together; docs/local.md):
  --shadow-route P  a more specific own route ANY P (repeatable; e.g. /products/{id}) sent to the
                    example API function, OPTIONS included
  --cors-configuration
                    an HTTP API CorsConfiguration answering preflights before any route (needs
                    --payload v2; origin https://shop.example.com, GET and POST, content-type)
  --options-authorizer
                    an authorizer on OPTIONS: 401 without Authorization, no CORS headers
  --no-options-routes
                    the OPTIONS routes are missing (not deployed): REST 403 Missing
                    Authentication Token, HTTP 404 Not Found
  --no-layer-preflights
                    the example API's withCors leaves preflights to the handler
                    (answerPreflights: false)
  --no-build        use the existing dist/ instead of building first
  --help            this text
`;

const color = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: string) => (s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
const bold = paint('1');
const dim = paint('2');
const green = paint('32');
const red = paint('31');
const cyan = paint('36');

function parse(): {
  payload: PayloadVersion;
  apiPort?: number;
  pagePort?: number;
  ttl: number;
  mode: PolicyMode;
  scheduleSeconds: number;
  path?: string;
  policies?: string;
  logLevel?: string;
  quiet: boolean;
  misconfiguration: Misconfiguration;
  layerPreflights: boolean;
} {
  const { values } = parseArgs({
    options: {
      payload: { type: 'string' },
      port: { type: 'string' },
      'page-port': { type: 'string' },
      ttl: { type: 'string' },
      mode: { type: 'string' },
      schedule: { type: 'string' },
      path: { type: 'string' },
      policies: { type: 'string' },
      'log-level': { type: 'string' },
      quiet: { type: 'boolean' },
      'shadow-route': { type: 'string', multiple: true },
      'cors-configuration': { type: 'boolean' },
      'options-authorizer': { type: 'boolean' },
      'no-options-routes': { type: 'boolean' },
      'no-layer-preflights': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const payload = (values.payload ?? 'v1') as PayloadVersion;
  if (payload !== 'v1' && payload !== 'v2') throw new Error(`--payload must be v1 or v2, not "${values.payload}"`);
  const port = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be a port number, not "${v}"`);
    return n;
  };
  const ttl = values.ttl === undefined ? 5 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 5 || ttl > 86400) throw new Error(`--ttl must be a whole number of seconds from 5 to 86400, not "${values.ttl}"`);
  const mode = (values.mode ?? 'snapshot') as PolicyMode;
  if (mode !== 'snapshot' && mode !== 'direct') throw new Error(`--mode must be snapshot or direct, not "${values.mode}"`);
  const scheduleSeconds = values.schedule === undefined ? 300 : Number(values.schedule);
  if (!Number.isInteger(scheduleSeconds) || scheduleSeconds < 0 || scheduleSeconds > 86400)
    throw new Error(`--schedule must be a whole number of seconds from 0 to 86400, not "${values.schedule}"`);
  return {
    payload,
    mode,
    scheduleSeconds,
    ...(values.port !== undefined ? { apiPort: port('port', values.port) } : {}),
    ...(values['page-port'] !== undefined ? { pagePort: port('page-port', values['page-port']) } : {}),
    ttl,
    ...(values.path !== undefined ? { path: values.path } : {}),
    ...(values.policies !== undefined ? { policies: values.policies } : {}),
    ...(values['log-level'] !== undefined ? { logLevel: values['log-level'] } : {}),
    quiet: values.quiet === true,
    misconfiguration: {
      ...(values['shadow-route'] ? { shadowRoutes: values['shadow-route'] } : {}),
      ...(values['cors-configuration'] ? { corsConfiguration: SAMPLE_CORS_CONFIGURATION } : {}),
      ...(values['options-authorizer'] ? { optionsAuthorizer: true } : {}),
      ...(values['no-options-routes'] ? { missingOptionsRoutes: true } : {}),
    },
    layerPreflights: values['no-layer-preflights'] !== true,
  };
}

function printRequest(r: RequestRecord): void {
  const status = r.status < 300 ? green(String(r.status)) : red(String(r.status));
  const what =
    r.kind === 'preflight'
      ? `preflight ${r.requestMethod}${r.requestHeaders ? ` [${r.requestHeaders}]` : ''}`
      : r.kind === 'options'
        ? 'OPTIONS, not a preflight'
        : r.responseHeaders['access-control-allow-origin']
          ? 'CORS headers added'
          : 'no Access-Control-Allow-Origin';
  const why = r.denyReason ? ` ${red(r.denyReason)}` : r.gatewayError ? ` ${red(r.gatewayError)}` : '';
  process.stdout.write(`${dim(r.time.slice(11, 19))} ${r.method.padEnd(7)} ${r.path} ${status} ${dim(`${r.origin ?? '(no origin)'} · ${what}`)}${why}\n`);
}

function printLog(log: FunctionLog): void {
  const j = log.json;
  // Request-level lines are already summed up by printRequest; show the rest (policy problems, load failures).
  if (j && (j.message === 'preflight denied' || j.level === 'DEBUG')) return;
  if (j)
    process.stdout.write(
      `${dim(`[${log.function}]`)} ${j.level === 'ERROR' || j.level === 'WARN' ? red(String(j.level)) : String(j.level)} ${String(j.message)} ${dim(JSON.stringify(Object.fromEntries(Object.entries(j).filter(([k]) => !['timestamp', 'level', 'message', 'service'].includes(k)))))}\n`,
    );
  else process.stdout.write(`${dim(`[${log.function}]`)} ${log.line}\n`);
}

/** True when nothing listens on 127.0.0.1:port right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** An explicit port is used as given (and fails if taken); the default falls back to a free one. */
async function pickPort(explicit: number | undefined, preferred: number): Promise<number> {
  if (explicit !== undefined) return explicit;
  return (await isFree(preferred)) ? preferred : 0;
}

function misconfigurationLines(s: LocalStack, layerPreflights: boolean): string[] {
  const m = s.misconfiguration;
  const items = [
    ...(m.shadowRoutes ?? []).map((r) => `ANY ${r} → example API (OPTIONS included)`),
    ...(m.corsConfiguration ? [`HTTP API CorsConfiguration ${JSON.stringify(m.corsConfiguration)}`] : []),
    ...(m.optionsAuthorizer ? ['authorizer on OPTIONS (401 without Authorization)'] : []),
    ...(m.missingOptionsRoutes ? ['OPTIONS routes missing (not deployed)'] : []),
    ...(layerPreflights ? [] : ["the example API's withCors leaves preflights to its handler"]),
  ];
  if (items.length === 0) return [];
  return [
    `  ${red('Misconfigured')}     ${items.join('; ')}`,
    `  ${dim('Check it:')}         node dist/cli/index.js verify --url ${s.urls.api} --dir policies`,
  ];
}

function banner(s: LocalStack, layerPreflights: boolean, scheduleSeconds: number): string {
  const examplePolicy = `${s.policyPath}/products`;
  // Edits go through the proxy: that is what turns them into change events for the compiler.
  const ssmEndpoint = s.env.AWS_ENDPOINT_URL_SSM ?? s.motoEndpoint;
  const schedule = scheduleSeconds > 0 ? `every ${scheduleSeconds} s` : 'no schedule';
  // Both region variables: the SDK reads AWS_REGION, the aws CLI AWS_DEFAULT_REGION.
  const envLine = Object.entries(s.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const lines = [
    '',
    bold(`apigw-cors local stack · ${s.payload === 'v1' ? 'REST API events (payload v1)' : 'HTTP API events (payload v2)'}`),
    '',
    `  Demo page         ${cyan(s.urls.page)}   ${dim('(an origin the demo policies allow)')}`,
    ...(s.urls.pageOtherOrigin ? [`  Same page         ${cyan(s.urls.pageOtherOrigin)}   ${dim('(an origin they do not allow)')}`] : []),
    `  API               ${cyan(s.urls.api)}   ${dim(`OPTIONS → dist/preflight, other methods → example API with the dist/layer package`)}`,
    `  Gateway counters  ${s.urls.stats}`,
    `  Parameter Store   ${cyan(ssmEndpoint)}   ${dim(`(moto, behind a proxy that emits Parameter Store Change events) policies under ${s.policyPath}`)}`,
    ...(s.snapshot
      ? [
          `  Compiler          ${dim(`dist/compiler: on change events under ${s.policyPath}/, ${schedule}, and once at start`)}`,
          `  Snapshot          ${cyan(`s3://${s.snapshot.bucket}/${s.snapshot.key}`)}   ${dim(`(moto S3) both functions read it, one conditional GET every ${s.ttlSeconds} s`)}`,
        ]
      : [`  Mode              ${dim(`direct: both functions list ${s.policyPath} every ${s.ttlSeconds} s`)}`]),
    ...misconfigurationLines(s, layerPreflights),
    `  Seeded            ${s.seeded ? `${s.seeded.parameters.length} policies from examples/ via ${s.seeded.via === 'cli' ? 'cors-policy push' : 'the SDK (CLI not built)'}` : 'nothing'}`,
    '',
    bold('Try a preflight:'),
    `  curl -i -X OPTIONS ${s.urls.api}/products/42 -H 'Origin: ${s.urls.page}' -H 'Access-Control-Request-Method: PUT' -H 'Access-Control-Request-Headers: content-type'`,
    '',
    bold(
      s.snapshot
        ? 'Edit a policy live (no restart; the compiler writes a new snapshot at once, the functions read it within the TTL):'
        : 'Edit a policy live (no restart; it takes effect within the TTL):',
    ),
    `  export ${envLine}`,
    `  aws ssm put-parameter --endpoint-url ${ssmEndpoint} --name ${examplePolicy} --type String --overwrite --value file://examples/products.json`,
    `  npx cors-policy push --dir examples --path ${s.policyPath}`,
    '',
    dim('Ctrl-C stops everything.'),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parse();
  // The SDK's notice about its future Node floor is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.stdout.write(dim('starting moto, seeding policies, starting the gateway and the demo page…\n'));
  const common = {
    payload: args.payload,
    ttlSeconds: args.ttl,
    mode: args.mode,
    scheduleSeconds: args.scheduleSeconds,
    ...(args.path ? { policyPath: args.path } : {}),
    ...(args.policies ? { policiesDir: args.policies } : {}),
    ...(args.logLevel ? { logLevel: args.logLevel } : {}),
    misconfiguration: args.misconfiguration,
    layerAnswersPreflights: args.layerPreflights,
    onLog: printLog,
    ...(args.quiet ? {} : { onRequest: printRequest }),
  };
  // Signals are handled from the start: a Ctrl-C while moto is starting still stops it.
  let stack: LocalStack | undefined;
  let stopping = false;
  const finish = (target: LocalStack) =>
    target
      .stop()
      .then(() => {
        process.stdout.write('stopped.\n');
        process.exit(0);
      })
      .catch((err) => {
        process.stderr.write(`error while stopping: ${String(err)}\n`);
        process.exit(1);
      });
  const stop = (signal: string) => {
    if (stopping) {
      process.stdout.write('forced exit\n');
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the servers and moto…\n`);
    if (stack) void finish(stack);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  stack = await startLocalStack({ ...common, apiPort: await pickPort(args.apiPort, 3000), pagePort: await pickPort(args.pagePort, 3001) });
  if (stopping) return void finish(stack);
  process.stdout.write(`${banner(stack, args.layerPreflights, args.scheduleSeconds)}\n`);
}

main().catch((err) => {
  process.stderr.write(`npm start failed: ${(err as Error).message}\n`);
  process.exit(1);
});
