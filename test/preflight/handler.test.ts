// The preflight Lambda handler in-process, with Parameter Store mocked:
// payload v1 and v2, allowed, denied and plain OPTIONS answers, the denial
// log line, fail-closed behaviour, and the events/ samples.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { resetDefaultStore } from '../../functions/aws/default-store';
import { handler } from '../../functions/preflight/handler';
import { preflightHeadersV1, preflightHeadersV2, v1Event, v2Event } from '../support/apigw-events';
import { captureStdout, parameters, type CapturedLogs } from '../support/ssm-mock';
import { PREFLIGHT_VARY_EXPECTED, SAMPLE_PRODUCTS_ALLOWED } from '../support/policies';

const ROOT = join(__dirname, '..', '..');
const PREFIX = '/test/handler/api';
const VARY = PREFLIGHT_VARY_EXPECTED;

/** The sample policies shipped in examples/, as parameters under PREFIX. */
function samplePolicies(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const file of readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))) {
    out[`${PREFIX}/${file.replace(/\.json$/, '')}`] = readFileSync(join(ROOT, 'examples', file), 'utf8');
  }
  return out;
}

const ssm = mockClient(SSMClient);
let logs: CapturedLogs;

function serve(policies: Record<string, unknown>): void {
  ssm.on(GetParametersByPathCommand).resolves({ Parameters: parameters(policies) });
}

beforeEach(() => {
  ssm.reset();
  process.env.CORS_POLICY_PATH = PREFIX;
  delete process.env.CORS_POLICY_TTL_SECONDS;
  delete process.env.LOG_LEVEL;
  delete process.env.AWS_LAMBDA_LOG_LEVEL;
  resetDefaultStore();
  logs = captureStdout();
});

afterEach(() => {
  logs.restore();
});

afterAll(() => {
  ssm.restore();
  resetDefaultStore();
});

function expectNoCorsHeaders(headers: Record<string, unknown>): void {
  expect(Object.keys(headers).filter((k) => k.toLowerCase().startsWith('access-control-'))).toEqual([]);
}

function expectAllStrings(result: { statusCode: unknown; headers?: Record<string, unknown>; multiValueHeaders?: unknown }): void {
  expect(typeof result.statusCode).toBe('number');
  for (const value of Object.values(result.headers ?? {})) expect(typeof value).toBe('string');
}

const PRODUCTS_ALLOWED = SAMPLE_PRODUCTS_ALLOWED;

