// explain through the built binary, reading policies from moto (--path) or
// files (--dir). Each claimed preflight response is checked against the real
// preflight handler answering the same request from the same parameters.
import { join } from 'node:path';
import { motoEnv } from '../../scripts/lib/moto';
import { httpApiEvent } from '../support/apigw-events';
import { POLICIES, SHOP_PUT, clearPath, putParameters } from './support/cli';
import { ssmClients, useCliSandbox } from './support/sandbox';

const PATH = '/test/cli-explain/api';
const sandbox = useCliSandbox('explain', { clients: ssmClients });
const { cli } = sandbox;
let handler: typeof import('../../functions/preflight/handler').handler;
const saved = { ...process.env };

beforeAll(async () => {
  await clearPath(sandbox.clients.ssm, PATH);
  // No $default policy, so some paths match nothing.
  await putParameters(sandbox.clients.ssm, { [`${PATH}/products`]: JSON.stringify(POLICIES.products), [`${PATH}/public`]: JSON.stringify(POLICIES.public) });
  Object.assign(process.env, motoEnv(sandbox.endpoint), { CORS_POLICY_PATH: PATH, LOG_LEVEL: 'error' });
  ({ handler } = await import('../../functions/preflight/handler'));
  (await import('../../functions/aws/default-store')).resetDefaultStore();
});
afterAll(() => {
  process.env = saved;
});

interface Explained {
  code: number | null;
  json: {
    preflight: {
      sent: boolean;
      request: { path: string; headers: Record<string, string> } | null;
      response: { status: number; headers: Record<string, string> } | null;
      decision: { kind: string; reason?: string } | null;
    };
    match: { policy: string; route: string; params: Record<string, string> } | null;
    alsoMatched: Array<{ policy: string; route: string }>;
    actual: { allowed: boolean; headers: Record<string, string> };
    verdict: { allowed: boolean; stage: string | null; reason: string | null; policy: string | null };
    fixes: Array<{ policy: string; action: string; field?: string; value?: unknown; text: string }>;
    blocked: string | null;
    alternatives: string[];
  };
}

