// The built bundle dist/preflight/preflight.cjs (what the ES module entry
// index.mjs loads), loaded with Node's own require (not
// jest's module system, so nothing is transformed or mocked), answering the
// sample events in events/ from the sample policies in examples/, seeded into
// the shared moto server with the SDK.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { SSMClient } from '@aws-sdk/client-ssm';
import { globalMotoEndpoint, putPolicies, seedingClient, useMoto } from '../support/moto-ssm';
import { captureStdout } from '../support/ssm-mock';
import { PREFLIGHT_VARY_EXPECTED, SAMPLE_PRODUCTS_ALLOWED } from '../support/policies';

const ROOT = join(__dirname, '..', '..');
const BUNDLE = join(ROOT, 'dist', 'preflight', 'preflight.cjs');
const PREFIX = '/test/preflight-bundle/demo-api';
const VARY = PREFLIGHT_VARY_EXPECTED;

type Result = { statusCode: number; headers: Record<string, unknown>; body?: string };
let handler: (event: unknown, context?: unknown) => Promise<Result>;
let seed: SSMClient;

const readJson = (...parts: string[]) => JSON.parse(readFileSync(join(ROOT, ...parts), 'utf8'));

beforeAll(async () => {
  if (!existsSync(BUNDLE)) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--only', 'preflight'], { cwd: ROOT, stdio: 'inherit' });
  const endpoint = globalMotoEndpoint();
  seed = seedingClient(endpoint);
  const policies: Record<string, string> = {};
  for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))) {
    policies[`${PREFIX}/${file.replace(/\.json$/, '')}`] = readFileSync(join(ROOT, 'examples', file), 'utf8');
  }
  await putPolicies(seed, policies);
  useMoto(endpoint);
  process.env.CORS_POLICY_PATH = PREFIX;
  delete process.env.CORS_DEBUG;
  delete process.env.LOG_LEVEL;
  handler = createRequire(__filename)(BUNDLE).handler;
}, 120_000);

afterAll(() => seed.destroy());

test('the bundle exports a handler function', () => {
  expect(typeof handler).toBe('function');
});

describe.each(readdirSync(join(ROOT, 'events')).filter((f) => f.endsWith('.json')))('events/%s', (file) => {
  test(`is answered ${file.includes('allowed') ? '204 with CORS headers' : '403 without any'}`, async () => {
    const logs = captureStdout();
    let result: Result;
    try {
      result = await handler(readJson('events', file), { awsRequestId: `bundle-${file}` });
    } finally {
      logs.restore();
    }
    for (const value of Object.values(result.headers)) expect(typeof value).toBe('string');
    expect(result.headers.Vary).toBe(VARY);
    const accessControl = Object.keys(result.headers).filter((k) => k.toLowerCase().startsWith('access-control-'));
    if (file.includes('allowed')) {
      expect(result.statusCode).toBe(204);
      expect(accessControl).toEqual(expect.arrayContaining(['Access-Control-Allow-Origin', 'Access-Control-Allow-Methods', 'Access-Control-Max-Age']));
      expect(logs.withMessage('preflight denied')).toEqual([]);
    } else {
      expect(result.statusCode).toBe(403);
      expect(accessControl).toEqual([]);
      const denials = logs.withMessage('preflight denied');
      expect(denials).toHaveLength(1);
      expect(denials[0]).toMatchObject({ reason: expect.any(String), requestId: `bundle-${file}` });
    }
  });
});

test('the REST sample is answered with the exact headers of the products policy', async () => {
  const result = await handler(readJson('events', 'rest-v1-preflight-allowed.json'));
  expect(result).toEqual({ statusCode: 204, headers: SAMPLE_PRODUCTS_ALLOWED, body: '' });
});
