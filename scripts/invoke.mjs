#!/usr/bin/env node
// `npm run invoke -- EVENT_FILE`: what `sam local invoke PreflightFunction -e EVENT_FILE`
// does, without Docker. Runs the BUILT function (dist/preflight/index.mjs, built
// first when missing) once, in a fresh Node process (a cold start), on that event,
// with the environment SAM would give it: the variables template.yaml declares for
// the function (parameter defaults), then env.json's PreflightFunction, then the
// shell's own values of those variables. Prints the function's log lines on stderr
// and the response JSON on stdout, as sam does; exit 0 when the function answered.
//
//   npm run invoke -- events/rest-v1-preflight-allowed.json [--env-vars env.json]
//
// env.json points the function at moto as a container sees the host
// (host.docker.internal); this runs on the host itself, so that name becomes
// 127.0.0.1. With a loopback endpoint and no credentials in the shell, moto's
// dummy credentials are used (moto accepts any).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FUNCTION_ID = 'PreflightFunction';
const ENTRY = join(root, 'dist', 'preflight', 'index.mjs');
const USAGE =
  'usage: npm run invoke -- EVENT_FILE [--env-vars FILE]   (EVENT_FILE: an API Gateway event, e.g. events/*.json or sam local generate-event output)';

/** @param {string} message @returns {never} */
function usage(message) {
  process.stderr.write(`invoke: ${message}\n${USAGE}\n`);
  process.exit(2);
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ event: string | undefined, envVars: string }} */
  const args = { event: undefined, envVars: join(root, 'env.json') };
  for (let i = 0; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i]);
    if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (a === '--env-vars' || a === '-n') args.envVars = argv[++i] ?? usage(`${a} needs a file`);
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (args.event === undefined) args.event = a;
    else usage(`one event file only, got "${a}" too`);
  }
  return args;
}

/**
 * The function's settings from template.yaml: its declared environment variables
 * (Globals.Function first, then the function's own) with `!Ref Parameter` resolved
 * to the parameter's default, and its timeout and memory.
 */
function templateSettings() {
  const doc = parseDocument(readFileSync(join(root, 'template.yaml'), 'utf8'), { logLevel: 'silent' });
  /** @param {unknown} node @returns {string | undefined} */
  const scalar = (node) => {
    const n = /** @type {{ tag?: string, value?: unknown } | null} */ (node);
    if (!n || typeof n !== 'object') return node === undefined || node === null ? undefined : String(node);
    if (n.tag === '!Ref') {
      const def = doc.getIn(['Parameters', String(n.value), 'Default']);
      return def === undefined || def === null ? '' : String(def);
    }
    if (n.tag) return undefined; // another intrinsic function: SAM would resolve it; nothing to take here
    return n.value === undefined || n.value === null ? '' : String(n.value);
  };
  /** @type {Record<string, string>} */
  const variables = {};
  for (const base of [
    ['Globals', 'Function'],
    ['Resources', FUNCTION_ID, 'Properties'],
  ]) {
    const map = /** @type {{ items?: Array<{ key: { value: unknown }, value: unknown }> } | undefined} */ (
      doc.getIn([...base, 'Environment', 'Variables'], true)
    );
    for (const pair of map?.items ?? []) {
      const value = scalar(pair.value);
      if (value !== undefined) variables[String(pair.key.value)] = value;
    }
  }
  /** @param {string} key @param {string} fallback */
  const setting = (key, fallback) =>
    scalar(doc.getIn(['Resources', FUNCTION_ID, 'Properties', key], true)) ?? scalar(doc.getIn(['Globals', 'Function', key], true)) ?? fallback;
  return { variables, timeout: Number(setting('Timeout', '3')), memory: setting('MemorySize', '128') };
}

/** @param {string} file */
function envJsonOf(file) {
  if (!existsSync(file)) return {};
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return usage(`${file} is not valid JSON (${/** @type {Error} */ (err).message})`);
  }
  // sam's format: { "<LogicalId>": {...}, "Parameters": {...} (every function) }.
  return { ...(parsed.Parameters ?? {}), ...(parsed[FUNCTION_ID] ?? {}) };
}

// npm run starts scripts in the package's root; file names are the user's, relative to where they typed.
const cwd = process.env.INIT_CWD ?? process.cwd();

const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/;