async function explain(...args: string[]): Promise<Explained> {
  const r = await cli('explain', '--path', PATH, ...args, '--json');
  if (r.stdout === '') throw new Error(`no JSON on stdout (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, json: JSON.parse(r.stdout) };
}

/** What the deployed preflight function answers to the preflight explain says the browser sends. */
async function lambdaAnswer(request: { path: string; headers: Record<string, string> }): Promise<{ status: number; headers: Record<string, string> }> {
  const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const event = httpApiEvent({
    routeKey: request.path === '/' ? 'OPTIONS /' : 'OPTIONS /{proxy+}',
    rawPath: request.path,
    headers,
    ...(request.path === '/' ? {} : { pathParameters: { proxy: request.path.slice(1) } }),
  });
  const result = await handler(event);
  return { status: result.statusCode, headers: result.headers };
}

async function expectSameAsLambda(e: Explained): Promise<void> {
  expect(e.json.preflight.request).not.toBeNull();
  expect(e.json.preflight.response).toEqual(await lambdaAnswer(e.json.preflight.request!));
}

describe('cors-policy explain', () => {
  it('an allowed credentialed preflight: the policy, the route, the exact 204 response, exit 0', async () => {
    const e = await explain(...SHOP_PUT, '--headers', 'content-type,X-Request-Id', '--credentials');
    expect(e.code).toBe(0);
    expect(e.json.match).toEqual({ policy: `${PATH}/products`, route: '/products/{id}', params: { id: '42' } });
    expect(e.json.preflight.request).toEqual({
      method: 'OPTIONS',
      path: '/products/42',
      headers: { Origin: 'https://shop.example.com', 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type,x-request-id' },
    });
    expect(e.json.preflight.response).toEqual({
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE',
        'Access-Control-Allow-Headers': 'content-type, x-request-id',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Max-Age': '600',
        Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      },
    });
    await expectSameAsLambda(e);
    expect(e.json.actual.headers).toEqual({
      Vary: 'Origin',
      'Access-Control-Allow-Origin': 'https://shop.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'etag',
    });
    expect(e.json.verdict).toEqual({ allowed: true, stage: null, reason: null, detail: null, policy: `${PATH}/products` });
    expect(e.json.fixes).toEqual([]);
  });

  it('a simple request sends no preflight; the actual response carries the CORS headers', async () => {
    const e = await explain('--url-path', '/public/files/a.pdf', '--origin', 'https://anyone.example.org', '--headers', 'accept,content-type:text/plain');
    expect(e.code).toBe(0);
    expect(e.json.preflight).toMatchObject({ sent: false, request: null, response: null });
    expect(e.json.match).toEqual({ policy: `${PATH}/public`, route: '/public/{path+}', params: { path: 'files/a.pdf' } });
    expect(e.json.actual).toEqual({ allowed: true, headers: { Vary: 'Origin', 'Access-Control-Allow-Origin': '*' } });
  });

  it('denied origin: 403, reason origin_not_allowed, fix adds the origin to allowOrigins', async () => {
    const e = await explain('--url-path', '/products', '--origin', 'https://evil.example.net', '--method', 'DELETE');
    expect(e.code).toBe(3);
    expect(e.json.preflight.response).toEqual({ status: 403, headers: { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' } });
    await expectSameAsLambda(e);
    expect(e.json.verdict).toMatchObject({ allowed: false, stage: 'preflight', reason: 'origin_not_allowed', policy: `${PATH}/products` });
    expect(e.json.fixes.map((f) => f.text)).toEqual([`add "https://evil.example.net" to allowOrigins of ${PATH}/products`]);
  });

  it('denied method: reason method_not_allowed, fix adds the method to allowMethods', async () => {
    const e = await explain('--url-path', '/products/1', '--origin', 'https://shop.example.com', '--method', 'PATCH');
    expect(e.code).toBe(3);
    await expectSameAsLambda(e);
    expect(e.json.verdict.reason).toBe('method_not_allowed');
    expect(e.json.fixes.map((f) => f.text)).toEqual([`add "PATCH" to allowMethods of ${PATH}/products`]);
  });

  it('denied header: reason header_not_allowed, fix adds the header to allowHeaders', async () => {
    const e = await explain('--url-path', '/products/1', '--origin', 'http://localhost:3000', '--method', 'POST', '--headers', 'content-type,x-trace');
    expect(e.code).toBe(3);
    await expectSameAsLambda(e);
    expect(e.json.verdict.reason).toBe('header_not_allowed');
    expect(e.json.fixes.map((f) => f.text)).toEqual([`add "x-trace" to allowHeaders of ${PATH}/products`]);
  });

  it('credentials on an anonymous policy: the browser refuses the allowed answer; fix sets allowCredentials and lists the origin', async () => {
    const e = await explain('--url-path', '/public/x', '--origin', 'https://app.example.com', '--method', 'PUT', '--credentials');
    expect(e.code).toBe(3);
    await expectSameAsLambda(e);
    expect(e.json.preflight.decision).toEqual({ kind: 'denied', reason: 'method_not_allowed', detail: expect.any(String) });
    const header = await explain('--url-path', '/public/x', '--origin', 'https://app.example.com', '--credentials');
    expect(header.json.verdict).toMatchObject({ allowed: false, stage: 'actual', reason: 'credentials_not_allowed' });
    expect(header.json.actual.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(header.json.alternatives).toEqual([expect.stringContaining('send the request without credentials')]);
    expect(header.json.fixes.map((f) => f.text)).toEqual([
      `set allowCredentials: true in ${PATH}/public`,
      `replace "*" with "https://app.example.com" in allowOrigins of ${PATH}/public ("*" never passes with credentials; other origins then need listing too)`,
    ]);
    // Both fixes at once for the PUT: the method, then the credentials.
    expect(e.json.fixes.map((f) => [f.action, f.field, f.value])).toEqual([
      ['add', 'allowMethods', 'PUT'],
      ['set', 'allowCredentials', true],
      ['replace', 'allowOrigins', 'https://app.example.com'],
    ]);
  });

  it('no route: reason no_route_policy, fix adds a policy for the path', async () => {
    const e = await explain('--url-path', '/orders/7', '--origin', 'https://shop.example.com', '--method', 'PUT', '--headers', 'content-type', '--credentials');
    expect(e.code).toBe(3);
    await expectSameAsLambda(e);
    expect(e.json.match).toBeNull();
    expect(e.json.verdict.reason).toBe('no_route_policy');
    expect(e.json.fixes).toEqual([
      {
        policy: `${PATH}/orders`,
        action: 'create',
        value: {
          route: '/orders/7',
          allowOrigins: ['https://shop.example.com'],
          allowMethods: ['PUT'],
          allowHeaders: ['content-type'],
          allowCredentials: true,
        },
        text: expect.stringMatching(/^no policy matches \/orders\/7: add a policy with route "\/orders\/7"/),
        // A new policy lets an origin in: the question comes with it.
        warning: expect.stringContaining('is https://shop.example.com yours?'),
      },
    ]);
  });

  it.each([
    ['null', 'Origin "null" can never be allowed'],
    ['https://shop.example.com/', 'Origin "https://shop.example.com/" can never be allowed: it has a trailing slash'],
  ])('a malformed origin (%s): reason origin_malformed, and no policy change can allow it', async (origin, message) => {
    const e = await explain('--url-path', '/products', '--origin', origin, '--method', 'PUT');
    expect(e.code).toBe(3);
    await expectSameAsLambda(e);
    expect(e.json.verdict.reason).toBe('origin_malformed');
    expect(e.json.fixes).toEqual([]);
    expect(e.json.blocked).toContain(message);
  });

  it('human output names the policy, the route rule, the response and the fix', async () => {
    const r = await cli('explain', '--path', PATH, '--url-path', '/products/9', '--origin', 'https://evil.example.net', '--method', 'PUT');
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `Policy: ${PATH}/products, route "/products/{id}" (id="9")`,
        '    HTTP 403',
        'Verdict: BLOCKED at the preflight - origin_not_allowed: origin is not in allowOrigins',
        `Fix: add "https://evil.example.net" to allowOrigins of ${PATH}/products`,
        '    (checked: with this change the same engine allows the request)',
      ]),
    );
    expect(r.stdout).toContain('a literal segment beats {param}');
  });

  it('--dir reads policy files and names them in the answer', async () => {
    const dir = await sandbox.dir({ 'products.json': POLICIES.products, 'fallback.json': POLICIES.fallback });
    const r = await cli('explain', '--dir', dir, '--url-path', '/products/5', '--origin', 'https://shop.example.com', '--method', 'GET', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.match.policy).toBe(join(dir, 'products.json'));
    expect(json.alsoMatched).toEqual([{ policy: join(dir, 'fallback.json'), route: '$default', params: {} }]);
  });

  it('human output shows control and bidi characters of its input as escapes', async () => {
    const dir = await sandbox.dir({ 'products.json': POLICIES.products });
    const r = await cli(
      'explain',
      '--dir',
      dir,
      '--url-path',
      '/products/1\u001b[2J\u202e',
      '--origin',
      'https://evil.example\u001b]0;x\u0007',
      '--method',
      'PUT',
    );
    expect(r.code).toBe(3);
    expect(r.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(r.stdout).toContain('Request: PUT /products/1\\x1b[2J\\u202e from https://evil.example\\x1b]0;x\\x07');
  });

  it('needs exactly one of --path and --dir', async () => {
    const r = await cli('explain', '--url-path', '/x', '--origin', 'https://a.example.com');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cors-policy explain: error: give exactly one of --path (policies in Parameter Store) or --dir (policy files)\n');
  });
});
