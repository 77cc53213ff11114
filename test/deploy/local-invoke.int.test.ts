/**
 * What `sam build && sam local invoke PreflightFunction -e events/X.json --env-vars env.json`
 * does, without Docker:
 *   1. build the function the way template.yaml says (BuildMethod: makefile ->
 *      `make build-<LogicalId>` with ARTIFACTS_DIR, Handler index.handler);
 *   2. give it the environment SAM would: the variables the template declares, with
 *      parameter defaults, overridden by env.json (only declared variables), then
 *      pointed at this suite's moto instead of the container-side endpoint in env.json;
 *   3. seed examples/<name>.json as <CORS_POLICY_PATH>/<name> into moto;
 *   4. invoke every event in events/ in a fresh Node process (a cold container) and
 *      check the status the file name promises: "allowed" 204, "denied" 403.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { motoEnv } from '../../scripts/lib/moto';
import { materialize, ROOT, transformTemplate, type JsonObject, type Template } from './support';

jest.setTimeout(180_000);

const EVENTS_DIR = join(ROOT, 'events');
const POLICIES_DIR = join(ROOT, 'examples');
const envJson = JSON.parse(readFileSync(join(ROOT, 'env.json'), 'utf8')) as Record<string, Record<string, string>>;
const eventFiles = existsSync(EVENTS_DIR)
  ? readdirSync(EVENTS_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort()
  : [];

interface Invocation {
  result?: { statusCode?: unknown; headers?: Record<string, unknown>; multiValueHeaders?: Record<string, unknown[]>; body?: unknown };
  error?: string;
  durationMs: number;
}

function expectedStatus(file: string): number | undefined {
  if (/(^|-)allowed(-|\.json$)/.test(file)) return 204;
  if (/(^|-)denied(-|\.json$)/.test(file)) return 403;
  return undefined;
}

function header(headers: Record<string, unknown> | null | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  return undefined;
}

/** Runs the built bundle's handler on one event in a new process, like one cold `sam local invoke`. */
function invoke(bundle: string, eventFile: string, env: Record<string, string>, timeoutMs: number): Promise<Invocation> {
  const runner = `
    const fs = require('node:fs');
    const [bundle, eventFile] = process.argv.slice(1);
    const event = JSON.parse(fs.readFileSync(eventFile, 'utf8'));
    const started = Date.now();
    const deadline = started + Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT) * 1000;
    const context = {
      awsRequestId: 'local-' + process.pid, functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, logGroupName: 'local', logStreamName: 'local',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
      callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const done = (payload) => { process.send(payload, () => process.exit(0)); };
    Promise.resolve()
      .then(() => import(require('node:url').pathToFileURL(bundle).href))
      .then((mod) => mod.handler(event, context))
      .then((result) => done({ result, durationMs: Date.now() - started }),
            (err) => done({ error: String((err && err.stack) || err), durationMs: Date.now() - started }));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', runner, bundle, eventFile], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    let answer: Invocation | undefined;
    child.on('message', (m) => (answer = m as Invocation));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer) resolve(answer);
      else reject(new Error(`${basename(eventFile)}: the function process ended without an answer (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

describe('sam local invoke, without Docker', () => {
  const FUNCTION_ID = 'PreflightFunction';
  // Snapshot mode (the default): env.json empties CORS_SNAPSHOT_BUCKET, so the local invoke lists moto's Parameter Store (direct mode).
  const PARAMS = { ApiType: 'HTTP', ApiId: 'abcdef1234', StageName: '$default' };
  let template: Template;
  let artifacts = '';
  let bundle = '';
  let env: Record<string, string> = {};
  let timeoutSeconds = 0;

  beforeAll(async () => {
    const endpoint = process.env.MOTO_ENDPOINT;
    if (!endpoint) throw new Error('MOTO_ENDPOINT is not set: run this file through the jest "integration" project (its global setup starts moto)');
    // SAM-transformed, so that Globals (handler, runtime, memory) are applied as `sam build` applies them.
    template = transformTemplate(PARAMS);
    const resource = template.Resources[FUNCTION_ID];
    expect(resource?.Type).toBe('AWS::Lambda::Function');
    expect(resource?.Metadata?.BuildMethod).toBe('makefile');
    expect(Object.keys(envJson)).toContain(FUNCTION_ID);

    // 1. Build exactly as `sam build` does for BuildMethod: makefile.
    artifacts = mkdtempSync(join(tmpdir(), 'sam-artifacts-'));
    const make = spawnSync('make', [`build-${FUNCTION_ID}`], { cwd: ROOT, env: { ...process.env, ARTIFACTS_DIR: artifacts }, encoding: 'utf8' });
    if (make.status !== 0) throw new Error(`make build-${FUNCTION_ID} failed (${make.status}):\n${make.stdout}\n${make.stderr}`);
    const handlerSetting = String(resource!.Properties.Handler); // "index.handler"
    const [file, exported] = handlerSetting.split('.');
    expect(exported).toBe('handler');
    // Lambda's Node runtime looks for <file>.js, then .mjs, then .cjs.
    bundle = ['.js', '.mjs', '.cjs'].map((ext) => join(artifacts, `${file}${ext}`)).find((f) => existsSync(f)) ?? '';
    expect(bundle).not.toBe('');

    // 2. The environment: declared variables (parameter defaults), env.json over them, then moto.
    const { resources } = materialize(template, PARAMS);
    const props = resources[FUNCTION_ID]!.Properties;
    const declared = (props.Environment as { Variables: JsonObject }).Variables;
    timeoutSeconds = Number(props.Timeout);
    const overrides = envJson[FUNCTION_ID]!;
    for (const key of Object.keys(overrides)) expect([key, key in declared]).toEqual([key, true]);
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...Object.fromEntries(Object.entries(declared).map(([k, v]) => [k, String(v)])),
      ...overrides,
      ...motoEnv(endpoint), // the container reaches moto via host.docker.internal; this process via loopback
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION_ID,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(props.Timeout),
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    expect(env.CORS_POLICY_PATH).toBe('/cors/demo-api');

    // 3. Seed the sample policies under the path env.json configures.
    const m = motoEnv(endpoint);
    const ssm = new SSMClient({
      endpoint,
      region: m.AWS_REGION,
      credentials: { accessKeyId: m.AWS_ACCESS_KEY_ID!, secretAccessKey: m.AWS_SECRET_ACCESS_KEY! },
    });
    const policies = readdirSync(POLICIES_DIR).filter((f) => f.endsWith('.json'));
    expect(policies.length).toBeGreaterThan(0);
    for (const f of policies) {
      await ssm.send(
        new PutParameterCommand({
          Name: `${env.CORS_POLICY_PATH}/${basename(f, '.json')}`,
          Value: readFileSync(join(POLICIES_DIR, f), 'utf8'),
          Type: 'String',
          Overwrite: true,
        }),
      );
    }
    ssm.destroy();
  });

  afterAll(() => {
    if (artifacts) rmSync(artifacts, { recursive: true, force: true });
  });

  test('events/ has allowed and denied samples for both payload versions', () => {
    for (const prefix of ['rest-v1-', 'http-v2-']) {
      expect(eventFiles.filter((f) => f.startsWith(prefix) && expectedStatus(f) === 204).length).toBeGreaterThan(0);
      expect(eventFiles.filter((f) => f.startsWith(prefix) && expectedStatus(f) === 403).length).toBeGreaterThan(0);
    }
  });

  test.each(eventFiles)('%s', async (file) => {
    const event = JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8')) as Record<string, unknown>;
    if (file.startsWith('http-v2-')) expect(event.version).toBe('2.0');
    if (file.startsWith('rest-v1-')) expect(event.httpMethod).toBe('OPTIONS');

    const out = await invoke(bundle, join(EVENTS_DIR, file), env, (timeoutSeconds + 10) * 1000);
    expect(out.error).toBeUndefined();
    expect(out.durationMs).toBeLessThan(timeoutSeconds * 1000);
    const result = out.result!;
    // A Lambda proxy response API Gateway accepts: integer status, string header values.
    expect(Number.isInteger(result.statusCode)).toBe(true);
    for (const [name, value] of Object.entries(result.headers ?? {})) expect([name, typeof value]).toEqual([name, 'string']);

    const expected = expectedStatus(file);
    if (expected === undefined) return; // neither "allowed" nor "denied": only the response shape is checked
    expect(result.statusCode).toBe(expected);

    const requestHeaders = (event.headers ?? {}) as Record<string, unknown>;
    const origin = header(requestHeaders, 'origin');
    const method = header(requestHeaders, 'access-control-request-method');
    const allowOrigin = header(result.headers, 'access-control-allow-origin') ?? header(result.multiValueHeaders, 'access-control-allow-origin');
    if (expected === 204) {
      expect([origin, '*']).toContain(allowOrigin);
      const allowMethods = (header(result.headers, 'access-control-allow-methods') ?? '').split(',').map((m) => m.trim());
      expect(allowMethods.includes(method!) || allowMethods.includes('*')).toBe(true);
    } else {
      expect(allowOrigin).toBeUndefined();
    }
  });
});