describe('allowed preflights', () => {
  beforeEach(() => serve(samplePolicies()));

  test('payload v1 from multiValueHeaders: 204 with the exact headers and an empty body', async () => {
    const event = v1Event({
      resource: '/{proxy+}',
      path: '/products/42',
      pathParameters: { proxy: 'products/42' },
      multiValueHeaders: preflightHeadersV1('https://shop.example.com', 'PUT', 'authorization,content-type'),
    });
    const result = await handler(event, { awsRequestId: 'r1' });
    expect(result).toEqual({ statusCode: 204, headers: PRODUCTS_ALLOWED, body: '' });
    expectAllStrings(result);
  });

  test('payload v1 with only headers, in mixed case', async () => {
    const event = v1Event({
      resource: '/{proxy+}',
      pathParameters: { proxy: 'products' },
      headers: { oRIGIN: 'https://shop.example.com', 'access-control-request-METHOD': 'GET' },
      multiValueHeaders: null,
    });
    expect(await handler(event)).toEqual({ statusCode: 204, headers: PRODUCTS_ALLOWED, body: '' });
  });

  test('payload v1 with the request-headers list split over two lines', async () => {
    const multi = preflightHeadersV1('https://shop.example.com', 'PUT');
    multi['Access-Control-Request-Headers'] = ['content-type', 'x-request-id'];
    const event = v1Event({ resource: '/{proxy+}', pathParameters: { proxy: 'products/1' }, multiValueHeaders: multi });
    expect((await handler(event)).statusCode).toBe(204);
  });

  test('payload v2 with lower-case headers and a comma-joined list', async () => {
    const event = v2Event({
      routeKey: 'OPTIONS /{proxy+}',
      rawPath: '/dev/products/42',
      stage: 'dev',
      pathParameters: { proxy: 'products/42' },
      headers: preflightHeadersV2('https://pr-17.preview.example.com', 'PATCH', 'content-type,x-request-id'),
    });
    const result = await handler(event);
    expect(result).toEqual({ statusCode: 204, headers: { ...PRODUCTS_ALLOWED, 'Access-Control-Allow-Origin': 'https://pr-17.preview.example.com' }, body: '' });
    expectAllStrings(result);
  });

  test.each([
    [
      'payload v1',
      () =>
        v1Event({ resource: '/', path: '/', pathParameters: null, multiValueHeaders: preflightHeadersV1('https://shop.example.com', 'POST', 'content-type') }),
    ],
    ['payload v2', () => v2Event({ routeKey: 'OPTIONS /', rawPath: '/', headers: preflightHeadersV2('https://shop.example.com', 'POST', 'content-type') })],
  ])('the root / is answered by its own route (%s)', async (_what, make) => {
    const result = await handler(make());
    expect(result).toEqual({
      statusCode: 204,
      headers: {
        'Access-Control-Allow-Origin': 'https://shop.example.com',
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'content-type',
        'Access-Control-Max-Age': '7200',
        Vary: VARY,
      },
      body: '',
    });
  });

  test('an anonymous any-origin policy answers "*" and never Allow-Credentials', async () => {
    const event = v2Event({
      rawPath: '/public/a.json',
      pathParameters: { proxy: 'public/a.json' },
      headers: preflightHeadersV2('https://anyone.example.org', 'GET', 'x-client-version'),
    });
    const result = await handler(event);
    expect(result).toEqual({
      statusCode: 204,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Max-Age': '7200',
        Vary: VARY,
      },
      body: '',
    });
  });

  test('an allowed preflight writes no log line at the default level', async () => {
    await handler(v2Event({ rawPath: '/products', pathParameters: { proxy: 'products' }, headers: preflightHeadersV2('https://shop.example.com', 'GET') }));
    expect(logs.lines()).toEqual([]);
  });
});

