// `npm run invoke -- EVENT_FILE` (scripts/invoke.mjs): the built preflight function
// run once on an event file as `sam local invoke -e` would, without Docker. Policies
// are the examples, pushed to moto under a path of this file's own; the shell's
// CORS_POLICY_PATH and AWS_ENDPOINT_URL_SSM take precedence over env.json's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { globalMotoEndpoint, putPolicies, seedingClient } from '../support/moto-ssm';
import { PREFLIGHT_VARY_EXPECTED } from '../support/policies';

const ROOT = resolve(__dirname, '../..');
const PATH = '/test/invoke';
const EVENTS = readdirSync(join(ROOT, 'events'))
  .filter((f) => f.endsWith('.json'))
  .sort();
let scratch: string;
let shell: NodeJS.ProcessEnv;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function invoke(args: string[], env: NodeJS.ProcessEnv = shell, viaNpm = false, cwd = ROOT): Run {
  const [command, argv] = viaNpm ? ['npm', ['run', '-s', 'invoke', '--', ...args]] : [process.execPath, [join(ROOT, 'scripts', 'invoke.mjs'), ...args]];
  const r = spawnSync(command as string, argv as string[], { cwd, env, encoding: 'utf8', timeout: 90_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'preflight', 'index.mjs'))) throw new Error('dist/preflight is missing: run node scripts/build.mjs --only preflight');
  const endpoint = globalMotoEndpoint();
  const client = seedingClient(endpoint);
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
  await putPolicies(client, Object.fromEntries(examples.map((f) => [`${PATH}/${basename(f, '.json')}`, readFileSync(join(ROOT, 'examples', f), 'utf8')])));
  client.destroy();
  scratch = mkdtempSync(join(tmpdir(), 'invoke-'));
  // A shell as a user's: moto's endpoint and dummy credentials exported, and the path.
  shell = { PATH: process.env.PATH, HOME: scratch, ...motoEnv(endpoint), CORS_POLICY_PATH: PATH };
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const expectedStatus = (file: string) => (/(^|-)allowed(-|\.json$)/.test(file) ? 204 : /(^|-)denied(-|\.json$)/.test(file) ? 403 : undefined);

test.each(EVENTS)('events/%s: the answer on stdout, the log lines on stderr, exit 0', (file) => {
  const r = invoke([join('events', file)]);
  expect(r.code).toBe(0);
  const response = JSON.parse(r.stdout) as { statusCode: number; headers: Record<string, string> };
  expect(response.statusCode).toBe(expectedStatus(file));
  // env.json sets CORS_DEBUG=true: denials carry their reason; LOG_LEVEL=DEBUG logs the load.
  if (response.statusCode === 403) expect(response.headers['X-Cors-Deny-Reason']).toBeDefined();
  const logs = r.stderr.split('\n').filter((l) => l.startsWith('{'));
  expect(logs.map((l) => (JSON.parse(l) as { message: string }).message)).toContain('policies loaded');
  expect(logs.some((l) => (JSON.parse(l) as { policyPath?: string }).policyPath === PATH)).toBe(true);
});

test('through npm run invoke, as the docs write it', () => {
  const r = invoke(['events/rest-v1-preflight-allowed.json'], shell, true);
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ statusCode: 204, headers: { 'Access-Control-Allow-Origin': 'https://shop.example.com' } });
});

test('from a subdirectory, the event file is relative to where npm run was typed', () => {
  const r = invoke(['rest-v1-preflight-allowed.json'], { ...shell, npm_config_update_notifier: 'false' }, true, join(ROOT, 'events'));
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ statusCode: 204 });
});

describe('what sam local generate-event writes', () => {
  // SAM's aws-proxy and http-api-proxy templates (as events/*-sam-* hold them) without
  // the preflight headers a user adds: a plain request the function still answers.
  const strip = (headers: Record<string, unknown> | null | undefined) =>
    headers ? Object.fromEntries(Object.entries(headers).filter(([k]) => !/^(origin|access-control-request-)/i.test(k))) : headers;

  test.each([
    ['apigateway aws-proxy', 'rest-v1-sam-aws-proxy-preflight-allowed-both-maps.json', (e: Record<string, unknown>) => ({ ...e, httpMethod: 'POST' })],
    [
      'apigateway http-api-proxy',
      'http-v2-sam-http-api-proxy-preflight-allowed.json',
      (e: Record<string, unknown>) => ({
        ...e,
        requestContext: { ...(e.requestContext as object), http: { ...(e.requestContext as { http: object }).http, method: 'POST' } },
      }),
    ],
  ])('%s, as generated (no preflight headers): answered as not a preflight (204, Vary only), exit 0', (_name, source, asGenerated) => {
    const event = JSON.parse(readFileSync(join(ROOT, 'events', source), 'utf8')) as Record<string, unknown>;
    const generated = asGenerated({
      ...event,
      headers: strip(event.headers as Record<string, unknown>),
      multiValueHeaders: strip(event.multiValueHeaders as Record<string, unknown>),
    });
    const file = join(scratch, `generated-${basename(source)}`);
    writeFileSync(file, JSON.stringify(generated));
    const r = invoke([file]);
    expect(r.code).toBe(0);
    const response = JSON.parse(r.stdout) as { statusCode: number; headers?: Record<string, string> };
    expect(Number.isInteger(response.statusCode)).toBe(true);
    expect(response.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    // No Origin (nor Access-Control-Request-Method): not a preflight, so no policy is consulted
    // and the answer is 204 with only Vary (functions/preflight/handler.ts).
    expect(generated).not.toHaveProperty(['headers', 'Origin']);
    expect(response).toEqual({ statusCode: 204, headers: { Vary: PREFLIGHT_VARY_EXPECTED }, body: '' });
  });
});

describe('the environment', () => {
  test("env.json's values apply where the shell sets none, the shell's win where it does", () => {
    const envVars = join(scratch, 'env.json');
    writeFileSync(envVars, JSON.stringify({ PreflightFunction: { CORS_POLICY_PATH: `${PATH}-nothing-here`, CORS_DEBUG: 'true' } }));
    const { CORS_POLICY_PATH: _unset, ...withoutPath } = shell;
    const fromFile = invoke(['events/rest-v1-preflight-allowed.json', '--env-vars', envVars], withoutPath);
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ statusCode: 403 }); // no policy under env.json's path
    const fromShell = invoke(['events/rest-v1-preflight-allowed.json', '--env-vars', envVars]);
    expect(JSON.parse(fromShell.stdout)).toMatchObject({ statusCode: 204 });
  });

  test('a variable the template does not declare is ignored, as sam does, and said so', () => {
    const envVars = join(scratch, 'env-undeclared.json');
    writeFileSync(envVars, JSON.stringify({ PreflightFunction: { NOT_DECLARED: 'x' } }));
    const r = invoke(['events/rest-v1-preflight-allowed.json', '--env-vars', envVars]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('NOT_DECLARED from');
  });
});

describe('bad input: exit 2 with the reason', () => {
  test.each([
    [['events/no-such-event.json'], 'events/no-such-event.json does not exist'],
    [[], 'no event file'],
    [['--frobnicate'], 'unknown option --frobnicate'],
  ])('%j', (args, message) => {
    const r = invoke(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stdout).toBe('');
  });

  test('an event file that is not JSON', () => {
    const file = join(scratch, 'broken.json');
    writeFileSync(file, '{ "httpMethod": ');
    const r = invoke([file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not valid JSON');
  });
});