function main() {
  const args = parseArgs(process.argv.slice(2));
  if (!args.event) return usage('no event file');
  const eventFile = resolve(cwd, args.event);
  if (!existsSync(eventFile)) return usage(`${args.event} does not exist`);
  let event;
  try {
    event = JSON.parse(readFileSync(eventFile, 'utf8'));
  } catch (err) {
    return usage(`${args.event} is not valid JSON (${/** @type {Error} */ (err).message})`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return usage(`${args.event} must hold one JSON object (an API Gateway event)`);

  if (!existsSync(ENTRY)) {
    process.stderr.write('invoke: dist/preflight is missing; building it (node scripts/build.mjs --only preflight)\n');
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--only', 'preflight'], { cwd: root, stdio: ['ignore', 2, 2] });
    if (build.status !== 0) return usage('the build failed; run npm run build and read its errors');
  }

  const { variables, timeout, memory } = templateSettings();
  const fromFile = envJsonOf(resolve(cwd, args.envVars));
  /** @type {Record<string, string>} */
  const functionEnv = { ...variables };
  for (const [k, v] of Object.entries(fromFile)) {
    // sam applies only variables the template declares; say so instead of dropping one silently.
    if (!(k in variables))
      process.stderr.write(`invoke: note: ${k} from ${args.envVars} is not declared in template.yaml; sam local invoke would ignore it, so does this\n`);
    else functionEnv[k] = String(v);
  }
  for (const k of Object.keys(functionEnv)) if (process.env[k] !== undefined) functionEnv[k] = /** @type {string} */ (process.env[k]);
  if (functionEnv.AWS_ENDPOINT_URL_SSM?.includes('host.docker.internal')) {
    functionEnv.AWS_ENDPOINT_URL_SSM = functionEnv.AWS_ENDPOINT_URL_SSM.replace('host.docker.internal', '127.0.0.1');
    process.stderr.write(`invoke: note: AWS_ENDPOINT_URL_SSM=${functionEnv.AWS_ENDPOINT_URL_SSM} (host.docker.internal is this host; no container here)\n`);
  }
  /** @type {Record<string, string>} */
  const shellAws = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (/^AWS_/.test(k) || k === 'PATH' || k === 'HOME')) shellAws[k] = v;
  const local = LOOPBACK.test(functionEnv.AWS_ENDPOINT_URL_SSM ?? '');
  const env = {
    ...(local && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE ? { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } : {}),
    ...shellAws,
    ...functionEnv,
    AWS_REGION: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: FUNCTION_ID,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory,
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(timeout),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };

  // The child is one cold Lambda container: load the entry (its init phase), then one invocation.
  const runner = `
    const started = Date.now();
    const deadline = started + Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT) * 1000;
    const event = JSON.parse(process.argv[2]);
    const context = {
      awsRequestId: 'invoke-' + process.pid, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, logGroupName: 'local', logStreamName: 'local',
      invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':123456789012:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
      callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const done = (payload) => process.send(payload, () => process.exit(0));
    import(process.argv[1])
      .then((mod) => { const initMs = Date.now() - started; const t = Date.now();
        return Promise.resolve(mod.handler(event, context)).then((result) => done({ result, initMs, durationMs: Date.now() - t })); })
      .catch((err) => done({ error: String((err && err.stack) || err), durationMs: Date.now() - started }));
  `;
  process.stderr.write(`START ${FUNCTION_ID} (${pathToFileURL(ENTRY).pathname.slice(root.length + 1)}) event ${args.event}\n`);
  const child = spawn(process.execPath, ['-e', runner, pathToFileURL(ENTRY).href, JSON.stringify(event)], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  // The function's own log lines, as they come (stdout and stderr both: Lambda sends both to CloudWatch).
  child.stdout?.pipe(process.stderr);
  child.stderr?.pipe(process.stderr);
  /** @type {{ result?: unknown, error?: string, initMs?: number, durationMs: number } | undefined} */
  let answer;
  child.on('message', (m) => {
    answer = /** @type {typeof answer} */ (m);
  });
  // Init plus one invocation: a hung function is killed, as Lambda's timeout would.
  const timer = setTimeout(() => child.kill('SIGKILL'), (timeout + 10) * 1000);
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    if (answer && answer.error === undefined) {
      process.stderr.write(`END ${FUNCTION_ID} init ${answer.initMs} ms, duration ${answer.durationMs} ms\n`);
      process.stdout.write(`${JSON.stringify(answer.result ?? null)}\n`);
      process.exit(0);
    }
    if (answer?.error) process.stderr.write(`invoke: the function threw:\n${answer.error}\n`);
    else process.stderr.write(`invoke: the function process ended without an answer (exit ${code}${signal ? `, ${signal}` : ''}; timeout ${timeout} s)\n`);
    process.exit(1);
  });
}

main();