describe('denied preflights', () => {
  beforeEach(() => serve(samplePolicies()));

  const denials: Array<[string, string, () => ReturnType<typeof v1Event> | ReturnType<typeof v2Event>, Record<string, unknown>]> = [
    [
      'an origin confusable with an allowed one',
      'origin_not_allowed',
      () =>
        v1Event({
          resource: '/{proxy+}',
          path: '/products/42',
          pathParameters: { proxy: 'products/42' },
          multiValueHeaders: preflightHeadersV1('https://shop.example.com.evil.test', 'PUT'),
        }),
      { path: '/products/42', origin: 'https://shop.example.com.evil.test', method: 'PUT' },
    ],
    [
      'the apex of a subdomain pattern',
      'origin_not_allowed',
      () => v2Event({ rawPath: '/products/42', pathParameters: { proxy: 'products/42' }, headers: preflightHeadersV2('https://preview.example.com', 'GET') }),
      { path: '/products/42', origin: 'https://preview.example.com', method: 'GET' },
    ],
    [
      'a lower-case method the policy lists in upper case',
      'method_not_allowed',
      () => v2Event({ rawPath: '/products/42', pathParameters: { proxy: 'products/42' }, headers: preflightHeadersV2('https://shop.example.com', 'patch') }),
      { origin: 'https://shop.example.com', method: 'patch' },
    ],
    [
      'an unlisted request header',
      'header_not_allowed',
      () =>
        v1Event({
          resource: '/{proxy+}',
          pathParameters: { proxy: 'products/42' },
          multiValueHeaders: preflightHeadersV1('https://shop.example.com', 'PUT', 'content-type,x-api-key'),
        }),
      { origin: 'https://shop.example.com', method: 'PUT', requestHeaders: 'content-type,x-api-key' },
    ],
    [
      'authorization under "*"',
      'header_not_allowed',
      () =>
        v2Event({
          rawPath: '/public/x',
          pathParameters: { proxy: 'public/x' },
          headers: preflightHeadersV2('https://anyone.example.org', 'GET', 'authorization'),
        }),
      { origin: 'https://anyone.example.org', requestHeaders: 'authorization' },
    ],
    [
      'a comma flood',
      'headers_malformed',
      () =>
        v2Event({
          rawPath: '/products/1',
          pathParameters: { proxy: 'products/1' },
          headers: preflightHeadersV2('https://shop.example.com', 'GET', ','.repeat(5000)),
        }),
      { origin: 'https://shop.example.com' },
    ],
    [
      'two Origin header lines',
      'origin_malformed',
      () =>
        v1Event({
          resource: '/{proxy+}',
          pathParameters: { proxy: 'products/1' },
          multiValueHeaders: { Origin: ['https://shop.example.com', 'https://evil.example.net'], 'Access-Control-Request-Method': ['GET'] },
        }),
      {},
    ],
    [
      'a null origin',
      'origin_malformed',
      () => v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('null', 'GET') }),
      { origin: 'null' },
    ],
  ];

  test.each(denials)('%s: 403, no Access-Control-* header, the same Vary, one log line with %s', async (_what, reason, make, fields) => {
    const result = await handler(make(), { awsRequestId: 'req-deny' });
    expect(result).toEqual({ statusCode: 403, headers: { Vary: VARY }, body: '' });
    expectNoCorsHeaders(result.headers);
    expectAllStrings(result);
    const lines = logs.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: 'preflight denied', reason, ...fields });
  });

  test('the denial log names the route, path, origin, method and request headers', async () => {
    await handler(
      v1Event({
        resource: '/{proxy+}',
        path: '/v1/products/42',
        pathParameters: { proxy: 'products/42' },
        multiValueHeaders: preflightHeadersV1('https://evil.example.net', 'DELETE', 'content-type'),
      }),
      { awsRequestId: 'req-42' },
    );
    const [line] = logs.withMessage('preflight denied');
    expect(line).toMatchObject({
      reason: 'origin_not_allowed',
      path: '/products/42',
      origin: 'https://evil.example.net',
      method: 'DELETE',
      requestHeaders: 'content-type',
      requestId: 'req-42',
    });
    expect(JSON.stringify(line!.route)).toContain('/products/{id}');
    expect(typeof line!.timestamp).toBe('string');
  });

  test('a newline in a header cannot forge a second log line', async () => {
    const origin = 'https://evil.example.net\n{"level":"INFO","message":"preflight allowed"}';
    await handler(v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2(origin, 'GET') }));
    const lines = logs.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ message: 'preflight denied', origin });
  });

  test('no policy for the route: no_route_policy', async () => {
    serve({ [`${PREFIX}/products`]: samplePolicies()[`${PREFIX}/products`] });
    const result = await handler(
      v2Event({ rawPath: '/orders/1', pathParameters: { proxy: 'orders/1' }, headers: preflightHeadersV2('https://shop.example.com', 'GET') }),
    );
    expect(result.statusCode).toBe(403);
    expect(logs.withMessage('preflight denied')).toEqual([expect.objectContaining({ reason: 'no_route_policy', path: '/orders/1' })]);
  });
});

describe('plain OPTIONS (not a preflight)', () => {
  test.each([
    ['no Origin', v1Event({ resource: '/{proxy+}', pathParameters: { proxy: 'products/1' }, multiValueHeaders: { 'Access-Control-Request-Method': ['GET'] } })],
    [
      'no Access-Control-Request-Method',
      v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: { origin: 'https://shop.example.com' } }),
    ],
    ['no headers at all', v1Event({ resource: '/', headers: null, multiValueHeaders: null })],
  ])('%s: 204 with Vary only, and Parameter Store is never called', async (_what, event) => {
    serve(samplePolicies());
    const result = await handler(event);
    expect(result).toEqual({ statusCode: 204, headers: { Vary: VARY }, body: '' });
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('fail closed', () => {
  test('nothing ever loaded: 403 no_policies_loaded, and the load failure is logged', async () => {
    ssm.on(GetParametersByPathCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const result = await handler(
      v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('https://shop.example.com', 'GET') }),
    );
    expect(result).toEqual({ statusCode: 403, headers: { Vary: VARY }, body: '' });
    expect(logs.withMessage('preflight denied')).toEqual([expect.objectContaining({ reason: 'no_policies_loaded' })]);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toContain('Rate exceeded');
  });

  test('a missing CORS_POLICY_PATH denies every preflight and says why', async () => {
    delete process.env.CORS_POLICY_PATH;
    resetDefaultStore();
    const result = await handler(
      v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('https://shop.example.com', 'GET') }),
    );
    expect(result.statusCode).toBe(403);
    expectNoCorsHeaders(result.headers);
    expect(ssm.calls()).toHaveLength(0);
    expect(logs.raw()).toContain('CORS_POLICY_PATH');
  });

  test('an event that is not an API Gateway event still gets an answer with a status code', async () => {
    serve(samplePolicies());
    const result = await handler(null as never);
    expect(typeof result.statusCode).toBe('number');
    expectNoCorsHeaders(result.headers);
  });
});

describe('the policy cache', () => {
  test('many preflights within the TTL make one Parameter Store call', async () => {
    serve(samplePolicies());
    const event = v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('https://shop.example.com', 'GET') });
    for (let i = 0; i < 5; i++) expect((await handler(event)).statusCode).toBe(204);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]!.args[0].input).toMatchObject({ Path: PREFIX, Recursive: true });
  });
});

describe('the sample events in events/', () => {
  const files = readdirSync(join(ROOT, 'events')).filter((f) => f.endsWith('.json'));

  test('there are allowed and denied samples of both payload versions', () => {
    expect(files.some((f) => f.includes('allowed') && f.includes('v1'))).toBe(true);
    expect(files.some((f) => f.includes('allowed') && f.includes('v2'))).toBe(true);
    expect(files.some((f) => f.includes('denied') && f.includes('v1'))).toBe(true);
    expect(files.some((f) => f.includes('denied') && f.includes('v2'))).toBe(true);
  });

  /** The Origin header as the sample sends it (`headers`, any casing). */
  const originSent = (event: { headers: Record<string, string> }): string | undefined =>
    Object.entries(event.headers).find(([name]) => name.toLowerCase() === 'origin')?.[1];

  test.each(files)('%s gets the answer its name promises', async (file) => {
    serve(samplePolicies());
    const event = JSON.parse(readFileSync(join(ROOT, 'events', file), 'utf8'));
    const result = await handler(event);
    expect(result.statusCode).toBe(file.includes('allowed') ? 204 : 403);
    expectAllStrings(result);
    if (file.includes('denied')) expectNoCorsHeaders(result.headers);
    // examples/public.json allows any origin without credentials: `*`; every other allowed sample echoes the request's origin.
    else expect(result.headers['Access-Control-Allow-Origin']).toBe(file.includes('public') ? '*' : originSent(event));
  });
});

describe('CORS_DEBUG', () => {
  async function deniedWith(debug: string | undefined): Promise<Record<string, string>> {
    if (debug === undefined) delete process.env.CORS_DEBUG;
    else process.env.CORS_DEBUG = debug;
    let headers: Record<string, string> = {};
    // The switch is read when the module loads, so load a fresh copy, with its own SDK class to mock.
    await jest.isolateModulesAsync(async () => {
      const sdk = await import('@aws-sdk/client-ssm');
      const mock = mockClient(sdk.SSMClient);
      mock.onAnyCommand().resolves({ Parameters: parameters(samplePolicies()) });
      try {
        const fresh = await import('../../functions/preflight/handler');
        const result = await fresh.handler(
          v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('https://evil.example.net', 'GET') }),
        );
        expect(result.statusCode).toBe(403);
        headers = result.headers;
      } finally {
        mock.restore();
      }
    });
    delete process.env.CORS_DEBUG;
    return headers;
  }

  test('CORS_DEBUG=true adds the deny reason to the response, and no Access-Control-* header', async () => {
    const headers = await deniedWith('true');
    expect(headers['X-Cors-Deny-Reason']).toContain('origin_not_allowed');
    expectNoCorsHeaders(headers);
  });

  test('without CORS_DEBUG the reason stays in the logs', async () => {
    expect(await deniedWith(undefined)).toEqual({ Vary: VARY });
  });
});

describe('metrics (Embedded Metric Format)', () => {
  const allowedEvent = () =>
    v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('https://shop.example.com', 'GET') });
  const deniedEvent = () =>
    v2Event({ rawPath: '/products/1', pathParameters: { proxy: 'products/1' }, headers: preflightHeadersV2('https://evil.example.net', 'GET') });
  afterEach(() => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    delete process.env.CORS_METRICS_FLUSH_SECONDS;
    delete process.env.CORS_METRICS_NAMESPACE;
  });

  test('the denial line carries the EMF block: denied by reason, and the allowed preflights counted before it', async () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'shop-preflight';
    process.env.CORS_METRICS_NAMESPACE = 'Shop/Cors';
    serve(samplePolicies());
    await handler(allowedEvent());
    await handler(allowedEvent());
    expect(logs.lines()).toEqual([]);
    await handler(deniedEvent(), { awsRequestId: 'req-1' });
    const lines = logs.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      message: 'preflight denied',
      reason: 'origin_not_allowed',
      origin: 'https://evil.example.net',
      service: 'cors-preflight',
      function_name: 'shop-preflight',
      PreflightsDenied: 1,
      PreflightsAllowed: 2,
      PolicyRefreshes: 1,
      PolicyRefreshFailures: 0,
      InvalidPolicyParameters: 0,
      PolicyAgeSeconds: 0,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: 'Shop/Cors',
            Dimensions: [
              ['service', 'function_name', 'reason'],
              ['service', 'function_name'],
            ],
            Metrics: [{ Name: 'PreflightsDenied', Unit: 'Count' }],
          },
          {
            Namespace: 'Shop/Cors',
            Dimensions: [['service', 'function_name']],
            Metrics: expect.arrayContaining([
              { Name: 'PreflightsAllowed', Unit: 'Count' },
              { Name: 'PolicyAgeSeconds', Unit: 'Seconds' },
            ]),
          },
        ],
      },
    });
    // Origins, paths and header values are never dimensions.
    const dimensions = (lines[0]!._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics.flatMap((d) => d.Dimensions.flat());
    expect(new Set(dimensions)).toEqual(new Set(['service', 'function_name', 'reason']));
  });

  test('with CORS_METRICS_FLUSH_SECONDS=0 every allowed preflight writes one metrics line', async () => {
    process.env.CORS_METRICS_FLUSH_SECONDS = '0';
    serve(samplePolicies());
    await handler(allowedEvent());
    await handler(allowedEvent());
    expect(logs.lines().map((l) => [l.message, l.PreflightsAllowed])).toEqual([
      ['metrics', 1],
      ['metrics', 1],
    ]);
  });

  test('LOG_LEVEL=WARN drops the denial line but not its metrics: counted by reason, flushed at WARN', async () => {
    process.env.LOG_LEVEL = 'WARN';
    process.env.CORS_METRICS_FLUSH_SECONDS = '0';
    resetDefaultStore();
    serve(samplePolicies());
    await handler(deniedEvent());
    const lines = logs.lines();
    expect(lines).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'metrics', PreflightsAllowed: 0, PolicyRefreshes: 1 }),
      expect.objectContaining({ level: 'WARN', message: 'metrics', reason: 'origin_not_allowed', PreflightsDenied: 1 }),
    ]);
    expect(lines[1]).not.toHaveProperty('origin');
  });
});
